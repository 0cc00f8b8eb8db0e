#!/usr/bin/env bash
# Print shell `export` lines for working with the local tools and cluster:
#   eval "$(npm run --silent env)"; pulumi up -s dev
# PATH gets the built pulumi CLI, its language host and kubectl; PULUMI_HOME is project-local
# (the provider plugins are installed there); the state lives in a local file backend;
# secrets use a local passphrase; KUBECONFIG points at the cluster from cluster-up.
# Nothing is built here: run `npm run tools` (and `npm run cluster:up`) first.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

q() { printf '%q' "$1"; }
PATH_ADD="$(bp_group_dir pulumi)/bin:$(bp_group_dir language-nodejs)/bin:$(bp_group_dir kubernetes)/bin"
echo "export PATH=$(q "$PATH_ADD"):\"\$PATH\""
echo "export PULUMI_HOME=$(q "$BP_PULUMI_HOME")"
echo "export PULUMI_BACKEND_URL=$(q "file://$BP_PULUMI_STATE")"
echo "export PULUMI_CONFIG_PASSPHRASE=$(q "${PULUMI_CONFIG_PASSPHRASE:-$BP_PASSPHRASE_DEFAULT}")"
echo "export PULUMI_SKIP_UPDATE_CHECK=true"
echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
echo "export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true"
echo "export KUBECONFIG=$(q "$BP_CLUSTER_DIR/kubeconfig")"
mkdir -p "$BP_PULUMI_STATE" "$BP_PULUMI_HOME"
for b in pulumi/pulumi kubernetes/kubectl language-nodejs/pulumi-language-nodejs; do
	[ -n "$(bp_bin "${b%%/*}" "${b#*/}")" ] || echo "# warning: ${b#*/} is not built yet: run npm run tools" >&2
done
[ -f "$BP_CLUSTER_DIR/kubeconfig" ] || echo "# warning: no local cluster running: run npm run cluster:up" >&2
exit 0

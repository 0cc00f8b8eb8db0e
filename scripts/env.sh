#!/usr/bin/env bash
# Print shell `export` lines for deploying to the local control plane:
#   eval "$(npm run --silent env)"; pulumi stack select dev --create; pulumi up
# KUBECONFIG points at the cluster from `npm run cluster:up`; PATH gets its kubectl; Pulumi keeps
# state in a local file backend (.pulumi/state) with a local passphrase. The Pulumi CLI and its
# plugins are your own install (`pulumi` on PATH, plugins in $PULUMI_HOME or ~/.pulumi): nothing
# here builds or replaces them. A variable you set already (PULUMI_BACKEND_URL,
# PULUMI_CONFIG_PASSPHRASE, KUBECONFIG) is printed unchanged.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

q() { printf '%q' "$1"; }
echo "export PATH=$(q "$(bp_group_dir kubernetes)/bin"):\"\$PATH\""
echo "export PULUMI_BACKEND_URL=$(q "${PULUMI_BACKEND_URL:-file://$BP_PULUMI_STATE}")"
echo "export PULUMI_CONFIG_PASSPHRASE=$(q "${PULUMI_CONFIG_PASSPHRASE:-$BP_PASSPHRASE_DEFAULT}")"
echo "export PULUMI_SKIP_UPDATE_CHECK=true"
echo "export KUBECONFIG=$(q "$BP_CLUSTER_DIR/kubeconfig")"
mkdir -p "$BP_PULUMI_STATE"
command -v pulumi >/dev/null 2>&1 || echo "# warning: no pulumi CLI on PATH: install it (https://www.pulumi.com/docs/install/)" >&2
[ -n "$(bp_bin kubernetes kubectl)" ] || echo "# warning: the control-plane tools are not built yet: run npm run tools" >&2
[ -f "$BP_CLUSTER_DIR/kubeconfig" ] || echo "# warning: no local cluster running: run npm run cluster:up" >&2
exit 0

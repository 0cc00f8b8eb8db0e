#!/usr/bin/env bash
# Build, or reuse from the cache, the binaries of the local cluster:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok (the control
#   plane and its fake nodes), kubelet, kube-proxy and CoreDNS (the real nodes), and the
#   stand-in broker images the real nodes run (scripts/images.sh).
# The Pulumi engine is not built here: the e2e tier uses the `pulumi` CLI on PATH and the
# provider plugins installed for it, as any Pulumi user has them (scripts/engine.sh).
# Everything is built with the Go toolchain from pinned module versions (tools/*/go.mod)
# and cached outside the repository, keyed by the pins and the Go version.
#
# Usage: scripts/tools.sh [GROUP...]      (default: every group)
#   groups: kubernetes etcd kwok coredns images
#   "cluster" is shorthand for: kubernetes etcd kwok
#   "nodes" is shorthand for: kubernetes coredns images (what --real-nodes adds)
#
# Exits non-zero, naming every tool that could not be built and why, when any requested
# group fails; the groups that can be built are still built first.
# Environment: BROKER_TOOLS_CACHE (cache root), BROKER_TOOLS_JOBS (go build -p, default 2).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

GO="$(bp_find_go)"
export PATH="$(dirname "$GO"):$PATH"
JOBS="${BROKER_TOOLS_JOBS:-2}"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0

FAILED=()
declare -A FAIL_REASON=()
T_TOTAL_START=$(date +%s)

fail_group() { # group reason
	FAILED+=("$1")
	FAIL_REASON[$1]="$2"
	bp_log "FAILED $1: $2"
}

# go build one main package of a tools module into the group's cache directory.
# Prints the build time; reuses an existing binary.
build_bin() { # group binary package ldflags
	local g="$1" bin="$2" pkg="$3" ld="$4" dir out log t0 t1
	dir="$(bp_group_dir "$g")"
	out="$dir/bin/$bin"
	if [ -x "$out" ]; then
		bp_log "reuse  $bin ($out)"
		return 0
	fi
	mkdir -p "$dir/bin" "$dir/logs"
	log="$dir/logs/$bin.log"
	bp_log "build  $bin from $pkg (log: $log)"
	t0=$(date +%s)
	if ! (cd "$BP_ROOT/tools/$g" && "$GO" build -p "$JOBS" -trimpath -ldflags "-s -w $ld" -o "$out.tmp" "$pkg") >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$out.tmp"
		return 1
	fi
	mv "$out.tmp" "$out"
	t1=$(date +%s)
	printf '%s\t%s\t%ss\n' "$bin" "$(bp_go_version)" "$((t1 - t0))" >>"$dir/timings.tsv"
	bp_log "built  $bin in $((t1 - t0))s"
}

group_kubernetes() {
	local v ld
	v="$(bp_pin kubernetes k8s.io/kubernetes)"
	# What hack/lib/version.sh stamps, so `kubectl version` and /version report the release.
	ld="-X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitTreeState=clean"
	ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitTreeState=clean"
	local b
	for b in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
		build_bin kubernetes "$b" "k8s.io/kubernetes/cmd/$b" "$ld" || return 1
	done
}

group_coredns() {
	local v
	v="$(bp_pin coredns github.com/coredns/coredns)"
	build_bin coredns coredns github.com/coredns/coredns "-X github.com/coredns/coredns/coremain.GitCommit=$v"
}

# Not a Go module: root file systems from Debian packages, packed as OCI images.
group_images() {
	bash "$BP_ROOT/scripts/images.sh" build
}

group_etcd() {
	build_bin etcd etcd go.etcd.io/etcd/server/v3 ""
}

group_kwok() {
	local v dir src
	v="$(bp_pin kwok sigs.k8s.io/kwok)"
	build_bin kwok kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}" || return 1
	# kwok needs Stage objects to move nodes and pods through their lifecycle; use the
	# "fast" stages that ship in the same module release.
	dir="$(bp_group_dir kwok)"
	if [ ! -f "$dir/stages.yaml" ]; then
		src="$(cd "$BP_ROOT/tools/kwok" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
		[ -d "$src/kustomize/stage" ] || return 1
		{
			for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
				pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
				echo "---"
				grep -v '^---$' "$src/kustomize/stage/$f"
			done
		} >"$dir/stages.yaml.tmp"
		mv "$dir/stages.yaml.tmp" "$dir/stages.yaml"
	fi
}

main() {
	local want=() g
	if [ $# -eq 0 ]; then
		want=("${BP_GROUPS[@]}")
	fi
	for g in "$@"; do
		case "$g" in
		cluster) want+=(kubernetes etcd kwok) ;;
		nodes) want+=(kubernetes coredns images) ;;
		*) want+=("$g") ;;
		esac
	done
	# Each group once, in the order asked ("cluster nodes" names kubernetes twice).
	mapfile -t want < <(printf '%s\n' "${want[@]}" | awk '!seen[$0]++')
	for g in "${want[@]}"; do
		[ -d "$BP_ROOT/tools/$g" ] || [ "$g" = images ] || bp_die "unknown tool group: $g (known: ${BP_GROUPS[*]} images cluster nodes)"
	done
	bp_log "Go: $(bp_go_version); cache: $BP_CACHE_ROOT"
	for g in "${want[@]}"; do
		LAST_REASON=""
		if ! "group_$g"; then
			if [ "$g" = images ]; then
				fail_group "$g" "the stand-in images could not be built (scripts/images.sh, output above)"
			else
				fail_group "$g" "${LAST_REASON:-build failed, see $(bp_group_dir "$g")/logs}"
			fi
		fi
	done
	bp_log "tools done in $(($(date +%s) - T_TOTAL_START))s"
	if [ ${#FAILED[@]} -gt 0 ]; then
		{
			echo
			echo "These tools could not be built, so the end-to-end tier cannot run:"
			for g in "${FAILED[@]}"; do
				echo "  - $g: ${FAIL_REASON[$g]}"
			done
		} >&2
		exit 1
	fi
}

main "$@"

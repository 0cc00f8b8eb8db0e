#!/usr/bin/env bash
# Take one real node of the local cluster away and bring it back, as a machine that loses power
# and boots again: `stop` kills its kubelet, containerd and every container at once (no preStop,
# no graceful shutdown); `start` launches the same node again from its directory, with its
# volumes, images and identity, and waits until it is Ready.
# Usage: scripts/cluster-node.sh stop|start real-node-N
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/real-nodes.sh"

D="$BP_CLUSTER_DIR"
ACTION="${1:-}"
NAME="${2:-}"
[ -n "$NAME" ] && [[ "$ACTION" =~ ^(stop|start)$ ]] || bp_die "usage: scripts/cluster-node.sh stop|start real-node-N"
grep -qx 'REAL_NODES=1' "$D/ports.env" 2>/dev/null || bp_die "no local cluster with real nodes runs from $D (npm run cluster:up -- --real-nodes N)"
N="$D/nodes/$NAME"
[ -d "$N" ] || bp_die "$NAME is not a node of the local cluster (nodes: $(ls "$D/nodes" | tr '\n' ' '))"

node_pids() { find "/sys/fs/cgroup/pids/$BP_CGROUP_PARENT/$NAME" -name cgroup.procs -exec cat {} + 2>/dev/null || true; }

# The launcher's line in the pid list goes with it, so cluster-down never signals a reused pid.
forget_pid() { [ -f "$D/pids" ] && awk -v n="$NAME" '$1 != n' "$D/pids" >"$D/pids.tmp" && mv "$D/pids.tmp" "$D/pids"; }

stop_node() {
	local pids i
	for i in $(seq 1 40); do
		pids="$(node_pids)"
		[ -n "$pids" ] || break
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.25
	done
	[ -z "$(node_pids)" ] || bp_die "processes of $NAME survived SIGKILL: $(node_pids | tr '\n' ' ')"
	forget_pid
	bp_log "$NAME stopped (every process of its cgroup killed)"
}

start_node() {
	[ -z "$(node_pids)" ] || bp_die "$NAME is running; stop it first"
	export BP_KUBELET BP_CONTAINERD
	BP_KUBELET="$(bp_require_bin kubernetes kubelet)"
	BP_CONTAINERD="$(command -v containerd)"
	forget_pid
	setsid unshare --mount --propagation slave bash "$BP_ROOT/scripts/lib/real-node-launch.sh" "$N" "$NAME" "$D/logs" \
		>>"$D/logs/$NAME.log" 2>&1 </dev/null &
	echo "$NAME $!" >>"$D/pids"
	local kubectl i ready started
	kubectl="$(bp_require_bin kubernetes kubectl)"
	started="$(date +%s)"
	for i in $(seq 1 240); do
		# Ready as this kubelet reported it: the API still says Ready for a while after a stop.
		ready="$("$kubectl" --kubeconfig "$D/kubeconfig" get node "$NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null || true)"
		if [ "${ready%% *}" = True ] && [ "$(date -d "${ready#* }" +%s 2>/dev/null || echo 0)" -ge "$started" ]; then
			bp_log "$NAME started and Ready"
			return 0
		fi
		kill -0 "$!" 2>/dev/null || bp_die "$NAME exited while starting (log: $D/logs/$NAME.log)"
		sleep 0.5
	done
	bp_die "$NAME did not become Ready in 120 s (log: $D/logs/$NAME.log)"
}

"${ACTION}_node"

#!/usr/bin/env bash
# Stop the local control plane started by cluster-up and remove its state.
# Usage: scripts/cluster-down.sh [--keep-logs]
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/real-nodes.sh"

KEEP_LOGS=0
[ "${1:-}" = "--keep-logs" ] && KEEP_LOGS=1
D="$BP_CLUSTER_DIR"

if [ -f "$D/pids" ]; then
	# Stop in reverse start order: kwok and controllers first, etcd last.
	tac "$D/pids" | while read -r name pid; do
		[ -n "${pid:-}" ] || continue
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 40); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.25
			done
			if kill -0 "$pid" 2>/dev/null; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
			bp_log "stopped $name (pid $pid)"
		fi
	done
fi

# Real nodes: every process in their cgroups, then what they left on the host.
# (Also when the state is gone but the bridge still names this directory: a start that died early.)
if { [ -f "$D/ports.env" ] && grep -qx 'REAL_NODES=1' "$D/ports.env"; } || bp_rn_bridge_owned_by "$D"; then
	BP_KUBE_PROXY="$(bp_bin kubernetes kube-proxy)"
	bp_rn_down "$D"
fi

if [ -d "$D" ]; then
	if [ "$KEEP_LOGS" = 1 ]; then
		find "$D" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
	else
		rm -rf "$D"
	fi
	bp_log "cluster state removed from $D"
else
	bp_log "no local cluster state at $D"
fi

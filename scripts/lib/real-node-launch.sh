#!/usr/bin/env bash
# Runs one real node: containerd and the kubelet, in a mount namespace of their own.
# Started by cluster-up (scripts/lib/real-nodes.sh) as
#   BP_KUBELET=... BP_CONTAINERD=... setsid unshare --mount --propagation slave \
#     bash real-node-launch.sh NODE_DIR NODE_NAME LOG_DIR
#
# kubelet, containerd and the CNI plugins write to absolute host paths that no setting moves
# (/run/containerd for shim sockets, /run/netns for pod network namespaces, /var/lib/cni,
# /var/log/pods, /var/log/containers, /var/lib/kubelet). Each is bind-mounted from the node's
# own directory inside this namespace, so what one node writes never reaches the host or another
# node, and every mount (pod volumes, overlay root file systems, network namespaces) is gone with
# the namespace's last process. The mount points themselves are created (and later removed) by
# cluster-up / cluster-down.
set -euo pipefail
N="$1"
NAME="$2"
LOGS="$3"

# Join the node's cgroup in every v1 hierarchy, so cluster-down can find and stop every process
# this node ever started (containerd, its shims, the containers) by walking one directory.
for h in /sys/fs/cgroup/*/; do
	[ -d "$h/broker-platform/$NAME/system" ] && echo $$ >"$h/broker-platform/$NAME/system/cgroup.procs"
done

while read -r target source; do
	mount --bind "$N/$source" "$target"
done <"$N/binds"

# A node that lost power (cluster-node stop) leaves its socket file behind: only a socket that the
# new containerd made says it listens.
rm -f "$N/containerd.sock"
"$BP_CONTAINERD" --config "$N/containerd.toml" >>"$LOGS/$NAME-containerd.log" 2>&1 &
for _ in $(seq 1 100); do
	[ -S "$N/containerd.sock" ] && break
	sleep 0.1
done
[ -S "$N/containerd.sock" ] || {
	echo "containerd of $NAME did not open its socket (log: $LOGS/$NAME-containerd.log)" >&2
	exit 1
}
exec "$BP_KUBELET" --config "$N/kubelet.yaml" --kubeconfig "$N/kubelet.kubeconfig" \
	--hostname-override "$NAME" --node-ip "$(cat "$N/ip")" \
	--node-labels "$(cat "$N/labels")" --v 1

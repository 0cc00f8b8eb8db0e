# Real nodes for the local control plane (cluster-up --real-nodes N). Sourced, never run.
#
# Each node is a kubelet with its own containerd (root, state, socket, CNI configuration), its
# own cgroup root and pod address range, in a mount namespace of its own
# (scripts/lib/real-node-launch.sh). Around them, host processes of the cluster:
#   - one Linux bridge (BP_BRIDGE) with the gateway address, which is also the API server's,
#     CoreDNS's and every node's address (a node address must not be loopback);
#   - CoreDNS on the gateway address with the kubernetes plugin and no forwarding;
#   - one kube-proxy (iptables mode) for the host's network namespace, which all nodes share:
#     Service ClusterIPs work from pods and from the host.
# Pods get routes to the bridge's subnet and the Service range only: no default route, no NAT
# to the outside; nothing they send leaves this machine.
#
# What this leaves on the host while it runs, and cluster-down removes (bp_rn_down):
#   the bridge; iptables chains of the kubelet and kube-proxy (KUBE-*); the cgroups
#   /sys/fs/cgroup/*/broker-platform; the mount points of the node namespaces' bind mounts
#   (only those that did not exist); the sysctls the kubelet and the bridge plugin change
#   (net.ipv4.ip_forward, vm.overcommit_memory, vm.panic_on_oom, kernel.panic,
#   kernel.panic_on_oops, kernel.keys.root_maxkeys, kernel.keys.root_maxbytes), restored to the
#   values recorded at start.

BP_BRIDGE=bpnodes0
BP_NODE_SUBNET=10.88.0.0/16
BP_GATEWAY=10.88.0.1
BP_SERVICE_CIDR=10.96.0.0/16
BP_CGROUP_PARENT=broker-platform
# The sysctls kubelet (setupKernelTunables) and the CNI bridge plugin (isGateway) write.
BP_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Those put back as soon as the kubelets have started: a kubelet sets kernel.panic_on_oops=1,
# which this machine should not run with. overcommit stays as production nodes have it (Redis
# warns without it) until cluster-down.
BP_SYSCTLS_RESTORE_AT_ONCE=(kernel.panic kernel.panic_on_oops vm.panic_on_oom)
# Host paths kubelet, containerd and the CNI plugins write to regardless of their settings,
# bind-mounted per node: target<TAB>directory inside the node's directory.
BP_NODE_BINDS=(
	"/run/containerd run-containerd"
	"/run/netns netns"
	"/var/lib/cni cni-state"
	"/var/lib/kubelet kubelet"
	"/var/log/pods log-pods"
	"/var/log/containers log-containers"
)

# Whether the bridge exists and its alias names this cluster directory.
bp_rn_bridge_owned_by() { # dir
	ip link show "$BP_BRIDGE" >/dev/null 2>&1 && [ "$(ip -o link show "$BP_BRIDGE" | sed -n 's/.*alias //p')" = "$1" ]
}

bp_rn_node_name() { echo "real-node-$1"; }
bp_rn_node_ip() { echo "10.88.0.$((10 + $1))"; }

# Everything the real nodes need from the machine, checked before anything starts.
bp_rn_preflight() {
	[ "$(id -u)" = 0 ] || bp_die "--real-nodes needs root (kubelet, containerd, cgroups, mounts, the bridge)"
	local missing=() t
	for t in containerd:containerd runc:runc ctr:containerd unshare:util-linux iptables:iptables ip:iproute2 \
		mmdebstrap:mmdebstrap gcc:gcc; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
	[ -f /usr/include/stdio.h ] || missing+=(libc6-dev)
	if [ ${#missing[@]} -gt 0 ]; then
		bp_die "--real-nodes needs Debian packages that are not installed: apt-get install -y --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
	fi
	if ip link show "$BP_BRIDGE" >/dev/null 2>&1; then
		bp_die "the bridge $BP_BRIDGE exists: real nodes of another cluster are running (from $(ip -o link show "$BP_BRIDGE" | sed -n 's/.*alias //p')); stop them first: BROKER_CLUSTER_DIR=<that directory> npm run cluster:down"
	fi
	local route
	route="$(ip -4 route show to match "$BP_GATEWAY" | grep -v '^default' || true)"
	[ -z "$route" ] || bp_die "the real nodes' subnet $BP_NODE_SUBNET overlaps a route of this machine ($route)"
	[ -d /sys/fs/cgroup/pids ] || bp_die "--real-nodes expects cgroup v1 controllers under /sys/fs/cgroup (found: $(ls /sys/fs/cgroup | tr '\n' ' '))"
}

# The host's state that must come back as it was: sysctl values, which mount points existed.
bp_rn_record_host() { # dir
	local s
	: >"$1/host-sysctls"
	for s in "${BP_SYSCTLS[@]}"; do
		printf '%s %s\n' "$s" "$(sysctl -n "$s")" >>"$1/host-sysctls"
	done
	: >"$1/host-created"
	local entry target
	for entry in "${BP_NODE_BINDS[@]}"; do
		target="${entry%% *}"
		[ -e "$target" ] || echo "$target" >>"$1/host-created"
	done
	iptables-save >"$1/iptables.before" 2>/dev/null || true
	ip6tables-save >"$1/ip6tables.before" 2>/dev/null || true
}

bp_rn_restore_sysctls() { # dir [names...]
	local dir="$1" name value
	shift
	[ -f "$dir/host-sysctls" ] || return 0
	while read -r name value; do
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
		[ "$(sysctl -n "$name" 2>/dev/null)" = "$value" ] || sysctl -q -w "$name=$value" >/dev/null || true
	done <"$dir/host-sysctls"
}

bp_rn_network_up() { # cluster-dir nodes
	ip link add "$BP_BRIDGE" type bridge
	ip link set "$BP_BRIDGE" alias "$1"
	ip addr add "$BP_GATEWAY/16" dev "$BP_BRIDGE"
	local i
	for ((i = 1; i <= $2; i++)); do
		ip addr add "$(bp_rn_node_ip "$i")/16" dev "$BP_BRIDGE"
	done
	ip link set "$BP_BRIDGE" up
	local entry target
	for entry in "${BP_NODE_BINDS[@]}"; do
		target="${entry%% *}"
		mkdir -p "$target"
	done
}

# Certificates of the nodes: the kubelet's client identity (Node authorizer) and its serving
# certificate with the node address (the API server verifies it for logs and exec).
bp_rn_node_certs() { # index
	local name ip
	name="$(bp_rn_node_name "$1")"
	ip="$(bp_rn_node_ip "$1")"
	cert "$name" "/O=system:nodes/CN=system:node:$name"
	cert "$name-serving" "/CN=$name" "IP:$ip,DNS:$name"
}

bp_rn_cgroups_up() { # node name
	local h d
	for h in /sys/fs/cgroup/*/; do
		[ -f "$h/cgroup.procs" ] || continue
		case "$h" in */unified/) continue ;; esac
		for d in "$BP_CGROUP_PARENT" "$BP_CGROUP_PARENT/$1" "$BP_CGROUP_PARENT/$1/system"; do
			mkdir -p "$h/$d"
			# cpuset: a new cgroup takes no task before it has CPUs and memory nodes.
			if [ -f "$h/$d/cpuset.cpus" ]; then
				[ -n "$(cat "$h/$d/cpuset.cpus")" ] || cat "$h/$(dirname "$d")/cpuset.cpus" >"$h/$d/cpuset.cpus"
				[ -n "$(cat "$h/$d/cpuset.mems")" ] || cat "$h/$(dirname "$d")/cpuset.mems" >"$h/$d/cpuset.mems"
			fi
		done
	done
}

bp_rn_node_files() { # index node-dir
	local i="$1" N="$2" name ip entry
	name="$(bp_rn_node_name "$i")"
	ip="$(bp_rn_node_ip "$i")"
	mkdir -p "$N/containerd/root" "$N/containerd/state" "$N/cni" "$N/cni-ipam"
	: >"$N/binds"
	for entry in "${BP_NODE_BINDS[@]}"; do
		mkdir -p "$N/${entry#* }"
		echo "$entry" >>"$N/binds"
	done
	echo "$ip" >"$N/ip"
	echo "topology.kubernetes.io/zone=zone-$(((i - 1) % 3 + 1)),broker-platform.local/node-kind=real" >"$N/labels"
	kubeconfig "$N/kubelet.kubeconfig" "$name"
	cat >"$N/containerd.toml" <<EOF
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
[grpc]
  address = "$N/containerd.sock"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The VM withholds CAP_SYS_RESOURCE: lowering a container's oom_score_adj below containerd's fails.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni"
    max_conf_num = 1
EOF
	# One bridge for every node, each node handing out addresses from its own /24; pods route
	# the bridge subnet and the Service range through the gateway, and nothing else.
	cat >"$N/cni/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "broker-platform-nodes",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BP_BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$N/cni-ipam",
        "ranges": [[{ "subnet": "$BP_NODE_SUBNET", "rangeStart": "10.88.$i.2", "rangeEnd": "10.88.$i.254", "gateway": "$BP_GATEWAY" }]],
        "routes": [{ "dst": "$BP_SERVICE_CIDR" }]
      }
    }
  ]
}
EOF
	cat >"$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: $ip
healthzPort: 10248
tlsCertFile: $P/$name-serving.crt
tlsPrivateKeyFile: $P/$name-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $P/ca.crt }
authorization: { mode: AlwaysAllow }
containerRuntimeEndpoint: unix://$N/containerd.sock
# PID 1 is not systemd; the machine's cgroups are hybrid (v1 controllers).
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: /$BP_CGROUP_PARENT/$name
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failSwapOn: false
clusterDNS: [$BP_GATEWAY]
clusterDomain: cluster.local
resolvConf: $D/resolv.conf
# The disk is shared with the host and the other nodes: no eviction or image GC for its fill level.
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
nodeStatusUpdateFrequency: 5s
EOF
}

bp_rn_corefile() {
	cat >"$D/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $BP_GATEWAY
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $D/kubeconfig broker-platform-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
}
EOF
	: >"$D/resolv.conf"
}

bp_rn_kube_proxy_config() {
	cat >"$D/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $D/kube-proxy.kubeconfig }
hostnameOverride: $(bp_rn_node_name 1)
mode: iptables
clusterCIDR: $BP_NODE_SUBNET
bindAddress: $BP_GATEWAY
healthzBindAddress: $BP_GATEWAY:10256
metricsBindAddress: $BP_GATEWAY:10249
# NodePorts only on the bridge; no route_localnet (a host sysctl) for localhost NodePorts.
nodePortAddresses: [$BP_NODE_SUBNET]
iptables:
  # Pods share one bridge: a Service reply must come back through the host's conntrack.
  masqueradeAll: true
  localhostNodePorts: false
  syncPeriod: 30s
  minSyncPeriod: 1s
# 0: leave the host's conntrack table size and timeouts alone.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
}

# Imports every stand-in image into one node's containerd (only the ones it lacks).
bp_rn_import_images() { # node-dir
	local ref archive have
	have="$(ctr -a "$1/containerd.sock" -n k8s.io images ls -q 2>/dev/null || true)"
	while IFS=$'\t' read -r ref archive; do
		grep -qx "$ref" <<<"$have" && continue
		ctr -a "$1/containerd.sock" -n k8s.io images import --no-unpack=false "$archive" >/dev/null
	done < <(bash "$BP_ROOT/scripts/images.sh" list)
}

# --- down -------------------------------------------------------------------------------

# Every process in the real nodes' cgroups, found through one v1 hierarchy.
bp_rn_cgroup_pids() {
	find "/sys/fs/cgroup/pids/$BP_CGROUP_PARENT" -name cgroup.procs -exec cat {} + 2>/dev/null || true
}

bp_rn_kill_nodes() {
	local pids i
	pids="$(bp_rn_cgroup_pids)"
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	for i in $(seq 1 40); do
		[ -n "$(bp_rn_cgroup_pids)" ] || return 0
		sleep 0.25
	done
	for i in $(seq 1 40); do
		pids="$(bp_rn_cgroup_pids)"
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.25
	done
	bp_log "WARNING: processes still in the real nodes' cgroups: $(bp_rn_cgroup_pids | tr '\n' ' ')"
}

bp_rn_remove_cgroups() {
	local h
	for h in /sys/fs/cgroup/*/; do
		[ -d "$h/$BP_CGROUP_PARENT" ] || continue
		find "$h/$BP_CGROUP_PARENT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$h/$BP_CGROUP_PARENT" ] && bp_log "WARNING: could not remove the cgroup $h$BP_CGROUP_PARENT"
	done
	return 0
}

# Chains whose names start with KUBE- or CNI- that were not there before cluster-up, with
# every rule that jumps to them, in each table of iptables and ip6tables.
bp_rn_remove_chains() { # dir
	local tool table chain rule rules before
	for tool in iptables ip6tables; do
		command -v "$tool" >/dev/null 2>&1 || continue
		before=""
		[ -f "$1/$tool.before" ] && before="$(cat "$1/$tool.before")"
		for table in filter nat mangle raw; do
			"$tool" -t "$table" -S >/dev/null 2>&1 || continue
			for chain in $("$tool" -t "$table" -S | awk '$1 == "-N" && ($2 ~ /^KUBE-/ || $2 ~ /^CNI-/) { print $2 }'); do
				if [ -n "$before" ] && grep -q "^:$chain " <<<"$before"; then continue; fi
				rules="$("$tool" -t "$table" -S | grep -E -- "-j $chain( |\$)" || true)"
				while read -r rule; do
					[ -n "$rule" ] || continue
					# shellcheck disable=SC2086
					eval "$tool -t $table ${rule/#-A/-D}" 2>/dev/null || true
				done <<<"$rules"
				"$tool" -t "$table" -F "$chain" 2>/dev/null || true
			done
			for chain in $("$tool" -t "$table" -S | awk '$1 == "-N" && ($2 ~ /^KUBE-/ || $2 ~ /^CNI-/) { print $2 }'); do
				if [ -n "$before" ] && grep -q "^:$chain " <<<"$before"; then continue; fi
				"$tool" -t "$table" -X "$chain" 2>/dev/null || bp_log "WARNING: could not delete the $tool chain $table/$chain"
			done
		done
	done
}

# Stops the real nodes and removes what they left on the host. Safe to run more than once and
# after a failed start.
bp_rn_down() { # cluster dir
	local dir="$1" target
	bp_rn_kill_nodes
	if [ -x "${BP_KUBE_PROXY:-}" ]; then
		"$BP_KUBE_PROXY" --cleanup >/dev/null 2>&1 || true
	fi
	bp_rn_remove_chains "$dir"
	if bp_rn_bridge_owned_by "$dir"; then
		# The pods' veth ends on the bridge go with their network namespaces, but the kernel frees
		# a namespace asynchronously (seconds under load): delete them here, so down is done when it returns.
		local port
		for port in $(ip -o link show master "$BP_BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
			ip link del "$port" 2>/dev/null || true
		done
		ip link del "$BP_BRIDGE"
	fi
	bp_rn_remove_cgroups
	if [ -f "$dir/host-created" ]; then
		while read -r target; do
			[ -n "$target" ] && rmdir "$target" 2>/dev/null || true
		done <"$dir/host-created"
	fi
	bp_rn_restore_sysctls "$dir"
	bp_log "real nodes stopped; host state restored"
}

# The second half of cluster-up --real-nodes, once the control plane answers: CoreDNS,
# kube-proxy, the nodes and their images. Sourced by scripts/cluster-up.sh (its start, wait_for,
# alive_or_die and k helpers, and D, P, NODES), never run.

wait_for "API discovery" 60 k get --raw /api/v1/namespaces/default
for p in kube-controller-manager kube-scheduler; do alive_or_die "$p"; done

bp_rn_corefile
start coredns "$COREDNS" -conf "$D/Corefile" -dns.port 53
bp_rn_kube_proxy_config
start kube-proxy "$BP_KUBE_PROXY" --config "$D/kube-proxy.yaml" --v 1

for ((i = 1; i <= NODES; i++)); do
	name="$(bp_rn_node_name "$i")"
	node_dir="$D/nodes/$name"
	mkdir -p "$node_dir"
	bp_rn_node_files "$i" "$node_dir"
	bp_rn_cgroups_up "$name"
	start "$name" unshare --mount --propagation slave \
		bash "$BP_ROOT/scripts/lib/real-node-launch.sh" "$node_dir" "$name" "$D/logs"
done

# The images, into every node's containerd at once (containerd is up before the kubelet starts).
import_pids=()
for ((i = 1; i <= NODES; i++)); do
	name="$(bp_rn_node_name "$i")"
	wait_for "$name containerd" 60 test -S "$D/nodes/$name/containerd.sock"
	bp_rn_import_images "$D/nodes/$name" >"$D/logs/$name-images.log" 2>&1 &
	import_pids+=("$!")
done
for ((i = 0; i < NODES; i++)); do
	wait "${import_pids[$i]}" || {
		tail -n 20 "$D/logs/$(bp_rn_node_name $((i + 1)))-images.log" >&2
		"$BP_ROOT/scripts/cluster-down.sh" --keep-logs >/dev/null 2>&1 || true
		bp_die "importing the stand-in images into $(bp_rn_node_name $((i + 1))) failed (logs kept in $D/logs)"
	}
done
bp_log "stand-in images imported into $NODES node(s)"

wait_for "$NODES real node(s) Ready" 180 k wait --for=condition=Ready node --all --timeout=1s
# Each kubelet wrote the kernel tunables it wants at start; put back the ones this machine
# should not keep (panic on oops) now, the rest at cluster-down.
bp_rn_restore_sysctls "$D" "${BP_SYSCTLS_RESTORE_AT_ONCE[@]}"
wait_for "default service account" 120 k get serviceaccount default -n default
wait_for "kube-root-ca.crt" 60 k get configmap kube-root-ca.crt -n default
dns_check='const r = new (require("dns").promises.Resolver)({ timeout: 1000, tries: 1 }); r.setServers([process.argv[1]]);
r.resolve4("kubernetes.default.svc.cluster.local").then((a) => process.exit(a.length ? 0 : 1), () => process.exit(1));'
wait_for "cluster DNS (CoreDNS on $BP_GATEWAY)" 60 node -e "$dns_check" "$BP_GATEWAY"
for p in etcd kube-apiserver kube-controller-manager kube-scheduler coredns kube-proxy; do alive_or_die "$p"; done
for ((i = 1; i <= NODES; i++)); do alive_or_die "$(bp_rn_node_name "$i")"; done

bp_log "cluster up: https://$BP_GATEWAY:$API_PORT, $NODES real node(s), kubeconfig $D/kubeconfig"
echo "export KUBECONFIG=$D/kubeconfig"

#!/usr/bin/env bash
# Start a local Kubernetes control plane on loopback with N fake (kwok) nodes:
#   etcd, kube-apiserver (client-cert auth, Node+RBAC authorization), kube-controller-manager
#   (all controllers: StatefulSet, PV binder, service accounts, ...), kube-scheduler, kwok.
# kwok plays the kubelet: pods bound to its nodes become Running and Ready, but no container
# runs. Writes an admin kubeconfig to $BROKER_CLUSTER_DIR/kubeconfig (default
# <repo>/.cache/cluster/kubeconfig).
#
# With --real-nodes N, N real nodes take the place of the kwok nodes: kubelets with their own
# containerd running the stand-in broker images, CoreDNS and kube-proxy (scripts/lib/real-nodes.sh).
#
# Usage: scripts/cluster-up.sh [--nodes N | --real-nodes N]     (default: 3 kwok nodes)
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/real-nodes.sh"

NODES=3
REAL=0
usage="usage: cluster-up [--nodes N | --real-nodes N]"
while [ $# -gt 0 ]; do
	case "$1" in
	--nodes) NODES="${2:?--nodes needs a number}" && shift 2 ;;
	--nodes=*) NODES="${1#--nodes=}" && shift ;;
	--real-nodes) NODES="${2:?--real-nodes needs a number}" && REAL=1 && shift 2 ;;
	--real-nodes=*) NODES="${1#--real-nodes=}" && REAL=1 && shift ;;
	*) bp_die "unknown argument: $1 ($usage)" ;;
	esac
done
[[ "$NODES" =~ ^[0-9]+$ ]] && [ "$NODES" -ge 1 ] || bp_die "--nodes / --real-nodes must be a positive integer, got '$NODES'"
[ "$REAL" = 0 ] || [ "$NODES" -le 9 ] || bp_die "--real-nodes takes at most 9 nodes (one /24 of the node subnet each), got $NODES"

command -v openssl >/dev/null 2>&1 || bp_die "openssl is required to create the cluster's certificates (Debian: apt-get install -y openssl)"
[ "$REAL" = 0 ] || bp_rn_preflight

# Build or reuse the binaries (and, for real nodes, the stand-in images).
if [ "$REAL" = 1 ]; then
	"$BP_ROOT/scripts/tools.sh" cluster nodes
else
	"$BP_ROOT/scripts/tools.sh" cluster
fi

ETCD="$(bp_require_bin etcd etcd)"
APISERVER="$(bp_require_bin kubernetes kube-apiserver)"
KCM="$(bp_require_bin kubernetes kube-controller-manager)"
SCHED="$(bp_require_bin kubernetes kube-scheduler)"
KUBECTL="$(bp_require_bin kubernetes kubectl)"
KWOK="$(bp_require_bin kwok kwok)"
STAGES="$(bp_group_dir kwok)/stages.yaml"
if [ "$REAL" = 1 ]; then
	BP_KUBELET="$(bp_require_bin kubernetes kubelet)"
	BP_KUBE_PROXY="$(bp_require_bin kubernetes kube-proxy)"
	COREDNS="$(bp_require_bin coredns coredns)"
	PAUSE_IMAGE="$(bash "$BP_ROOT/scripts/images.sh" pause)"
	BP_CONTAINERD="$(command -v containerd)"
	# For the node launcher (scripts/lib/real-node-launch.sh), which starts both.
	export BP_KUBELET BP_CONTAINERD
fi

D="$BP_CLUSTER_DIR"
if [ -f "$D/pids" ]; then
	bp_log "a cluster is already running from $D; stopping it first"
	"$BP_ROOT/scripts/cluster-down.sh"
fi
rm -rf "$D"
mkdir -p "$D/pki" "$D/logs" "$D/etcd"
: >"$D/pids"

# Free loopback ports, chosen now and recorded.
read -r ETCD_PORT ETCD_PEER_PORT API_PORT KWOK_PORT < <(node -e '
const net = require("net");
const n = 4, ports = [], servers = [];
(function next() {
  if (ports.length === n) { servers.forEach(s => s.close()); console.log(ports.join(" ")); return; }
  const s = net.createServer(); servers.push(s);
  s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); next(); });
})();')
printf 'ETCD_PORT=%s\nAPI_PORT=%s\nKWOK_PORT=%s\nNODES=%s\nREAL_NODES=%s\n' "$ETCD_PORT" "$API_PORT" "$KWOK_PORT" "$NODES" "$REAL" >"$D/ports.env"

# Real nodes reach the API server on the bridge's address (a pod cannot reach the host's loopback).
API_HOST=127.0.0.1
API_SANS="IP:127.0.0.1,IP:10.96.0.1"
if [ "$REAL" = 1 ]; then
	bp_rn_record_host "$D"
	bp_rn_network_up "$D" "$NODES"
	API_HOST="$BP_GATEWAY"
	API_SANS="$API_SANS,IP:$BP_GATEWAY"
fi

# --- certificates ---------------------------------------------------------------------
P="$D/pki"
ossl() { openssl "$@" >>"$D/logs/openssl.log" 2>&1 || bp_die "openssl $1 failed (see $D/logs/openssl.log)"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$P/ca.key" -out "$P/ca.crt" -subj "/CN=broker-platform-local-ca"
ossl genrsa -out "$P/sa.key" 2048
ossl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub"
cert() { # name subject [san]
	local name="$1" subj="$2" san="${3:-}"
	ossl req -newkey rsa:2048 -nodes -keyout "$P/$name.key" -out "$P/$name.csr" -subj "$subj"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=digitalSignature,keyEncipherment"
		if [ -n "$san" ]; then
			echo "extendedKeyUsage=serverAuth"
			echo "subjectAltName=$san"
		else
			echo "extendedKeyUsage=clientAuth"
		fi
	} >"$P/$name.ext"
	ossl x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 30 \
		-out "$P/$name.crt" -extfile "$P/$name.ext"
}
cert apiserver "/CN=kube-apiserver" \
	"$API_SANS,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=broker-platform-admin"
cert kube-controller-manager "/CN=system:kube-controller-manager"
cert kube-scheduler "/CN=system:kube-scheduler"
if [ "$REAL" = 1 ]; then
	cert kube-proxy "/CN=system:kube-proxy"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	for ((i = 1; i <= NODES; i++)); do bp_rn_node_certs "$i"; done
fi

kubeconfig() { # file user
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: broker-platform-local
  cluster:
    server: https://$API_HOST:$API_PORT
    certificate-authority: $P/ca.crt
users:
- name: $2
  user:
    client-certificate: $P/$2.crt
    client-key: $P/$2.key
contexts:
- name: broker-platform-local
  context:
    cluster: broker-platform-local
    user: $2
current-context: broker-platform-local
EOF
}
kubeconfig "$D/kubeconfig" admin
kubeconfig "$D/kube-controller-manager.kubeconfig" kube-controller-manager
kubeconfig "$D/kube-scheduler.kubeconfig" kube-scheduler
[ "$REAL" = 0 ] || kubeconfig "$D/kube-proxy.kubeconfig" kube-proxy

# --- processes --------------------------------------------------------------------------
start() { # name cmd...
	local name="$1"
	shift
	setsid "$@" >"$D/logs/$name.log" 2>&1 </dev/null &
	echo "$name $!" >>"$D/pids"
	bp_log "started $name (pid $!)"
}
alive_or_die() { # name
	local pid
	pid="$(awk -v n="$1" '$1 == n { print $2 }' "$D/pids")"
	if ! kill -0 "$pid" 2>/dev/null; then
		tail -n 40 "$D/logs/$1.log" >&2
		"$BP_ROOT/scripts/cluster-down.sh" --keep-logs >/dev/null 2>&1 || true
		bp_die "$1 exited during start-up (log above, kept in $D/logs/$1.log)"
	fi
}
wait_for() { # what seconds cmd...
	local what="$1" secs="$2" i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		if "$@" >/dev/null 2>&1; then
			bp_log "$what: ready"
			return 0
		fi
		sleep 0.5
	done
	"$BP_ROOT/scripts/cluster-down.sh" --keep-logs >/dev/null 2>&1 || true
	bp_die "$what not ready after ${secs}s (logs kept in $D/logs)"
}

start etcd "$ETCD" --name local --data-dir "$D/etcd" \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
	--unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
alive_or_die etcd

API_ARGS=(--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none)
if [ "$REAL" = 1 ]; then
	# The `kubernetes` Service's endpoint is the bridge address (kube-proxy takes pods there).
	API_ARGS=(--bind-address "$BP_GATEWAY" --advertise-address "$BP_GATEWAY" --endpoint-reconciler-type lease
		--kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key"
		--kubelet-certificate-authority "$P/ca.crt" --kubelet-preferred-address-types InternalIP)
fi
start kube-apiserver "$APISERVER" \
	--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
	"${API_ARGS[@]}" --secure-port "$API_PORT" \
	--tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
	--client-ca-file "$P/ca.crt" \
	--service-account-issuer https://kubernetes.default.svc.cluster.local \
	--service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
	--service-cluster-ip-range 10.96.0.0/16 \
	--authorization-mode Node,RBAC \
	--allow-privileged=true \
	--enable-priority-and-fairness=false \
	--profiling=false
wait_for kube-apiserver 120 curl -sf --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
	"https://$API_HOST:$API_PORT/readyz"
alive_or_die kube-apiserver

start kube-controller-manager "$KCM" \
	--kubeconfig "$D/kube-controller-manager.kubeconfig" \
	--authentication-kubeconfig "$D/kube-controller-manager.kubeconfig" \
	--authorization-kubeconfig "$D/kube-controller-manager.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port 0 \
	--controllers '*' --use-service-account-credentials=true \
	--service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
	--cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
	--leader-elect=false --profiling=false
start kube-scheduler "$SCHED" \
	--kubeconfig "$D/kube-scheduler.kubeconfig" \
	--authentication-kubeconfig "$D/kube-scheduler.kubeconfig" \
	--authorization-kubeconfig "$D/kube-scheduler.kubeconfig" \
	--bind-address 127.0.0.1 --secure-port 0 \
	--leader-elect=false --profiling=false
[ "$REAL" = 1 ] || start kwok "$KWOK" \
	--kubeconfig "$D/kubeconfig" \
	--config "$STAGES" \
	--manage-all-nodes=false \
	--manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
	--server-address "127.0.0.1:$KWOK_PORT" \
	--node-ip 127.0.0.1 \
	--node-lease-duration-seconds 40

k() { "$KUBECTL" --kubeconfig "$D/kubeconfig" "$@"; }

if [ "$REAL" = 1 ]; then
	source "$BP_ROOT/scripts/lib/real-nodes-up.sh"
	exit 0
fi

# --- fake nodes ------------------------------------------------------------------------
{
	for ((i = 1; i <= NODES; i++)); do
		cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-$(((i - 1) % 3 + 1))
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
  capacity: {cpu: "16", memory: 64Gi, pods: "110"}
EOF
	done
} >"$D/nodes.yaml"
wait_for "API discovery" 60 k get --raw /api/v1/namespaces/default
k apply -f "$D/nodes.yaml" >/dev/null
for p in kube-controller-manager kube-scheduler kwok; do alive_or_die "$p"; done
wait_for "$NODES node(s) Ready" 120 k wait --for=condition=Ready node --all --timeout=1s
wait_for "default service account" 120 k get serviceaccount default -n default
wait_for "kube-root-ca.crt" 60 k get configmap kube-root-ca.crt -n default
for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do alive_or_die "$p"; done

bp_log "cluster up: https://127.0.0.1:$API_PORT, $NODES kwok node(s), kubeconfig $D/kubeconfig"
echo "export KUBECONFIG=$D/kubeconfig"

import { ClusterNames } from "../naming";

/** Where the pod sees the deployment record's marker (an optional ConfigMap volume). */
export const RECORD_MOUNT = "/run/broker-platform/record";
/** The record's data key that says the cluster has formed; constant, so the record never changes for it. */
export const CLUSTER_FORMED_KEY = "cluster-formed";
/** Written once into every deployment record; pods read only that the key exists. */
export const CLUSTER_FORMED_VALUE = "members whose data directory is empty join a running member and never form a cluster of their own";

/** Highest ordinal the join loop looks for (the schema allows at most 15 replicas). */
const MAX_ORDINAL = 14;

export interface SetupPaths {
    home: string;
    cookieMount: string;
    /** The read-only conf.d of the config volume. */
    sourceConfDir: string;
    /** The conf.d RabbitMQ reads (`RABBITMQ_CONFIG_FILES`), in the writable home. */
    confDir: string;
    /** RabbitMQ's data directory base (the data volume). */
    dataDir: string;
}

/**
 * The setup init container's script. It gives the broker user its own copy of the cookie (Erlang
 * refuses a cookie file others can read, and Secret mounts are root-owned) and of conf.d. Then,
 * when this member's data directory is empty but the deployment record says the cluster has formed
 * (a lost or replaced volume, a pod rescheduled onto another node's empty hostPath, a new member of
 * a scale-up), it never lets the broker form a cluster of its own, which from RabbitMQ 4.1 ordinal 0
 * would do: it waits until a member answers, asks that member to forget this node's old identity
 * (its data is gone; the queues' replicas on it are recreated by membership reconciliation), and
 * points discovery at that member, so the broker joins it.
 */
export function rabbitmqSetupScript(names: ClusterNames, paths: SetupPaths): string {
    const peerHost = (ordinal: string) => `${names.statefulSet}-${ordinal}${names.hostnameSuffix}`;
    return [
        "set -eu",
        // The home outlives the container: after a node restart this runs again over a 0400 copy.
        `rm -f ${paths.home}/.erlang.cookie`,
        `cp ${paths.cookieMount}/cookie ${paths.home}/.erlang.cookie`,
        `chmod 400 ${paths.home}/.erlang.cookie`,
        `rm -rf ${paths.confDir} && mkdir -p ${paths.confDir} && cp ${paths.sourceConfDir}/* ${paths.confDir}/`,
        `node_dir="${paths.dataDir}/$RABBITMQ_NODENAME"`,
        `if [ -n "$(ls -A "$node_dir" 2>/dev/null)" ]; then exit 0; fi`,
        `if [ ! -e ${RECORD_MOUNT}/${CLUSTER_FORMED_KEY} ]; then exit 0; fi`,
        `self="\${POD_NAME##*-}"`,
        `echo "the data directory $node_dir is empty and the deployment record ${names.deploymentRecord} says this cluster has formed: waiting for a running member to join (delete ConfigMap ${names.deploymentRecord} only if every member's data is gone and a new cluster is wanted)"`,
        "while :; do",
        `  for i in $(seq 0 ${MAX_ORDINAL}); do`,
        `    [ "$i" = "$self" ] && continue`,
        `    getent hosts "${peerHost("$i")}" >/dev/null 2>&1 || continue`,
        `    peer="${names.nodePrefix}@${peerHost("$i")}"`,
        `    if rabbitmq-diagnostics -q -l -n "$peer" -t 10 check_running >/dev/null 2>&1; then`,
        // Not a member (a scale-up) is an error here and fine: there is nothing to forget.
        `      rabbitmqctl -q -l -n "$peer" -t 60 forget_cluster_node "$RABBITMQ_NODENAME" >/dev/null 2>&1 && echo "$peer forgot this member's previous identity" || true`,
        `      printf '%s\\n' "cluster_formation.peer_discovery_backend = classic_config" "cluster_formation.classic_config.nodes.1 = $peer" > ${paths.confDir}/90-join-running-member.conf`,
        `      echo "joining $peer"`,
        "      exit 0",
        "    fi",
        "  done",
        "  sleep 5",
        "done",
    ].join("\n");
}

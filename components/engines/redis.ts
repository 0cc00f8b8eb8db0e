import { ClusterSettings } from "../config/schema";
import { parseQuantity } from "@broker-platform/quantity";
import { ClusterNames, podHostTemplate } from "../naming";
import { BrokerPort, EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";

/**
 * Redis with Sentinel. Each pod of the StatefulSet runs one data node (`redis-server`) and one
 * Sentinel next to it: one governing Service and one naming function give both their hostnames,
 * the data nodes' anti-affinity spreads the Sentinels too, the PDB that keeps a majority of pods
 * keeps a majority of Sentinels, and the quorum follows the replica count. A Sentinel in its own
 * StatefulSet would need a second set of names, Services, a PDB and anti-affinity that agree
 * with the first, for no failure domain a pod does not already have (a node holds one of each).
 *
 * Nothing here calls the Kubernetes API: members find each other by the pods' DNS names.
 */

const UID = 999;
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** ConfigMap mount: redis.conf, sentinel.conf and the start scripts (no secrets). */
export const REDIS_CONF_DIR = "/etc/redis";
/** Secret mount of the shared password (file `password`). */
export const REDIS_AUTH_DIR = "/run/secrets/redis";
/** Memory-backed emptyDir: the runtime config files, which carry the password, never touch a disk. */
export const REDIS_RUN_DIR = "/run/redis";
export const REDIS_DATA_DIR = "/data";
/** File names inside the ConfigMap. */
export const REDIS_CONF = "redis.conf";
export const SENTINEL_CONF = "sentinel.conf";
export const START_REDIS = "start-redis.sh";
export const START_SENTINEL = "start-sentinel.sh";
export const PRESTOP_REDIS = "prestop-redis.sh";
/** Key of the password inside its Secret (and the file name it is mounted as). */
export const PASSWORD_KEY = "password";
/** Placeholder in sentinel.conf that the start script replaces with the master it found. */
export const MASTER_PLACEHOLDER = "@MASTER_HOST@";
/** Milliseconds without an answer after which a Sentinel considers a node down. */
export const DOWN_AFTER_MS = 5000;

/** Sentinels that must agree a master is down: a majority of the Sentinels (one per replica). */
export function sentinelQuorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

/** `maxmemory`: 80% of the container's memory limit, the rest for replication buffers and forks. */
export function redisMaxMemory(limit: string): number {
    const bytes = parseQuantity(limit) ?? 0;
    return Math.floor(bytes * 0.8);
}

export function redisPorts(): BrokerPort[] {
    return [
        { name: "redis", port: REDIS_PORT, audience: "both" },
        { name: "sentinel", port: SENTINEL_PORT, audience: "both" },
    ];
}

/** redis.conf: plain settings only. The start script appends the password, announce name, role and paths. */
export function renderRedisConf(cluster: ClusterSettings): string {
    const lines = [
        `port ${REDIS_PORT}`,
        "protected-mode yes",
        "tcp-keepalive 60",
        // Persistence on the per-ordinal volume: the append-only file plus RDB snapshots.
        "appendonly yes",
        "appendfsync everysec",
        "save 900 1 300 10 60 10000",
        `maxmemory ${redisMaxMemory(cluster.resources.limits.memory)}`,
        "maxmemory-policy noeviction",
        // A replica that lost its master keeps serving reads of what it has, marked stale.
        "replica-serve-stale-data yes",
        "replica-read-only yes",
        // Writes are refused unless at least one replica is close behind (cluster of 3 or more).
        ...(cluster.replicas >= 3 ? ["min-replicas-to-write 1", "min-replicas-max-lag 10"] : []),
        ...Object.entries(cluster.extraConfig).map(([key, value]) => `${key} ${value}`),
    ];
    return `${lines.join("\n")}\n`;
}

/** sentinel.conf: the master placeholder is replaced at start with the master the script found. */
export function renderSentinelConf(cluster: ClusterSettings, names: ClusterNames): string {
    const master = names.sentinelMaster;
    return (
        [
            `port ${SENTINEL_PORT}`,
            // Members are known by their pod hostnames, which survive rescheduling; IPs do not.
            "sentinel resolve-hostnames yes",
            "sentinel announce-hostnames yes",
            `sentinel monitor ${master} ${MASTER_PLACEHOLDER} ${REDIS_PORT} ${sentinelQuorum(cluster.replicas)}`,
            `sentinel down-after-milliseconds ${master} ${DOWN_AFTER_MS}`,
            `sentinel failover-timeout ${master} 60000`,
            `sentinel parallel-syncs ${master} 1`,
        ].join("\n") + "\n"
    );
}

/**
 * Shell shared by both start scripts: finds the current master. The Sentinels of the other pods
 * are asked first (they know about failovers), then the data nodes (one that says `role:master`),
 * and only when nobody answers, a first start of the whole cluster, is ordinal 0 the master.
 */
function discoveryShell(names: ClusterNames, replicas: number): string[] {
    const hosts = Array.from({ length: replicas }, (_, i) => names.podHost(i));
    return [
        `HOSTS="${hosts.join(" ")}"`,
        `FIRST="${names.podHost(0)}"`,
        `MASTER_NAME="${names.sentinelMaster}"`,
        `cli() { timeout 3 redis-cli --no-auth-warning -h "$1" -p "$2" $3 2>/dev/null; }`,
        `find_master() {`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    a=$(cli "$h" ${SENTINEL_PORT} "SENTINEL get-master-addr-by-name $MASTER_NAME" | head -n 1) || true`,
        `    case "$a" in ""|*ERR*|*NOAUTH*|*WRONGPASS*) ;; *) echo "$a"; return ;; esac`,
        `  done`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    if cli "$h" ${REDIS_PORT} "INFO replication" | grep -q '^role:master'; then echo "$h"; return; fi`,
        `  done`,
        `  echo "$FIRST"`,
        `}`,
    ];
}

/** Paths the scripts use; the pod's, unless the environment moves them (a test on one machine does). */
const PATHS = [
    `CONF_DIR=\${REDIS_CONF_DIR:-${REDIS_CONF_DIR}}`,
    `AUTH_FILE=\${REDIS_AUTH_FILE:-${REDIS_AUTH_DIR}/${PASSWORD_KEY}}`,
    `RUN_DIR=\${REDIS_RUN_DIR:-${REDIS_RUN_DIR}}`,
    `DATA_DIR=\${REDIS_DATA_DIR:-${REDIS_DATA_DIR}}`,
    `BIND=\${REDIS_BIND:-* -::*}`,
    `SELF="$REDIS_ANNOUNCE_HOST"`,
    `PASS=$(cat "$AUTH_FILE")`,
    `export REDISCLI_AUTH="$PASS"`,
];

/** Both start scripts' opening: paths, the master search, and the run-directory file the block after it writes (owner-only). */
function startPreamble(names: ClusterNames, replicas: number, runFile: string): string[] {
    return ["#!/bin/sh", "set -eu", ...PATHS, ...discoveryShell(names, replicas), `master=$(find_master)`, `conf="$RUN_DIR/${runFile}"`, `umask 077`, `{`];
}

/**
 * Data node start: the ConfigMap's redis.conf plus what may not live in a ConfigMap (the
 * password) or is known only at start (announce name, role), written to the memory-backed run
 * directory, which also takes Sentinel's CONFIG REWRITE after a failover.
 */
export function renderStartRedis(names: ClusterNames, replicas: number): string {
    return [
        ...startPreamble(names, replicas, "redis.conf"),
        `  cat "$CONF_DIR/${REDIS_CONF}"`,
        `  echo "bind $BIND"`,
        `  echo "dir $DATA_DIR"`,
        `  echo "replica-announce-ip $SELF"`,
        `  echo "requirepass $PASS"`,
        `  echo "masterauth $PASS"`,
        `  if [ "$master" != "$SELF" ]; then echo "replicaof $master ${REDIS_PORT}"; fi`,
        `} > "$conf"`,
        `echo "broker-platform: starting as $([ "$master" = "$SELF" ] && echo master || echo "replica of $master")"`,
        `exec redis-server "$conf"`,
        "",
    ].join("\n");
}

/** Sentinel start: sentinel.conf with the master found and the password; Sentinel rewrites this copy. */
export function renderStartSentinel(names: ClusterNames, replicas: number): string {
    return [
        ...startPreamble(names, replicas, "sentinel.conf"),
        `  echo "bind $BIND"`,
        `  echo "dir $RUN_DIR"`,
        `  sed "s/${MASTER_PLACEHOLDER}/$master/" "$CONF_DIR/${SENTINEL_CONF}"`,
        `  echo "sentinel announce-ip $SELF"`,
        `  echo "sentinel announce-port ${SENTINEL_PORT}"`,
        `  echo "sentinel auth-pass $MASTER_NAME $PASS"`,
        // Sentinel's own clients and the other Sentinels need the password too.
        `  echo "requirepass $PASS"`,
        `  echo "sentinel sentinel-pass $PASS"`,
        `} > "$conf"`,
        `echo "broker-platform: sentinel monitoring $master"`,
        `exec redis-sentinel "$conf"`,
        "",
    ].join("\n");
}

/**
 * Before a master stops (a rolling update, a drain), the Sentinels fail over to a replica, so
 * clients see one switch instead of a master that is down for `down-after-milliseconds`.
 */
export function renderPreStopRedis(names: ClusterNames, waitSeconds: number): string {
    return [
        "#!/bin/sh",
        `PASS=$(cat "\${REDIS_AUTH_FILE:-${REDIS_AUTH_DIR}/${PASSWORD_KEY}}")`,
        `export REDISCLI_AUTH="$PASS"`,
        `redis-cli --no-auth-warning -p ${REDIS_PORT} INFO replication | grep -q '^role:master' || exit 0`,
        `redis-cli --no-auth-warning -p ${REDIS_PORT} INFO replication | grep -q '^connected_slaves:[1-9]' || exit 0`,
        `redis-cli --no-auth-warning -p ${SENTINEL_PORT} SENTINEL failover ${names.sentinelMaster} || exit 0`,
        `i=0`,
        `while [ "$i" -lt ${waitSeconds} ] && redis-cli --no-auth-warning -p ${REDIS_PORT} INFO replication | grep -q '^role:master'; do sleep 1; i=$((i + 1)); done`,
        "",
    ].join("\n");
}

function probe(port: number): string[] {
    return ["sh", "-c", `REDISCLI_AUTH="$(cat ${REDIS_AUTH_DIR}/${PASSWORD_KEY})" redis-cli --no-auth-warning -p ${port} ping | grep -q PONG`];
}

export function redisProfile(cluster: ClusterSettings, names: ClusterNames): EngineProfile {
    const image = `${cluster.image ?? "redis"}:${cluster.version}`;
    const grace = cluster.terminationGracePeriodSeconds ?? 60;
    const env = () => [...podIdentityEnv(), { name: "REDIS_ANNOUNCE_HOST", value: podHostTemplate(names) }];
    return {
        image,
        uid: UID,
        sharedSecret: "password",
        adminUser: false,
        command: ["sh", `${REDIS_CONF_DIR}/${START_REDIS}`],
        dataMountPath: REDIS_DATA_DIR,
        ports: redisPorts(),
        configFiles: {
            [REDIS_CONF]: renderRedisConf(cluster),
            [SENTINEL_CONF]: renderSentinelConf(cluster, names),
            [START_REDIS]: renderStartRedis(names, cluster.replicas),
            [START_SENTINEL]: renderStartSentinel(names, cluster.replicas),
            [PRESTOP_REDIS]: renderPreStopRedis(names, Math.max(grace - 10, 5)),
        },
        env,
        volumes: (_n: ClusterNames, secrets: SecretRefs) => {
            const password = secrets.password ?? { name: names.passwordSecret, key: PASSWORD_KEY };
            const mounts = [
                { name: "config", mountPath: REDIS_CONF_DIR, readOnly: true },
                { name: "auth", mountPath: REDIS_AUTH_DIR, readOnly: true },
            ];
            return {
                volumes: [
                    { name: "config", configMap: { name: secrets.config.name, defaultMode: 0o440 } },
                    { name: "auth", secret: { secretName: password.name, defaultMode: 0o440, items: [{ key: password.key, path: PASSWORD_KEY }] } },
                    { name: "redis-run", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                    { name: "sentinel-run", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                ],
                mounts: [...mounts, { name: "redis-run", mountPath: REDIS_RUN_DIR }],
                initContainers: [],
                sidecars: [
                    {
                        name: "sentinel",
                        image,
                        imagePullPolicy: "IfNotPresent",
                        command: ["sh", `${REDIS_CONF_DIR}/${START_SENTINEL}`],
                        env: env(),
                        ports: [{ name: "sentinel", containerPort: SENTINEL_PORT, protocol: "TCP" }],
                        readinessProbe: { exec: { command: probe(SENTINEL_PORT) }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                        securityContext: restrictedContainerSecurity(UID),
                        volumeMounts: [...mounts, { name: "sentinel-run", mountPath: REDIS_RUN_DIR }],
                    },
                ],
            };
        },
        readinessProbe: { exec: { command: probe(REDIS_PORT) }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        preStop: ["sh", `${REDIS_CONF_DIR}/${PRESTOP_REDIS}`],
        terminationGracePeriodSeconds: grace,
        connection: { scheme: "redis-sentinel", portName: "sentinel", path: "" },
    };
}

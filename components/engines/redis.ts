import { ClusterSettings } from "../config/schema";
import { parseQuantity } from "@broker-platform/quantity";
import { ClusterNames, podHostTemplate } from "../naming";
import { BrokerPort, EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";
import { ELECTION_WAIT_SECONDS, REDIS_PORT, RedisFlavor, redisFlavor, SENTINEL_PORT } from "./redis-flavor";
import { renderFindLiveMaster, renderGuardian } from "./redis-election";

/**
 * Redis (or Valkey) with Sentinel. Each pod of the StatefulSet runs one data node and one Sentinel
 * next to it: one governing Service and one naming function give both their hostnames, the data
 * nodes' anti-affinity spreads the Sentinels too, the PDB that keeps a majority of pods keeps a
 * majority of Sentinels, and the quorum follows the replica count. A Sentinel in its own
 * StatefulSet would need a second set of names, Services, a PDB and anti-affinity that agree
 * with the first, for no failure domain a pod does not already have (a node holds one of each).
 *
 * Nothing here calls the Kubernetes API: members find each other by the pods' DNS names, and a
 * cold start elects its master from what the members themselves hold (`redis-election.ts`).
 */

const UID = 999;
export { REDIS_PORT, SENTINEL_PORT, ELECTION_WAIT_SECONDS };
/** ConfigMap mount: the server and Sentinel configuration and the scripts (no secrets). */
export const REDIS_CONF_DIR = "/etc/redis";
/** Secret mount of the shared password (file `password`). */
export const REDIS_AUTH_DIR = "/run/secrets/redis";
/** Memory-backed emptyDir: the data node's runtime config file, which carries the password. */
export const REDIS_RUN_DIR = "/run/redis";
export const REDIS_DATA_DIR = "/data";
/**
 * Sentinel's own state (its id, the epochs, the master it follows, the peers it knows), on the
 * data volume, so that a restart of every pod remembers which member was promoted last.
 */
export const SENTINEL_STATE_SUBDIR = "sentinel";
/** File names inside the ConfigMap. */
export const REDIS_CONF = "redis.conf";
export const SENTINEL_CONF = "sentinel.conf";
export const START_REDIS = "start-redis.sh";
export const START_SENTINEL = "start-sentinel.sh";
export const PRESTOP_REDIS = "prestop-redis.sh";
export const PRESTOP_SENTINEL = "prestop-sentinel.sh";
export const READY_REDIS = "ready-redis.sh";
/** Key of the password inside its Secret (and the file name it is mounted as). */
export const PASSWORD_KEY = "password";
/** Placeholder in sentinel.conf that the start script replaces with the master it found. */
export const MASTER_PLACEHOLDER = "@MASTER_HOST@";
/** Milliseconds without an answer after which a Sentinel considers a node down. */
export const DOWN_AFTER_MS = 5000;
export const FAILOVER_TIMEOUT_MS = 60000;

/** Sentinels that must agree a master is down: a majority of the Sentinels (one per replica). */
export function sentinelQuorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

const MIB = 1024 * 1024;
/** The server process itself (code, allocator, clients, Lua), before any key. */
export const REDIS_BASE_OVERHEAD = 32 * MIB;
/** `repl-backlog-size`: what a replica that lost its link for a moment catches up from. */
export const REDIS_REPL_BACKLOG = 16 * MIB;
/** Below this, `maxmemory` leaves no room for data; the config is refused. */
export const REDIS_MIN_MAXMEMORY = 16 * MIB;

export interface RedisMemoryBudget {
    limit: number;
    /** Output buffer hard limit per replica (`client-output-buffer-limit replica`). */
    replicaBuffer: number;
    maxmemory: number;
}

/**
 * What fits inside the container's memory limit with persistence on:
 *
 *     maxmemory = (limit − 32 MiB − repl-backlog − (replicas − 1) × replica buffer) / 2
 *
 * The master holds one output buffer per replica (hard limit: limit / 16, between 4 and 256 MiB)
 * and the backlog; the half covers the fork of a BGSAVE or AOF rewrite, whose copy-on-write pages
 * can reach the whole dataset while writes go on (the worst case the kernel may be asked for).
 */
export function redisMemoryBudget(limit: string, replicas: number): RedisMemoryBudget {
    const bytes = parseQuantity(limit) ?? 0;
    const replicaBuffer = Math.min(256 * MIB, Math.max(4 * MIB, Math.floor(bytes / 16 / MIB) * MIB));
    const free = bytes - REDIS_BASE_OVERHEAD - REDIS_REPL_BACKLOG - Math.max(0, replicas - 1) * replicaBuffer;
    return { limit: bytes, replicaBuffer, maxmemory: Math.max(0, Math.floor(free / 2 / MIB) * MIB) };
}

/** The limit below which `maxmemory` would fall under REDIS_MIN_MAXMEMORY (for the error message). */
export function redisMinimumLimit(replicas: number): string {
    for (let mib = 64; ; mib += 16) {
        if (redisMemoryBudget(`${mib}Mi`, replicas).maxmemory >= REDIS_MIN_MAXMEMORY) return `${mib}Mi`;
    }
}

export function redisPorts(): BrokerPort[] {
    return [
        // Writes must reach the master, which Sentinel names; a Service that balances over every
        // pod sends writes to read-only replicas, so clients reach data nodes by pod hostname.
        { name: "redis", port: REDIS_PORT, audience: "both", clientService: false },
        { name: "sentinel", port: SENTINEL_PORT, audience: "both" },
    ];
}

/** redis.conf / valkey.conf: plain settings only. The start script appends the password, announce name, role and paths. */
export function renderRedisConf(cluster: ClusterSettings): string {
    const memory = redisMemoryBudget(cluster.resources.limits.memory, cluster.replicas);
    const lines = [
        `port ${REDIS_PORT}`,
        "protected-mode yes",
        "tcp-keepalive 60",
        // Persistence on the per-ordinal volume: the append-only file plus RDB snapshots.
        "appendonly yes",
        "appendfsync everysec",
        "save 900 1 300 10 60 10000",
        `maxmemory ${memory.maxmemory}`,
        "maxmemory-policy noeviction",
        `client-output-buffer-limit replica ${memory.replicaBuffer} ${memory.replicaBuffer / 4} 60`,
        `repl-backlog-size ${REDIS_REPL_BACKLOG}`,
        // A replica that lost its master keeps serving reads of what it has, marked stale.
        "replica-serve-stale-data yes",
        "replica-read-only yes",
        // A master cut off from every replica for 10 s refuses writes: what it would accept alone
        // is lost when the other side promotes a replica (3 or more members).
        ...(cluster.replicas >= 3 ? ["min-replicas-to-write 1", "min-replicas-max-lag 10"] : []),
        ...Object.entries(cluster.extraConfig).map(([key, value]) => `${key} ${value}`),
    ];
    return `${lines.join("\n")}\n`;
}

/** sentinel.conf of a first start: the master placeholder is replaced with the master the script found. */
export function renderSentinelConf(cluster: ClusterSettings, names: ClusterNames): string {
    const master = names.sentinelMaster;
    return (
        [
            `port ${SENTINEL_PORT}`,
            // Members are known by their pod hostnames, which survive rescheduling; IPs do not.
            "sentinel resolve-hostnames yes",
            "sentinel announce-hostnames yes",
            `sentinel monitor ${master} ${MASTER_PLACEHOLDER} ${REDIS_PORT} ${sentinelQuorum(cluster.replicas)}`,
            ...sentinelMasterOptions(master).map((o) => `sentinel ${o}`),
        ].join("\n") + "\n"
    );
}

/** Per-master Sentinel options, the same in sentinel.conf and in a `SENTINEL SET` after a re-election. */
function sentinelMasterOptions(master: string): string[] {
    return [`down-after-milliseconds ${master} ${DOWN_AFTER_MS}`, `failover-timeout ${master} ${FAILOVER_TIMEOUT_MS}`, `parallel-syncs ${master} 1`];
}

/** Paths the scripts use; the pod's, unless the environment moves them (a test on one machine does). */
function pathsShell(flavor: RedisFlavor): string[] {
    return [
        `CONF_DIR=\${REDIS_CONF_DIR:-${REDIS_CONF_DIR}}`,
        `AUTH_FILE=\${REDIS_AUTH_FILE:-${REDIS_AUTH_DIR}/${PASSWORD_KEY}}`,
        `RUN_DIR=\${REDIS_RUN_DIR:-${REDIS_RUN_DIR}}`,
        `DATA_DIR=\${REDIS_DATA_DIR:-${REDIS_DATA_DIR}}`,
        `STATE_DIR="$DATA_DIR/${SENTINEL_STATE_SUBDIR}"`,
        `BIND=\${REDIS_BIND:-* -::*}`,
        // This pod's own data node (a test on one machine gives each "pod" its own address).
        `LOCAL=\${REDIS_LOCAL_HOST:-127.0.0.1}`,
        `SELF="$REDIS_ANNOUNCE_HOST"`,
        `PASS=$(cat "$AUTH_FILE")`,
        `export ${flavor.cliAuthEnv}="$PASS"`,
        `CLI=${flavor.cli}`,
    ];
}

/** Host list, master name and the `cli` helper every script shares. */
function commonShell(names: ClusterNames, replicas: number, flavor: RedisFlavor): string[] {
    const hosts = Array.from({ length: replicas }, (_, i) => names.podHost(i));
    return [
        ...pathsShell(flavor),
        `HOSTS="${hosts.join(" ")}"`,
        `FIRST="${names.podHost(0)}"`,
        `MASTER_NAME="${names.sentinelMaster}"`,
        `QUORUM=${sentinelQuorum(replicas)}`,
        `cli() { h=$1; p=$2; shift 2; timeout 3 "$CLI" --no-auth-warning -h "$h" -p "$p" "$@" 2>/dev/null | tr -d '\\r'; }`,
    ];
}

/**
 * Data node start. Every member starts as a replica that Sentinel may not promote
 * (`replica-priority 0`): of the serving master if there is one, else of nobody (it loads its
 * data and serves nothing writable). The guard in the background (`redis-election.ts`) makes it
 * promotable once in sync, follows a new master, and elects one when the whole cluster starts.
 * The runtime file (password, announce name, role) lives in the memory-backed run directory,
 * which also takes Sentinel's CONFIG REWRITE after a failover.
 */
export function renderStartRedis(names: ClusterNames, replicas: number, flavor: RedisFlavor): string {
    return [
        "#!/bin/sh",
        "set -eu",
        ...commonShell(names, replicas, flavor),
        ...renderFindLiveMaster(),
        ...renderGuardian(sentinelMasterOptions("$MASTER_NAME")),
        `master=$(find_live_master) || master=""`,
        `conf="$RUN_DIR/${REDIS_CONF}"`,
        `umask 077`,
        `{`,
        `  cat "$CONF_DIR/${REDIS_CONF}"`,
        `  echo "bind $BIND"`,
        `  echo "dir $DATA_DIR"`,
        `  echo "replica-announce-ip $SELF"`,
        `  echo "requirepass $PASS"`,
        `  echo "masterauth $PASS"`,
        `  echo "replica-priority 0"`,
        // Port 1 of the loopback: nothing listens, the link stays down, the data stays read-only.
        `  if [ -n "$master" ]; then echo "replicaof $master ${REDIS_PORT}"; else echo "replicaof 127.0.0.1 1"; fi`,
        `} > "$conf"`,
        `if [ -n "$master" ]; then`,
        `  echo "broker-platform: starting as a replica of $master"`,
        `else`,
        `  echo "broker-platform: no serving master; starting read-only, the members elect the one with the newest data"`,
        `fi`,
        `guard </dev/null 2>&1 &`,
        `exec ${flavor.server} "$conf"`,
        "",
    ].join("\n");
}

/**
 * Sentinel start. Its state lives on the data volume: on a restart it comes back with its id,
 * epochs and the master it last followed (the secrets and announce lines are written afresh, so
 * a rotated password applies; CONFIG REWRITE also saves the password as a `user default` line). A first start follows the master a peer Sentinel names with the
 * highest epoch, or ordinal 0 when nobody answers, which the data nodes' election corrects.
 */
export function renderStartSentinel(names: ClusterNames, replicas: number, flavor: RedisFlavor): string {
    return [
        "#!/bin/sh",
        "set -eu",
        ...commonShell(names, replicas, flavor),
        ...renderFindLiveMaster(),
        `umask 077`,
        `mkdir -p "$STATE_DIR"`,
        `conf="$STATE_DIR/${SENTINEL_CONF}"`,
        `if [ -s "$conf" ]; then`,
        `  grep -v -E '^(bind|dir|requirepass|user|sentinel (announce-ip|announce-port|auth-pass|sentinel-pass)) ' "$conf" > "$conf.new" || true`,
        `  echo "broker-platform: sentinel resumes from its saved state"`,
        `else`,
        `  master=$(highest_claim) || master="$FIRST"`,
        `  sed "s/${MASTER_PLACEHOLDER}/$master/" "$CONF_DIR/${SENTINEL_CONF}" > "$conf.new"`,
        `  echo "broker-platform: sentinel first start, monitoring $master"`,
        `fi`,
        `{`,
        `  echo "bind $BIND"`,
        `  echo "dir $STATE_DIR"`,
        `  echo "sentinel announce-ip $SELF"`,
        `  echo "sentinel announce-port ${SENTINEL_PORT}"`,
        `  echo "sentinel auth-pass $MASTER_NAME $PASS"`,
        // Sentinel's own clients and the other Sentinels need the password too.
        `  echo "requirepass $PASS"`,
        `  echo "sentinel sentinel-pass $PASS"`,
        `} >> "$conf.new"`,
        `mv "$conf.new" "$conf"`,
        `exec ${flavor.sentinel} "$conf"`,
        "",
    ].join("\n");
}

/**
 * Before a master stops (a rolling update, a drain): it refuses writes from now on
 * (`min-replicas-to-write` raised at run time: clients get NOREPLICAS at once and retry on the new
 * master; a pause would also hold Sentinel's own messages on this node, which then looks down to
 * the other Sentinels and a second failover races the first). A Sentinel of another pod (the one
 * next to this node is being stopped too) fails over to the most up-to-date replica, and the hook
 * returns once every Sentinel that answers names the new master, so none starts a failover of
 * its own when this node stops. Asking and waiting share one budget inside the grace period.
 */
export function renderPreStopRedis(names: ClusterNames, replicas: number, flavor: RedisFlavor, waitSeconds: number): string {
    return [
        "#!/bin/sh",
        ...commonShell(names, replicas, flavor),
        `info=$(cli "$LOCAL" ${REDIS_PORT} INFO replication)`,
        `echo "$info" | grep -q '^role:master' || exit 0`,
        `echo "$info" | grep -q '^connected_slaves:[1-9]' || exit 0`,
        `deadline=$(($(date +%s) + ${waitSeconds}))`,
        `before=$(cli "$LOCAL" ${REDIS_PORT} CONFIG GET min-replicas-to-write | sed -n 2p)`,
        `cli "$LOCAL" ${REDIS_PORT} CONFIG SET min-replicas-to-write 1000000 >/dev/null`,
        // A Sentinel reads a replica's state every 10 s: one that just caught up may not be a
        // candidate yet (NOGOODSLAVE), so the round is tried again until the budget ends.
        `asked=""; replies=""`,
        `while [ -z "$asked" ] && [ "$(date +%s)" -lt "$deadline" ]; do`,
        `  replies=""`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    r=$(cli "$h" ${SENTINEL_PORT} SENTINEL failover "$MASTER_NAME")`,
        `    if [ "$r" = "OK" ]; then asked=$h; break; fi`,
        `    replies="$replies $h: \${r:-no answer};"`,
        `  done`,
        `  [ -n "$asked" ] || sleep 1`,
        `done`,
        // A failed hook is an event on the pod (FailedPreStopHook) and a kubelet log line with this message; the stop goes on.
        `[ -n "$asked" ] || { cli "$LOCAL" ${REDIS_PORT} CONFIG SET min-replicas-to-write "\${before:-0}" >/dev/null; echo "broker-platform: no Sentinel would fail over:$replies" >&2; exit 1; }`,
        `echo "broker-platform: failover asked of the Sentinel on $asked"`,
        `while [ "$(date +%s)" -lt "$deadline" ]; do`,
        `  named=0; stale=0`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    m=$(cli "$h" ${SENTINEL_PORT} SENTINEL get-master-addr-by-name "$MASTER_NAME" | head -n 1)`,
        `    [ -n "$m" ] || continue`,
        `    if [ "$m" = "$SELF" ]; then stale=1; else named=$((named + 1)); fi`,
        `  done`,
        `  if [ "$named" -gt 0 ] && [ "$stale" -eq 0 ]; then echo "broker-platform: the Sentinels name the new master"; exit 0; fi`,
        `  sleep 1`,
        `done`,
        `echo "broker-platform: the Sentinels did not all name a new master within ${waitSeconds} s" >&2`,
        `exit 1`,
        "",
    ].join("\n");
}

/** The Sentinel stays up while its data node's hook runs and the node shuts down, so its pod keeps a vote. */
export function renderPreStopSentinel(flavor: RedisFlavor, waitSeconds: number): string {
    return [
        "#!/bin/sh",
        `export ${flavor.cliAuthEnv}="$(cat "\${REDIS_AUTH_FILE:-${REDIS_AUTH_DIR}/${PASSWORD_KEY}}")"`,
        `i=0`,
        `while [ "$i" -lt ${waitSeconds} ] && timeout 2 ${flavor.cli} --no-auth-warning -h "\${REDIS_LOCAL_HOST:-127.0.0.1}" -p ${REDIS_PORT} PING 2>/dev/null | grep -q PONG; do sleep 1; i=$((i + 1)); done`,
        "",
    ].join("\n");
}

/**
 * Ready means in sync and able to take over: a master that has loaded its data, or a replica
 * whose link is up, not in a full resync, and which this pod's Sentinel lists as a candidate
 * (priority above 0, not down). A roll or a drain waits for it before taking the next pod, so
 * the master's planned failover always has a replica to promote.
 */
export function renderReadyRedis(names: ClusterNames, flavor: RedisFlavor): string {
    return [
        "#!/bin/sh",
        `export ${flavor.cliAuthEnv}="$(cat "\${REDIS_AUTH_FILE:-${REDIS_AUTH_DIR}/${PASSWORD_KEY}}")"`,
        `LOCAL=\${REDIS_LOCAL_HOST:-127.0.0.1}`,
        `info=$(${flavor.cli} --no-auth-warning -h "$LOCAL" -p ${REDIS_PORT} INFO 2>/dev/null | tr -d '\\r')`,
        `echo "$info" | grep -q '^loading:0' || exit 1`,
        `case "$info" in`,
        `  *role:master*) exit 0 ;;`,
        `esac`,
        `echo "$info" | grep -q '^master_link_status:up' && echo "$info" | grep -q '^master_sync_in_progress:0' || exit 1`,
        `${flavor.cli} --no-auth-warning -h "$LOCAL" -p ${SENTINEL_PORT} SENTINEL replicas ${names.sentinelMaster} 2>/dev/null | tr -d '\\r' |`,
        `  awk -v me="$REDIS_ANNOUNCE_HOST:${REDIS_PORT}" 'NR % 2 == 1 { k = $0; next } k == "name" { n = $0 } k == "flags" && n == me { f = $0 } k == "slave-priority" && n == me { p = $0 } END { exit !(f == "slave" && p > 0) }'`,
        "",
    ].join("\n");
}

function sentinelProbe(flavor: RedisFlavor): string[] {
    return ["sh", "-c", `${flavor.cliAuthEnv}="$(cat ${REDIS_AUTH_DIR}/${PASSWORD_KEY})" ${flavor.cli} --no-auth-warning -p ${SENTINEL_PORT} ping | grep -q PONG`];
}

export function redisProfile(cluster: ClusterSettings, names: ClusterNames): EngineProfile {
    const flavor = redisFlavor(cluster.engine);
    const image = `${cluster.image ?? flavor.image}:${cluster.version}`;
    const grace = cluster.terminationGracePeriodSeconds ?? 60;
    const hookSeconds = Math.max(grace - 10, 5);
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
            [START_REDIS]: renderStartRedis(names, cluster.replicas, flavor),
            [START_SENTINEL]: renderStartSentinel(names, cluster.replicas, flavor),
            [PRESTOP_REDIS]: renderPreStopRedis(names, cluster.replicas, flavor, hookSeconds),
            [PRESTOP_SENTINEL]: renderPreStopSentinel(flavor, grace - 2),
            [READY_REDIS]: renderReadyRedis(names, flavor),
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
                        readinessProbe: { exec: { command: sentinelProbe(flavor) }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                        lifecycle: { preStop: { exec: { command: ["sh", `${REDIS_CONF_DIR}/${PRESTOP_SENTINEL}`] } } },
                        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                        securityContext: restrictedContainerSecurity(UID),
                        // The data volume, for Sentinel's state directory (the StatefulSet names it `data`).
                        volumeMounts: [...mounts, { name: "data", mountPath: REDIS_DATA_DIR }],
                    },
                ],
            };
        },
        readinessProbe: { exec: { command: ["sh", `${REDIS_CONF_DIR}/${READY_REDIS}`] }, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
        preStop: ["sh", `${REDIS_CONF_DIR}/${PRESTOP_REDIS}`],
        terminationGracePeriodSeconds: grace,
        connection: { scheme: "redis-sentinel", portName: "sentinel", path: "" },
    };
}

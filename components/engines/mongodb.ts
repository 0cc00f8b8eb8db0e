import { ClusterSettings } from "../config/schema";
import { ClusterNames, podHostTemplate } from "../naming";
import { BrokerPort, EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";

/**
 * MongoDB replica set. Members are addressed by their pod DNS names from the naming module (the
 * replica set configuration stores `<pod>.<headless>.<ns>.svc.<domain>:27017`), authenticate each
 * other with the keyFile (the analogue of the Erlang cookie), and clients with the root user.
 *
 * Initialisation needs no sidecar and no Kubernetes API access: a `postStart` hook in each
 * member runs the replica-set script, which only talks to mongod. Ordinal 0, finding no member
 * anywhere with a replica set, runs `rs.initiate` with itself and creates the root user through
 * the localhost exception; every other member (and any member added by a scale-up) asks the
 * primary, as the root user, to `rs.add` it. Run again on every start, the script finds the
 * member in the set and does nothing.
 */

const UID = 999;
export const MONGO_PORT = 27017;
export const MONGO_CONF_DIR = "/etc/mongo";
/** Secret mount of the keyFile; mongod reads the 0400 copy the init container makes. */
export const KEYFILE_SECRET_DIR = "/run/secrets/mongo";
export const KEYFILE_DIR = "/run/mongo";
export const KEYFILE_KEY = "keyfile";
export const KEYFILE_PATH = `${KEYFILE_DIR}/${KEYFILE_KEY}`;
export const MONGO_DATA_DIR = "/data/db";
export const REPLICA_SET_SCRIPT = "replica-set.sh";
export const PRESTOP_MONGO = "prestop-mongod.sh";
/** A replica set has at most 7 voting members. */
export const MAX_VOTING_MEMBERS = 7;

export function mongoPorts(): BrokerPort[] {
    return [{ name: "mongodb", port: MONGO_PORT, audience: "both" }];
}

/** The postStart script: initiate once (ordinal 0), otherwise join through the primary; never fails the container. */
export function renderReplicaSetScript(names: ClusterNames, replicas: number): string {
    const hosts = Array.from({ length: replicas }, (_, i) => `${names.podHost(i)}:${MONGO_PORT}`);
    return [
        "#!/bin/sh",
        `log() { echo "broker-platform: $*" >>\${MONGO_LOG:-/proc/1/fd/1} 2>/dev/null || true; }`,
        `RS="${names.replicaSet}"`,
        `SELF="$MONGO_ANNOUNCE_HOST:${MONGO_PORT}"`,
        `HOSTS="${hosts.join(" ")}"`,
        `ORDINAL="\${POD_NAME##*-}"`,
        `local_eval() { mongosh --quiet --port ${MONGO_PORT} --eval "$1" 2>/dev/null; }`,
        `remote_eval() { mongosh --quiet "mongodb://$1/admin" --eval "$2" 2>/dev/null; }`,
        // The root password reaches mongosh through its environment, never its command line.
        `AUTH="db.getSiblingDB('admin').auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD);"`,
        `root_eval() { mongosh --quiet "mongodb://$1/admin" --eval "$AUTH $2" 2>/dev/null; }`,
        `i=0`,
        `until [ "$(local_eval 'db.adminCommand({ping: 1}).ok')" = "1" ]; do i=$((i + 1)); [ "$i" -ge 60 ] && { log "mongod not answering; replica set not checked"; exit 0; }; sleep 2; done`,
        `in_set() { [ -n "$(local_eval 'db.hello().setName || ""')" ]; }`,
        `if in_set; then log "member of replica set $RS"; exit 0; fi`,
        `any_set() { for h in $HOSTS; do [ "$h" = "$SELF" ] && continue; [ -n "$(remote_eval "$h" 'db.hello().setName || ""')" ] && return 0; done; return 1; }`,
        `if [ "$ORDINAL" = "0" ] && ! any_set; then`,
        `  local_eval "rs.initiate({_id: '$RS', members: [{_id: 0, host: '$SELF'}]}).ok" >/dev/null`,
        `  i=0; until [ "$(local_eval 'db.hello().isWritablePrimary')" = "true" ]; do i=$((i + 1)); [ "$i" -ge 60 ] && { log "not primary after rs.initiate"; exit 0; }; sleep 2; done`,
        // The localhost exception admits this one createUser on a set without users.
        `  local_eval "db.getSiblingDB('admin').createUser({user: process.env.MONGO_ROOT_USERNAME, pwd: process.env.MONGO_ROOT_PASSWORD, roles: [{role: 'root', db: 'admin'}]}).ok" >/dev/null || true`,
        `  log "replica set $RS initiated with $SELF"`,
        `  exit 0`,
        `fi`,
        `i=0`,
        `while :; do`,
        `  for h in $HOSTS; do`,
        `    [ "$h" = "$SELF" ] && continue`,
        `    p=$(remote_eval "$h" 'db.hello().primary || ""')`,
        `    [ -n "$p" ] || continue`,
        `    voters=$(root_eval "$p" 'rs.conf().members.filter((m) => m.votes > 0).length')`,
        `    if [ "\${voters:-0}" -ge ${MAX_VOTING_MEMBERS} ]; then spec="{host: '$SELF', votes: 0, priority: 0}"; else spec="{host: '$SELF'}"; fi`,
        `    root_eval "$p" "rs.add($spec).ok" >/dev/null`,
        `    if in_set; then log "added to replica set $RS through $p"; exit 0; fi`,
        `  done`,
        `  i=$((i + 1)); [ "$i" -ge 90 ] && { log "no primary accepted this member; replica set not joined"; exit 0; }`,
        `  sleep 2`,
        `done`,
        "",
    ].join("\n");
}

/** Before a primary stops, it hands over, so clients see one election instead of a timeout. */
export function renderPreStopMongo(): string {
    return [
        "#!/bin/sh",
        `[ "$(mongosh --quiet --port ${MONGO_PORT} --eval 'db.hello().isWritablePrimary' 2>/dev/null)" = "true" ] || exit 0`,
        `mongosh --quiet --port ${MONGO_PORT} --eval "db.getSiblingDB('admin').auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD); rs.stepDown(60)" >/dev/null 2>&1 || true`,
        "",
    ].join("\n");
}

export function mongodbProfile(cluster: ClusterSettings, names: ClusterNames): EngineProfile {
    const image = `${cluster.image ?? "mongo"}:${cluster.version}`;
    const keyfileMounts = [{ name: "keyfile", mountPath: KEYFILE_DIR }];
    return {
        image,
        uid: UID,
        sharedSecret: "keyfile",
        adminUser: true,
        command: ["mongod", "--replSet", names.replicaSet, "--bind_ip_all", "--port", String(MONGO_PORT), "--dbpath", MONGO_DATA_DIR, "--keyFile", KEYFILE_PATH],
        dataMountPath: MONGO_DATA_DIR,
        ports: mongoPorts(),
        configFiles: {
            [REPLICA_SET_SCRIPT]: renderReplicaSetScript(names, cluster.replicas),
            [PRESTOP_MONGO]: renderPreStopMongo(),
        },
        env: (n: ClusterNames, secrets: SecretRefs) => [
            ...podIdentityEnv(),
            { name: "MONGO_ANNOUNCE_HOST", value: podHostTemplate(n) },
            { name: "MONGO_ROOT_USERNAME", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "username" } } },
            { name: "MONGO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "password" } } },
        ],
        volumes: (_n: ClusterNames, secrets: SecretRefs) => {
            const keyFile = secrets.password ?? { name: names.keyFileSecret, key: KEYFILE_KEY };
            return {
                volumes: [
                    { name: "config", configMap: { name: secrets.config.name, defaultMode: 0o440 } },
                    { name: "keyfile-secret", secret: { secretName: keyFile.name, defaultMode: 0o440, items: [{ key: keyFile.key, path: KEYFILE_KEY }] } },
                    { name: "keyfile", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                ],
                mounts: [{ name: "config", mountPath: MONGO_CONF_DIR, readOnly: true }, ...keyfileMounts],
                initContainers: [
                    {
                        // mongod refuses a keyFile anyone but its owner can read, and a Secret
                        // mount is root-owned; the mongod user copies it with mode 0400.
                        name: "keyfile",
                        image,
                        // rm first: a re-run (the pod's sandbox recreated) finds its earlier 0400 copy.
                        command: ["sh", "-c", `rm -f ${KEYFILE_PATH} && cp ${KEYFILE_SECRET_DIR}/${KEYFILE_KEY} ${KEYFILE_PATH} && chmod 400 ${KEYFILE_PATH}`],
                        securityContext: restrictedContainerSecurity(UID),
                        volumeMounts: [{ name: "keyfile-secret", mountPath: KEYFILE_SECRET_DIR, readOnly: true }, ...keyfileMounts],
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                    },
                ],
            };
        },
        readinessProbe: {
            exec: { command: ["sh", "-c", `mongosh --quiet --port ${MONGO_PORT} --eval 'db.adminCommand({ping: 1}).ok' | grep -q 1`] },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
        },
        preStop: ["sh", `${MONGO_CONF_DIR}/${PRESTOP_MONGO}`],
        postStart: ["sh", `${MONGO_CONF_DIR}/${REPLICA_SET_SCRIPT}`],
        terminationGracePeriodSeconds: cluster.terminationGracePeriodSeconds ?? 60,
        connection: { scheme: "mongodb", portName: "mongodb", path: "" },
    };
}

import * as k8s from "@pulumi/kubernetes";
import { ClusterSettings, resolveClientAuth } from "../config/schema";
import { ClusterNames } from "../naming";
import { EngineProfile, podIdentityEnv, SecretRefs } from "./profile";

type EnvVar = k8s.types.input.core.v1.EnvVar;

const UID = 1000;
const DATA_DIR = "/opt/emqx/data";
/** Where the Secret of the users the built-in database loads at boot is mounted. */
export const MQTT_USERS_DIR = "/run/broker-platform/mqtt-users";
/** Key and file name of that Secret; EMQX picks the parser by the `.json` extension. */
export const MQTT_USERS_JSON = "users.json";
/** The last dashboard admin the start hook applied, kept with the node's data. */
export const DASHBOARD_ADMIN_MARKER = `${DATA_DIR}/.broker-platform-dashboard-admin`;

/**
 * The built-in database authenticator, first in the chain. EMQX denies a client the chain does
 * not accept once any authenticator is enabled; with none it admits everyone. Its users come
 * from `bootstrap_file` (hashes, so a restart finds each record unchanged and skips it).
 */
export function emqxAuthenticatorEnv(): EnvVar[] {
    const at = (key: string, value: string) => ({ name: `EMQX_AUTHENTICATION__1__${key}`, value });
    return [
        at("MECHANISM", "password_based"),
        at("BACKEND", "built_in_database"),
        at("USER_ID_TYPE", "username"),
        at("ENABLE", "true"),
        at("PASSWORD_HASH_ALGORITHM__NAME", "sha256"),
        at("PASSWORD_HASH_ALGORITHM__SALT_POSITION", "prefix"),
        at("BOOTSTRAP_FILE", `${MQTT_USERS_DIR}/${MQTT_USERS_JSON}`),
        at("BOOTSTRAP_TYPE", "hash"),
    ];
}

/** What the admin sync script runs and writes; tests point these elsewhere. */
export interface AdminSyncOptions {
    emqx: string;
    marker: string;
    log: string;
    attempts: number;
    pauseSeconds: number;
}

const ADMIN_SYNC_DEFAULTS: AdminSyncOptions = {
    emqx: "/opt/emqx/bin/emqx",
    marker: DASHBOARD_ADMIN_MARKER,
    // The container's own stdout, so the outcome shows in `kubectl logs`.
    log: "/proc/1/fd/1",
    // About five minutes: a node waiting for its peers may take that long to answer.
    attempts: 60,
    pauseSeconds: 5,
};

/**
 * postStart hook: makes the dashboard admin match the admin Secret on every start. EMQX applies
 * dashboard.default_username/password only while no admin of that name exists, so a password
 * stored earlier would otherwise win. `emqx ctl` reaches the local node with the node name and
 * cookie already in the environment: no API token, no extra RBAC. The admin the hook applied
 * last is kept on the data volume; once the Secret names another one (a rotation), it is
 * deleted. The hook never fails the container: a broker that cannot sync its admin still serves
 * clients, and the reason goes to the container log.
 */
export function dashboardAdminSyncScript(opts: Partial<AdminSyncOptions> = {}): string {
    const { emqx, marker, log, attempts, pauseSeconds } = { ...ADMIN_SYNC_DEFAULTS, ...opts };
    return [
        `log() { echo "broker-platform: $*" >>${log} 2>/dev/null || true; }`,
        `ctl() { ${emqx} ctl "$@" 2>&1; }`,
        `user="$EMQX_DASHBOARD__DEFAULT_USERNAME"; pass="$EMQX_DASHBOARD__DEFAULT_PASSWORD"`,
        // Until the node and its dashboard are up, ctl answers neither "ok" nor "Error:".
        `i=0`,
        `while :; do`,
        `  out=$(ctl admins passwd "$user" "$pass")`,
        `  case "$out" in`,
        `    ok*) break ;;`,
        `    *username_not_found*) out=$(ctl admins add "$user" "$pass" administrator); case "$out" in ok*) break ;; Error:*already*) ;; Error:*) log "dashboard admin not created: $out"; exit 0 ;; esac ;;`,
        `    Error:*) log "dashboard admin password not applied: $out"; exit 0 ;;`,
        `  esac`,
        `  i=$((i + 1)); if [ "$i" -ge ${attempts} ]; then log "dashboard admin not synchronised, node not answering: $out"; exit 0; fi`,
        `  sleep ${pauseSeconds}`,
        `done`,
        `prev=$(cat ${marker} 2>/dev/null || true)`,
        `if [ -n "$prev" ] && [ "$prev" != "$user" ]; then log "previous dashboard admin removed: $(ctl admins del "$prev")"; fi`,
        `printf '%s' "$user" > ${marker}`,
        `log "dashboard admin follows its Secret"`,
    ].join("\n");
}

/** EMQX cluster discovery settings; every name comes from the naming module. */
export function emqxDiscoveryEnv(cluster: ClusterSettings, names: ClusterNames, namespace: string, clusterDomain: string): EnvVar[] {
    const common = [{ name: "EMQX_CLUSTER__NAME", value: cluster.name }];
    if ((cluster.discovery ?? "dns") === "k8s") {
        return [
            ...common,
            { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "k8s" },
            { name: "EMQX_CLUSTER__K8S__APISERVER", value: `https://kubernetes.default.svc.${clusterDomain}:443` },
            { name: "EMQX_CLUSTER__K8S__SERVICE_NAME", value: names.headlessService },
            { name: "EMQX_CLUSTER__K8S__ADDRESS_TYPE", value: "hostname" },
            { name: "EMQX_CLUSTER__K8S__NAMESPACE", value: namespace },
            { name: "EMQX_CLUSTER__K8S__SUFFIX", value: `svc.${clusterDomain}` },
        ];
    }
    return [
        ...common,
        { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "dns" },
        { name: "EMQX_CLUSTER__DNS__NAME", value: names.headlessDomain },
        // SRV answers carry each pod's hostname, which is what the node names are built from.
        { name: "EMQX_CLUSTER__DNS__RECORD_TYPE", value: "srv" },
    ];
}

export function emqxProfile(cluster: ClusterSettings, names: ClusterNames, namespace: string, clusterDomain: string): EngineProfile {
    const image = `${cluster.image ?? "emqx/emqx"}:${cluster.version}`;
    const extraEnv = Object.entries(cluster.extraConfig).map(([name, value]) => ({ name, value: String(value) }));
    const clientAuth = resolveClientAuth(cluster);
    const authenticates = clientAuth !== undefined && !clientAuth.allowAnonymous;
    return {
        image,
        uid: UID,
        dataMountPath: DATA_DIR,
        ports: [
            { name: "mqtt", port: 1883, audience: "client" },
            { name: "mqtts", port: 8883, audience: "client" },
            { name: "ws", port: 8083, audience: "client" },
            { name: "wss", port: 8084, audience: "client" },
            { name: "dashboard", port: 18083, audience: "client" },
            { name: "ekka", port: 4370, audience: "peer" },
            { name: "gen-rpc", port: 5369, audience: "peer" },
        ],
        // EMQX takes its settings from the environment; nothing to put in a ConfigMap file.
        configFiles: {},
        env: (n: ClusterNames, secrets: SecretRefs) => [
            ...podIdentityEnv(),
            { name: "EMQX_HOST", value: `$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__NAME", value: `${n.nodePrefix}@$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: secrets.cookie.name, key: secrets.cookie.key } } },
            ...emqxDiscoveryEnv(cluster, n, namespace, clusterDomain),
            { name: "EMQX_DASHBOARD__DEFAULT_USERNAME", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "username" } } },
            { name: "EMQX_DASHBOARD__DEFAULT_PASSWORD", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "password" } } },
            ...(authenticates ? emqxAuthenticatorEnv() : []),
            ...extraEnv,
        ],
        volumes: (_n: ClusterNames, secrets: SecretRefs) =>
            authenticates && secrets.mqttUsers
                ? {
                      volumes: [{ name: "mqtt-users", secret: { secretName: secrets.mqttUsers.name, defaultMode: 0o440, items: [{ key: MQTT_USERS_JSON, path: MQTT_USERS_JSON }] } }],
                      mounts: [{ name: "mqtt-users", mountPath: MQTT_USERS_DIR, readOnly: true }],
                      initContainers: [],
                  }
                : { volumes: [], mounts: [], initContainers: [] },
        readinessProbe: { httpGet: { path: "/status", port: "dashboard" }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
        // Give load balancers time to drop the endpoint before MQTT listeners close.
        preStop: ["sh", "-c", "sleep 15"],
        postStart: ["sh", "-c", dashboardAdminSyncScript()],
        terminationGracePeriodSeconds: cluster.terminationGracePeriodSeconds ?? 120,
        metrics: { port: 18083, path: "/api/v5/prometheus/stats" },
        managementPort: "dashboard",
        connection: { scheme: "mqtt", portName: "mqtt", path: "" },
    };
}

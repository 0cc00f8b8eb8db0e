import * as k8s from "@pulumi/kubernetes";
import { ClusterSettings, resolveClientAuth } from "../config/schema";
import { ClusterNames } from "../naming";
import { BrokerPort, EngineProfile, podIdentityEnv, SecretRefs } from "./profile";
import { literalEnvValue } from "../config/text";
import { DIST_OPTFILE, renderDistOptFile, TLS_CA, TLS_CERT, TLS_KEY, tlsMount, tlsVolume } from "./tls";
import { compareVersions } from "./versions";

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

/** Where the distribution options file from the config ConfigMap is mounted (the path may hold no spaces). */
const DIST_DIR = "/opt/emqx/dist-tls";

/**
 * TLS listener settings. The plain MQTT, WebSocket and dashboard listeners are switched off, as
 * for RabbitMQ; clients are not asked for certificates. The dashboard's HTTPS options moved
 * under `ssl_options` in 5.1.1.
 */
export function emqxTlsEnv(cluster: ClusterSettings): EnvVar[] {
    const tls = cluster.tls;
    if (!tls) return [];
    const dashboardSsl = compareVersions(cluster.version, "5.1.1") < 0 ? "EMQX_DASHBOARD__LISTENERS__HTTPS__" : "EMQX_DASHBOARD__LISTENERS__HTTPS__SSL_OPTIONS__";
    const env: EnvVar[] = [
        { name: "EMQX_LISTENERS__TCP__DEFAULT__ENABLE", value: "false" },
        { name: "EMQX_LISTENERS__WS__DEFAULT__ENABLE", value: "false" },
        { name: "EMQX_LISTENERS__SSL__DEFAULT__BIND", value: "0.0.0.0:8883" },
        { name: "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE", value: TLS_CERT },
        { name: "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__KEYFILE", value: TLS_KEY },
        { name: "EMQX_LISTENERS__WSS__DEFAULT__BIND", value: "0.0.0.0:8084" },
        { name: "EMQX_LISTENERS__WSS__DEFAULT__SSL_OPTIONS__CERTFILE", value: TLS_CERT },
        { name: "EMQX_LISTENERS__WSS__DEFAULT__SSL_OPTIONS__KEYFILE", value: TLS_KEY },
        { name: "EMQX_DASHBOARD__LISTENERS__HTTP__ENABLE", value: "false" },
        { name: "EMQX_DASHBOARD__LISTENERS__HTTPS__ENABLE", value: "true" },
        { name: "EMQX_DASHBOARD__LISTENERS__HTTPS__BIND", value: "18084" },
        { name: `${dashboardSsl}CERTFILE`, value: TLS_CERT },
        { name: `${dashboardSsl}KEYFILE`, value: TLS_KEY },
    ];
    if (tls.distribution) {
        env.push(
            // Erlang distribution (core nodes' database replication) and gen_rpc (message forwarding).
            { name: "EMQX_CLUSTER__PROTO_DIST", value: "inet_tls" },
            { name: "EMQX_SSL_DIST_OPTFILE", value: `${DIST_DIR}/${DIST_OPTFILE}` },
            { name: "EMQX_RPC__DRIVER", value: "ssl" },
            { name: "EMQX_RPC__CERTFILE", value: TLS_CERT },
            { name: "EMQX_RPC__KEYFILE", value: TLS_KEY },
            { name: "EMQX_RPC__CACERTFILE", value: TLS_CA },
        );
    }
    return env;
}

function emqxPorts(cluster: ClusterSettings): BrokerPort[] {
    const client: BrokerPort[] = cluster.tls
        ? [
              { name: "mqtts", port: 8883, audience: "client" },
              { name: "wss", port: 8084, audience: "client" },
              { name: "dashboard-tls", port: 18084, audience: "client" },
          ]
        : [
              { name: "mqtt", port: 1883, audience: "client" },
              { name: "mqtts", port: 8883, audience: "client" },
              { name: "ws", port: 8083, audience: "client" },
              { name: "wss", port: 8084, audience: "client" },
              { name: "dashboard", port: 18083, audience: "client" },
          ];
    return [
        ...client,
        // Erlang distribution: EMQX listens on a fixed port instead of registering with epmd.
        { name: "ekka", port: 4370, audience: "peer" },
        // Cluster RPC: the official image fixes it at 5369 (outside containers it is 5370 + node suffix).
        { name: "gen-rpc", port: 5369, audience: "peer" },
    ];
}

export function emqxProfile(cluster: ClusterSettings, names: ClusterNames, namespace: string, clusterDomain: string): EngineProfile {
    const image = `${cluster.image ?? "emqx/emqx"}:${cluster.version}`;
    // Passed on as written: Kubernetes would otherwise expand `$(VAR)` inside the value.
    const extraEnv = Object.entries(cluster.extraConfig).map(([name, value]) => ({ name, value: literalEnvValue(String(value)) }));
    const tls = cluster.tls;
    const distribution = tls?.distribution === true;
    const clientAuth = resolveClientAuth(cluster);
    const authenticates = clientAuth !== undefined && !clientAuth.allowAnonymous;
    const dashboard = tls ? { port: "dashboard-tls", number: 18084, scheme: "https" as const } : { port: "dashboard", number: 18083, scheme: "http" as const };
    return {
        image,
        uid: UID,
        sharedSecret: "erlang-cookie",
        adminUser: true,
        dataMountPath: DATA_DIR,
        ports: emqxPorts(cluster),
        // EMQX takes its settings from the environment; only the Erlang distribution TLS options
        // are a file (the runtime reads them before any configuration is loaded).
        configFiles: distribution ? { [DIST_OPTFILE]: renderDistOptFile() } : {},
        env: (n: ClusterNames, secrets: SecretRefs) => [
            ...podIdentityEnv(),
            { name: "EMQX_HOST", value: `$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__NAME", value: `${n.nodePrefix}@$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: secrets.cookie.name, key: secrets.cookie.key } } },
            ...emqxDiscoveryEnv(cluster, n, namespace, clusterDomain),
            { name: "EMQX_DASHBOARD__DEFAULT_USERNAME", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "username" } } },
            { name: "EMQX_DASHBOARD__DEFAULT_PASSWORD", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "password" } } },
            ...emqxTlsEnv(cluster),
            ...(authenticates ? emqxAuthenticatorEnv() : []),
            ...extraEnv,
        ],
        volumes: (_n: ClusterNames, secrets: SecretRefs) => ({
            volumes: [
                ...(secrets.tls ? [tlsVolume(secrets.tls.name)] : []),
                ...(distribution ? [{ name: "dist-tls", configMap: { name: secrets.config.name, defaultMode: 0o440, items: [{ key: DIST_OPTFILE, path: DIST_OPTFILE }] } }] : []),
                ...(authenticates && secrets.mqttUsers
                    ? [{ name: "mqtt-users", secret: { secretName: secrets.mqttUsers.name, defaultMode: 0o440, items: [{ key: MQTT_USERS_JSON, path: MQTT_USERS_JSON }] } }]
                    : []),
            ],
            mounts: [
                ...(secrets.tls ? [tlsMount()] : []),
                ...(distribution ? [{ name: "dist-tls", mountPath: DIST_DIR, readOnly: true }] : []),
                ...(authenticates && secrets.mqttUsers ? [{ name: "mqtt-users", mountPath: MQTT_USERS_DIR, readOnly: true }] : []),
            ],
            initContainers: [],
        }),
        readinessProbe: {
            // The kubelet does not verify the certificate of an HTTPS probe.
            httpGet: { path: "/status", port: dashboard.port, ...(tls ? { scheme: "HTTPS" } : {}) },
            initialDelaySeconds: 10,
            periodSeconds: 5,
            timeoutSeconds: 5,
            failureThreshold: 6,
        },
        // Give load balancers time to drop the endpoint before MQTT listeners close.
        preStop: ["sh", "-c", "sleep 15"],
        postStart: ["sh", "-c", dashboardAdminSyncScript()],
        terminationGracePeriodSeconds: cluster.terminationGracePeriodSeconds ?? 120,
        // The dashboard listener serves the Prometheus endpoint; there is no separate metrics port.
        metrics: { portName: dashboard.port, path: "/api/v5/prometheus/stats", scheme: dashboard.scheme },
        managementPort: dashboard.port,
        managementScheme: dashboard.scheme,
        connection: tls ? { scheme: "mqtts", portName: "mqtts", path: "" } : { scheme: "mqtt", portName: "mqtt", path: "" },
    };
}

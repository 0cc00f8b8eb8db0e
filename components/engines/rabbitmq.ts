import { ClusterSettings } from "../config/schema";
import { ClusterNames, nodeNameTemplate } from "../naming";
import { BrokerPort, EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";
import { DIST_OPTFILE, renderDistOptFile, TLS_CERT, TLS_KEY, tlsMount, tlsVolume } from "./tls";
import { compareVersions, rabbitmqDiscoveryUsesApi } from "./versions";

const UID = 999;
const HOME = "/var/lib/rabbitmq";
const CONFIG_DIR = "/etc/rabbitmq";
const COOKIE_MOUNT = "/run/erlang-cookie";
/** File names inside the ConfigMap / Secrets; the projected config volume lays them out. */
export const RABBITMQ_CONF = "rabbitmq.conf";
export const ENABLED_PLUGINS = "enabled_plugins";
export const DEFINITIONS_JSON = "definitions.json";

const BASE_PLUGINS = ["rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_peer_discovery_k8s"];

/** rabbitmq.conf lines that make the nodes find each other through the headless Service. */
export function peerDiscoveryConf(names: ClusterNames, version: string, clusterDomain: string): string[] {
    const lines = ["cluster_formation.peer_discovery_backend = k8s"];
    if (rabbitmqDiscoveryUsesApi(version)) {
        lines.push(
            `cluster_formation.k8s.host = kubernetes.default.svc.${clusterDomain}`,
            "cluster_formation.k8s.address_type = hostname",
            `cluster_formation.k8s.service_name = ${names.headlessService}`,
            `cluster_formation.k8s.hostname_suffix = ${names.hostnameSuffix}`,
            // Removing a member is an operator's decision, never discovery's.
            "cluster_formation.node_cleanup.only_log_warning = true",
        );
    }
    return lines;
}

/**
 * Client and management listeners. With TLS the plain AMQP and HTTP listeners are switched off:
 * the connection URL carries the admin password, and a client that forgets the scheme should
 * fail to connect rather than send it in clear text. Clients are not asked for certificates.
 */
export function listenerConf(cluster: ClusterSettings): string[] {
    if (!cluster.tls) return ["listeners.tcp.default = 5672", "management.tcp.port = 15672", "prometheus.tcp.port = 15692"];
    return [
        "listeners.tcp = none",
        "listeners.ssl.default = 5671",
        `ssl_options.certfile = ${TLS_CERT}`,
        `ssl_options.keyfile = ${TLS_KEY}`,
        // Without management.tcp.port the plain HTTP listener is not started.
        "management.ssl.port = 15671",
        `management.ssl.certfile = ${TLS_CERT}`,
        `management.ssl.keyfile = ${TLS_KEY}`,
        // Metrics carry no credentials and scrapers rarely trust a private CA; kept on plain HTTP.
        "prometheus.tcp.port = 15692",
    ];
}

/** Erlang arguments for distribution over TLS; the CLI tools (preStop drain, probes) need the same. */
export function distributionErlArgs(): string {
    return `-proto_dist inet_tls -ssl_dist_optfile ${CONFIG_DIR}/${DIST_OPTFILE}`;
}

function rabbitmqPorts(cluster: ClusterSettings): BrokerPort[] {
    const client: BrokerPort[] = cluster.tls
        ? [
              { name: "amqps", port: 5671, audience: "client" },
              { name: "management-tls", port: 15671, audience: "client" },
          ]
        : [
              { name: "amqp", port: 5672, audience: "client" },
              { name: "management", port: 15672, audience: "client" },
          ];
    return [
        ...client,
        { name: "prometheus", port: 15692, audience: "client" },
        { name: "epmd", port: 4369, audience: "peer" },
        { name: "cluster-rpc", port: 25672, audience: "peer" },
    ];
}

/** Renders rabbitmq.conf: clustering, listeners, memory sizing, definitions and extra settings. */
export function renderRabbitmqConf(cluster: ClusterSettings, names: ClusterNames, clusterDomain: string): string {
    const lines = [
        `cluster_name = ${cluster.name}`,
        ...peerDiscoveryConf(names, cluster.version, clusterDomain),
        "cluster_partition_handling = pause_minority",
        ...listenerConf(cluster),
        // The container's memory limit, not the node's RAM, is what the broker may use.
        `total_memory_available_override_value = ${cluster.resources.limits.memory}`,
        "vm_memory_high_watermark.relative = 0.6",
        "disk_free_limit.absolute = 1GB",
        "log.console = true",
        "log.file = false",
    ];
    if (compareVersions(cluster.version, "4.0.0") < 0) lines.push("queue_master_locator = min-masters");
    // Imported on every boot: the admin user in it follows the Secret, even on retained data.
    lines.push(`load_definitions = ${CONFIG_DIR}/${DEFINITIONS_JSON}`);
    for (const [key, value] of Object.entries(cluster.extraConfig)) lines.push(`${key} = ${value}`);
    return `${lines.join("\n")}\n`;
}

export function renderEnabledPlugins(cluster: ClusterSettings): string {
    const plugins = [...new Set([...BASE_PLUGINS, ...cluster.plugins])];
    return `[${plugins.join(",")}].\n`;
}

export function rabbitmqProfile(cluster: ClusterSettings, names: ClusterNames, clusterDomain: string): EngineProfile {
    const grace = cluster.terminationGracePeriodSeconds ?? 600;
    const drainTimeout = Math.max(grace - 30, 10);
    // Waiting for quorum+1 on a cluster of one or two would wait forever.
    const awaitQuorum = cluster.replicas >= 3 ? `rabbitmq-upgrade await_online_quorum_plus_one -t ${drainTimeout}; ` : "";
    const tls = cluster.tls;
    const distribution = tls?.distribution === true;
    return {
        image: `${cluster.image ?? "rabbitmq"}:${cluster.version}-management`,
        uid: UID,
        sharedSecret: "erlang-cookie",
        adminUser: true,
        dataMountPath: `${HOME}/mnesia`,
        ports: rabbitmqPorts(cluster),
        configFiles: {
            [RABBITMQ_CONF]: renderRabbitmqConf(cluster, names, clusterDomain),
            [ENABLED_PLUGINS]: renderEnabledPlugins(cluster),
            ...(distribution ? { [DIST_OPTFILE]: renderDistOptFile() } : {}),
        },
        env: (n: ClusterNames) => [
            ...podIdentityEnv(),
            { name: "K8S_SERVICE_NAME", value: n.headlessService },
            { name: "RABBITMQ_USE_LONGNAME", value: "true" },
            { name: "RABBITMQ_NODENAME", value: nodeNameTemplate(n) },
            { name: "RABBITMQ_CONFIG_FILES", value: `${CONFIG_DIR}/conf.d` },
            { name: "RABBITMQ_ENABLED_PLUGINS_FILE", value: `${CONFIG_DIR}/${ENABLED_PLUGINS}` },
            ...(distribution
                ? [
                      { name: "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", value: distributionErlArgs() },
                      { name: "RABBITMQ_CTL_ERL_ARGS", value: distributionErlArgs() },
                  ]
                : []),
        ],
        volumes: (n: ClusterNames, secrets: SecretRefs) => ({
            volumes: [
                {
                    name: "config",
                    projected: {
                        defaultMode: 0o440,
                        sources: [
                            {
                                configMap: {
                                    name: secrets.config.name,
                                    items: [
                                        { key: RABBITMQ_CONF, path: `conf.d/10-${RABBITMQ_CONF}` },
                                        { key: ENABLED_PLUGINS, path: ENABLED_PLUGINS },
                                        ...(distribution ? [{ key: DIST_OPTFILE, path: DIST_OPTFILE }] : []),
                                    ],
                                },
                            },
                            { secret: { name: secrets.definitions.name, items: [{ key: DEFINITIONS_JSON, path: DEFINITIONS_JSON }] } },
                        ],
                    },
                },
                { name: "erlang-cookie", secret: { secretName: secrets.cookie.name, defaultMode: 0o440, items: [{ key: secrets.cookie.key, path: "cookie" }] } },
                { name: "erlang-home", emptyDir: {} },
                ...(secrets.tls ? [tlsVolume(secrets.tls.name)] : []),
            ],
            mounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "erlang-home", mountPath: HOME },
                ...(secrets.tls ? [tlsMount()] : []),
            ],
            initContainers: [
                {
                    // Erlang refuses a cookie file that anyone but its owner can read, and a Secret
                    // mount is root-owned; the broker user copies it into its own home.
                    name: "erlang-cookie",
                    image: `${cluster.image ?? "rabbitmq"}:${cluster.version}-management`,
                    command: ["sh", "-c", `cp ${COOKIE_MOUNT}/cookie ${HOME}/.erlang.cookie && chmod 400 ${HOME}/.erlang.cookie`],
                    securityContext: restrictedContainerSecurity(UID),
                    volumeMounts: [
                        { name: "erlang-cookie", mountPath: COOKIE_MOUNT, readOnly: true },
                        { name: "erlang-home", mountPath: HOME },
                    ],
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                },
            ],
        }),
        readinessProbe: { tcpSocket: { port: tls ? "amqps" : "amqp" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        preStop: ["sh", "-c", `${awaitQuorum}rabbitmq-upgrade drain -t ${drainTimeout}`],
        terminationGracePeriodSeconds: grace,
        metrics: { portName: "prometheus", path: "/metrics", perObjectPath: "/metrics/per-object", scheme: "http" },
        managementPort: tls ? "management-tls" : "management",
        managementScheme: tls ? "https" : "http",
        connection: tls ? { scheme: "amqps", portName: "amqps", path: "/%2F" } : { scheme: "amqp", portName: "amqp", path: "/%2F" },
    };
}

import { ClusterSettings } from "../config/schema";
import { ClusterNames, nodeNameTemplate } from "../naming";
import { EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";
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

/** Renders rabbitmq.conf: clustering, listeners, memory sizing, definitions and extra settings. */
export function renderRabbitmqConf(cluster: ClusterSettings, names: ClusterNames, clusterDomain: string): string {
    const lines = [
        `cluster_name = ${cluster.name}`,
        ...peerDiscoveryConf(names, cluster.version, clusterDomain),
        "cluster_partition_handling = pause_minority",
        "listeners.tcp.default = 5672",
        "management.tcp.port = 15672",
        "prometheus.tcp.port = 15692",
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
    return {
        image: `${cluster.image ?? "rabbitmq"}:${cluster.version}-management`,
        uid: UID,
        dataMountPath: `${HOME}/mnesia`,
        ports: [
            { name: "amqp", port: 5672, audience: "client" },
            { name: "management", port: 15672, audience: "client" },
            { name: "prometheus", port: 15692, audience: "client" },
            { name: "epmd", port: 4369, audience: "peer" },
            { name: "cluster-rpc", port: 25672, audience: "peer" },
        ],
        configFiles: {
            [RABBITMQ_CONF]: renderRabbitmqConf(cluster, names, clusterDomain),
            [ENABLED_PLUGINS]: renderEnabledPlugins(cluster),
        },
        env: (n: ClusterNames) => [
            ...podIdentityEnv(),
            { name: "K8S_SERVICE_NAME", value: n.headlessService },
            { name: "RABBITMQ_USE_LONGNAME", value: "true" },
            { name: "RABBITMQ_NODENAME", value: nodeNameTemplate(n) },
            { name: "RABBITMQ_CONFIG_FILES", value: `${CONFIG_DIR}/conf.d` },
            { name: "RABBITMQ_ENABLED_PLUGINS_FILE", value: `${CONFIG_DIR}/${ENABLED_PLUGINS}` },
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
                                    ],
                                },
                            },
                            { secret: { name: secrets.definitions.name, items: [{ key: DEFINITIONS_JSON, path: DEFINITIONS_JSON }] } },
                        ],
                    },
                },
                { name: "erlang-cookie", secret: { secretName: secrets.cookie.name, defaultMode: 0o440, items: [{ key: secrets.cookie.key, path: "cookie" }] } },
                { name: "erlang-home", emptyDir: {} },
            ],
            mounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "erlang-home", mountPath: HOME },
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
        readinessProbe: { tcpSocket: { port: "amqp" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        preStop: ["sh", "-c", `${awaitQuorum}rabbitmq-upgrade drain -t ${drainTimeout}`],
        terminationGracePeriodSeconds: grace,
        metrics: { portName: "prometheus", path: "/metrics", perObjectPath: "/metrics/per-object" },
        managementPort: "management",
        connection: { scheme: "amqp", portName: "amqp", path: "/%2F" },
    };
}

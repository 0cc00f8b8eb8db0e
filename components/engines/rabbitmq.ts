import { ClusterSettings } from "../config/schema";
import { ClusterNames, DATA_VOLUME, nodeNameTemplate } from "../naming";
import * as k8s from "@pulumi/kubernetes";
import { BrokerPort, EngineProfile, podIdentityEnv, restrictedContainerSecurity, SecretRefs } from "./profile";

type EnvVar = k8s.types.input.core.v1.EnvVar;
import { DIST_OPTFILE, renderDistOptFile, TLS_CERT, TLS_KEY, tlsMount, tlsVolume } from "./tls";
import { compareVersions, rabbitmqDiscoveryUsesApi } from "./versions";
import { rabbitmqDiskFreeLimitBytes, rabbitmqMemoryBytes, rabbitmqSchedulers, rabbitmqStopBudget } from "./rabbitmq-sizing";
import { CLUSTER_FORMED_KEY, RECORD_MOUNT, rabbitmqSetupScript } from "./rabbitmq-setup";

const UID = 999;
const HOME = "/var/lib/rabbitmq";
const CONFIG_DIR = "/etc/rabbitmq";
const COOKIE_MOUNT = "/run/erlang-cookie";
/** conf.d as RabbitMQ reads it: a copy in the writable home, so the setup container can add to it. */
const CONF_DIR = `${HOME}/conf.d`;
/** File names inside the ConfigMap / Secrets; the projected config volume lays them out. */
export const RABBITMQ_CONF = "rabbitmq.conf";
export const ENABLED_PLUGINS = "enabled_plugins";
export const DEFINITIONS_JSON = "definitions.json";
export const SETUP_SCRIPT = "setup.sh";

const BASE_PLUGINS = ["rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_peer_discovery_k8s"];

/**
 * rabbitmq.conf lines that make the nodes find each other through the headless Service.
 * `formationSize` is the member count the cluster first formed with: RabbitMQ imports the
 * definitions once that many members have joined, so declared quorum queues start with a replica
 * on each (with the default of 1, the first node imports them alone and they get one member).
 */
export function peerDiscoveryConf(names: ClusterNames, version: string, clusterDomain: string, formationSize: number): string[] {
    const lines = ["cluster_formation.peer_discovery_backend = k8s", `cluster_formation.target_cluster_size_hint = ${formationSize}`];
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
 * the connection URL carries the application user's password, and a client that forgets the scheme should
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

/**
 * The broker's Erlang arguments: schedulers for the CPU limit, distribution over TLS when asked
 * for, then the stack's own `erlangArgs` (last, so they can override the scheduler count).
 */
export function serverErlArgs(cluster: ClusterSettings): string {
    const schedulers = rabbitmqSchedulers(cluster);
    return [
        ...(schedulers !== undefined ? [`+S ${schedulers}:${schedulers}`] : []),
        ...(cluster.tls?.distribution === true ? [distributionErlArgs()] : []),
        ...(cluster.erlangArgs ? [cluster.erlangArgs] : []),
    ].join(" ");
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
export function renderRabbitmqConf(cluster: ClusterSettings, names: ClusterNames, clusterDomain: string, formationSize: number): string {
    const lines = [
        `cluster_name = ${cluster.name}`,
        ...peerDiscoveryConf(names, cluster.version, clusterDomain, formationSize),
        "cluster_partition_handling = pause_minority",
        // Quorum queues get a replica on every member again after a member joins, rejoins with an
        // empty disk or is replaced; members are only added, never removed by the broker itself.
        "quorum_queue.continuous_membership_reconciliation.enabled = true",
        `quorum_queue.continuous_membership_reconciliation.target_group_size = ${formationSize}`,
        "quorum_queue.continuous_membership_reconciliation.auto_remove = false",
        ...listenerConf(cluster),
        // The container's memory limit less headroom, not the node's RAM, is what the broker may use.
        `total_memory_available_override_value = ${rabbitmqMemoryBytes(cluster)}`,
        "vm_memory_high_watermark.relative = 0.6",
        `disk_free_limit.absolute = ${rabbitmqDiskFreeLimitBytes(cluster)}`,
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

/**
 * The preStop: wait until stopping this member keeps every quorum queue (and, on 3.13, every
 * mirrored classic queue) available, then move clients and leaders away. Each wait has its
 * share of the grace period (`rabbitmqStopBudget`); a wait that times out still lets the drain run.
 */
export function rabbitmqPreStop(cluster: ClusterSettings, grace: number): string[] {
    const budget = rabbitmqStopBudget(cluster, grace);
    const steps = [
        ...(budget.awaitQuorum > 0 ? [`rabbitmq-upgrade await_online_quorum_plus_one -t ${budget.awaitQuorum}`] : []),
        ...(budget.awaitMirrors > 0 ? [`rabbitmq-upgrade await_online_synchronized_mirror -t ${budget.awaitMirrors}`] : []),
        `rabbitmq-upgrade drain -t ${budget.drain}`,
    ];
    return ["sh", "-c", steps.join("; ")];
}

/**
 * @param formationSize members the cluster first formed with (the deployment record keeps it),
 * so that a scale changes no setting of the running members.
 */
export function rabbitmqProfile(cluster: ClusterSettings, names: ClusterNames, clusterDomain: string, formationSize: number = cluster.replicas): EngineProfile {
    const grace = cluster.terminationGracePeriodSeconds ?? 600;
    const tls = cluster.tls;
    const distribution = tls?.distribution === true;
    const erlArgs = serverErlArgs(cluster);
    const image = `${cluster.image ?? "rabbitmq"}:${cluster.version}-management`;
    const cliEnv = [
        ...podIdentityEnv(),
        { name: "RABBITMQ_USE_LONGNAME", value: "true" },
        { name: "RABBITMQ_NODENAME", value: nodeNameTemplate(names) },
        ...(distribution ? [{ name: "RABBITMQ_CTL_ERL_ARGS", value: distributionErlArgs() }] : []),
    ];
    return {
        image,
        uid: UID,
        sharedSecret: "erlang-cookie",
        adminUser: true,
        dataMountPath: `${HOME}/mnesia`,
        ports: rabbitmqPorts(cluster),
        configFiles: {
            [RABBITMQ_CONF]: renderRabbitmqConf(cluster, names, clusterDomain, formationSize),
            [ENABLED_PLUGINS]: renderEnabledPlugins(cluster),
            [SETUP_SCRIPT]: rabbitmqSetupScript(names, { home: HOME, cookieMount: COOKIE_MOUNT, sourceConfDir: `${CONFIG_DIR}/conf.d`, confDir: CONF_DIR, dataDir: `${HOME}/mnesia` }),
            ...(distribution ? { [DIST_OPTFILE]: renderDistOptFile() } : {}),
        },
        env: (n: ClusterNames) => [
            ...cliEnv,
            { name: "K8S_SERVICE_NAME", value: n.headlessService },
            { name: "RABBITMQ_CONFIG_FILES", value: CONF_DIR },
            { name: "RABBITMQ_ENABLED_PLUGINS_FILE", value: `${CONFIG_DIR}/${ENABLED_PLUGINS}` },
            ...(erlArgs ? [{ name: "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", value: erlArgs }] : []),
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
                                        { key: SETUP_SCRIPT, path: SETUP_SCRIPT },
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
                // Optional: absent until the cluster first formed (the record is written after the roll-out).
                { name: "deployment-record", configMap: { name: n.deploymentRecord, optional: true, items: [{ key: CLUSTER_FORMED_KEY, path: CLUSTER_FORMED_KEY }] } },
                ...(secrets.tls ? [tlsVolume(secrets.tls.name)] : []),
            ],
            mounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "erlang-home", mountPath: HOME },
                ...(secrets.tls ? [tlsMount()] : []),
            ],
            initContainers: [
                {
                    name: "setup",
                    image,
                    command: ["sh", `${CONFIG_DIR}/${SETUP_SCRIPT}`],
                    env: cliEnv,
                    securityContext: restrictedContainerSecurity(UID),
                    volumeMounts: [
                        { name: DATA_VOLUME, mountPath: `${HOME}/mnesia` },
                        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                        { name: "erlang-cookie", mountPath: COOKIE_MOUNT, readOnly: true },
                        { name: "erlang-home", mountPath: HOME },
                        { name: "deployment-record", mountPath: RECORD_MOUNT, readOnly: true },
                        ...(secrets.tls ? [tlsMount()] : []),
                    ],
                    // The CLI that asks a running member is an Erlang VM of its own.
                    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                },
            ],
        }),
        postDeploy: (n: ClusterNames, secrets: SecretRefs) => featureFlagsStep(cluster, n, secrets, image, cliEnv),
        readinessProbe: { tcpSocket: { port: tls ? "amqps" : "amqp" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        preStop: rabbitmqPreStop(cluster, grace),
        terminationGracePeriodSeconds: grace,
        metrics: { portName: "prometheus", path: "/metrics", perObjectPath: "/metrics/per-object", scheme: "http" },
        managementPort: tls ? "management-tls" : "management",
        managementScheme: tls ? "https" : "http",
        connection: tls ? { scheme: "amqps", portName: "amqps", path: "/%2F" } : { scheme: "amqp", portName: "amqp", path: "/%2F" },
    };
}

/**
 * After a deploy or an upgrade has rolled out, every member runs the same version: enable every
 * stable feature flag then (`enable_feature_flag all` skips experimental ones), as the next
 * series requires them (4.3 refuses to boot without the 4.2 flags, Khepri's among them). Asks the
 * members in turn, as any one of them enables a flag cluster-wide; the Job retries on failure,
 * and fails the update when a flag stays off (a member down during an upgrade).
 */
function featureFlagsStep(cluster: ClusterSettings, names: ClusterNames, secrets: SecretRefs, image: string, cliEnv: EnvVar[]): ReturnType<NonNullable<EngineProfile["postDeploy"]>> {
    const nodes = Array.from({ length: cluster.replicas }, (_, i) => names.nodeName(i));
    // Enabling needs every member of the cluster up, and after a scale-down the removed members
    // stay members until they are forgotten: so enable only when a flag is still off.
    const pending = `rabbitmqctl -q -l -n "$node" -t 60 list_feature_flags name state stability --no-table-headers | awk '$2 != "enabled" && $3 != "experimental" { print $1 }'`;
    const script = [
        `rm -f ${HOME}/.erlang.cookie && cp ${COOKIE_MOUNT}/cookie ${HOME}/.erlang.cookie && chmod 400 ${HOME}/.erlang.cookie`,
        `for node in ${nodes.join(" ")}; do`,
        `  off="$(${pending})" || continue`,
        `  if [ -z "$off" ]; then echo "every stable feature flag is enabled ($node)"; exit 0; fi`,
        `  echo "enabling: $off"`,
        `  if rabbitmqctl -q -l -n "$node" -t 120 enable_feature_flag all; then rabbitmqctl -q -l -n "$node" list_feature_flags name state stability; exit 0; fi`,
        "done",
        "exit 1",
    ].join("\n");
    const distribution = cluster.tls?.distribution === true;
    return {
        trigger: { version: cluster.version, nodes },
        deadlineSeconds: 900,
        container: {
            name: "enable-feature-flags",
            image,
            imagePullPolicy: "IfNotPresent",
            command: ["sh", "-c", script],
            // The pod is no member: only what the CLI needs of the members' environment.
            env: [...cliEnv.filter((e) => e.name === "RABBITMQ_USE_LONGNAME" || e.name === "RABBITMQ_CTL_ERL_ARGS"), { name: "HOME", value: HOME }],
            securityContext: restrictedContainerSecurity(UID),
            volumeMounts: [
                { name: "erlang-cookie", mountPath: COOKIE_MOUNT, readOnly: true },
                { name: "erlang-home", mountPath: HOME },
                ...(distribution ? [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }, tlsMount()] : []),
            ],
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
        },
        volumes: [
            { name: "erlang-cookie", secret: { secretName: secrets.cookie.name, defaultMode: 0o440, items: [{ key: secrets.cookie.key, path: "cookie" }] } },
            { name: "erlang-home", emptyDir: {} },
            ...(distribution && secrets.tls
                ? [{ name: "config", configMap: { name: secrets.config.name, defaultMode: 0o440, items: [{ key: DIST_OPTFILE, path: DIST_OPTFILE }] } }, tlsVolume(secrets.tls.name)]
                : []),
        ],
    };
}

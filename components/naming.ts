/**
 * The one place where every name derived from a broker cluster is computed.
 *
 * The headless Service, the StatefulSet's `serviceName`, the Erlang node-name suffix, the peer
 * discovery settings, the PVC names the StatefulSet controller will create and every label
 * selector must agree, or nodes fail with `nxdomain` / bind to the wrong volume. Builders never
 * format these strings themselves; they ask this module.
 */
import { createHash } from "crypto";

/** Broker engines this package knows how to cluster. */
export type BrokerEngine = "rabbitmq" | "emqx" | "redis" | "valkey" | "mongodb";

/** The fields that identify a broker cluster; everything else in this module derives from them. */
export interface ClusterIdentity {
    /** Kubernetes namespace the cluster lives in. */
    namespace: string;
    /** Cluster name (a DNS-1123 label); also the StatefulSet name. */
    name: string;
    /** Which broker runs in the cluster. */
    engine: BrokerEngine;
    /** Kubernetes cluster DNS domain, `cluster.local` unless the cluster was built otherwise. */
    clusterDomain: string;
}

/** The volumeClaimTemplate name of the broker data volume. */
export const DATA_VOLUME = "data";

/** Longest DNS-1123 label: pod hostnames and Service names may not exceed it. */
export const MAX_LABEL_LENGTH = 63;

/** Suffix of the headless (governing) Service name. */
export const HEADLESS_SUFFIX = "-headless";

/** Label keys; kept here so selectors and policies speak the same vocabulary. */
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const LABEL_VERSION = "app.kubernetes.io/version";
export const MANAGED_BY = "broker-platform";

/**
 * Annotation naming the stack (`<org>/<project>/<stack>`) that created an object which outlives
 * `pulumi destroy` (namespace, data volumes, deployment record). A later update of that stack
 * adopts the object; any other stack, or an object without it, is refused instead of taken over.
 */
export const OWNER_ANNOTATION = "broker-platform/stack";

/** Annotation of the deployment record holding what the day-2 guards compare against (JSON). */
export const RECORD_ANNOTATION = "broker-platform/deployment";

/** Characters of a content hash appended to the names of objects that are replaced on change. */
const REVISION_LENGTH = 10;
const POST_DEPLOY_SUFFIX = "-post-deploy";

/**
 * Erlang node-name prefix per engine (the part before `@`); none for Redis and MongoDB, whose
 * members go by their pod hostnames (`replica-announce-ip`, replica-set member hosts).
 */
const NODE_PREFIX: Record<BrokerEngine, string> = { rabbitmq: "rabbit", emqx: "emqx", redis: "", valkey: "", mongodb: "" };

/** Every derived name of one cluster. */
export interface ClusterNames {
    statefulSet: string;
    headlessService: string;
    clientService: string;
    /** Prefix of the broker configuration ConfigMap; see `revisioned`. */
    configMap: string;
    erlangCookieSecret: string;
    /** Redis: Secret of the generated password (`requirepass`, `masterauth`, Sentinel auth). */
    passwordSecret: string;
    /** MongoDB: Secret of the generated keyFile (internal authentication of the replica set members). */
    keyFileSecret: string;
    /** MongoDB: the replica set name (`--replSet`). */
    replicaSet: string;
    /** Redis: the name the Sentinels monitor the master under (`SENTINEL get-master-addr-by-name`). */
    sentinelMaster: string;
    adminSecret: string;
    /** RabbitMQ: Secret of the application user (`username`, `password`) that the connection URL carries. */
    appSecret: string;
    /** Prefix of the RabbitMQ definitions Secret; see `revisioned`. */
    definitionsSecret: string;
    /** EMQX: Secret with the generated MQTT client user's `username` and `password`, for applications. */
    mqttClientSecret: string;
    /** EMQX: prefix of the Secret EMQX loads that user from at boot (hashed); see `revisioned`. */
    mqttUsersSecret: string;
    /**
     * ConfigMap of the deployment record: what the stack last deployed (engine, version, members,
     * storage). Retained like the data, so the day-2 guards still know after a destroy.
     */
    deploymentRecord: string;
    serviceAccount: string;
    role: string;
    roleBinding: string;
    podDisruptionBudget: string;
    networkPolicy: string;
    serviceMonitor: string;
    ingress: string;
    /** cert-manager Certificate issued for the cluster, when TLS comes from cert-manager. */
    tlsCertificate: string;
    /** Secret the cert-manager Certificate writes (`tls.crt`, `tls.key`, `ca.crt`). */
    tlsSecret: string;
    /**
     * DNS names a broker certificate must cover: the client Service in every form a client in the
     * cluster may use, the headless zone, and every pod of it (one wildcard label, so scaling
     * never needs a new certificate).
     */
    certificateDnsNames: string[];
    /** Private StorageClass name for statically provisioned volumes (cluster-scoped, so namespaced). */
    staticStorageClass: string;
    /** `<headless>.<namespace>.svc.<domain>`: the DNS zone every pod's hostname lives in. */
    headlessDomain: string;
    /** `.<headlessDomain>`: what RabbitMQ's k8s plugin appends to each hostname. */
    hostnameSuffix: string;
    /** DNS name of the client Service. */
    clientServiceHost: string;
    /** Erlang node-name prefix (`rabbit`, `emqx`). */
    nodePrefix: string;
    /** Labels on the pods; also the StatefulSet/Service/PDB selector. Never change after creation. */
    selectorLabels: Record<string, string>;
    /** Labels on every object of the cluster (selector labels plus descriptive ones). */
    commonLabels: Record<string, string>;
    /**
     * Labels of the post-deploy Job's pod: the cluster's instance, never its selector labels (the
     * Services and the PDB must not count it as a member); the NetworkPolicy admits it to the peer ports.
     */
    postDeployLabels: Record<string, string>;
    /** Name of the post-deploy Job for this content (see `revisioned`), at most 63 characters (the Job's pod label). */
    postDeployJob(content: unknown): string;
    podName(ordinal: number): string;
    /** Fully qualified pod hostname: `<pod>.<headlessDomain>`. */
    podHost(ordinal: number): string;
    /**
     * Erlang node name of the pod with this ordinal, e.g. `rabbit@rmq-0.rmq-headless.ns.svc.cluster.local`;
     * for Redis the pod hostname itself, which every member announces.
     */
    nodeName(ordinal: number): string;
    /** Name of the PVC the StatefulSet controller creates for this ordinal. */
    dataClaim(ordinal: number): string;
    /** Name of the statically provisioned PV for this ordinal (PVs are cluster-scoped). */
    dataVolume(ordinal: number): string;
}

/** Derives every name of a cluster from its identity. Pure; cheap; call it anywhere. */
export function clusterNames(id: ClusterIdentity): ClusterNames {
    const { namespace, name, engine, clusterDomain } = id;
    const headlessService = `${name}${HEADLESS_SUFFIX}`;
    const headlessDomain = `${headlessService}.${namespace}.svc.${clusterDomain}`;
    const nodePrefix = NODE_PREFIX[engine];
    const selectorLabels = { [LABEL_NAME]: engine, [LABEL_INSTANCE]: name };
    const podName = (ordinal: number) => `${name}-${ordinal}`;
    const podHost = (ordinal: number) => `${podName(ordinal)}.${headlessDomain}`;
    return {
        statefulSet: name,
        headlessService,
        clientService: name,
        configMap: `${name}-config`,
        erlangCookieSecret: `${name}-erlang-cookie`,
        passwordSecret: `${name}-password`,
        sentinelMaster: name,
        keyFileSecret: `${name}-keyfile`,
        replicaSet: name,
        adminSecret: `${name}-admin`,
        appSecret: `${name}-app`,
        definitionsSecret: `${name}-definitions`,
        mqttClientSecret: `${name}-mqtt-client`,
        mqttUsersSecret: `${name}-mqtt-users`,
        deploymentRecord: `${name}-deployment`,
        serviceAccount: name,
        role: `${name}-peer-discovery`,
        roleBinding: `${name}-peer-discovery`,
        podDisruptionBudget: name,
        networkPolicy: name,
        serviceMonitor: name,
        ingress: `${name}-management`,
        tlsCertificate: `${name}-tls`,
        tlsSecret: `${name}-tls`,
        certificateDnsNames: [
            name,
            `${name}.${namespace}`,
            `${name}.${namespace}.svc`,
            `${name}.${namespace}.svc.${clusterDomain}`,
            headlessDomain,
            `*.${headlessDomain}`,
        ],
        staticStorageClass: `${namespace}-${name}-static`,
        headlessDomain,
        hostnameSuffix: `.${headlessDomain}`,
        clientServiceHost: `${name}.${namespace}.svc.${clusterDomain}`,
        nodePrefix,
        selectorLabels,
        commonLabels: {
            ...selectorLabels,
            [LABEL_COMPONENT]: "broker",
            [LABEL_PART_OF]: "broker-platform",
            [LABEL_MANAGED_BY]: MANAGED_BY,
        },
        postDeployLabels: { [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: "post-deploy", [LABEL_PART_OF]: "broker-platform", [LABEL_MANAGED_BY]: MANAGED_BY },
        postDeployJob: (content: unknown) => revisioned(`${name.slice(0, MAX_LABEL_LENGTH - POST_DEPLOY_SUFFIX.length - 1 - REVISION_LENGTH)}${POST_DEPLOY_SUFFIX}`, { name, content }),
        podName,
        podHost,
        nodeName: (ordinal: number) => (nodePrefix ? `${nodePrefix}@${podHost(ordinal)}` : podHost(ordinal)),
        dataClaim: (ordinal: number) => `${DATA_VOLUME}-${podName(ordinal)}`,
        dataVolume: (ordinal: number) => `${namespace}-${name}-${DATA_VOLUME}-${ordinal}`,
    };
}

/**
 * `<prefix>-<hash of content>`: the name of an object whose content changes by replacement (the
 * Kubernetes provider replaces ConfigMaps and Secrets when their data changes). A new name lets
 * the replacement be created first, the pods roll onto it, and the old object go last, so no
 * restarting pod ever finds its configuration missing.
 */
export function revisioned(prefix: string, content: unknown): string {
    return `${prefix}-${createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, REVISION_LENGTH)}`;
}

/**
 * Node name as a pod sees itself, with `$(POD_NAME)` for the kubelet to expand. The kubelet
 * resolves `$(VAR)` only for variables defined earlier in the same container's env list.
 */
export function nodeNameTemplate(names: ClusterNames): string {
    return names.nodePrefix ? `${names.nodePrefix}@${podHostTemplate(names)}` : podHostTemplate(names);
}

/** The pod's own fully qualified hostname as a pod sees it, with `$(POD_NAME)` for the kubelet to expand. */
export function podHostTemplate(names: ClusterNames): string {
    return `$(POD_NAME).${names.headlessDomain}`;
}

/**
 * The StatefulSet controller labels each revision `controller-revision-hash: <name>-<10 chars>`;
 * a label value may hold 63 characters, so a longer StatefulSet name cannot roll out.
 */
const REVISION_HASH_ROOM = 11;

/**
 * Longest name a cluster may have: pod hostnames `<name>-<maxOrdinal>`, the headless Service
 * and the controller's revision label must all stay valid DNS-1123 labels.
 */
export function maxClusterNameLength(maxReplicas: number): number {
    const ordinalDigits = String(Math.max(0, maxReplicas - 1)).length;
    return Math.min(
        MAX_LABEL_LENGTH - 1 - ordinalDigits,
        MAX_LABEL_LENGTH - HEADLESS_SUFFIX.length,
        MAX_LABEL_LENGTH - REVISION_HASH_ROOM,
    );
}

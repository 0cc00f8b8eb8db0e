import { z } from "zod";
import { BrokerEngine, clusterNames, maxClusterNameLength, MAX_LABEL_LENGTH } from "../naming";
import { isRedisFamily, redisFlavor } from "../engines/redis-flavor";
import { redisMemoryBudget, redisMinimumLimit, REDIS_MIN_MAXMEMORY } from "../engines/redis";
import { SUPPORTED_VERSIONS, compareVersions, isSupportedVersion, majorVersion } from "../engines/versions";
import {
    EMQX_ENV_KEY,
    EMQX_KEY_RULE,
    emqxEnvValueProblem,
    emqxOwnedKey,
    MOUNT_OPTION,
    qualifiedNameProblem,
    RABBITMQ_CONF_KEY,
    RABBITMQ_KEY_RULE,
    rabbitmqConfValueProblem,
    rabbitmqOwnedKey,
    shortStringProblem,
    singleLineProblem,
    STORAGE_PATH,
} from "./text";
import { serviceMonitorSchema } from "./monitoring";
import { networkPolicySchema } from "./network-policy";
import { tlsSchema } from "./tls";

/**
 * The stack-config schema. Every key a stack may set is declared here; anything else is a typo and
 * an error. Messages say what is allowed, because they are read by someone editing YAML.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes quantities with binary (Ki…Ei) or decimal (k…E) suffixes; `10GB` is not one. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const CPU_QUANTITY = /^([0-9]+(\.[0-9]+)?|[0-9]+m)$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;
const ERL_ARGS = /^[A-Za-z0-9 _+\-.:=/,@]+$/;

const dnsLabel = (what: string) =>
    z
        .string({ error: `${what} must be a string` })
        .max(MAX_LABEL_LENGTH, { error: `${what} must be at most ${MAX_LABEL_LENGTH} characters` })
        .regex(DNS_LABEL, {
            error: `${what} must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
        });

const quantity = (what: string) =>
    z.string({ error: `${what} must be a Kubernetes quantity string such as "10Gi"` }).regex(QUANTITY, {
        error: `${what} must be a Kubernetes quantity such as "512Mi" or "10Gi" (binary suffixes Ki, Mi, Gi, Ti; "GB" is not a unit Kubernetes knows)`,
    });

const cpuQuantity = z
    .string({ error: `CPU must be a string such as "500m" or "2"` })
    .regex(CPU_QUANTITY, { error: `CPU must be a quantity such as "250m", "1" or "1.5"` });

/** A string that passes a grammar check from ./text; the check's words follow the field's name. */
const checkedText = (what: string, problem: (text: string) => string | undefined) =>
    z.string({ error: `${what} must be a string` }).check((ctx) => {
        const found = problem(ctx.value);
        if (found) ctx.issues.push({ code: "custom", message: `${what} ${found}`, input: ctx.value });
    });

/** Free text of one line (names, patterns): no line breaks, control or bidirectional characters. */
const oneLine = (what: string) => checkedText(what, singleLineProblem).min(1, { error: `${what} must not be empty` });

/** A queue or exchange name; `amq.` names belong to the broker. */
const amqpName = (what: string) =>
    checkedText(what, shortStringProblem)
        .min(1, { error: `${what} must not be empty` })
        .refine((s) => !s.startsWith("amq."), { error: `${what} must not start with "amq.", which RabbitMQ reserves for its own objects` });

const absolutePath = (what: string) =>
    z
        .string({ error: `${what} must be a string` })
        .regex(/^\//, { error: `${what} must be an absolute path (start with '/')` })
        .refine((p) => !p.startsWith("/") || STORAGE_PATH.test(p), {
            error: `${what} must be an absolute path of letters, digits, '.', '_', '+' and '-' between single '/' (no blanks, quotes or control characters)`,
        })
        .refine((p) => !p.split("/").includes(".."), { error: `${what} must not contain '..'` })
        .transform((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));

const accessModes = z
    .array(z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]), {
        error: "accessModes must be a list of ReadWriteOnce, ReadWriteOncePod or ReadWriteMany",
    })
    .min(1, { error: "accessModes needs at least one mode" })
    .default(["ReadWriteOnce"]);

const reclaimPolicy = z
    .enum(["Retain", "Delete"], {
        error:
            "reclaimPolicy must be Retain (the default: data outlives its claim) or Delete; Recycle wipes the volume when its claim is released and is not allowed",
    })
    .default("Retain");

const storageCommon = {
    /** Size of each broker's data volume. */
    size: quantity("storage.size").default("8Gi"),
    accessModes,
};

const hostPathStorage = z.strictObject({
    mode: z.literal("hostPath"),
    /** Directory on the node under which each broker gets `<namespace>/<cluster>-<ordinal>`. */
    basePath: absolutePath("storage.basePath"),
    /** Node names; PV i is pinned to nodes[i], so the pod with ordinal i always runs where its data is. */
    nodes: z.array(dnsSubdomain("storage.nodes[]")).optional(),
    reclaimPolicy,
    /** Run a root init container that hands the directory to the broker's user (hostPath dirs start root-owned). */
    fixPermissions: z.boolean().default(true),
    ...storageCommon,
});

const nfsStorage = z.strictObject({
    mode: z.literal("nfs"),
    /** NFS server host name or IP address. */
    server: z
        .string({ error: "storage.server must be the NFS server's host name or IP address" })
        .min(1, { error: "storage.server must not be empty" })
        .regex(/^[A-Za-z0-9.:\-[\]]+$/, { error: "storage.server must be a host name or an IP address" }),
    /** Exported directory under which each broker gets `<namespace>/<cluster>-<ordinal>`. */
    basePath: absolutePath("storage.basePath"),
    reclaimPolicy,
    /** Mount options passed to the NFS client, e.g. ["nfsvers=4.1", "hard"]. */
    mountOptions: z
        .array(
            z.string({ error: "storage.mountOptions[] must be strings" }).regex(MOUNT_OPTION, {
                error: "storage.mountOptions[] holds one NFS option per entry, such as \"nfsvers=4.1\": letters, digits, '_', '.', '=', ':', '/', '+' and '-' (a ',' would add an option of its own)",
            }),
        )
        .default(["nfsvers=4.1", "hard"]),
    fixPermissions: z.boolean().default(true),
    ...storageCommon,
});

const classStorage = z.strictObject({
    mode: z.literal("storageClass"),
    /** An existing StorageClass with a dynamic provisioner. */
    className: dnsSubdomain("storage.className"),
    /** The class has `allowVolumeExpansion: true`: a size increase patches the existing claims. */
    allowVolumeExpansion: z.boolean().default(false),
    ...storageCommon,
});

function dnsSubdomain(what: string) {
    return z
        .string({ error: `${what} must be a string` })
        .max(253, { error: `${what} must be at most 253 characters` })
        .regex(DNS_SUBDOMAIN, { error: `${what} must be a DNS-1123 subdomain (lower-case, digits, '-' and '.')` });
}

export const storageSchema = z.discriminatedUnion("mode", [hostPathStorage, nfsStorage, classStorage], {
    error: "storage.mode must be one of hostPath, nfs, storageClass",
});

const resourcesSchema = z.strictObject({
    requests: z
        .strictObject({ cpu: cpuQuantity.default("500m"), memory: quantity("resources.requests.memory").default("1Gi") })
        .default({ cpu: "500m", memory: "1Gi" }),
    limits: z
        .strictObject({ cpu: cpuQuantity.optional(), memory: quantity("resources.limits.memory").default("1Gi") })
        .default({ memory: "1Gi" }),
});

const secretRef = z.strictObject({
    /** Name of an existing Secret in the cluster's namespace. */
    name: dnsSubdomain("existingSecret.name"),
    /** Key inside the Secret. */
    key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: "existingSecret.key must be a valid Secret key" }),
});

const vhost = oneLine("vhost").default("/");

/** Policy definitions and queue arguments go into the definitions JSON as they are: JSON values only. */
const jsonMap = (what: string) =>
    z.record(z.string(), z.unknown().refine(isJsonValue, { error: `${what} values must be JSON values (strings, finite numbers, booleans, null, lists, maps)` }));

/** Whether JSON.stringify writes the value as it is (no NaN turned null, no function dropped). */
function isJsonValue(value: unknown): boolean {
    if (value === null || typeof value === "string" || typeof value === "boolean") return true;
    if (typeof value === "number") return Number.isFinite(value);
    if (Array.isArray(value)) return value.every(isJsonValue);
    if (typeof value !== "object") return false;
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value as object).every(isJsonValue);
}

const rabbitPolicy = z.strictObject({
    name: oneLine("policy name"),
    vhost,
    pattern: oneLine("policy pattern"),
    "apply-to": z.enum(["queues", "exchanges", "all", "classic_queues", "quorum_queues", "streams"]).default("all"),
    definition: jsonMap("policy definition"),
    priority: z.int().default(0),
});

const definitionsSchema = z.strictObject({
    /** Virtual hosts to create at boot ("/" always exists). */
    vhosts: z.array(oneLine("vhost")).default(["/"]),
    /** Policies, e.g. a quorum-queue or message-TTL policy. */
    policies: z.array(rabbitPolicy).default([]),
    queues: z
        .array(
            z.strictObject({
                name: amqpName("queue name"),
                vhost,
                durable: z.boolean().default(true),
                arguments: jsonMap("queue arguments").default({ "x-queue-type": "quorum" }),
            }),
        )
        .default([]),
    exchanges: z
        .array(
            z.strictObject({
                name: amqpName("exchange name"),
                vhost,
                type: z.enum(["direct", "fanout", "topic", "headers"]).default("topic"),
                durable: z.boolean().default(true),
            }),
        )
        .default([]),
    bindings: z
        .array(
            z.strictObject({
                source: checkedText("binding source", shortStringProblem).min(1, { error: "binding source must not be empty" }),
                vhost,
                destination: checkedText("binding destination", shortStringProblem).min(1, { error: "binding destination must not be empty" }),
                destination_type: z.enum(["queue", "exchange"]).default("queue"),
                routing_key: checkedText("routing_key", shortStringProblem).default(""),
            }),
        )
        .default([]),
});

// ---- MQTT client authentication (EMQX) ----

/** First EMQX release whose built-in database authenticator loads users from a file at boot. */
export const EMQX_AUTHN_BOOTSTRAP_SINCE = "5.7.2";

const clientAuthSchema = z.strictObject({
    /**
     * `false` (default): a built-in database authenticator with one generated client user, so
     * only clients with credentials connect. `true`: no authenticator from this package; EMQX
     * then accepts every client unless extraConfig sets one up.
     */
    allowAnonymous: z.boolean({ error: "clientAuth.allowAnonymous must be true or false" }).default(false),
    /** Bump to generate a new client user on purpose (see Day-2 operations). */
    generation: z.int({ error: "clientAuth.generation must be a whole number >= 0" }).min(0, { error: "clientAuth.generation must be a whole number >= 0" }).default(0),
});

export type ClientAuthSettings = z.output<typeof clientAuthSchema>;

/** The cluster's client authentication with defaults applied; `undefined` for RabbitMQ. */
export function resolveClientAuth(c: { engine: BrokerEngine; clientAuth?: ClientAuthSettings }): ClientAuthSettings | undefined {
    return c.engine === "emqx" ? (c.clientAuth ?? { allowAnonymous: false, generation: 0 }) : undefined;
}

/** EMQX_* variables that would override the authenticator this package configures (index 1). */
function overridesManagedAuthenticator(key: string): boolean {
    return /^EMQX_AUTHENTICATION(__0*1(__|$)|$)/.test(key);
}

function clientAuthChecks(c: z.output<typeof clusterFields>, issue: Issue): void {
    if (isRedisFamily(c.engine) || c.engine === "mongodb") {
        const how = isRedisFamily(c.engine) ? `${redisFlavor(c.engine).label} clients use the generated password (see password)` : "MongoDB clients use the generated root user (see adminCredentials)";
        if (c.clientAuth !== undefined) issue(["clientAuth"], `clientAuth applies to EMQX only; ${how}`, c.clientAuth);
        return;
    }
    if (c.engine === "rabbitmq") {
        if (c.clientAuth !== undefined) {
            issue(["clientAuth"], "clientAuth applies to EMQX only; RabbitMQ has no anonymous access (no guest user exists) and its clients use the generated application user (appCredentials, the appSecret output)", c.clientAuth);
        }
        return;
    }
    const auth = resolveClientAuth(c)!;
    if (auth.allowAnonymous) return;
    if (compareVersions(c.version, EMQX_AUTHN_BOOTSTRAP_SINCE) < 0) {
        issue(["clientAuth", "allowAnonymous"], `EMQX ${c.version} cannot load the generated client user at boot (the built-in database's bootstrap_file arrived in ${EMQX_AUTHN_BOOTSTRAP_SINCE}); use version ${EMQX_AUTHN_BOOTSTRAP_SINCE} or later, or set clientAuth.allowAnonymous: true to keep EMQX accepting anonymous clients`, auth.allowAnonymous);
    }
    const clashing = Object.keys(c.extraConfig).filter(overridesManagedAuthenticator);
    if (clashing.length > 0) {
        issue(["extraConfig"], `${clashing.join(", ")} would change the client authenticator this package configures (authentication 1); add further authenticators from index 2 (EMQX_AUTHENTICATION__2__…), or set clientAuth.allowAnonymous: true and configure authentication yourself`, clashing);
    }
}

// ---- end of MQTT client authentication ----

const clusterFields = z.strictObject({
    /** Cluster name: the StatefulSet, the Services and every derived name start with it. */
    name: dnsLabel("name"),
    engine: z.enum(["rabbitmq", "emqx", "redis", "valkey", "mongodb"], { error: "engine must be rabbitmq, emqx, redis, valkey or mongodb" }),
    /** Exact broker version, e.g. "4.1.4" or "5.8.6"; the image tag is derived from it. */
    version: z.string({ error: "version must be a string such as \"4.1.4\"" }).regex(VERSION, {
        error: "version must be an exact version such as \"4.1.4\" (no 'latest', no ranges)",
    }),
    /** Image repository override (e.g. a registry mirror); the tag always comes from `version`. */
    image: z
        .string()
        .regex(/^[a-z0-9]+([._\-/:a-z0-9]*[a-z0-9])?$/, { error: "image must be a repository without a tag, e.g. registry.example.com/rabbitmq" })
        .refine((s) => !/:[^/]+$/.test(s) || /^[^/]+:[0-9]+\//.test(s), { error: "image must not carry a tag; set version instead" })
        .optional(),
    replicas: z
        .int({ error: "replicas must be a whole number" })
        .min(1, { error: "replicas must be at least 1" })
        .max(15, { error: "replicas must be at most 15 (Erlang clusters beyond that need a design review, not a config change)" })
        .default(3),
    /** EMQX only: `dns` (default, no API access) or `k8s` (queries the API for endpoints). */
    discovery: z.enum(["dns", "k8s"], { error: "discovery must be dns or k8s" }).optional(),
    /** Anti-affinity on kubernetes.io/hostname; defaults to required for hostPath, preferred otherwise. */
    antiAffinity: z.enum(["required", "preferred"], { error: "antiAffinity must be required or preferred" }).optional(),
    /** Per-cluster override of storage.size. */
    volumeSize: quantity("volumeSize").optional(),
    resources: resourcesSchema.default({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } }),
    service: z
        .strictObject({
            type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"], { error: "service.type must be ClusterIP, NodePort or LoadBalancer" }).default("ClusterIP"),
            annotations: z.record(z.string(), z.string({ error: "service.annotations values must be strings" })).check(annotationChecks).default({}),
        })
        .default({ type: "ClusterIP", annotations: {} }),
    /** Ingress for the management UI / dashboard. */
    ingress: z
        .strictObject({
            host: dnsSubdomain("ingress.host"),
            className: dnsSubdomain("ingress.className").optional(),
            tlsSecretName: dnsSubdomain("ingress.tlsSecretName").optional(),
        })
        .optional(),
    /** RabbitMQ only: plugins enabled in addition to management, prometheus and peer discovery. */
    plugins: z.array(z.string().regex(/^rabbitmq_[a-z0-9_]+$/, { error: "plugins entries are RabbitMQ plugin names such as rabbitmq_shovel" })).default([]),
    /** RabbitMQ only: definitions imported at boot. */
    definitions: definitionsSchema.optional(),
    /** Extra broker settings: rabbitmq.conf keys (RabbitMQ) or EMQX_* environment variables (EMQX). */
    extraConfig: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /**
     * The Erlang cookie: adopt an existing Secret (migrating a running cluster), or bump
     * `generation` to rotate the generated one on purpose (every member must then restart at once).
     */
    erlangCookie: z
        .strictObject({ existingSecret: secretRef.optional(), generation: z.int().min(0, { error: "generation must be a whole number >= 0" }).default(0) })
        .default({ generation: 0 }),
    /**
     * Redis only: the password every data node and Sentinel shares (`requirepass`, `masterauth`,
     * Sentinel auth). Adopt an existing Secret, or bump `generation` to rotate the generated one.
     */
    password: z
        .strictObject({ existingSecret: secretRef.optional(), generation: z.int().min(0, { error: "generation must be a whole number >= 0" }).default(0) })
        .optional(),
    /**
     * MongoDB only: the keyFile the replica set members authenticate each other with. Adopt an
     * existing Secret, or bump `generation` to rotate the generated one (every member at once).
     */
    keyFile: z
        .strictObject({ existingSecret: secretRef.optional(), generation: z.int().min(0, { error: "generation must be a whole number >= 0" }).default(0) })
        .optional(),
    /** EMQX only: MQTT client authentication (see `clientAuthSchema`); resolved by `resolveClientAuth`. */
    clientAuth: clientAuthSchema.optional(),
    /** Bump `generation` to generate new admin credentials on purpose (see Day-2 operations). */
    adminCredentials: z
        .strictObject({ generation: z.int().min(0, { error: "generation must be a whole number >= 0" }).default(0) })
        .default({ generation: 0 }),
    /**
     * RabbitMQ only: the application user the connection URL carries (permissions on the declared
     * vhosts, no management tag); bump `generation` to generate a new one on purpose.
     */
    appCredentials: z
        .strictObject({ generation: z.int().min(0, { error: "generation must be a whole number >= 0" }).default(0) })
        .default({ generation: 0 }),
    /**
     * RabbitMQ only: further Erlang runtime arguments (`RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS`), after
     * the scheduler count and TLS distribution's arguments, e.g. "+sbwt none +P 2000000".
     */
    erlangArgs: z
        .string({ error: "erlangArgs must be a string of Erlang emulator flags such as \"+sbwt none\"" })
        .regex(ERL_ARGS, { error: "erlangArgs must be Erlang emulator flags of letters, digits, blanks and + - _ . : = / , @ only (the start script splits them into words; quotes, '$' and shell characters would not reach the runtime as written)" })
        .optional(),
    /** Seconds a pod gets to drain before it is killed. */
    terminationGracePeriodSeconds: z.int().min(10).max(604800).optional(),
    /** Scale-down shrinks the Erlang cluster; refused unless set (see Day-2 operations). */
    allowScaleDown: z.boolean().default(false),
    /** Ingress isolation: Erlang distribution from the cluster's own pods only, the other ports from the listed peers. */
    networkPolicy: networkPolicySchema.optional(),
    /** A prometheus-operator ServiceMonitor for the broker's metrics. */
    serviceMonitor: serviceMonitorSchema.optional(),
    /** TLS listeners (AMQPS/MQTTS, HTTPS management) and optionally TLS between the nodes. */
    tls: tlsSchema.optional(),
});

export const clusterSchema = clusterFields.superRefine(clusterChecks);

const platformFields = z.strictObject({
        /** Namespace for every broker of this stack. */
        namespace: dnsLabel("namespace"),
        /** Create the namespace (true) or use one that already exists (false). */
        createNamespace: z.boolean({ error: "createNamespace must be true or false" }).default(true),
        /** Cluster DNS domain used in node names. */
        clusterDomain: dnsSubdomain("clusterDomain").default("cluster.local"),
        storage: storageSchema,
        /** Keep PVs and PVCs in Kubernetes when Pulumi deletes them (destroy, replacement). */
        retainDataOnDelete: z.boolean().default(true),
        clusters: z.array(clusterSchema, { error: "clusters must be a list of clusters" }).min(1, { error: "clusters needs at least one cluster" }),
});

export const platformSchema = platformFields.superRefine(crossFieldChecks);

export type PlatformConfigInput = z.input<typeof platformSchema>;
export type PlatformSettings = z.output<typeof platformSchema>;
export type ClusterSettings = PlatformSettings["clusters"][number];
export type StorageSettings = PlatformSettings["storage"];
export type DefinitionsSettings = z.output<typeof definitionsSchema>;

type Issue = (path: (string | number)[], message: string, input?: unknown) => void;

function issuesTo(ctx: z.RefinementCtx<unknown>): Issue {
    return (path, message, input) => ctx.addIssue({ code: "custom", path, message, input });
}

/** Rules within one cluster entry (paths are relative to the entry). */
function clusterChecks(c: z.output<typeof clusterFields>, ctx: z.RefinementCtx<unknown>): void {
    const issue = issuesTo(ctx);
    clientAuthChecks(c, issue);
    const maxLen = maxClusterNameLength(c.replicas);
    if (c.name.length > maxLen) {
        issue(["name"], `name is ${c.name.length} characters; with ${c.replicas} replicas it may have at most ${maxLen}, so that pod hostnames, the headless Service and the StatefulSet revision label stay within 63 characters`, c.name);
    }
    if (!isSupportedVersion(c.engine, c.version)) {
        issue(["version"], `${c.engine} ${c.version} is not supported; supported series: ${SUPPORTED_VERSIONS[c.engine].join(", ")}`, c.version);
    }
    if (c.engine !== "rabbitmq") {
        if (c.erlangArgs !== undefined) issue(["erlangArgs"], "erlangArgs applies to RabbitMQ only", c.erlangArgs);
        if (c.appCredentials.generation !== 0) issue(["appCredentials"], `appCredentials applies to RabbitMQ only; ${c.engine === "emqx" ? "bump clientAuth.generation for a new MQTT client user" : sharedSecretHint(c.engine)}`, c.appCredentials);
    }
    if (c.engine === "rabbitmq" && c.discovery !== undefined) {
        issue(["discovery"], "discovery applies to EMQX only; RabbitMQ always uses its Kubernetes peer discovery plugin", c.discovery);
    }
    if (isRedisFamily(c.engine) || c.engine === "mongodb") dataStoreChecks(c, issue);
    if (isRedisFamily(c.engine)) redisChecks(c, issue);
    if (!isRedisFamily(c.engine) && c.password !== undefined) issue(["password"], `password applies to Redis and Valkey only; ${sharedSecretHint(c.engine)}`, "{...}");
    if (c.engine !== "mongodb" && c.keyFile !== undefined) issue(["keyFile"], `keyFile applies to MongoDB only; ${sharedSecretHint(c.engine)}`, "{...}");
    if (c.engine === "emqx") {
        if (c.plugins.length > 0) issue(["plugins"], "plugins applies to RabbitMQ only", c.plugins);
        if (c.definitions) issue(["definitions"], "definitions applies to RabbitMQ only", "{...}");
        if (c.serviceMonitor?.perObjectMetrics !== undefined) issue(["serviceMonitor", "perObjectMetrics"], "perObjectMetrics applies to RabbitMQ only; EMQX has one metrics endpoint", c.serviceMonitor.perObjectMetrics);
    }
    if (c.engine === "rabbitmq" && c.definitions && majorVersion(c.version) >= 4) {
        // 4.x removed classic queue mirroring; an ha-* policy is refused by the broker at boot.
        c.definitions.policies.forEach((p, j) => {
            const haKeys = Object.keys(p.definition).filter((k) => k.startsWith("ha-"));
            if (haKeys.length > 0) {
                issue(["definitions", "policies", j, "definition"], `${haKeys.join(", ")} configure classic queue mirroring, which RabbitMQ 4 removed; use quorum queues ("x-queue-type": "quorum") instead`, p.definition);
            }
        });
    }
    for (const [key, value] of Object.entries(c.extraConfig)) {
        const problem = extraConfigProblem(c.engine, key, String(value));
        if (problem) issue(["extraConfig", key], problem, value);
    }
}

/** redis.conf directives this package writes itself (or that would hand out the server). */
const REDIS_OWNED: Record<string, string> = {
    port: "the data node listens on 6379, which the Services and Sentinels use",
    bind: "set by the start script",
    dir: "the per-ordinal data volume",
    requirepass: "the generated password, from its Secret",
    masterauth: "the generated password, from its Secret",
    primaryauth: "the generated password, from its Secret (Valkey's name for masterauth)",
    replicaof: "the start script finds or elects the master",
    slaveof: "the start script finds or elects the master",
    "replica-priority": "the start script sets it (0 while a cold start elects its master)",
    "slave-priority": "the start script sets it (0 while a cold start elects its master)",
    maxmemory: "derived from resources.limits.memory so that persistence fits (see the README's memory formula)",
    "client-output-buffer-limit": "replica buffers are part of the memory formula",
    "repl-backlog-size": "part of the memory formula",
    "replica-announce-ip": "the pod hostname from the naming module",
    "slave-announce-ip": "the pod hostname from the naming module",
    appendonly: "persistence is on",
    include: "configuration comes from this stack only",
    "rename-command": "Sentinel needs CONFIG, REPLICAOF and INFO under their own names",
    "protected-mode": "set by this package",
    user: "ACL users are not managed here",
    aclfile: "ACL users are not managed here",
};

/** Redis and Valkey: the memory formula must leave room for data. */
function redisChecks(c: z.output<typeof clusterFields>, issue: Issue): void {
    const budget = redisMemoryBudget(c.resources.limits.memory, c.replicas);
    if (budget.maxmemory < REDIS_MIN_MAXMEMORY) {
        issue(
            ["resources", "limits", "memory"],
            `${c.resources.limits.memory} leaves ${Math.floor(budget.maxmemory / 1048576)} MiB for data once the server, the replication backlog, ${c.replicas - 1} replica buffers and the fork of a snapshot are counted; ${c.replicas} members need at least ${redisMinimumLimit(c.replicas)}`,
            c.resources.limits.memory,
        );
    }
}

/** Where an engine's shared secret is configured. */
function sharedSecretHint(engine: string): string {
    if (isRedisFamily(engine)) return `${redisFlavor(engine).label} members share the password (see password)`;
    if (engine === "mongodb") return "MongoDB members share the keyFile (see keyFile)";
    return `${engine} members share the Erlang cookie (see erlangCookie)`;
}

/** Redis and MongoDB: the keys that belong to the Erlang brokers, or to features not offered for them. */
function dataStoreChecks(c: z.output<typeof clusterFields>, issue: Issue): void {
    const label = isRedisFamily(c.engine) ? redisFlavor(c.engine).label : "MongoDB";
    const notHere = (key: string, why: string, input: unknown) => issue([key], `${key} does not apply to ${label}: ${why}`, input);
    if (c.discovery !== undefined) notHere("discovery", "members find each other by the pods' DNS names", c.discovery);
    if (c.plugins.length > 0) notHere("plugins", "plugins are RabbitMQ plugins", c.plugins);
    if (c.definitions) notHere("definitions", "definitions are RabbitMQ definitions", "{...}");
    if (c.ingress) notHere("ingress", `${label} has no HTTP management UI`, c.ingress);
    if (c.serviceMonitor) notHere("serviceMonitor", `${label} has no Prometheus endpoint of its own (run an exporter)`, "{...}");
    if (c.tls) notHere("tls", `TLS for ${label} is not supported by this package yet; keep the cluster on a private network (networkPolicy)`, "{...}");
    if (c.erlangCookie.existingSecret || c.erlangCookie.generation !== 0) notHere("erlangCookie", `${sharedSecretHint(c.engine)}, not an Erlang cookie`, "{...}");
    if (isRedisFamily(c.engine) && c.adminCredentials.generation !== 0) notHere("adminCredentials", `${label} has no admin user; bump password.generation to rotate the password`, c.adminCredentials);
    if (c.engine === "mongodb" && c.adminCredentials.generation !== 0) {
        notHere("adminCredentials", "the root user is created once, when the replica set is initiated, and a new generation would not reach it; change its password with db.changeUserPassword on the primary instead", c.adminCredentials);
    }
    if (c.engine === "mongodb" && Object.keys(c.extraConfig).length > 0) notHere("extraConfig", "mongod settings are not configurable through this package yet", Object.keys(c.extraConfig));
}

/**
 * What is wrong with one extraConfig entry, or undefined. RabbitMQ writes `key = value` into
 * rabbitmq.conf, EMQX passes an environment variable that it reads as HOCON: the key must be one
 * key of that grammar, the value one value, and neither may touch what this package sets.
 */
function extraConfigProblem(engine: BrokerEngine, key: string, value: string): string | undefined {
    // MongoDB: refused as a whole by dataStoreChecks.
    if (engine === "mongodb") return undefined;
    if (isRedisFamily(engine)) {
        if (!/^[a-z][a-z0-9-]*$/.test(key)) return "the key is not a redis.conf / valkey.conf directive; a directive is lower-case letters, digits and '-', e.g. maxmemory-policy";
        if (key.startsWith("sentinel")) return `${key} is a Sentinel setting, which this package manages`;
        const owned = REDIS_OWNED[key];
        if (owned) return `${key} is managed by this package (${owned}); remove it from extraConfig`;
        const bad = singleLineProblem(value);
        if (bad) return `the value ${bad}`;
        if (/["'\\]/.test(value) || value.trim() === "") return "the value must be a non-empty redis.conf value without quotes or backslashes";
        return undefined;
    }
    if (engine === "rabbitmq") {
        if (!RABBITMQ_CONF_KEY.test(key)) return `the key is not a rabbitmq.conf key; ${RABBITMQ_KEY_RULE}`;
        const owned = rabbitmqOwnedKey(key);
        if (owned) return `${key} is managed by this package (${owned}); remove it from extraConfig`;
        const bad = rabbitmqConfValueProblem(value);
        return bad && `the value ${bad}`;
    }
    if (!EMQX_ENV_KEY.test(key)) return `the key is not an EMQX variable; ${EMQX_KEY_RULE}`;
    const owned = emqxOwnedKey(key);
    if (owned) return `${key} is managed by this package (${owned}); remove it from extraConfig`;
    const bad = emqxEnvValueProblem(value);
    return bad && `the value ${bad}`;
}

/** Annotation keys follow the Kubernetes grammar; values stay on one line. */
function annotationChecks(ctx: z.core.ParsePayload<Record<string, string>>): void {
    for (const [key, value] of Object.entries(ctx.value)) {
        const valueProblem = singleLineProblem(value);
        const problem = qualifiedNameProblem(key) ?? (valueProblem && `the value ${valueProblem}`);
        if (problem) ctx.issues.push({ code: "custom", path: [key], message: `service.annotations: ${problem}`, input: value });
    }
}

/** Rules across clusters or between a cluster and the stack's storage. */
function crossFieldChecks(cfg: z.output<typeof platformFields>, ctx: z.RefinementCtx<unknown>): void {
    const issue = issuesTo(ctx);
    const owners = new Map<string, string>();
    cfg.clusters.forEach((c, i) => {
        if (cfg.storage.mode === "hostPath" && c.antiAffinity === "preferred") {
            issue(["clusters", i, "antiAffinity"], "hostPath volumes live on one node each, so two brokers on one node would share a disk and a failure domain; antiAffinity must be required with storage.mode hostPath", c.antiAffinity);
        }
        if (cfg.storage.mode === "hostPath" && cfg.storage.nodes && cfg.storage.nodes.length < c.replicas) {
            issue(["storage", "nodes"], `cluster ${c.name} has ${c.replicas} replicas but only ${cfg.storage.nodes.length} nodes are listed; pin one distinct node per replica`, cfg.storage.nodes);
        }
        const names = clusterNames({ namespace: cfg.namespace, name: c.name, engine: c.engine, clusterDomain: cfg.clusterDomain });
        if (owners.get(names.statefulSet) === c.name) {
            issue(["clusters", i, "name"], `cluster name ${c.name} is used twice; cluster names must be unique`, c.name);
            return;
        }
        for (const derived of [names.statefulSet, names.headlessService, names.configMap, names.adminSecret, names.appSecret, names.erlangCookieSecret, names.passwordSecret, names.keyFileSecret, names.definitionsSecret, names.deploymentRecord, names.mqttClientSecret, names.mqttUsersSecret]) {
            const owner = owners.get(derived);
            if (owner !== undefined && owner !== c.name) {
                issue(["clusters", i, "name"], `name ${c.name} derives the object name ${derived}, which cluster ${owner} also uses; choose names that do not collide`, c.name);
            }
            owners.set(derived, c.name);
        }
    });
    if (cfg.storage.mode === "hostPath" && cfg.storage.nodes) {
        const nodes = cfg.storage.nodes;
        const dupes = nodes.filter((n, i) => nodes.indexOf(n) !== i);
        if (dupes.length > 0) {
            issue(["storage", "nodes"], `nodes must be distinct (repeated: ${[...new Set(dupes)].join(", ")}); two replicas pinned to one node cannot both schedule`, nodes);
        }
    }
}

/**
 * The Pulumi package schema of the component provider, derived from the stack-config schema
 * (zod, ./config/schema.ts) so that the inputs other languages see are the stack config's keys,
 * with the same names and nesting, and can never drift from what the validation accepts.
 *
 * Why not `@pulumi/pulumi/provider/experimental`'s inference: it reads TypeScript interfaces and
 * rejects unions, and the config has a discriminated union (`storage` by `mode`), a string |
 * number | boolean map (`extraConfig`) and free JSON (policy definitions, queue arguments).
 * Inference would need a second, hand-kept copy of the config as interfaces.
 *
 * The schema types every key; the zod schema still validates every value (patterns, allowed
 * values, cross-field rules) and reports bad input with the key it came from.
 */
import { z } from "zod";
import { platformSchema } from "../config/schema";

/** The package name: type tokens are `broker-platform:index:<Component>`, as in the TypeScript program. */
export const PACKAGE_NAME = "broker-platform";
export const PLATFORM_TYPE = `${PACKAGE_NAME}:index:BrokerPlatform`;
export const CLUSTER_TYPE = `${PACKAGE_NAME}:index:BrokerCluster`;

type JsonSchema = {
    type?: string | string[];
    properties?: Record<string, JsonSchema>;
    required?: string[];
    additionalProperties?: boolean | JsonSchema;
    items?: JsonSchema;
    oneOf?: JsonSchema[];
    anyOf?: JsonSchema[];
    enum?: unknown[];
    const?: unknown;
    default?: unknown;
};

/** A Pulumi schema property or type reference. */
export interface PropertySpec {
    type?: string;
    $ref?: string;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
    description?: string;
    secret?: boolean;
}

export interface ObjectTypeSpec {
    type: "object";
    description?: string;
    properties: Record<string, PropertySpec>;
    required?: string[];
}

const ANY: PropertySpec = { $ref: "pulumi.json#/Any" };

/** Upper-camel-case type name part from a key (`apply-to` → `ApplyTo`). */
function part(key: string): string {
    return key
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join("");
}

/** Name of a list's element type: `clusters` → `Cluster`, `policies` → `Policy`, `nodes` → `Node`. */
function singular(name: string): string {
    if (name.endsWith("ies")) return `${name.slice(0, -3)}y`;
    if (name.endsWith("ses") || name.endsWith("xes")) return name.slice(0, -2);
    if (name.endsWith("s")) return name.slice(0, -1);
    return `${name}Item`;
}

class SchemaBuilder {
    readonly types: Record<string, ObjectTypeSpec> = {};

    /** Converts a JSON Schema (zod's input side) to a Pulumi property spec; objects become named types. */
    property(s: JsonSchema, name: string): PropertySpec {
        const variants = s.oneOf ?? s.anyOf;
        if (variants) {
            if (variants.every((v) => v.type === "object" && v.properties)) return this.objectType(mergeVariants(variants), name);
            return ANY;
        }
        if (Array.isArray(s.type)) return ANY;
        const allowed = s.enum ? `One of: ${s.enum.join(", ")}.` : s.const !== undefined ? `Always ${String(s.const)}.` : undefined;
        switch (s.type) {
            case "string":
            case "boolean":
            case "integer":
            case "number":
                return { type: s.type, ...(allowed ? { description: allowed } : {}) };
            case "array":
                return { type: "array", items: s.items ? this.item(s.items, singular(name)) : ANY };
            case "object":
                if (s.properties) return this.objectType(s, name);
                if (s.additionalProperties && typeof s.additionalProperties === "object") {
                    return { type: "object", additionalProperties: this.item(s.additionalProperties, `${name}Value`) };
                }
                return ANY;
            default:
                return ANY;
        }
    }

    /** A list's or map's element type: Pulumi keeps no description there. */
    private item(s: JsonSchema, name: string): PropertySpec {
        const spec = this.property(s, name);
        delete spec.description;
        return spec;
    }

    private objectType(s: JsonSchema, name: string): PropertySpec {
        const token = `${PACKAGE_NAME}:index:${name}`;
        if (this.types[token]) throw new Error(`schema: two config objects map to the type name ${name}`);
        const properties: Record<string, PropertySpec> = {};
        // Registered before the properties so a nested name that collides is reported.
        const spec: ObjectTypeSpec = { type: "object", properties };
        this.types[token] = spec;
        for (const [key, value] of Object.entries(s.properties ?? {})) properties[key] = this.property(value, `${name}${part(key)}`);
        const required = (s.required ?? []).filter((k) => properties[k] && (s.properties?.[k]?.default === undefined));
        if (required.length > 0) spec.required = required;
        return { $ref: `#/types/${token}` };
    }
}

/**
 * One object type for a discriminated union: every variant's keys, required where every variant
 * requires them; the discriminator lists its values. The zod schema checks which keys each
 * variant takes.
 */
function mergeVariants(variants: JsonSchema[]): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const discriminators = new Map<string, unknown[]>();
    for (const v of variants) {
        for (const [key, p] of Object.entries(v.properties ?? {})) {
            if (p.const !== undefined) discriminators.set(key, [...(discriminators.get(key) ?? []), p.const]);
            properties[key] ??= p;
        }
    }
    for (const [key, values] of discriminators) properties[key] = { type: "string", enum: values };
    const required = Object.keys(properties).filter((k) => variants.every((v) => v.required?.includes(k)));
    return { type: "object", properties, required };
}

function jsonSchema(schema: z.ZodType): JsonSchema {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

const str = (description: string, secret = false): PropertySpec => ({ type: "string", description, ...(secret ? { secret: true } : {}) });

/** What each cluster exports, in both components (names match the TypeScript program's `clusters` output). */
export const CLUSTER_OUTPUTS: Record<string, PropertySpec> = {
    engine: str("rabbitmq, emqx, redis, valkey or mongodb."),
    version: str("Server version."),
    replicas: { type: "integer", description: "Members of the cluster." },
    clientService: str("Name of the client Service."),
    headlessService: str("Name of the headless (governing) Service: the StatefulSet's serviceName."),
    clientHost: str("DNS name of the client Service."),
    nodeNames: { type: "array", items: { type: "string" }, description: "Member names by ordinal: Erlang node names (RabbitMQ, EMQX), announced hosts (Redis), replica-set member hosts (MongoDB)." },
    managementUrl: str("RabbitMQ, EMQX: management UI / dashboard URL."),
    connectionUrl: str("A URL that connects, with credentials (secret); RabbitMQ: the application user's.", true),
    clientConnectionUrl: str("EMQX: MQTT URL of the generated client user (secret).", true),
    cookieSecret: str("RabbitMQ, EMQX: Secret holding the Erlang cookie."),
    adminSecret: str("Secret holding the admin credentials (MongoDB: the root user)."),
    appSecret: str("RabbitMQ: Secret of the application user that connectionUrl carries."),
    passwordSecret: str("Redis: Secret holding the shared password."),
    keyFileSecret: str("MongoDB: Secret holding the keyFile."),
    sentinels: { $ref: `#/types/${PACKAGE_NAME}:index:Sentinels`, description: "Redis: the Sentinel endpoints and the master name to ask them for." },
    clientSecret: str("EMQX with client authentication: Secret of the client user."),
    storageClass: str("StorageClass of the data claims."),
    claimTemplateSize: str("Size in the StatefulSet's claim template."),
    volumeSize: str("Size of each data volume."),
};

const CLUSTER_REQUIRED = ["engine", "version", "replicas", "clientService", "headlessService", "clientHost", "nodeNames", "connectionUrl"];

/**
 * The secret outputs. The platform exports them as top-level secret maps (`connectionUrls`,
 * `clientConnectionUrls`), not inside `clusters`: a secret nested in a map output reaches a Pulumi
 * YAML program as an empty object (the Go SDK marshals a plain map holding an Output so).
 */
export const SECRET_OUTPUTS = ["connectionUrl", "clientConnectionUrl"];

/** The package schema (`pulumi package get-schema`). */
export function packageSchema(version: string): Record<string, unknown> {
    const b = new SchemaBuilder();
    const platform = jsonSchema(platformSchema);
    const platformInputs: Record<string, PropertySpec> = {};
    // Top-level objects are named after their key (`storage` → `Storage`, `clusters` items → `Cluster`).
    for (const [key, value] of Object.entries(platform.properties ?? {})) platformInputs[key] = b.property(value, part(key));
    const platformRequired = (platform.required ?? []).filter((k) => platform.properties?.[k]?.default === undefined);

    const clusterInputs: Record<string, PropertySpec> = {};
    for (const key of ["namespace", "clusterDomain", "retainDataOnDelete"]) clusterInputs[key] = platformInputs[key];
    clusterInputs.storage = platformInputs.storage;
    clusterInputs.cluster = platformInputs.clusters.items!;

    b.types[`${PACKAGE_NAME}:index:Sentinels`] = {
        type: "object",
        description: "Where Redis clients find the master: ask any Sentinel for the master name.",
        properties: { endpoints: { type: "array", items: { type: "string" }, description: "Sentinels as host:port." }, masterName: str("The master name Sentinels monitor.") },
        required: ["endpoints", "masterName"],
    };
    b.types[`${PACKAGE_NAME}:index:ClusterOutputs`] = {
        type: "object",
        description: "What one cluster exports, but its connection URLs (the platform's `connectionUrls`).",
        properties: Object.fromEntries(Object.entries(CLUSTER_OUTPUTS).filter(([key]) => !SECRET_OUTPUTS.includes(key))),
        required: CLUSTER_REQUIRED.filter((key) => !SECRET_OUTPUTS.includes(key)),
    };
    const urls = (description: string): PropertySpec => ({ type: "object", additionalProperties: { type: "string" }, secret: true, description });
    return {
        name: PACKAGE_NAME,
        displayName: "broker-platform",
        version,
        description: "Clustered RabbitMQ and EMQX brokers on Kubernetes: the platform (namespace, storage, clusters) and single clusters.",
        language: { nodejs: { respectSchemaVersion: true }, python: { respectSchemaVersion: true } },
        resources: {
            [PLATFORM_TYPE]: {
                isComponent: true,
                description: "A stack's brokers: the namespace and every configured cluster. Inputs are the stack config's keys.",
                inputProperties: platformInputs,
                requiredInputs: platformRequired,
                properties: {
                    namespace: str("The namespace the brokers run in."),
                    clusters: { type: "object", additionalProperties: { $ref: `#/types/${PACKAGE_NAME}:index:ClusterOutputs` }, description: "Per cluster, by name." },
                    connectionUrls: urls("Per cluster name, a URL that connects, with credentials (secret)."),
                    clientConnectionUrls: urls("Per EMQX cluster name, the MQTT URL of its client user (secret)."),
                },
                required: ["namespace", "clusters", "connectionUrls", "clientConnectionUrls"],
            },
            [CLUSTER_TYPE]: {
                isComponent: true,
                description: "One clustered broker in an existing namespace; `cluster` is one entry of the stack config's `clusters`.",
                inputProperties: clusterInputs,
                requiredInputs: ["namespace", "storage", "cluster"],
                properties: CLUSTER_OUTPUTS,
                required: CLUSTER_REQUIRED,
            },
        },
        types: b.types,
    };
}

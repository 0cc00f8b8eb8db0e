import { PlatformConfigInput } from "../../components";

/** A small valid stack config; tests copy it and change one thing. */
export function baseConfig(overrides: Partial<PlatformConfigInput> = {}): PlatformConfigInput {
    return {
        namespace: "brokers",
        storage: { mode: "hostPath", basePath: "/data/brokers", size: "1Gi" },
        clusters: [{ name: "rmq", engine: "rabbitmq", version: "4.1.4", replicas: 3 }],
        ...overrides,
    };
}

export function rabbit(overrides: Record<string, unknown> = {}): any {
    return { name: "rmq", engine: "rabbitmq", version: "4.1.4", replicas: 3, ...overrides };
}

export function emqx(overrides: Record<string, unknown> = {}): any {
    return { name: "mqtt", engine: "emqx", version: "5.8.6", replicas: 3, ...overrides };
}

/** Finds one object of a kind (and name) among rendered objects, failing loudly if absent. */
export function find(objects: Array<Record<string, any>>, kind: string, name?: string): Record<string, any> {
    const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
    if (!hit) throw new Error(`no ${kind}${name ? `/${name}` : ""} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")}`);
    return hit;
}

export function all(objects: Array<Record<string, any>>, kind: string): Array<Record<string, any>> {
    return objects.filter((o) => o.kind === kind);
}

/** Env of the broker container as name → value (literal values only). */
export function literalEnv(sts: Record<string, any>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of sts.spec.template.spec.containers[0].env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    return env;
}

export function redis(overrides: Record<string, unknown> = {}): any {
    return { name: "cache", engine: "redis", version: "7.2.5", replicas: 3, ...overrides };
}

export function mongodb(overrides: Record<string, unknown> = {}): any {
    return { name: "docs", engine: "mongodb", version: "7.0.14", replicas: 3, ...overrides };
}

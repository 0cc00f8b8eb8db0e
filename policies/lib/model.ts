/**
 * The shared model every rule reads: an index of the input objects, the workloads with pod
 * templates, and the broker workloads among them with their resolved env and config files.
 * Built once per input set (cached by array identity), so rules stay pure functions of the objects.
 */
import { isConfFile, mountedFiles, MountedFile, parseConf } from "./conf";
import { allContainers, EnvVar, Lookup, resolveEnv, ResolvedEnv } from "./env";
import { K8sObject } from "./types";
import { annotationsOf, int, kindOf, labelsOf, namespaceOf, nameOf, path, rec, recs, str } from "./util";

/** `redis` is the Redis protocol family: Redis and Valkey (its open continuation) share every rule. */
export type Engine = "rabbitmq" | "emqx" | "redis" | "mongodb";

/** Engines whose members are Erlang nodes (cookie, distribution, node names, peer discovery). */
export function isErlang(engine: Engine): boolean {
    return engine === "rabbitmq" || engine === "emqx";
}

export interface Workload {
    object: K8sObject;
    kind: string;
    name: string;
    namespace: string;
    /** The pod template (`spec.template`), or the Pod itself. */
    template: Record<string, any>;
    podSpec: Record<string, any>;
    podLabels: Record<string, string>;
    /** Desired replicas (`spec.replicas`, 1 when absent or not a number). */
    replicas: number;
    /** `spec.replicas` was present but not an integer. */
    replicasInvalid: boolean;
}

export interface ConfValue {
    value: string;
    file: MountedFile;
}

export interface Broker extends Workload {
    engine: Engine;
    /** Whether the members are Erlang nodes; the Erlang-only rules skip the others. */
    erlang: boolean;
    /** `[major, minor, patch]` from the image tag, when the tag spells one. */
    version?: number[];
    image: string;
    container: Record<string, any>;
    env: ResolvedEnv;
    /** Config files mounted into the broker container. */
    files: MountedFile[];
    /** Merged `key = value` settings of the mounted config files. */
    conf: Map<string, ConfValue>;
    serviceAccount: string;
    /** `spec.serviceName` of a StatefulSet. */
    serviceName?: string;
}

export interface Model {
    objects: K8sObject[];
    lookup: Lookup;
    ofKind(kind: string): K8sObject[];
    /** Objects of a kind in one namespace (rules compare within a namespace, so no scan of all). */
    ofKindIn(kind: string, namespace: string): K8sObject[];
    /** PersistentVolumes by storage class (`""` for none). */
    pvsOfClass(storageClass: string): K8sObject[];
    workloads: Workload[];
    brokers: Broker[];
}

const WORKLOAD_KINDS = new Set(["StatefulSet", "Deployment", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod", "PetSet", "Job"]);

/** A PV's storage class: `spec.storageClassName`, else the beta annotation, else `""`. */
export function pvClass(pv: K8sObject): string {
    const sc = path(pv, "spec", "storageClassName");
    if (typeof sc === "string") return sc;
    return annotationsOf(pv)["volume.beta.kubernetes.io/storage-class"] ?? "";
}

export function workloadOf(o: K8sObject): Workload | undefined {
    const kind = kindOf(o);
    if (!WORKLOAD_KINDS.has(kind)) return undefined;
    let template: Record<string, any> | undefined;
    if (kind === "Pod") template = o;
    else template = rec(rec(o.spec)?.template);
    if (!template) return undefined;
    const podSpec = rec(template.spec) ?? {};
    const rawReplicas = rec(o.spec)?.replicas;
    const parsed = int(rawReplicas);
    let replicas = parsed ?? 1;
    if (kind === "Pod" || kind === "Job") replicas = 1;
    if (kind === "DaemonSet") replicas = 2;
    return {
        object: o,
        kind,
        name: nameOf(o),
        namespace: namespaceOf(o),
        template,
        podSpec,
        podLabels: labelsOf(template),
        replicas,
        replicasInvalid: rawReplicas !== undefined && rawReplicas !== null && parsed === undefined,
    };
}

/** `registry/org/name:tag@digest` → `{ name, tag }` (name is the last path segment). */
export function parseImage(image: string): { repo: string; name: string; tag?: string; digest?: string } {
    let rest = image.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    return { repo: rest, name: rest.slice(rest.lastIndexOf("/") + 1).toLowerCase(), tag, digest };
}

const NOT_A_BROKER = /exporter|operator|topology|perf|proxy|client|bench|bridge|sidecar|init|tools?$/;

export function engineFromImage(image: string): Engine | undefined {
    const { name } = parseImage(image);
    if (NOT_A_BROKER.test(name)) return undefined;
    if (/^rabbitmq([-_].*)?$/.test(name)) return "rabbitmq";
    if (/^emqx([-_].*)?$/.test(name) || name === "emqttd") return "emqx";
    // Redis and Valkey data nodes and Sentinels (bitnami/redis-sentinel, valkey/valkey); not redis-exporter (NOT_A_BROKER).
    if (/^(redis|valkey)([-_](server|sentinel|stack-server))?$/.test(name)) return "redis";
    if (/^(mongo|mongodb|mongodb-(community|enterprise)-server|percona-server-mongodb)$/.test(name)) return "mongodb";
    return undefined;
}

const RABBIT_ENV = ["RABBITMQ_NODENAME", "RABBITMQ_NODE_NAME", "RABBITMQ_ERLANG_COOKIE", "RABBITMQ_USE_LONGNAME", "RABBITMQ_MNESIA_BASE", "RABBITMQ_CONFIG_FILE"];
const EMQX_ENV = ["EMQX_NODE__NAME", "EMQX_NODE__COOKIE", "EMQX_CLUSTER__DISCOVERY", "EMQX_CLUSTER__DISCOVERY_STRATEGY", "EMQX_HOST", "EMQX_NAME", "EMQX_CLUSTER__K8S__SERVICE_NAME", "EMQX_CLUSTER__DNS__NAME"];

function portNumbers(c: Record<string, any>): Set<number> {
    const out = new Set<number>();
    for (const p of recs(c.ports)) {
        const n = int(p.containerPort);
        if (n !== undefined) out.add(n);
    }
    return out;
}

/** The container's command and args, as words (strings only). */
export function commandWords(c: Record<string, any>): string[] {
    return [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])].filter((w): w is string => typeof w === "string");
}

/** Scores how strongly a container looks like a broker of each engine. */
function engineEvidence(c: Record<string, any>, env: ResolvedEnv, files: MountedFile[]): { engine?: Engine; score: number } {
    const img = str(c.image) ?? "";
    const byImage = engineFromImage(img);
    const score: Record<Engine, number> = { rabbitmq: 0, emqx: 0, redis: 0, mongodb: 0 };
    if (byImage) score[byImage] += 3;
    if (RABBIT_ENV.some((n) => env.vars.has(n))) score.rabbitmq += 2;
    if (EMQX_ENV.some((n) => env.vars.has(n))) score.emqx += 2;
    const ports = portNumbers(c);
    if (ports.has(5672) && (ports.has(4369) || ports.has(25672) || ports.has(15672))) score.rabbitmq += 2;
    if (ports.has(1883) && (ports.has(18083) || ports.has(4370) || ports.has(5369))) score.emqx += 2;
    if (ports.has(6379) || ports.has(26379)) score.redis += 2;
    if (ports.has(27017) || commandWords(c).includes("mongod")) score.mongodb += 2;
    for (const f of files) {
        if (/rabbitmq\.conf$|\/rabbitmq\/conf\.d\//.test(f.path)) score.rabbitmq += 1;
        if (/emqx\.conf$|\/emqx\/etc\//.test(f.path)) score.emqx += 1;
        if (/(redis|valkey|sentinel)\.conf$/.test(f.path)) score.redis += 1;
    }
    // An exporter or operator image is never the broker, whatever env it carries.
    const { name } = parseImage(img);
    if (NOT_A_BROKER.test(name)) return { score: 0 };
    const engine: Engine = (["rabbitmq", "emqx", "redis", "mongodb"] as const).reduce((best, e) => (score[e] > score[best] ? e : best));
    return { engine: score[engine] >= 2 ? engine : undefined, score: score[engine] };
}

export function versionFromImage(image: string): number[] | undefined {
    const { tag } = parseImage(image);
    if (!tag) return undefined;
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
    if (!m) return undefined;
    return [parseInt(m[1], 10), parseInt(m[2], 10), m[3] ? parseInt(m[3], 10) : 0];
}

/** Compares a version to `[major, minor]`: true when `v` is older. */
export function olderThan(v: number[], major: number, minor: number): boolean {
    return v[0] < major || (v[0] === major && v[1] < minor);
}

function buildBroker(w: Workload, lookup: Lookup): Broker | undefined {
    let best: { c: Record<string, any>; engine: Engine; score: number; env: ResolvedEnv; files: MountedFile[] } | undefined;
    for (const c of recs(w.podSpec.containers)) {
        const env = resolveEnv(c, w.namespace, lookup);
        const files = mountedFiles(w.podSpec, c, w.namespace, lookup);
        const ev = engineEvidence(c, env, files);
        if (ev.engine && (!best || ev.score > best.score)) best = { c, engine: ev.engine, score: ev.score, env, files };
    }
    if (!best) return undefined;
    const conf = new Map<string, ConfValue>();
    const confFiles = best.files.filter((f) => isConfFile(f.path)).sort((a, b) => a.path.localeCompare(b.path));
    for (const f of confFiles) {
        for (const e of parseConf(f.text)) conf.set(e.key, { value: e.value, file: f });
    }
    const image = str(best.c.image) ?? "";
    const spec = rec(w.object.spec) ?? {};
    return {
        ...w,
        engine: best.engine,
        erlang: isErlang(best.engine),
        version: versionFromImage(image),
        image,
        container: best.c,
        env: best.env,
        files: best.files,
        conf,
        serviceAccount: str(w.podSpec.serviceAccountName) || str(w.podSpec.serviceAccount) || "default",
        serviceName: w.kind === "StatefulSet" || w.kind === "PetSet" ? str(spec.serviceName) : undefined,
    };
}

/** Set while the engine runs all rules over one input set; objects are not mutated meanwhile. */
let cache: WeakMap<K8sObject[], Model> | undefined;

/** Runs `fn` with the model of each input set built once and shared by every rule. */
export function withSharedModel<T>(fn: () => T): T {
    const outer = cache;
    cache = outer ?? new WeakMap();
    try {
        return fn();
    } finally {
        cache = outer;
    }
}

export function buildModel(objects: K8sObject[]): Model {
    const cached = cache?.get(objects);
    if (cached) return cached;
    const index = new Map<string, K8sObject>();
    const byKind = new Map<string, K8sObject[]>();
    const byKindNs = new Map<string, K8sObject[]>();
    const add = (into: Map<string, K8sObject[]>, key: string, o: K8sObject) => {
        const list = into.get(key);
        if (list) list.push(o);
        else into.set(key, [o]);
    };
    for (const o of objects) {
        if (!rec(o)) continue;
        const kind = kindOf(o);
        const kindNs = `${kind}/${namespaceOf(o)}`;
        const key = `${kindNs}/${nameOf(o)}`;
        if (!index.has(key)) index.set(key, o);
        add(byKind, kind, o);
        add(byKindNs, kindNs, o);
    }
    const byClass = new Map<string, K8sObject[]>();
    for (const pv of byKind.get("PersistentVolume") ?? []) add(byClass, pvClass(pv), pv);
    const lookup: Lookup = (kind, ns, name) => index.get(`${kind}/${kind === "PersistentVolume" || kind === "StorageClass" ? "" : ns}/${name}`);
    const workloads: Workload[] = [];
    for (const o of objects) {
        const w = rec(o) ? workloadOf(o) : undefined;
        if (w) workloads.push(w);
    }
    const brokers: Broker[] = [];
    for (const w of workloads) {
        const b = buildBroker(w, lookup);
        if (b) brokers.push(b);
    }
    const model: Model = {
        objects,
        lookup,
        ofKind: (k) => byKind.get(k) ?? [],
        ofKindIn: (k, ns) => byKindNs.get(`${k}/${ns}`) ?? [],
        pvsOfClass: (cls) => byClass.get(cls) ?? [],
        workloads,
        brokers,
    };
    cache?.set(objects, model);
    return model;
}

/** An env var of the broker container, if set. */
export function envVar(b: Broker, name: string): EnvVar | undefined {
    return b.env.vars.get(name);
}

/** All containers of the broker's pod (init and sidecars too). */
export function podContainers(w: Workload): Record<string, any>[] {
    return allContainers(w.podSpec);
}

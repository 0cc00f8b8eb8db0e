/**
 * The injection property: no stack config that validation accepts makes the package write a line,
 * a setting or a shell word it did not write itself. Configs are generated with adversarial text
 * (line breaks, '=', '#', quotes, `$(`, backticks, ';', U+2028/U+2029/U+0085, NUL) in every
 * free-text field; rejected ones must fail with a ConfigError of well-formed lines, accepted ones
 * are rendered with the pure builders and read back with the formats' own grammars.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
    ClusterSettings,
    clientServiceArgs,
    ConfigError,
    DEFAULT_DEFINITIONS,
    managementIngressArgs,
    parseSettings,
    PlatformSettings,
    persistentVolumeArgs,
    renderDefinitions,
    resolveCluster,
    statefulSetArgs,
} from "../../components";
import { effectiveConf, expandEnv, parseEnabledPlugins, parseRabbitmqConf, plainShellWords } from "./conf-parse";

const PROJECT = "broker-platform";

/** Fragments that end or hide a line for some reader. */
const BREAKING = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\u0000", "\t", "\u202e", "\ud800", "#", "${", "${node.cookie}", "..", " "];
/** Fragments that mean something to a shell, a config parser, JSON or HOCON, and are legal in some fields. */
const SHELLISH = ["=", " = ", '"', "'", "$(", "$(POD_NAME)", "$$", "`", ";", "&&", "|", "\\", "\\.", ",", "{", "}", "[", "]", "/", "é", "€", "*"];
const PLAIN = ["a", "b", "x1", "log", "console", "level", "info", "true", "10", "tcp", "default", "pass", "_", "-", ".", "v1", "MQTT", "LOG"];
/** Keys the package writes or owns, so generated keys collide with them. */
const RABBIT_KEYS = ["cluster_formation.peer_discovery_backend", "cluster_formation.k8s.host", "default_pass", "default_user", "default_user_tags.administrator", "default_users.ops.password", "definitions.local.path", "load_definitions", "loopback_users.guest", "cluster_name", "listeners.tcp.default", "management.tcp.port", "log.console.level", "vm_memory_high_watermark.relative", "log.file", "heartbeat"];
const EMQX_KEYS = ["EMQX_NODE__COOKIE", "EMQX_NODE__NAME", "EMQX_NODE", "EMQX_CLUSTER", "EMQX_CLUSTER__DISCOVERY_STRATEGY", "EMQX_DASHBOARD", "EMQX_DASHBOARD__DEFAULT_PASSWORD", "EMQX_HOST", "EMQX_NAME", "EMQX_MQTT__MAX_PACKET_SIZE", "EMQX_LOG__CONSOLE__LEVEL", "EMQX_NODE__PROCESS_LIMIT"];

const pieces = (pool: fc.Arbitrary<string>) => fc.array(pool, { minLength: 1, maxLength: 6 }).map((p) => p.join(""));
const plain = fc.constantFrom(...PLAIN);
/**
 * Text for any free-text field: mostly plain or with characters that are legal but meaningful
 * elsewhere (so that many configs are accepted and carry them), sometimes with line breakers,
 * sometimes any UTF-16 at all.
 */
const text = fc.oneof(
    { arbitrary: pieces(plain), weight: 12 },
    { arbitrary: pieces(fc.oneof({ arbitrary: plain, weight: 2 }, fc.constantFrom(...SHELLISH))), weight: 6 },
    { arbitrary: pieces(fc.oneof({ arbitrary: plain, weight: 2 }, fc.constantFrom(...BREAKING), fc.constantFrom(...SHELLISH))), weight: 1 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 12 }), weight: 1 },
);
/** A field with a strict grammar: mostly a valid value, sometimes any text. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid as fc.Arbitrary<T | string>, weight: 12 }, { arbitrary: text, weight: 1 });
const word = fc.array(fc.constantFrom(...PLAIN.filter((p) => p !== ".")), { minLength: 1, maxLength: 3 }).map((p) => p.join(""));
const rabbitKey = fc.oneof(
    { arbitrary: fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(".")), weight: 16 },
    { arbitrary: fc.constantFrom(...RABBIT_KEYS), weight: 2 },
    { arbitrary: fc.tuple(fc.constantFrom(...RABBIT_KEYS), text).map(([k, t]) => k + t), weight: 1 },
    { arbitrary: text, weight: 1 },
);
const emqxSegment = fc.array(fc.constantFrom("MQTT", "LOG", "MAX", "SIZE", "LISTENERS", "TCP", "NODE", "X1"), { minLength: 1, maxLength: 2 }).map((w) => w.join("_"));
const emqxKey = fc.oneof(
    { arbitrary: fc.array(emqxSegment, { minLength: 1, maxLength: 3 }).map((s) => `EMQX_${s.join("__")}`), weight: 16 },
    { arbitrary: fc.constantFrom(...EMQX_KEYS), weight: 2 },
    { arbitrary: text.map((t) => `EMQX_${t}`), weight: 1 },
);
const scalar = fc.oneof({ arbitrary: text, weight: 12 }, fc.integer(), fc.boolean(), fc.double());
const annotationKey = mostly(fc.constantFrom("example.com/owner", "service.beta.kubernetes.io/aws-load-balancer-internal", "team"));

const definitions = fc.record(
    {
        vhosts: fc.array(fc.oneof(fc.constant("/"), text), { maxLength: 2 }),
        policies: fc.array(fc.record({ name: text, vhost: fc.oneof(fc.constant("/"), text), pattern: text, definition: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }) }), { maxLength: 2 }),
        queues: fc.array(fc.record({ name: fc.oneof({ arbitrary: text, weight: 8 }, fc.constant("amq.q")), arguments: fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) }, { requiredKeys: ["name"] }), { maxLength: 2 }),
        exchanges: fc.array(fc.record({ name: text }), { maxLength: 1 }),
        bindings: fc.array(fc.record({ source: text, destination: text, routing_key: text }), { maxLength: 1 }),
    },
    { requiredKeys: [] },
);

function clusterArb(name: string) {
    const common = {
        replicas: fc.integer({ min: 1, max: 5 }),
        terminationGracePeriodSeconds: fc.integer({ min: 10, max: 900 }),
        service: fc.record({ annotations: fc.dictionary(annotationKey, text, { maxKeys: 2 }) }),
        ingress: fc.record({ host: fc.constant("mq.example.com"), className: mostly(fc.constant("nginx")) }, { requiredKeys: ["host"] }),
    };
    const rabbit = fc.record(
        {
            name: fc.constant(`${name}-rmq`),
            engine: fc.constant("rabbitmq"),
            version: fc.constantFrom("3.13.7", "4.0.9", "4.1.4", "4.2.0"),
            plugins: fc.array(mostly(fc.constantFrom("rabbitmq_shovel", "rabbitmq_federation")), { maxLength: 2 }),
            extraConfig: fc.dictionary(rabbitKey, scalar, { maxKeys: 4 }),
            definitions,
            ...common,
        },
        { requiredKeys: ["name", "engine", "version", "extraConfig"] },
    );
    const emqx = fc.record(
        {
            name: fc.constant(`${name}-mqtt`),
            engine: fc.constant("emqx"),
            version: fc.constantFrom("5.0.26", "5.8.6"),
            discovery: fc.constantFrom("dns", "k8s"),
            extraConfig: fc.dictionary(emqxKey, scalar, { maxKeys: 4 }),
            ...common,
        },
        { requiredKeys: ["name", "engine", "version", "extraConfig"] },
    );
    return fc.oneof(rabbit, emqx);
}

const path = fc.oneof({ arbitrary: fc.constant("/data/brokers"), weight: 6 }, text.map((t) => `/srv/${t}`));
const storage = fc.oneof(
    fc.record({ mode: fc.constant("hostPath"), basePath: path }),
    fc.record({ mode: fc.constant("nfs"), server: fc.constant("nfs.example.com"), basePath: path, mountOptions: fc.array(mostly(fc.constantFrom("nfsvers=4.1", "hard", "rsize=1048576")), { maxLength: 3 }) }),
    fc.record({ mode: fc.constant("storageClass"), className: fc.constant("fast-ssd") }),
);

/** A raw stack config as a stack file would give it (before validation). */
export const stackConfigArb = fc.record({
    namespace: fc.constant("brokers"),
    storage,
    clusters: fc.tuple(clusterArb("a"), fc.option(clusterArb("b"), { nil: undefined })).map(([a, b]) => (b ? [a, b] : [a])),
});

export type Verdict = "accepted" | "rejected";

/**
 * Validates one raw config and, if it is accepted, renders and reads back everything free text
 * reaches. Throws (a chai assertion) on any violation; returns what validation decided.
 */
export function checkConfig(raw: Record<string, unknown>): Verdict {
    let settings: PlatformSettings;
    try {
        settings = parseSettings(raw, PROJECT);
    } catch (e) {
        expect(e, "validation throws only ConfigError").to.be.instanceOf(ConfigError);
        // The message quotes the bad values; it must not gain lines of its own from them.
        for (const line of (e as Error).message.split("\n").slice(1)) expect(line).to.match(/^ {2}- broker-platform:[^\n]*$/u).and.not.match(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u);
        return "rejected";
    }
    for (const cluster of settings.clusters) checkCluster(settings, cluster);
    return "accepted";
}

/** The same cluster with every free-text field removed: what the package writes on its own. */
function skeleton(settings: PlatformSettings, cluster: ClusterSettings): { platform: PlatformSettings; cluster: ClusterSettings } {
    const bare: ClusterSettings = { ...cluster, extraConfig: {}, plugins: [], definitions: undefined, ingress: undefined, service: { ...cluster.service, annotations: {} } };
    const storage = settings.storage.mode === "storageClass" ? settings.storage : { ...settings.storage, basePath: "/skeleton" };
    return { platform: { ...settings, storage, clusters: [bare] }, cluster: bare };
}

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

function checkCluster(settings: PlatformSettings, cluster: ClusterSettings): void {
    const model = resolveCluster(settings, cluster);
    const bare = skeleton(settings, cluster);
    const bareModel = resolveCluster(bare.platform, bare.cluster);
    const extra = Object.entries(cluster.extraConfig).map(([k, v]) => [k, String(v)] as const);

    // Files: exactly the package's lines plus one line per extraConfig entry, each read back as given.
    for (const [file, content] of Object.entries(model.profile.configFiles)) expect(content, file).not.to.match(UNSAFE);
    if (cluster.engine === "rabbitmq") {
        const conf = model.profile.configFiles["rabbitmq.conf"];
        const own = parseRabbitmqConf(bareModel.profile.configFiles["rabbitmq.conf"]);
        const read = parseRabbitmqConf(conf);
        expect(conf.split("\n").length).to.equal(bareModel.profile.configFiles["rabbitmq.conf"].split("\n").length + extra.length);
        expect(read).to.deep.equal([...own, ...extra.map(([k, v]) => ({ key: k.split("."), value: v }))]);
        // What the package sets for clustering, identity, ports and definitions still holds.
        const effective = effectiveConf(read);
        for (const s of own) if (!TUNABLE.has(s.key.join("."))) expect(effective.get(s.key.join(".")), s.key.join(".")).to.equal(s.value);
        for (const [k] of extra) expect(k).not.to.match(/^(cluster_formation|definitions|loopback_users)(\.|$)|^default_|^load_definitions$/);
        expect(parseEnabledPlugins(model.profile.configFiles.enabled_plugins)).to.include.members([...cluster.plugins]);

        const defs = cluster.definitions ?? DEFAULT_DEFINITIONS;
        const json = JSON.parse(renderDefinitions(defs, { admin: { name: "admin", passwordHash: "hash" }, app: { name: "app", passwordHash: "hash" } }));
        // Compared with the declared values as JSON holds them: JSON has no -0, which fast-check's jsonValue generates.
        const asJson = <T>(v: T): T => JSON.parse(JSON.stringify(v));
        expect(json.policies).to.deep.equal(asJson(defs.policies));
        expect(json.queues.map((q: any) => [q.name, q.vhost, q.arguments])).to.deep.equal(asJson(defs.queues.map((q) => [q.name, q.vhost, q.arguments])));
        expect(json.bindings.map((b: any) => [b.source, b.destination, b.routing_key])).to.deep.equal(defs.bindings.map((b) => [b.source, b.destination, b.routing_key]));
        expect(json.users.map((u: any) => [u.name, u.tags])).to.deep.equal([["admin", ["administrator"]], ["app", []]]);
    }

    // Commands: the same words as without any free text, and only plain words.
    const sts = statefulSetArgs(model) as any;
    const bareSts = statefulSetArgs(bareModel) as any;
    expect(commands(sts)).to.deep.equal(commands(bareSts));
    for (const cmd of commands(sts)) if (cmd[0] === "sh" && cmd[1] === "-c") plainShellWords(cmd[2]);

    // Environment: the package's entries, then each extraConfig entry arriving exactly as given.
    const env = sts.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    const bareEnv = bareSts.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.slice(0, bareEnv.length)).to.deep.equal(bareEnv);
    expect(new Set(env.map((e) => e.name)).size, "env names are unique").to.equal(env.length);
    for (const e of env) if (e.value !== undefined) expect(e.value, e.name).not.to.match(UNSAFE);
    if (cluster.engine === "emqx") {
        const seen = expandEnv(env);
        expect(env.slice(bareEnv.length).map((e) => e.name)).to.deep.equal(extra.map(([k]) => k));
        for (const [k, v] of extra) expect(seen.get(k), k).to.equal(v);
        // EMQX reads each value as HOCON: no extra variable may set, or be a parent of, a path the package sets.
        const ownPaths = bareEnv.filter((e) => e.name.startsWith("EMQX_")).map((e) => hoconPath(e.name));
        for (const [k, v] of extra) {
            const p = hoconPath(k);
            for (const own of ownPaths) expect(own === p || own.startsWith(`${p}.`) || p.startsWith(`${own}.`), `${k} vs ${own}`).to.equal(false);
            expect(v, k).not.to.include("${");
        }
    }

    // Objects: annotations, ingress class and storage paths arrive as given and on one line.
    const service = clientServiceArgs(model) as any;
    const annotations = cluster.service.annotations;
    expect(service.metadata.annotations ?? {}).to.deep.equal(annotations);
    for (const [k, v] of Object.entries(annotations)) expect(k + v).not.to.match(UNSAFE).and.not.to.include("\n");
    const ingress = managementIngressArgs(model) as any;
    if (ingress?.spec.ingressClassName !== undefined) expect(ingress.spec.ingressClassName).to.match(/^[a-z0-9.-]+$/);
    if (model.staticVolumes) {
        const pv = persistentVolumeArgs(model, 0, "owner") as any;
        const where = pv.spec.hostPath?.path ?? pv.spec.nfs.path;
        expect(where).to.match(/^\/[A-Za-z0-9._+/-]*$/);
        for (const option of pv.spec.mountOptions ?? []) expect(option).not.to.match(/[,\s]/);
    }
}

/** rabbitmq.conf defaults that extraConfig may replace (a later line wins). */
const TUNABLE = new Set(["cluster_partition_handling", "total_memory_available_override_value", "vm_memory_high_watermark.relative", "disk_free_limit.absolute", "log.console", "log.file", "queue_master_locator"]);

function hoconPath(envName: string): string {
    return envName.slice("EMQX_".length).toLowerCase().split("__").join(".");
}

/** Every exec command of the pod: init containers, containers, lifecycle hooks and probes. */
function commands(sts: any): string[][] {
    const pod = sts.spec.template.spec;
    const out: string[][] = [];
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const cmd of [c.command, c.args, c.lifecycle?.preStop?.exec?.command, c.readinessProbe?.exec?.command, c.livenessProbe?.exec?.command]) {
            if (cmd) out.push(cmd);
        }
    }
    return out;
}

/** Runs the property `runs` times; returns how many configs were accepted and rejected. */
export function runInjectionProperty(runs: number, seed?: number): { accepted: number; rejected: number } {
    const counts = { accepted: 0, rejected: 0 };
    fc.assert(
        fc.property(stackConfigArb, (raw) => {
            counts[checkConfig(raw as Record<string, unknown>)]++;
        }),
        { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
    );
    return counts;
}

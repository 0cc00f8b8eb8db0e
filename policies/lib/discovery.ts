/**
 * What a broker uses to find its peers, read from env (kubelet-resolved) and mounted config files:
 * the discovery mechanism, whether it calls the Kubernetes API, and every setting that spells the
 * headless Service (node names, service names, DNS names, suffixes, namespaces).
 */
import { dataField, EnvVar } from "./env";
import { Broker, commandWords, olderThan } from "./model";
import { parseImage } from "./model";
import { FieldRef } from "./types";

export type RefKind = "node" | "host" | "service" | "rabbitSuffix" | "emqxSuffix" | "dnsName" | "namespace";

export interface NameRef {
    /** The setting, e.g. `RABBITMQ_NODENAME` or `cluster_formation.k8s.hostname_suffix (rabbitmq.conf)`. */
    setting: string;
    kind: RefKind;
    value: string;
    /** Not set anywhere: the broker's built-in default applies. */
    defaulted?: boolean;
    /** Where the setting is written: the env var, or the ConfigMap/Secret key holding the config file. */
    at?: FieldRef;
}

export interface Discovery {
    /** Normalised mechanism: k8s, dns, classic, static, manual, etcd, consul, mcast, …; undefined when none is configured. */
    mechanism?: string;
    /** The mechanism as written. */
    raw?: string;
    rawSetting?: string;
    /** Where the mechanism is written. */
    rawAt?: FieldRef;
    /** True when the mechanism was inferred from k8s settings rather than named. */
    inferred?: boolean;
    /** Discovery queries the Kubernetes API (RabbitMQ < 4.1 k8s backend, EMQX k8s). */
    callsApi: boolean;
    addressType?: string;
    refs: NameRef[];
    /** Node-name prefix (the part before `@`) and where it came from, EMQX `app_name` checks. */
    appName?: NameRef;
    nodePrefix?: string;
}

function fromEnv(b: Broker, name: string): EnvVar | undefined {
    return b.env.vars.get(name);
}

interface Setting {
    value: string;
    setting: string;
    at?: FieldRef;
}

function confValue(b: Broker, key: string): Setting | undefined {
    const c = b.conf.get(key);
    if (!c) return undefined;
    const file = c.file.path.slice(c.file.path.lastIndexOf("/") + 1);
    return { value: c.value, setting: `${key} (${file})`, at: dataField(c.file.source, c.file.key) };
}

function envSetting(b: Broker, name: string): Setting | undefined {
    const e = fromEnv(b, name);
    return e ? { value: e.value, setting: name, at: e.at } : undefined;
}

function ref(kind: RefKind, s: Setting): NameRef {
    return { setting: s.setting, kind, value: s.value, ...(s.at ? { at: s.at } : {}) };
}

/** A tag we treat as "the newest release" (no tag, `latest`, `management`, `alpine`). */
function isFloatingLatest(image: string): boolean {
    const { tag, digest } = parseImage(image);
    if (digest && !tag) return false;
    return tag === undefined || /^(latest|management|alpine|management-alpine)$/.test(tag);
}

/** Major-only tags (`3-management`) count as the newest minor of that major. */
function imageVersion(b: Broker): number[] | undefined {
    if (b.version) return b.version;
    const { tag } = parseImage(b.image);
    const m = tag ? /^v?(\d+)(?:$|[-_])/.exec(tag) : null;
    return m ? [parseInt(m[1], 10), 999, 0] : undefined;
}

export function rabbitCallsApi(b: Broker): boolean {
    const v = imageVersion(b);
    if (v) return olderThan(v, 4, 1);
    return !isFloatingLatest(b.image);
}

function normaliseRabbitBackend(raw: string): string {
    const s = raw.toLowerCase();
    if (s.includes("k8s") || s.includes("kubernetes")) return "k8s";
    if (s.includes("classic")) return "classic";
    if (s.includes("dns")) return "dns";
    if (s.includes("consul")) return "consul";
    if (s.includes("etcd")) return "etcd";
    if (s.includes("aws")) return "aws";
    return s;
}

export function discoveryOf(b: Broker): Discovery {
    if (b.engine === "redis" || b.engine === "mongodb") return memberHostDiscovery(b);
    return b.engine === "rabbitmq" ? rabbitDiscovery(b) : emqxDiscovery(b);
}

/** Env names under which a Redis pod spells the host name it announces. */
const REDIS_ANNOUNCE_ENV = /^(REDIS_|VALKEY_|MONGO_|MONGODB_)?(REPLICA_|SLAVE_|SENTINEL_)?(ANNOUNCE|ADVERTISED)_(IP|HOST|HOSTNAME)$/;
/** Directives of redis.conf / sentinel.conf whose value is a member's host. */
const REDIS_HOST_DIRECTIVE = /^\s*(replica-announce-ip|slave-announce-ip|sentinel\s+announce-ip|replicaof|slaveof|sentinel\s+monitor\s+\S+)\s+(\S+)/gm;

/**
 * Redis and Sentinel, MongoDB: no Erlang node names, but the host names every member announces
 * (`replica-announce-ip`, `sentinel announce-ip`) and the members' addresses in the files they
 * read (`replicaof`, `sentinel monitor`, and any `<statefulset>-<ordinal>.<subdomain>` name in a
 * mounted start script, such as MongoDB's replica-set member hosts) must live under the
 * governing Service. Values computed by a script at
 * run time (`$VAR`) are not followed. No Kubernetes API access.
 */
function memberHostDiscovery(b: Broker): Discovery {
    const refs: NameRef[] = [];
    for (const e of b.env.vars.values()) {
        if (REDIS_ANNOUNCE_ENV.test(e.name)) refs.push(ref("host", { value: e.value, setting: e.name, at: e.at }));
    }
    const podName = new RegExp(`(?:^|[^A-Za-z0-9.-])(${b.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+\\.[a-z0-9][a-z0-9.-]*[a-z0-9])`, "g");
    for (const f of b.files) {
        if (f.secret) continue;
        const file = f.path.slice(f.path.lastIndexOf("/") + 1);
        const at = dataField(f.source, f.key);
        const seen = new Set<string>();
        for (const m of f.text.matchAll(REDIS_HOST_DIRECTIVE)) {
            const value = m[2];
            if (/[$@]/.test(value) || /^[\d.]+$|^[0-9a-f:]+$/i.test(value) || seen.has(value)) continue;
            seen.add(value);
            refs.push(ref("host", { value, setting: `${m[1].replace(/\s+/g, " ")} (${file})`, at }));
        }
        for (const m of f.text.matchAll(podName)) {
            if (seen.has(m[1])) continue;
            seen.add(m[1]);
            refs.push(ref("host", { value: m[1], setting: `member host in ${file}`, at }));
        }
    }
    if (b.engine === "mongodb") {
        const replSet = commandWords(b.container).some((w) => /^--replSet(=|$)/.test(w)) || b.files.some((f) => /^\s*replSetName\s*:/m.test(f.text));
        return { mechanism: replSet ? "replica-set" : undefined, callsApi: false, refs };
    }
    const sentinel = b.files.some((f) => /sentinel/.test(f.path) || /^\s*sentinel\s+monitor\s/m.test(f.text));
    return { mechanism: sentinel ? "sentinel" : undefined, callsApi: false, refs };
}

function rabbitDiscovery(b: Broker): Discovery {
    const refs: NameRef[] = [];
    for (const n of ["RABBITMQ_NODENAME", "RABBITMQ_NODE_NAME"]) {
        const e = envSetting(b, n);
        if (e) refs.push(ref("node", e));
    }
    const envService = envSetting(b, "K8S_SERVICE_NAME");
    const confService = confValue(b, "cluster_formation.k8s.service_name");
    if (envService) refs.push(ref("service", envService));
    if (confService) refs.push(ref("service", confService));
    const envSuffix = envSetting(b, "K8S_HOSTNAME_SUFFIX");
    const confSuffix = confValue(b, "cluster_formation.k8s.hostname_suffix");
    if (envSuffix) refs.push(ref("rabbitSuffix", envSuffix));
    if (confSuffix) refs.push(ref("rabbitSuffix", confSuffix));

    const backend = confValue(b, "cluster_formation.peer_discovery_backend");
    let mechanism: string | undefined;
    let inferred = false;
    if (backend) mechanism = normaliseRabbitBackend(backend.value);
    else if (envService || envSuffix || [...b.conf.keys()].some((k) => k.startsWith("cluster_formation.k8s."))) {
        mechanism = "k8s";
        inferred = true;
    }
    const addressType = fromEnv(b, "K8S_ADDRESS_TYPE")?.value ?? confValue(b, "cluster_formation.k8s.address_type")?.value ?? (mechanism === "k8s" ? "ip" : undefined);
    const callsApi = mechanism === "k8s" && rabbitCallsApi(b);
    if (callsApi && !envService && !confService) {
        refs.push({ setting: "cluster_formation.k8s.service_name", kind: "service", value: "rabbitmq", defaulted: true });
    }
    return {
        mechanism,
        raw: backend?.value,
        rawSetting: backend?.setting,
        rawAt: backend?.at,
        inferred,
        callsApi,
        addressType,
        refs,
    };
}

const EMQX_KNOWN = new Set(["manual", "static", "mcast", "dns", "etcd", "k8s", "singleton"]);

function emqxDiscovery(b: Broker): Discovery {
    const refs: NameRef[] = [];
    const pick = (envName: string, confKey: string) => envSetting(b, envName) ?? confValue(b, confKey);
    const host = envSetting(b, "EMQX_HOST");
    if (host) refs.push(ref("host", host));
    const node = pick("EMQX_NODE__NAME", "node.name");
    if (node) refs.push(ref("node", node));
    const dnsName = pick("EMQX_CLUSTER__DNS__NAME", "cluster.dns.name");
    if (dnsName) refs.push(ref("dnsName", dnsName));
    const svc = pick("EMQX_CLUSTER__K8S__SERVICE_NAME", "cluster.k8s.service_name");
    if (svc) refs.push(ref("service", svc));
    const ns = pick("EMQX_CLUSTER__K8S__NAMESPACE", "cluster.k8s.namespace");
    if (ns) refs.push(ref("namespace", ns));
    const suffix = pick("EMQX_CLUSTER__K8S__SUFFIX", "cluster.k8s.suffix");
    if (suffix) refs.push(ref("emqxSuffix", suffix));

    const strategy =
        pick("EMQX_CLUSTER__DISCOVERY_STRATEGY", "cluster.discovery_strategy") ?? pick("EMQX_CLUSTER__DISCOVERY", "cluster.discovery");
    let mechanism = strategy?.value.trim().toLowerCase();
    if (mechanism === "kubernetes") mechanism = b.version && b.version[0] < 4 ? "k8s" : "kubernetes";
    const addressType = pick("EMQX_CLUSTER__K8S__ADDRESS_TYPE", "cluster.k8s.address_type")?.value ?? (mechanism === "k8s" ? "ip" : undefined);
    // `kubernetes` (EMQX 3 spelling) and k8s settings without a strategy still mean API discovery is intended.
    const apiServer = pick("EMQX_CLUSTER__K8S__APISERVER", "cluster.k8s.apiserver");
    const callsApi = mechanism === "k8s" || mechanism === "kubernetes" || (mechanism === undefined && (apiServer !== undefined || svc !== undefined));
    if (mechanism === "k8s" && !svc && (!b.version || b.version[0] < 5)) {
        refs.push({ setting: "cluster.k8s.service_name", kind: "service", value: "emqx", defaulted: true });
    }
    const app = pick("EMQX_CLUSTER__K8S__APP_NAME", "cluster.k8s.app_name");
    let nodePrefix: string | undefined;
    if (node && node.value.includes("@")) nodePrefix = node.value.slice(0, node.value.indexOf("@"));
    else if (fromEnv(b, "EMQX_NAME")) nodePrefix = fromEnv(b, "EMQX_NAME")!.value;
    return {
        mechanism,
        raw: strategy?.value,
        rawSetting: strategy?.setting,
        rawAt: strategy?.at,
        callsApi,
        addressType,
        refs,
        appName: app ? ref("node", app) : undefined,
        nodePrefix,
    };
}

export function isKnownEmqxStrategy(s: string): boolean {
    return EMQX_KNOWN.has(s);
}

/** The EMQX k8s settings present (keys), used to spot k8s config with another strategy. */
export function emqxK8sSettings(b: Broker): string[] {
    const out = [...b.env.vars.keys()].filter((k) => k.startsWith("EMQX_CLUSTER__K8S__"));
    for (const k of b.conf.keys()) if (k.startsWith("cluster.k8s.")) out.push(k);
    return out;
}

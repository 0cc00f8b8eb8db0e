/**
 * credentials: no passwords in ConfigMaps a broker uses (`default_pass`, `*.password`, `*_PASS`
 * keys, passwords in definitions.json) and no literal password env values in broker pods.
 * ConfigMaps are readable by anyone with `get configmaps` and end up in logs and Git; use a Secret.
 * Advisory: a Secret a broker reads as a password or shared secret that holds a guessable value.
 */
import { allContainers, dataField, hasRuntimePart, objectData, resolveEnv } from "../lib/env";
import { parseConf } from "../lib/conf";
import { Broker, buildModel, commandWords, Model } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { Finding, K8sObject } from "../lib/types";
import { nameOf, namespaceOf, rec, recs, str } from "../lib/util";

const SECRET_ENV = /(^|_)(PASS|PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY)$/i;
const SECRET_CONF_KEY = /(^|[._])(default_pass|pass|password|passwd|secret|secret_key|api_key)$/i;
const IGNORED_VALUE = /^\s*$|^\$\{.*\}$|^\$\(.*\)$/;
/**
 * Switches whose names end like a credential (Bitnami's `RABBITMQ_SECURE_PASSWORD: "yes"`,
 * `*_PASSWORD_ENABLED`-style flags) and file paths: no secret is disclosed by these values.
 */
const NOT_A_SECRET_VALUE = /^\s*(yes|no|true|false|on|off|enabled?|disabled?|0|1)\s*$|^\/[^\s]*$/i;
/**
 * Placeholder that Bitnami's RabbitMQ image overwrites with `RABBITMQ_PASSWORD` at boot; only a
 * placeholder when that password env itself comes from a Secret.
 */
const BOOT_PLACEHOLDER = "CHANGEME";
/** The stable/redis-ha chart's placeholder, which its init script replaces with the Secret's `auth`. */
const REDIS_BOOT_PLACEHOLDER = "replace-default-auth";
/** redis.conf / sentinel.conf directives whose value is the password (Redis' shared secret). */
const REDIS_SECRET_DIRECTIVE = /^[ \t]*(requirepass|masterauth|primaryauth|sentinel[ \t]+auth-pass[ \t]+\S+|sentinel[ \t]+sentinel-pass)[ \t]+(\S+)/gm;
/** The same on a command line: `redis-server --requirepass secret`. */
const REDIS_SECRET_FLAG = /--(requirepass|masterauth|primaryauth)[ =]+(\S+)/g;

/** Env names whose value is a password or shared secret (Redis AUTH); Erlang cookies are the erlang-cookie rule's. */
const SHARED_SECRET_ENV = /(^|_)(PASS|PASSWORD|PASSWD|AUTH|SECRET)$/i;
/** Below this, or with fewer distinct characters than this, a secret is guessable. */
const MIN_SECRET_LENGTH = 16;
const MIN_DISTINCT_CHARACTERS = 4;

/**
 * Advisory: a Secret among the inputs that a broker reads as a password or shared secret, holding
 * a short or repetitive value (a chart's `redisPassword: aaaaaa`). Being in a Secret keeps it out
 * of ConfigMaps, not out of reach of anyone who guesses it.
 */
function scanWeakSecrets(b: Broker, model: Model): Finding[] {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const c of allContainers(b.podSpec)) {
        for (const e of recs(c.env)) {
            const ref = rec(rec(e.valueFrom)?.secretKeyRef);
            const envName = str(e.name);
            const secretName = str(ref?.name);
            const key = str(ref?.key);
            if (!envName || !secretName || !key || !SHARED_SECRET_ENV.test(envName) || /_FILE$/.test(envName)) continue;
            const secret = model.lookup("Secret", b.namespace, secretName);
            const value = secret ? objectData(secret)[key] : undefined;
            if (value === undefined || value.length === 0 || seen.has(`${secretName}/${key}`)) continue;
            const distinct = new Set(value).size;
            if (value.length >= MIN_SECRET_LENGTH && distinct >= MIN_DISTINCT_CHARACTERS) continue;
            seen.add(`${secretName}/${key}`);
            const what = value.length < MIN_SECRET_LENGTH ? `${value.length} character${value.length === 1 ? "" : "s"}` : `${value.length} characters of only ${distinct} distinct`;
            out.push(
                finding(
                    secret!,
                    `Secret ${secretName} key ${key}, which ${b.name} reads as ${envName} (container ${str(c.name) ?? "?"}), holds a guessable value (${what}): a password or shared secret needs at least ${MIN_SECRET_LENGTH} random characters; generate it`,
                    true,
                    dataField(secret!, key),
                ),
            );
        }
    }
    return out;
}

/** ConfigMaps a broker reads: mounted, envFrom'd or referenced by configMapKeyRef. */
function configMapsOf(b: Broker, model: Model): Set<K8sObject> {
    const out = new Set<K8sObject>();
    const add = (name: string | undefined) => {
        const cm = name ? model.lookup("ConfigMap", b.namespace, name) : undefined;
        if (cm) out.add(cm);
    };
    for (const v of recs(b.podSpec.volumes)) {
        add(str(rec(v.configMap)?.name));
        for (const s of recs(rec(v.projected)?.sources)) add(str(rec(s.configMap)?.name));
    }
    for (const c of allContainers(b.podSpec)) {
        for (const ef of recs(c.envFrom)) add(str(rec(ef.configMapRef)?.name));
        for (const e of recs(c.env)) add(str(rec(rec(e.valueFrom)?.configMapKeyRef)?.name));
    }
    return out;
}

/** ConfigMaps that are broker configuration even when no workload among the inputs mounts them. */
function looksLikeBrokerConfig(cm: K8sObject): boolean {
    return Object.keys(objectData(cm)).some((k) => /^(rabbitmq\.conf|rabbitmq-env\.conf|emqx\.conf|definitions\.json|redis\.conf|sentinel\.conf)$|^EMQX_|^RABBITMQ_/.test(k));
}

/** Whether a value is something other than a secret (empty, a `${…}`/`$(…)` reference, a flag, a path). */
function notASecret(value: string): boolean {
    return IGNORED_VALUE.test(value) || NOT_A_SECRET_VALUE.test(value);
}

/** The broker container's password env comes from a Secret (what a boot-time placeholder is replaced with). */
function passwordFromSecret(b: Broker): boolean {
    return [...b.env.vars.values()].some((v) => /(^|_)(PASS|PASSWORD|AUTH)$/.test(v.name) && (v.source === "secretKeyRef" || v.source === "secretEnvFrom"));
}

function scanConfigMap(cm: K8sObject, placeholderReplaced: boolean): Finding[] {
    const out: Finding[] = [];
    const name = nameOf(cm);
    for (const [key, text] of Object.entries(objectData(cm))) {
        if (KEYFILE_KEY.test(key) && text.trim().length >= 6) {
            out.push(finding(cm, `ConfigMap ${name} holds a keyFile in key ${key}: the replica set members' shared secret; move it to a Secret`, false, dataField(cm, key)));
            continue;
        }
        if (SECRET_ENV.test(key) && !/_FILE$/.test(key) && !notASecret(text)) {
            out.push(finding(cm, `ConfigMap ${name} holds a credential in key ${key}; move it to a Secret`, false, dataField(cm, key)));
            continue;
        }
        if (/\.json$/.test(key)) {
            if (/"password"\s*:\s*"[^"]+"/.test(text)) out.push(finding(cm, `ConfigMap ${name} key ${key} contains user passwords (definitions); load definitions from a Secret`, false, dataField(cm, key)));
            continue;
        }
        for (const m of text.matchAll(REDIS_SECRET_DIRECTIVE)) {
            const value = m[2].replace(/^["']|["']$/g, "");
            if (notASecret(value) || value.includes("$") || (placeholderReplaced && value === REDIS_BOOT_PLACEHOLDER)) continue;
            const line = text.slice(0, m.index).split("\n").length;
            out.push(finding(cm, `ConfigMap ${name} key ${key} line ${line} sets ${m[1].replace(/[ \t]+/g, " ")} in clear text: the Redis password opens every data node and Sentinel; write it from a Secret at start`, false, dataField(cm, key)));
        }
        for (const e of parseConf(text)) {
            if (!SECRET_CONF_KEY.test(e.key) || notASecret(e.value)) continue;
            if (placeholderReplaced && e.value === BOOT_PLACEHOLDER) continue;
            out.push(finding(cm, `ConfigMap ${name} key ${key} line ${e.line} sets ${e.key} in clear text; put this file in a Secret (or use a password hash / env from a Secret)`, false, dataField(cm, key)));
        }
    }
    return out;
}

/** A ConfigMap key that holds a MongoDB keyFile (`keyfile`, `mongodb-keyfile`, `key.file`). */
const KEYFILE_KEY = /(^|[-_.])key[-_.]?file$/i;

/** The mount of the container whose path holds `file` (the longest such mount). */
function mountHolding(c: Record<string, any>, file: string): Record<string, any> | undefined {
    let best: Record<string, any> | undefined;
    for (const m of recs(c.volumeMounts)) {
        const at = (str(m.mountPath) ?? "").replace(/\/+$/, "");
        if (at && (file === at || file.startsWith(`${at}/`)) && (!best || at.length > String(best.mountPath).length)) best = m;
    }
    return best;
}

/**
 * MongoDB's shared secret: the keyFile members authenticate each other with (`--keyFile`,
 * `security.keyFile`). A replica set without it (or x509 member authentication) runs with access
 * control off; a keyFile must come from a Secret, directly or copied by an init container from a
 * Secret into an emptyDir (mongod wants mode 0400, which a Secret mount does not give its user).
 */
function scanKeyFile(b: Broker): Finding[] {
    const words = commandWords(b.container);
    const flag = (name: string) => {
        const i = words.findIndex((w) => w === `--${name}` || w.startsWith(`--${name}=`));
        if (i < 0) return undefined;
        return words[i].includes("=") ? words[i].slice(words[i].indexOf("=") + 1) : words[i + 1];
    };
    if (/x509/i.test(flag("clusterAuthMode") ?? "")) return [];
    const fromConf = b.files.map((f) => /^\s*keyFile\s*:\s*["']?([^"'\s]+)/m.exec(f.text)?.[1]).find((v) => v !== undefined);
    const keyFile = flag("keyFile") ?? fromConf;
    const replicaSet = words.some((w) => /^--replSet(=|$)/.test(w)) || b.files.some((f) => /^\s*replSetName\s*:/m.test(f.text));
    if (!keyFile) {
        if (!replicaSet || b.replicas < 2 || words.length === 0) return [];
        return [finding(b.object, `${b.name} runs a MongoDB replica set of ${b.replicas} without --keyFile (or x509 member authentication): access control is off, so anyone who reaches port 27017 reads, writes and reconfigures the set; give the members a keyFile from a Secret`, false, fieldOf(b.container, "command") ?? fieldOf(b.container, "args"))];
    }
    if (keyFile.includes("$")) return [];
    const mount = mountHolding(b.container, keyFile);
    const volume = mount ? recs(b.podSpec.volumes).find((v) => v.name === mount.name) : undefined;
    if (!volume) return [];
    if (rec(volume.secret)) return [];
    const projected = recs(rec(volume.projected)?.sources);
    if (projected.length > 0 && projected.every((src) => rec(src.secret))) return [];
    if (rec(volume.configMap) || projected.some((src) => rec(src.configMap))) {
        const cm = str(rec(volume.configMap)?.name) ?? projected.map((src) => str(rec(src.configMap)?.name)).find(Boolean);
        return [finding(b.object, `--keyFile ${keyFile} is read from ConfigMap ${cm ?? "?"}: the members' shared secret is readable by anyone who may get configmaps, and lands in Git; put it in a Secret`, false, fieldOf(b.container, "command") ?? fieldOf(b.container, "args"))];
    }
    if (rec(volume.emptyDir) !== undefined || volume.emptyDir === null) {
        const secretVolumes = new Set(recs(b.podSpec.volumes).filter((v) => rec(v.secret)).map((v) => v.name));
        const filled = recs(b.podSpec.initContainers).some((c) => {
            const names = recs(c.volumeMounts).map((m) => m.name);
            return names.includes(mount!.name) && names.some((n) => secretVolumes.has(n));
        });
        if (filled) return [];
    }
    return [finding(b.object, `--keyFile ${keyFile} is on volume ${String(mount!.name)}, which is no Secret and which no init container fills from one: the members' shared secret comes from somewhere anyone with the node or the image can read`, false, fieldOf(b.container, "command") ?? fieldOf(b.container, "args"))];
}

function scanEnv(b: Broker, model: Model): Finding[] {
    const out: Finding[] = [];
    for (const c of allContainers(b.podSpec)) {
        if (b.engine === "redis") {
            const words = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])].filter((w): w is string => typeof w === "string");
            for (const m of words.join(" ").matchAll(REDIS_SECRET_FLAG)) {
                if (m[2].startsWith("$") || notASecret(m[2])) continue;
                out.push(finding(b.object, `container ${str(c.name) ?? "?"} passes --${m[1]} a literal password on its command line (visible in the pod spec and to ps); read it from a Secret`, false, fieldOf(c, Array.isArray(c.args) ? "args" : "command")));
            }
        }
        const env = c === b.container ? b.env : resolveEnv(c, b.namespace, model.lookup);
        for (const v of env.vars.values()) {
            if (!SECRET_ENV.test(v.name) || /_FILE$/.test(v.name) || /COOKIE$/.test(v.name)) continue;
            if (v.source !== "literal" && v.source !== "configMapKeyRef") continue;
            if (notASecret(v.value) || hasRuntimePart(v.value)) continue;
            out.push(finding(b.object, `container ${str(c.name) ?? "?"} sets ${v.name} to a literal value${v.source === "configMapKeyRef" ? ` from ConfigMap ${v.ref}` : ""}; use valueFrom.secretKeyRef`, false, v.at));
        }
    }
    return out;
}

export const credentials: Rule = {
    id: "credentials",
    description: "No passwords in ConfigMaps brokers read, and no literal password env values in broker pods.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        const out: Finding[] = [];
        const cms = new Map<string, K8sObject>();
        // ConfigMaps whose placeholder password a reading broker replaces from a Secret at boot.
        const replaced = new Set<K8sObject>();
        for (const b of model.brokers) {
            const fromSecret = passwordFromSecret(b);
            for (const cm of configMapsOf(b, model)) {
                cms.set(`${namespaceOf(cm)}/${nameOf(cm)}`, cm);
                if (fromSecret) replaced.add(cm);
            }
            out.push(...scanEnv(b, model));
            out.push(...scanWeakSecrets(b, model));
            if (b.engine === "mongodb") out.push(...scanKeyFile(b));
        }
        for (const cm of model.ofKind("ConfigMap")) {
            if (looksLikeBrokerConfig(cm)) cms.set(`${namespaceOf(cm)}/${nameOf(cm)}`, cm);
        }
        for (const cm of cms.values()) out.push(...scanConfigMap(cm, replaced.has(cm)));
        return out;
    },
};

/**
 * tls-secret: the certificate a broker's TLS settings point at must be there, and must name the
 * hosts peers dial. Certificate, key and CA paths (rabbitmq.conf / HOCON `*.certfile`,
 * `*.keyfile`, `*.cacertfile`; `*CERTFILE`/`*KEYFILE` env such as EMQX's; the Erlang
 * distribution options file and the paths inside it) are resolved to the volume mounted there.
 * When that is a Secret no input defines and no cert-manager Certificate writes, the pods hang in
 * ContainerCreating (or the listener fails to start): advisory by default, since a Secret the user
 * manages is legitimately outside the manifests; mandatory with `requireSecretInInputs`. When a
 * cert-manager Certificate writes the Secret, its DNS names must cover every pod of the headless
 * Service (Erlang distribution and clients of single nodes verify those names).
 */
import { z } from "zod";
import { discoveryOf } from "../lib/discovery";
import { Broker, buildModel, Model } from "../lib/model";
import { fieldOf, finding, Rule } from "../lib/rule";
import { FieldRef, Finding, K8sObject } from "../lib/types";
import { arr, groupOf, kindOf, nameOf, namespaceOf, rec, recs, str } from "../lib/util";

const options = z.strictObject({
    /** Report a TLS Secret that no input defines as a violation, not an advisory (for complete manifest sets). */
    requireSecretInInputs: z.boolean().default(false),
});
export type TlsSecretOptions = z.infer<typeof options>;

/** A certificate-related file path and the setting that names it. */
interface PathRef {
    path: string;
    setting: string;
}

const CONF_KEY = /(^|\.)(certfile|keyfile|cacertfile)$/;
const ENV_NAME = /(^|_)(CERTFILE|KEYFILE|CACERTFILE|CERT_FILE|KEY_FILE|CACERT_FILE|SSL_DIST_OPTFILE)$/;
const ERL_ARGS = /ERL_ARGS$/;
const OPTFILE_ARG = /-ssl_dist_optfile\s+(['"]?)([^\s'"]+)\1/;
const INLINE_DIST_OPT = /\b(?:server|client)_(?:certfile|keyfile|cacertfile)\s+(['"]?)([^\s'"]+)\1/g;
const OPTFILE_ENTRY = /\{\s*(certfile|keyfile|cacertfile)\s*,\s*"([^"]+)"\s*\}/g;

function absolute(p: string): boolean {
    return p.startsWith("/") && !p.includes("${");
}

/** Every certificate file the broker is told to read. */
function certificatePaths(b: Broker): PathRef[] {
    const out: PathRef[] = [];
    for (const [key, v] of b.conf) {
        if (CONF_KEY.test(key)) out.push({ path: v.value, setting: `${key} (${v.file.path.slice(v.file.path.lastIndexOf("/") + 1)})` });
    }
    const optfiles: PathRef[] = [];
    for (const v of b.env.vars.values()) {
        if (ENV_NAME.test(v.name)) (v.name.endsWith("SSL_DIST_OPTFILE") ? optfiles : out).push({ path: v.value, setting: v.name });
        if (ERL_ARGS.test(v.name)) {
            const m = OPTFILE_ARG.exec(v.value);
            if (m) optfiles.push({ path: m[2], setting: `-ssl_dist_optfile in ${v.name}` });
            for (const i of v.value.matchAll(INLINE_DIST_OPT)) out.push({ path: i[2], setting: `-ssl_dist_opt in ${v.name}` });
        }
    }
    for (const o of optfiles) {
        out.push(o);
        const file = b.files.find((f) => f.path === o.path);
        if (!file) continue;
        for (const m of file.text.matchAll(OPTFILE_ENTRY)) out.push({ path: m[2], setting: `${m[1]} in ${o.path}` });
    }
    return out.filter((p) => absolute(p.path));
}

/** A Secret that provides a file of the pod, and the field that names it. */
interface SecretSource {
    name: string;
    at?: FieldRef;
}

/** The Secret(s) mounted at `filePath` in the broker container (the most specific mount wins). */
function secretsAt(b: Broker, filePath: string): SecretSource[] {
    const volumes = new Map(recs(b.podSpec.volumes).map((v) => [str(v.name) ?? "", v]));
    let best: { mount: Record<string, any>; depth: number; rel: string } | undefined;
    for (const m of recs(b.container.volumeMounts)) {
        const mountPath = str(m.mountPath);
        if (!mountPath) continue;
        const dir = mountPath.replace(/\/+$/, "");
        let rel: string | undefined;
        if (str(m.subPath) !== undefined) rel = filePath === mountPath ? str(m.subPath) : undefined;
        else if (filePath.startsWith(`${dir}/`)) rel = filePath.slice(dir.length + 1);
        if (rel !== undefined && (!best || dir.length > best.depth)) best = { mount: m, depth: dir.length, rel };
    }
    if (!best) return [];
    const volume = volumes.get(str(best.mount.name) ?? "");
    if (!volume) return [];
    const provides = (src: Record<string, any>) => {
        const items = arr(src.items);
        return items.length === 0 || recs(items).some((i) => (str(i.path) ?? str(i.key)) === best!.rel || best!.rel.startsWith(`${str(i.path)}/`));
    };
    const out: SecretSource[] = [];
    const direct = rec(volume.secret);
    if (direct && str(direct.secretName) && provides(direct)) out.push({ name: str(direct.secretName)!, at: fieldOf(direct, "secretName") });
    for (const s of recs(rec(volume.projected)?.sources)) {
        const secret = rec(s.secret);
        if (secret && str(secret.name) && provides(secret)) out.push({ name: str(secret.name)!, at: fieldOf(secret, "name") });
    }
    return out;
}

function isCertificate(o: K8sObject): boolean {
    return kindOf(o) === "Certificate" && groupOf(o) === "cert-manager.io";
}

/** The cluster DNS domain the broker's node names use, when they spell one. */
function clusterDomain(b: Broker, zone: string): string | undefined {
    for (const r of discoveryOf(b).refs) {
        const i = r.value.indexOf(`${zone}.`);
        if (i >= 0 && (i === 0 || r.value[i - 1] === ".")) return r.value.slice(i + zone.length + 1).replace(/\.$/, "") || undefined;
    }
    return undefined;
}

/**
 * Whether a DNS SAN covers pod `pod` in `zone` (`<headless>.<ns>.svc`): exactly or as a one-label
 * wildcard, under `domain` when known, else under any domain.
 */
function covers(san: string, pod: string, zone: string, domain: string | undefined): boolean {
    const s = san.toLowerCase().replace(/\.$/, "");
    if (domain !== undefined) return s === `${pod}.${zone}.${domain}` || s === `*.${zone}.${domain}`;
    return s.startsWith(`${pod}.${zone}.`) || s.startsWith(`*.${zone}.`);
}

function sanFindings(b: Broker, cert: K8sObject): Finding[] {
    const service = b.serviceName;
    if (!service || b.kind !== "StatefulSet") return [];
    const spec = rec(cert.spec) ?? {};
    const sans = [...arr(spec.dnsNames), spec.commonName].filter((x): x is string => typeof x === "string");
    const zone = `${service}.${b.namespace}.svc`;
    const domain = clusterDomain(b, zone);
    const missing = Array.from({ length: b.replicas }, (_, i) => `${b.name}-${i}`).filter((pod) => !sans.some((s) => covers(s, pod, zone, domain)));
    if (missing.length === 0) return [];
    const want = domain ? `*.${zone}.${domain}` : `*.${zone}.<cluster domain>`;
    return [
        finding(
            cert,
            `Certificate ${nameOf(cert)} (Secret ${str(spec.secretName)}) is used by ${b.name}'s TLS settings but its dnsNames do not cover ${missing.map((p) => `${p}.${zone}${domain ? `.${domain}` : ""}`).join(", ")}: peers and clients that verify the pod's name refuse the connection; add ${want}`,
            false,
            fieldOf(spec, "dnsNames") ?? fieldOf(cert, "spec"),
        ),
    ];
}

function check(b: Broker, model: Model, opts: TlsSecretOptions): Finding[] {
    const bySecret = new Map<string, { source: SecretSource; settings: string[] }>();
    for (const ref of certificatePaths(b)) {
        for (const source of secretsAt(b, ref.path)) {
            const entry = bySecret.get(source.name) ?? { source, settings: [] };
            entry.settings.push(`${ref.setting} = ${ref.path}`);
            bySecret.set(source.name, entry);
        }
    }
    const out: Finding[] = [];
    for (const [name, { source, settings }] of bySecret) {
        const certs = model.ofKind("Certificate").filter((c) => isCertificate(c) && namespaceOf(c) === b.namespace && str(rec(c.spec)?.secretName) === name);
        if (certs.length > 0) {
            for (const c of certs) out.push(...sanFindings(b, c));
            continue;
        }
        if (model.lookup("Secret", b.namespace, name)) continue;
        out.push(
            finding(
                b.object,
                `${b.name} reads its TLS certificate from Secret ${name} (${[...new Set(settings)].join("; ")}), which no input defines and no cert-manager Certificate writes: until it exists in namespace ${b.namespace}, the pods cannot mount it and stay in ContainerCreating`,
                !opts.requireSecretInInputs,
                source.at,
            ),
        );
    }
    return out;
}

export const tlsSecret: Rule<TlsSecretOptions> = {
    id: "tls-secret",
    description: "A broker's TLS certificate comes from a Secret among the inputs (or a cert-manager Certificate) whose names cover every pod of the headless Service.",
    defaultEnforcement: "mandatory",
    options,
    check(objects, opts) {
        const model = buildModel(objects);
        return model.brokers.filter((b) => b.erlang).flatMap((b) => check(b, model, opts));
    },
};

/**
 * Container environment as the kubelet builds it: `envFrom` sources first, then `env` in order;
 * `$(VAR)` in an `env` value expands to a variable defined earlier (an `envFrom` key or an earlier
 * `env` entry), `$$` is an escaped `$`, and a reference to an undefined variable stays as written.
 * Values only known at run time (field refs, Secret keys) become opaque tokens, so a resolved
 * node name like `rabbit@<pod>.rmq-headless.<ns>.svc.cluster.local` can still be checked label by label.
 */
import { FieldRef, K8sObject } from "./types";
import { rec, recs, scalar, str, stringMap } from "./util";

export type EnvSource =
    | "literal"
    | "fieldRef"
    | "resourceFieldRef"
    | "secretKeyRef"
    | "configMapKeyRef"
    | "configMapEnvFrom"
    | "secretEnvFrom"
    | "unknown";

export interface EnvVar {
    name: string;
    /** Value after expansion; run-time parts are tokens (see `POD_NAME_TOKEN`, …). */
    value: string;
    /** The value as written, before expansion (literal entries only). */
    raw?: string;
    source: EnvSource;
    /** The ConfigMap/Secret it was read from, when that object is among the inputs. */
    from?: K8sObject;
    /** Name of the referenced ConfigMap/Secret, or the field path. */
    ref?: string;
    /** Where the value is written: the env entry's `value`, or the ConfigMap key it is read from. */
    at?: FieldRef;
}

export interface ResolvedEnv {
    vars: Map<string, EnvVar>;
    /** `envFrom` sources that are not among the inputs: any variable may come from them. */
    unresolvedEnvFrom: Array<{ kind: "ConfigMap" | "Secret"; name: string }>;
}

export type Lookup = (kind: string, namespace: string, name: string) => K8sObject | undefined;

const T_OPEN = "\u0001";
const T_CLOSE = "\u0002";
const token = (what: string) => `${T_OPEN}${what}${T_CLOSE}`;
export const POD_NAME_TOKEN = token("POD_NAME");
export const POD_NAMESPACE_TOKEN = token("POD_NAMESPACE");
export const POD_IP_TOKEN = token("POD_IP");
export const RUNTIME_TOKEN = token("RUNTIME");
export const SECRET_TOKEN = token("SECRET");

/** True when part of the value is only known at run time. */
export function hasRuntimePart(s: string): boolean {
    return s.includes(T_OPEN);
}

/** A value for humans: tokens back to `$(…)`-like placeholders. */
export function displayValue(s: string): string {
    return s
        .split(POD_NAME_TOKEN).join("<pod-name>")
        .split(POD_NAMESPACE_TOKEN).join("<pod-namespace>")
        .split(POD_IP_TOKEN).join("<pod-ip>")
        .split(SECRET_TOKEN).join("<secret>")
        .split(RUNTIME_TOKEN).join("<runtime>");
}

function fieldToken(fieldPath: string): string {
    switch (fieldPath) {
        case "metadata.name":
            return POD_NAME_TOKEN;
        case "metadata.namespace":
            return POD_NAMESPACE_TOKEN;
        case "status.podIP":
            return POD_IP_TOKEN;
        default:
            return RUNTIME_TOKEN;
    }
}

/** Kubelet `$(VAR)` expansion (third_party/forked/golang/expansion semantics). */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
    let out = "";
    let checkpoint = 0;
    for (let cursor = 0; cursor < input.length; cursor++) {
        if (input[cursor] === "$" && cursor + 1 < input.length) {
            out += input.slice(checkpoint, cursor);
            const rest = input.slice(cursor + 1);
            let advance = 1;
            if (rest[0] === "$") {
                out += "$";
            } else if (rest[0] === "(") {
                const close = rest.indexOf(")", 1);
                if (close === -1) {
                    out += "$(";
                } else {
                    const name = rest.slice(1, close);
                    const v = mapping(name);
                    out += v !== undefined ? v : `$(${name})`;
                    advance = close + 1;
                }
            } else {
                out += "$" + rest[0];
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
    }
    return out + input.slice(checkpoint);
}

/** The string contents of a ConfigMap (`data`) or Secret (`stringData`, base64 `data`). */
export function objectData(o: K8sObject | undefined): Record<string, string> {
    if (!o) return {};
    if (o.kind === "Secret") {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(stringMap(o.data))) {
            try {
                out[k] = Buffer.from(v, "base64").toString("utf8");
            } catch {
                out[k] = "";
            }
        }
        return { ...out, ...stringMap(o.stringData) };
    }
    return stringMap(o.data);
}

/** The `data` (or `stringData`) entry `key` of a ConfigMap or Secret among the inputs. */
export function dataField(o: K8sObject | undefined, key: string): FieldRef | undefined {
    for (const field of ["data", "stringData", "binaryData"]) {
        const m = rec(o?.[field]);
        if (m && key in m) return { node: m, key };
    }
    return undefined;
}

export function resolveEnv(container: unknown, namespace: string, lookup: Lookup): ResolvedEnv {
    const c = rec(container) ?? {};
    const vars = new Map<string, EnvVar>();
    const unresolvedEnvFrom: ResolvedEnv["unresolvedEnvFrom"] = [];

    for (const ef of recs(c.envFrom)) {
        const prefix = str(ef.prefix) ?? "";
        const cmName = str(rec(ef.configMapRef)?.name);
        const secName = str(rec(ef.secretRef)?.name);
        if (cmName !== undefined) {
            const cm = lookup("ConfigMap", namespace, cmName);
            if (!cm) unresolvedEnvFrom.push({ kind: "ConfigMap", name: cmName });
            for (const [k, v] of Object.entries(objectData(cm))) {
                vars.set(prefix + k, { name: prefix + k, value: v, raw: v, source: "configMapEnvFrom", from: cm, ref: cmName, at: dataField(cm, k) });
            }
        } else if (secName !== undefined) {
            const sec = lookup("Secret", namespace, secName);
            if (!sec) unresolvedEnvFrom.push({ kind: "Secret", name: secName });
            for (const k of Object.keys(objectData(sec))) {
                vars.set(prefix + k, { name: prefix + k, value: SECRET_TOKEN, source: "secretEnvFrom", from: sec, ref: secName });
            }
        }
    }

    for (const e of recs(c.env)) {
        const name = str(e.name);
        if (!name) continue;
        const vf = rec(e.valueFrom);
        if (vf) {
            const fieldPath = str(rec(vf.fieldRef)?.fieldPath);
            const sk = rec(vf.secretKeyRef);
            const ck = rec(vf.configMapKeyRef);
            if (fieldPath !== undefined) {
                vars.set(name, { name, value: fieldToken(fieldPath), source: "fieldRef", ref: fieldPath });
            } else if (rec(vf.resourceFieldRef)) {
                vars.set(name, { name, value: RUNTIME_TOKEN, source: "resourceFieldRef" });
            } else if (sk) {
                vars.set(name, { name, value: SECRET_TOKEN, source: "secretKeyRef", ref: str(sk.name) });
            } else if (ck) {
                const cmName = str(ck.name) ?? "";
                const cm = lookup("ConfigMap", namespace, cmName);
                const key = str(ck.key) ?? "";
                const v = cm ? objectData(cm)[key] : undefined;
                vars.set(name, {
                    name,
                    value: v ?? RUNTIME_TOKEN,
                    raw: v,
                    source: "configMapKeyRef",
                    from: cm,
                    ref: cmName,
                    at: dataField(cm, key) ?? { node: ck, key: "key" },
                });
            } else {
                vars.set(name, { name, value: RUNTIME_TOKEN, source: "unknown" });
            }
            continue;
        }
        const raw = scalar(e.value) ?? "";
        const value = expand(raw, (ref) => vars.get(ref)?.value);
        vars.set(name, { name, value, raw, source: "literal", at: { node: e, key: "value" } });
    }
    return { vars, unresolvedEnvFrom };
}

/** Every container of a pod spec, init containers included. */
export function allContainers(podSpec: unknown): Record<string, any>[] {
    const p = rec(podSpec) ?? {};
    return [...recs(p.initContainers), ...recs(p.containers), ...recs(p.ephemeralContainers)];
}


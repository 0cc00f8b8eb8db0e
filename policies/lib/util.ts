/**
 * Guarded accessors: manifests are untrusted input, so every field may be missing or of the wrong
 * type (`replicas: "three"`, `containers: {}`). Rules read fields only through these helpers.
 */
import { K8sObject } from "./types";

export function rec(x: unknown): Record<string, any> | undefined {
    return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, any>) : undefined;
}

export function arr(x: unknown): any[] {
    return Array.isArray(x) ? x : [];
}

/** Records of an array, skipping anything that is not an object. */
export function recs(x: unknown): Record<string, any>[] {
    return arr(x).filter((e) => rec(e) !== undefined);
}

export function str(x: unknown): string | undefined {
    return typeof x === "string" ? x : undefined;
}

/** A scalar as a string (YAML turns `value: 3` into a number); objects are not scalars. */
export function scalar(x: unknown): string | undefined {
    if (typeof x === "string") return x;
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    return undefined;
}

/** An integer, accepting numeric strings; anything else is undefined. */
export function int(x: unknown): number | undefined {
    if (typeof x === "number" && Number.isFinite(x)) return Math.trunc(x);
    if (typeof x === "string" && /^\s*-?\d+\s*$/.test(x)) return parseInt(x, 10);
    return undefined;
}

export function bool(x: unknown): boolean | undefined {
    if (typeof x === "boolean") return x;
    if (x === "true") return true;
    if (x === "false") return false;
    return undefined;
}

/** `{string: string}` entries of a map, dropping non-scalar values. */
export function stringMap(x: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    const r = rec(x);
    if (!r) return out;
    for (const [k, v] of Object.entries(r)) {
        const s = scalar(v);
        if (s !== undefined) out[k] = s;
    }
    return out;
}

/** Walks a path of keys, returning undefined as soon as a step is not an object. */
export function path(x: unknown, ...keys: string[]): any {
    let cur: any = x;
    for (const k of keys) {
        const r = rec(cur);
        if (!r) return undefined;
        cur = r[k];
    }
    return cur;
}

export function kindOf(o: K8sObject): string {
    return str(o.kind) ?? "";
}

export function apiVersionOf(o: K8sObject): string {
    return str(o.apiVersion) ?? "";
}

/** The API group of an object (`""` for the core group). */
export function groupOf(o: K8sObject): string {
    const av = apiVersionOf(o);
    return av.includes("/") ? av.slice(0, av.lastIndexOf("/")) : "";
}

export function nameOf(o: K8sObject): string {
    return str(path(o, "metadata", "name")) ?? "";
}

const CLUSTER_SCOPED = new Set([
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "Node",
    "CustomResourceDefinition",
    "PriorityClass",
]);

export function isClusterScoped(o: K8sObject): boolean {
    return CLUSTER_SCOPED.has(kindOf(o));
}

/**
 * Namespace of an object. A manifest without one lands in the namespace it is applied to; all such
 * objects are treated as sharing one namespace, spelled `default`.
 */
export function namespaceOf(o: K8sObject): string {
    if (isClusterScoped(o)) return "";
    const ns = str(path(o, "metadata", "namespace"));
    return ns && ns.length > 0 ? ns : "default";
}

/** Whether the manifest spells out a namespace (namespace checks only apply where it does). */
export function hasExplicitNamespace(o: K8sObject): boolean {
    return str(path(o, "metadata", "namespace")) !== undefined;
}

export function labelsOf(o: unknown): Record<string, string> {
    return stringMap(path(o, "metadata", "labels"));
}

export function annotationsOf(o: unknown): Record<string, string> {
    return stringMap(path(o, "metadata", "annotations"));
}

/** `Kind/namespace/name` (or `Kind/name` when cluster-scoped). */
export function resourceId(o: K8sObject): string {
    const kind = kindOf(o) || "Unknown";
    const name = nameOf(o) || "<unnamed>";
    return isClusterScoped(o) ? `${kind}/${name}` : `${kind}/${namespaceOf(o)}/${name}`;
}

/** DNS-1123 subdomain, the syntax of most object names (StorageClass, ConfigMap, …). */
export function isDns1123Subdomain(s: string): boolean {
    return s.length > 0 && s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}

export function isDns1123Label(s: string): boolean {
    return s.length > 0 && s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

/**
 * How a pod spec keeps the pods of one cluster on different nodes: podAntiAffinity terms and
 * topology spread constraints whose topology key holds whole nodes and whose selector matches the
 * pods' own labels. Read by pod-anti-affinity and by the operator custom-resource rules.
 */
import { labelSelectorMatches } from "./selectors";
import { arr, path, rec, recs, str } from "./util";

export const HOSTNAME = "kubernetes.io/hostname";
/**
 * Topology keys whose domains each contain whole nodes: pods kept apart per zone are also on
 * different machines (the cluster-operator's default spread is per zone).
 */
const NODE_OR_COARSER = new Set([HOSTNAME, "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region"]);

export function spreadsNodes(topologyKey: unknown): boolean {
    const k = str(topologyKey);
    return k !== undefined && NODE_OR_COARSER.has(k);
}

/** A podAffinityTerm that keeps pods with `labels` (in `namespace`) on different nodes. */
export function termSpreadsPods(term: unknown, labels: Record<string, string>, namespace: string): boolean {
    const t = rec(term);
    if (!t || !spreadsNodes(t.topologyKey)) return false;
    const namespaces = arr(t.namespaces);
    if (namespaces.length > 0 && !namespaces.includes(namespace)) return false;
    return labelSelectorMatches(t.labelSelector, labels);
}

export interface Spreading {
    /** A `required…` podAntiAffinity term over the pods. */
    required: boolean;
    /** A `preferred…` podAntiAffinity term over the pods. */
    preferred: boolean;
    /** A topology spread constraint over the pods. */
    spread: boolean;
}

/** How a pod spec keeps pods with `labels` apart: shared with the operator custom-resource rules. */
export function spreadingOf(podSpec: unknown, labels: Record<string, string>, namespace: string): Spreading {
    const anti = rec(path(podSpec, "affinity", "podAntiAffinity")) ?? {};
    return {
        required: arr(anti.requiredDuringSchedulingIgnoredDuringExecution).some((t) => termSpreadsPods(t, labels, namespace)),
        preferred: recs(anti.preferredDuringSchedulingIgnoredDuringExecution).some((w) => termSpreadsPods(w.podAffinityTerm, labels, namespace)),
        spread: recs(rec(podSpec)?.topologySpreadConstraints).some((c) => spreadsNodes(c.topologyKey) && labelSelectorMatches(c.labelSelector, labels)),
    };
}

/**
 * Claims a broker makes (volumeClaimTemplates and shared PVCs) and the statically provisioned
 * PersistentVolumes that can bind them, with Kubernetes binding semantics: same class, claim
 * selector matches the PV's labels, `claimRef` (if any) names the claim, capacity and access modes suffice.
 */
import { labelSelectorMatches } from "./selectors";
import { Broker, Model, pvClass } from "./model";

export { pvClass };
import { parseQuantity } from "@broker-platform/quantity";
import { K8sObject } from "./types";
import { annotationsOf, arr, labelsOf, path, rec, recs, scalar, str } from "./util";

export interface Claim {
    /** The vct (inside the StatefulSet) or the PVC object. */
    object: K8sObject;
    /** The object violations are reported against (StatefulSet for a vct). */
    owner: K8sObject;
    /** vct name or PVC name. */
    name: string;
    namespace: string;
    fromTemplate: boolean;
    /** Names of the PVCs the controller will create (`<vct>-<sts>-<i>`), or the PVC name. */
    pvcNames: string[];
    /** storageClassName (or the beta annotation); undefined = the cluster's default class. */
    storageClass?: string;
    selector?: unknown;
    accessModes: string[];
    request?: number;
    /** Replicas that each need a volume (1 for a shared PVC). */
    count: number;
}

export function claimClass(claim: Record<string, any>): string | undefined {
    const sc = path(claim, "spec", "storageClassName");
    if (typeof sc === "string") return sc;
    const ann = annotationsOf(claim);
    return ann["volume.beta.kubernetes.io/storage-class"];
}

function accessModes(x: unknown): string[] {
    return arr(x).map(scalar).filter((s): s is string => s !== undefined);
}

export function brokerClaims(b: Broker, model: Model): Claim[] {
    const out: Claim[] = [];
    const spec = rec(b.object.spec) ?? {};
    if (b.kind === "StatefulSet" || b.kind === "PetSet") {
        for (const t of recs(spec.volumeClaimTemplates)) {
            const name = str(path(t, "metadata", "name")) ?? "";
            out.push({
                object: t,
                owner: b.object,
                name,
                namespace: b.namespace,
                fromTemplate: true,
                pvcNames: Array.from({ length: Math.max(b.replicas, 1) }, (_, i) => `${name}-${b.name}-${i}`),
                storageClass: claimClass(t),
                selector: path(t, "spec", "selector"),
                accessModes: accessModes(path(t, "spec", "accessModes")),
                request: parseQuantity(path(t, "spec", "resources", "requests", "storage")),
                count: Math.max(b.replicas, 1),
            });
        }
    }
    for (const v of recs(b.podSpec.volumes)) {
        const claimName = str(rec(v.persistentVolumeClaim)?.claimName);
        if (!claimName) continue;
        const pvc = model.lookup("PersistentVolumeClaim", b.namespace, claimName);
        if (!pvc) continue;
        out.push({
            object: pvc,
            owner: pvc,
            name: claimName,
            namespace: b.namespace,
            fromTemplate: false,
            pvcNames: [claimName],
            storageClass: claimClass(pvc),
            selector: path(pvc, "spec", "selector"),
            accessModes: accessModes(path(pvc, "spec", "accessModes")),
            request: parseQuantity(path(pvc, "spec", "resources", "requests", "storage")),
            count: 1,
        });
    }
    return out;
}

/** PVs that this claim could bind by class, selector and claimRef (capacity/modes not considered). */
export function candidatePVs(claim: Claim, model: Model): K8sObject[] {
    const cls = claim.storageClass ?? "";
    return model.pvsOfClass(cls).filter((pv) => {
        if (claim.selector !== undefined && claim.selector !== null && !labelSelectorMatches(claim.selector, labelsOf(pv))) return false;
        const ref = rec(path(pv, "spec", "claimRef"));
        if (ref) {
            const refName = str(ref.name);
            const refNs = str(ref.namespace);
            if (refName && !claim.pvcNames.includes(refName)) return false;
            if (refNs && refNs !== claim.namespace) return false;
        }
        return true;
    });
}

/** Why a PV cannot satisfy the claim's size/access modes, or undefined if it can. */
export function pvShortfall(claim: Claim, pv: K8sObject): string | undefined {
    const cap = parseQuantity(path(pv, "spec", "capacity", "storage"));
    const problems: string[] = [];
    if (claim.request !== undefined && cap !== undefined && cap < claim.request) {
        problems.push(`capacity ${scalar(path(pv, "spec", "capacity", "storage"))} is less than the ${claimRequestText(claim)} requested`);
    }
    const modes = accessModes(path(pv, "spec", "accessModes"));
    const missing = claim.accessModes.filter((m) => !modes.includes(m));
    if (missing.length > 0) problems.push(`access modes [${modes.join(", ")}] lack ${missing.join(", ")}`);
    return problems.length > 0 ? problems.join("; ") : undefined;
}

function claimRequestText(claim: Claim): string {
    return scalar(path(claim.object, "spec", "resources", "requests", "storage")) ?? "size";
}

/**
 * A PV a provisioner created for a claim (`kubectl get pv -o yaml` output): its reclaim policy is
 * the StorageClass's, and its presence says nothing about how many volumes the class can supply.
 */
export function isDynamicallyProvisioned(pv: K8sObject): boolean {
    return annotationsOf(pv)["pv.kubernetes.io/provisioned-by"] !== undefined;
}

/**
 * The class has no dynamic provisioner: a no-provisioner StorageClass, or (no StorageClass object
 * among the inputs) hand-made PVs of that class. PVs a provisioner created prove the opposite.
 */
export function isStaticClass(cls: string | undefined, model: Model): boolean {
    if (cls === undefined) return false;
    const sc = model.lookup("StorageClass", "", cls);
    if (sc) return str(sc.provisioner) === "kubernetes.io/no-provisioner";
    const pvs = model.pvsOfClass(cls);
    return pvs.length > 0 && !pvs.some(isDynamicallyProvisioned);
}

export function isHostLocalPV(pv: K8sObject): boolean {
    const spec = rec(pv.spec) ?? {};
    return rec(spec.hostPath) !== undefined || rec(spec.local) !== undefined;
}

/** The single node a PV is pinned to by `nodeAffinity` (hostname In [one]), if any. */
export function pinnedNode(pv: K8sObject): string | undefined {
    const terms = recs(path(pv, "spec", "nodeAffinity", "required", "nodeSelectorTerms"));
    if (terms.length !== 1) return undefined;
    for (const e of recs(terms[0].matchExpressions)) {
        const vals = arr(e.values);
        if (str(e.key) === "kubernetes.io/hostname" && str(e.operator) === "In" && vals.length === 1) return scalar(vals[0]);
    }
    return undefined;
}



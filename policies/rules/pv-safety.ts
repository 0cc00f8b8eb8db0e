/**
 * pv-safety: PersistentVolumes that can hold broker data are safe to bind and keep.
 * - reclaim policy `Retain` (`Recycle` runs `rm -rf` on release, `Delete` destroys the disk);
 * - hostPath PVs have distinct paths unless pinned to distinct nodes (unpinned hostPath: advisory);
 * - enough static PVs for the replicas when the class has no provisioner;
 * - PV capacity and access modes satisfy the claim;
 * - `storageClassName` values are valid object names.
 */
import { buildModel, Model } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { brokerClaims, candidatePVs, Claim, isDynamicallyProvisioned, isStaticClass, pinnedNode, pvClass, pvShortfall } from "../lib/storage";
import { Finding, K8sObject } from "../lib/types";
import { annotationsOf, isDns1123Subdomain, nameOf, path, rec, str } from "../lib/util";

function classNameProblem(cls: string | undefined): boolean {
    return cls !== undefined && cls !== "" && !isDns1123Subdomain(cls);
}

function checkClaim(claim: Claim, model: Model, out: Finding[], brokerPVs: Set<K8sObject>): void {
    const label = claim.fromTemplate ? `volumeClaimTemplate ${claim.name}` : `PersistentVolumeClaim ${claim.name}`;
    if (classNameProblem(claim.storageClass)) {
        out.push(finding(claim.owner, `${label} asks for storageClassName ${JSON.stringify(claim.storageClass)}, which is not a valid StorageClass name (lowercase DNS subdomain): the claim is rejected or never binds`, false, fieldOf(claim.object.spec, "storageClassName")));
    }
    const ann = annotationsOf(claim.object);
    if (ann["volume.alpha.kubernetes.io/storage-class"] !== undefined) {
        out.push(finding(claim.owner, `${label} uses the volume.alpha.kubernetes.io/storage-class annotation, which Kubernetes ignores; set spec.storageClassName`, true, fieldOf(ann, "volume.alpha.kubernetes.io/storage-class")));
    } else if (ann["volume.beta.kubernetes.io/storage-class"] !== undefined && path(claim.object, "spec", "storageClassName") === undefined) {
        out.push(finding(claim.owner, `${label} uses the deprecated volume.beta.kubernetes.io/storage-class annotation; set spec.storageClassName`, true, fieldOf(ann, "volume.beta.kubernetes.io/storage-class")));
    }
    const pvs = candidatePVs(claim, model);
    for (const pv of pvs) brokerPVs.add(pv);
    if (!isStaticClass(claim.storageClass, model)) return;
    const fitting = pvs.filter((pv) => pvShortfall(claim, pv) === undefined);
    if (fitting.length >= claim.count) return;
    for (const pv of pvs) {
        const why = pvShortfall(claim, pv);
        if (why) out.push(finding(pv, `PersistentVolume ${nameOf(pv)} cannot bind ${label}: ${why}`, false, fieldOf(pv, "spec")));
    }
    out.push(
        finding(
            claim.owner,
            `${label} needs ${claim.count} volume${claim.count > 1 ? "s" : ""} of class ${JSON.stringify(claim.storageClass ?? "")}, which has no provisioner, but only ${fitting.length} matching PersistentVolume${fitting.length === 1 ? "" : "s"} can bind: pods stay Pending`,
            false,
            fieldOf(claim.object, "spec"),
        ),
    );
}

function checkPV(pv: K8sObject, sameHostPath: Map<string, K8sObject[]>, out: Finding[]): void {
    const spec = rec(pv.spec) ?? {};
    const name = nameOf(pv);
    const policy = str(spec.persistentVolumeReclaimPolicy) ?? "Retain";
    if (policy === "Recycle") {
        out.push(finding(pv, `PersistentVolume ${name} has persistentVolumeReclaimPolicy Recycle: releasing the claim wipes the broker's data (rm -rf); use Retain`, false, fieldOf(spec, "persistentVolumeReclaimPolicy")));
    } else if (policy === "Delete" && !isDynamicallyProvisioned(pv)) {
        // A provisioned PV inherits Delete from its StorageClass; only hand-made PVs choose it.
        out.push(finding(pv, `PersistentVolume ${name} has persistentVolumeReclaimPolicy Delete: deleting the claim destroys the broker's data; use Retain`, false, fieldOf(spec, "persistentVolumeReclaimPolicy")));
    } else if (policy !== "Retain" && policy !== "Delete") {
        out.push(finding(pv, `PersistentVolume ${name} has an unknown persistentVolumeReclaimPolicy ${JSON.stringify(policy)}; use Retain`, false, fieldOf(spec, "persistentVolumeReclaimPolicy")));
    }
    if (classNameProblem(pvClass(pv))) {
        out.push(finding(pv, `PersistentVolume ${name} has storageClassName ${JSON.stringify(pvClass(pv))}, which is not a valid StorageClass name`, false, fieldOf(spec, "storageClassName")));
    }
    const hp = str(rec(spec.hostPath)?.path);
    if (hp !== undefined) {
        const key = hp.replace(/\/+$/, "");
        const same = sameHostPath.get(key);
        if (same) same.push(pv);
        else sameHostPath.set(key, [pv]);
        if (!pinnedNode(pv) && !rec(spec.nodeAffinity)) {
            out.push(finding(pv, `hostPath PersistentVolume ${name} is not pinned to a node (spec.nodeAffinity): after a reschedule the pod binds the same PV on another machine and finds an empty directory`, true, fieldOf(spec, "hostPath")));
        }
    }
}

export const pvSafety: Rule = {
    id: "pv-safety",
    description: "Broker PVs use Retain, distinct hostPath directories, enough static volumes of sufficient size and modes, and valid class names.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        const out: Finding[] = [];
        const brokerPVs = new Set<K8sObject>();
        for (const b of model.brokers) for (const claim of brokerClaims(b, model)) checkClaim(claim, model, out, brokerPVs);
        const sameHostPath = new Map<string, K8sObject[]>();
        for (const pv of brokerPVs) checkPV(pv, sameHostPath, out);
        for (const [p, pvs] of sameHostPath) {
            if (pvs.length < 2) continue;
            const nodes = pvs.map(pinnedNode);
            const distinct = nodes.every((n) => n !== undefined) && new Set(nodes).size === nodes.length;
            if (distinct) continue;
            for (const pv of pvs) {
                out.push(
                    finding(
                        pv,
                        `hostPath PersistentVolume ${nameOf(pv)} uses directory ${p}, like ${pvs.filter((o) => o !== pv).map(nameOf).join(", ")}, without being pinned to distinct nodes: replicas scheduled on one machine share one database directory`,
                        false,
                        fieldOf(rec(rec(pv.spec)?.hostPath), "path"),
                    ),
                );
            }
        }
        return out;
    },
};

/**
 * per-replica-storage: each broker replica keeps its own data. The data mount comes from a
 * volumeClaimTemplate, never from one PVC all replicas share (Erlang nodes corrupt each other's
 * Mnesia/Khepri files, or pods 1..N never start on RWO volumes). Data on emptyDir, on hostPath or on
 * no volume at all is advisory: the node forgets its cluster membership when the pod moves.
 */
import { dataMounts, templateNames } from "../lib/data";
import { Broker, buildModel } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { Finding } from "../lib/types";
import { rec, str } from "../lib/util";

function check(b: Broker): Finding[] {
    if (b.kind === "Pod" || b.kind === "Job") return [];
    const sts = b.kind === "StatefulSet" || b.kind === "PetSet";
    const templates = templateNames(b);
    const mounts = dataMounts(b);
    const out: Finding[] = [];
    if (mounts.length === 0) {
        if (sts || b.replicas >= 2) {
            out.push(finding(b.object, `${b.name} mounts no volume at the ${b.engine} data directory: each restart starts an empty node that has forgotten its cluster membership; use a volumeClaimTemplate`, true, fieldOf(b.container, "volumeMounts") ?? fieldOf(b.container, "name")));
        }
        return out;
    }
    for (const m of mounts) {
        if (sts && templates.has(m.volumeName)) continue;
        const vol = m.volume;
        const pvc = str(rec(vol?.persistentVolumeClaim)?.claimName);
        if (pvc !== undefined) {
            if (sts || b.replicas >= 2) {
                out.push(
                    finding(
                        b.object,
                        `the data mount ${m.mountPath} uses the single PVC ${pvc} (volume ${m.volumeName}), shared by every replica: nodes overwrite each other's database or cannot attach the volume; use volumeClaimTemplates${
                            templates.size > 0 ? ` (the template${templates.size > 1 ? "s" : ""} ${[...templates].join(", ")} ${templates.size > 1 ? "are" : "is"} not mounted)` : ""
                        }`,
                        false,
                        fieldOf(rec(vol?.persistentVolumeClaim), "claimName"),
                    ),
                );
            }
        } else if (vol && rec(vol.hostPath)) {
            out.push(finding(b.object, `the data mount ${m.mountPath} is a hostPath volume: replicas on one node share the directory and the data stays behind when a pod moves; use volumeClaimTemplates`, true, fieldOf(vol, "hostPath")));
        } else if (vol && (rec(vol.emptyDir) || vol.emptyDir === null)) {
            out.push(finding(b.object, `the data mount ${m.mountPath} is an emptyDir: the node loses its state and cluster membership on every reschedule`, true, fieldOf(vol, "emptyDir")));
        } else if (!vol) {
            out.push(finding(b.object, `the data mount ${m.mountPath} refers to volume ${m.volumeName}, which is neither a pod volume nor a volumeClaimTemplate: the pod is rejected`, false, fieldOf(m.mount, "name")));
        }
    }
    return out;
}

export const perReplicaStorage: Rule = {
    id: "per-replica-storage",
    description: "The broker's data mount comes from volumeClaimTemplates, never one PVC shared by all replicas.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        return buildModel(objects).brokers.flatMap(check);
    },
};

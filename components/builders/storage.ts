import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { DATA_VOLUME } from "../naming";
import { retainedAnnotations } from "./retained";

/**
 * Directory of ordinal i's data: distinct per namespace, cluster and ordinal, so no two brokers
 * (of this or any other stack sharing the nodes or the export) ever write to the same place.
 */
export function dataPath(model: ClusterModel, ordinal: number): string {
    if (model.storage.mode === "storageClass") throw new Error("dataPath applies to statically provisioned storage only");
    return `${model.storage.basePath}/${model.namespace}/${model.cluster.name}-${ordinal}`;
}

/** The storage class the claims ask for: the cluster's private static class, or the configured one. */
export function claimStorageClass(model: ClusterModel): string {
    return model.storage.mode === "storageClass" ? model.storage.className : model.names.staticStorageClass;
}

/**
 * A statically provisioned volume for ordinal i, pre-bound through `claimRef` to the exact PVC the
 * StatefulSet controller creates for that ordinal: pod i always gets volume i, and a fresh pod
 * can never be handed another ordinal's data.
 */
export function persistentVolumeArgs(model: ClusterModel, ordinal: number, owner: string): k8s.core.v1.PersistentVolumeArgs {
    const { storage, names } = model;
    if (storage.mode === "storageClass") throw new Error("persistentVolumeArgs applies to hostPath and nfs storage only");
    const node = storage.mode === "hostPath" ? storage.nodes?.[ordinal] : undefined;
    return {
        metadata: {
            name: names.dataVolume(ordinal),
            labels: { ...names.commonLabels, "broker-platform/ordinal": String(ordinal) },
            annotations: retainedAnnotations(owner),
        },
        spec: {
            capacity: { storage: model.volumeSize },
            accessModes: storage.accessModes,
            volumeMode: "Filesystem",
            persistentVolumeReclaimPolicy: storage.reclaimPolicy,
            storageClassName: names.staticStorageClass,
            claimRef: { namespace: model.namespace, name: names.dataClaim(ordinal) },
            ...(storage.mode === "hostPath"
                ? { hostPath: { path: dataPath(model, ordinal), type: "DirectoryOrCreate" } }
                : { nfs: { server: storage.server, path: dataPath(model, ordinal) }, mountOptions: storage.mountOptions }),
            ...(node
                ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } } }
                : {}),
        },
    };
}

/** The StatefulSet's claim template: one claim per replica, never a claim shared by all. */
export function dataClaimTemplate(model: ClusterModel): k8s.types.input.core.v1.PersistentVolumeClaim {
    return {
        metadata: { name: DATA_VOLUME, labels: { ...model.names.selectorLabels } },
        spec: {
            accessModes: model.storage.accessModes,
            storageClassName: claimStorageClass(model),
            resources: { requests: { storage: model.claimTemplateSize } },
        },
    };
}

/**
 * Claims to grow in place when the volume size went up after the StatefulSet was created (its
 * template keeps the original size): the existing members' claims, by ordinal. Empty otherwise,
 * and always for static volumes, whose PV capacity is simply raised.
 */
export function claimsToExpand(model: ClusterModel): number[] {
    if (model.staticVolumes || model.volumeSize === model.claimTemplateSize) return [];
    return Array.from({ length: Math.min(model.existingMembers, model.cluster.replicas) }, (_, i) => i);
}

/** Server-side patch of one claim's requested size; the provider expands it, nothing is replaced. */
export function claimExpansionArgs(model: ClusterModel, ordinal: number): k8s.core.v1.PersistentVolumeClaimPatchArgs {
    return {
        metadata: { name: model.names.dataClaim(ordinal), namespace: model.namespace },
        spec: { resources: { requests: { storage: model.volumeSize } } },
    };
}

/**
 * Hands a freshly created hostPath/NFS directory to the broker's user. Kubelet creates it
 * root-owned and fsGroup does not apply to these volume types; this is the one container that
 * runs as root, with only the capability to change ownership.
 */
export function volumePermissionsInitContainer(model: ClusterModel, image: string): k8s.types.input.core.v1.Container | undefined {
    if (model.storage.mode === "storageClass" || !model.storage.fixPermissions) return undefined;
    const { uid, dataMountPath } = model.profile;
    return {
        name: "volume-permissions",
        image,
        command: ["sh", "-c", `chown ${uid}:${uid} ${dataMountPath} && chmod 0750 ${dataMountPath}`],
        securityContext: {
            runAsUser: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [{ name: DATA_VOLUME, mountPath: dataMountPath }],
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
    };
}

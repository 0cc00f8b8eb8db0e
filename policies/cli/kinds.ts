import { isOperatorResource } from "../lib/operators";
import { K8sObject } from "../lib/types";

/**
 * Kinds some rule reads, besides the operators' custom resources (`RabbitmqCluster`, `EMQX`; see
 * `isOperatorResource`). Anything else (other custom resources, Ingresses, monitoring objects) is
 * loaded but not linted, and reported as skipped, so counts say what was actually checked.
 */
export const LINTED_KINDS = new Set([
    "StatefulSet",
    "PetSet",
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "StorageClass",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Certificate",
    "Namespace",
]);

/** Objects linted, and the skipped ones by kind. */
export function countKinds(objects: K8sObject[]): { objects: number; linted: number; skipped: Record<string, number> } {
    const skipped: Record<string, number> = {};
    let linted = 0;
    for (const o of objects) {
        if (LINTED_KINDS.has(String(o.kind)) || isOperatorResource(o)) linted++;
        else skipped[String(o.kind)] = (skipped[String(o.kind)] ?? 0) + 1;
    }
    return { objects: objects.length, linted, skipped };
}

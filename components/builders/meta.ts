import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";

/** Metadata for a namespaced object of the cluster. */
export function objectMeta(model: ClusterModel, name: string, extra?: { annotations?: Record<string, string> }): k8s.types.input.meta.v1.ObjectMeta {
    return { name, namespace: model.namespace, labels: { ...model.names.commonLabels }, ...(extra?.annotations ? { annotations: extra.annotations } : {}) };
}

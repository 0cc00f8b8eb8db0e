import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterModel } from "./model";

/** Arguments every per-cluster component takes. */
export interface ClusterPartArgs {
    /** The resolved cluster: settings plus every derived name. */
    model: ClusterModel;
    /** Kubernetes provider; defaults to the ambient one (the stack's kubeconfig). */
    provider?: k8s.Provider;
    /** Resources to create first, typically the namespace. */
    dependsOn?: pulumi.Resource[];
}

/** Options for a Kubernetes object owned by `parent`. */
export function childOptions(parent: pulumi.Resource, args: { provider?: k8s.Provider; dependsOn?: pulumi.Resource[] }, extra?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return { parent, provider: args.provider, dependsOn: args.dependsOn, ...extra };
}

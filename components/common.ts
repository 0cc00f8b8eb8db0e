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

/**
 * How objects that outlive `pulumi destroy` are registered: kept on delete (per the stack's
 * data retention), annotated with the stack that made them, and adopted (imported) when this
 * stack finds its own object in place, after a destroy or a scale-down.
 */
export interface Retention {
    /** `<org>/<project>/<stack>` (`stackOwner()`). */
    owner: string;
    /** Leave the object in Kubernetes when Pulumi deletes it. */
    retainOnDelete: boolean;
    /** `<kind>:<id>` of the objects found in place that this stack made (`adoptableIds`). */
    adoptable: Set<string>;
}

/** Keep on delete, adopt nothing: a cluster registered without `loadLiveState`. */
export function defaultRetention(owner: string): Retention {
    return { owner, retainOnDelete: true, adoptable: new Set() };
}

/** Options for a retained object of `kind` with import id `id`. */
export function retainedOptions(retention: Retention, kind: string, id: string): pulumi.CustomResourceOptions {
    return { retainOnDelete: retention.retainOnDelete, ...(retention.adoptable.has(`${kind}:${id}`) ? { import: id } : {}) };
}

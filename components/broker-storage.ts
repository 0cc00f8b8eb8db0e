import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { claimExpansionArgs, claimsToExpand, persistentVolumeArgs } from "./builders/storage";
import { childOptions, ClusterPartArgs, Retention, retainedOptions } from "./common";

export interface BrokerStorageArgs extends ClusterPartArgs {
    /** The PVs outlive destroy and scale-down, and are adopted again by this stack. */
    retention: Retention;
}

/**
 * Statically provisioned data volumes (hostPath, nfs): one per ordinal, each pre-bound to the
 * claim of that ordinal. With a StorageClass, claims are provisioned dynamically; this component
 * only grows existing claims in place after a size increase.
 */
export class BrokerStorage extends pulumi.ComponentResource {
    /** Names of the PVs, by ordinal. */
    readonly volumeNames: pulumi.Output<string>[];

    constructor(name: string, args: BrokerStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:BrokerStorage", name, {}, opts);
        const { model } = args;
        this.volumeNames = [];
        if (model.staticVolumes) {
            for (let ordinal = 0; ordinal < model.cluster.replicas; ordinal++) {
                const pv = new k8s.core.v1.PersistentVolume(
                    `${name}-${ordinal}`,
                    persistentVolumeArgs(model, ordinal, args.retention.owner),
                    childOptions(this, args, retainedOptions(args.retention, "PersistentVolume", model.names.dataVolume(ordinal))),
                );
                this.volumeNames.push(pv.metadata.name);
            }
        }
        for (const ordinal of claimsToExpand(model)) {
            new k8s.core.v1.PersistentVolumeClaimPatch(`${name}-expand-${ordinal}`, claimExpansionArgs(model, ordinal), childOptions(this, args));
        }
        this.registerOutputs({ volumeNames: this.volumeNames });
    }
}

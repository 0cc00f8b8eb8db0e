import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { retainedAnnotations } from "./builders/retained";
import { Retention, retainedOptions } from "./common";
import { LABEL_MANAGED_BY, MANAGED_BY } from "./naming";

export interface BrokerNamespaceArgs {
    /** Namespace name (a DNS-1123 label). */
    name: string;
    /** Create the namespace (true) or use an existing one of that name (false). */
    create: boolean;
    /**
     * Retention of the namespace: deleting a namespace deletes the PVCs in it, which unbinds every
     * data volume, so it is kept with the data and adopted again after a destroy.
     */
    retention: Retention;
    /** Provider to use; defaults to the ambient one. */
    provider?: k8s.Provider;
}

/** The namespace the brokers live in: created here, or an existing one that is only referenced. */
export class BrokerNamespace extends pulumi.ComponentResource {
    /** Namespace name; depends on the Namespace object when it is created here. */
    readonly name: pulumi.Output<string>;

    constructor(name: string, args: BrokerNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:BrokerNamespace", name, {}, opts);
        if (args.create) {
            const ns = new k8s.core.v1.Namespace(
                name,
                {
                    metadata: {
                        name: args.name,
                        labels: { [LABEL_MANAGED_BY]: MANAGED_BY, "pod-security.kubernetes.io/enforce": "baseline" },
                        annotations: retainedAnnotations(args.retention.owner),
                    },
                },
                { parent: this, provider: args.provider, ...retainedOptions(args.retention, "Namespace", args.name) },
            );
            this.name = ns.metadata.name;
        } else {
            this.name = pulumi.output(args.name);
        }
        this.registerOutputs({ name: this.name });
    }
}

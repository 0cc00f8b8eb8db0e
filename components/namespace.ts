import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LABEL_MANAGED_BY, MANAGED_BY } from "./naming";

export interface BrokerNamespaceArgs {
    /** Namespace name (a DNS-1123 label). */
    name: string;
    /** Create the namespace (true) or use an existing one of that name (false). */
    create: boolean;
    /**
     * Leave the namespace in Kubernetes when Pulumi deletes it. Deleting a namespace deletes the
     * PVCs in it, which unbinds every data volume, so this follows the stack's data retention.
     */
    retainOnDelete?: boolean;
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
                { metadata: { name: args.name, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, "pod-security.kubernetes.io/enforce": "baseline" } } },
                { parent: this, provider: args.provider, retainOnDelete: args.retainOnDelete },
            );
            this.name = ns.metadata.name;
        } else {
            this.name = pulumi.output(args.name);
        }
        this.registerOutputs({ name: this.name });
    }
}

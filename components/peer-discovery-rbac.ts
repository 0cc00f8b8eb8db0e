import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { peerDiscoveryRoleArgs, peerDiscoveryRoleBindingArgs, serviceAccountArgs } from "./builders/rbac";
import { childOptions, ClusterPartArgs } from "./common";

/**
 * The brokers' identity in the API. A Role and RoleBinding exist only when peer discovery calls
 * the API (RabbitMQ before 4.1, EMQX `k8s`); without them those brokers get a 403 and never cluster.
 */
export class PeerDiscoveryRbac extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;
    /** Undefined when discovery needs no API access. */
    readonly roleName?: pulumi.Output<string>;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:PeerDiscoveryRbac", name, {}, opts);
        const sa = new k8s.core.v1.ServiceAccount(name, serviceAccountArgs(args.model), childOptions(this, args));
        this.serviceAccountName = sa.metadata.name;
        if (args.model.needsApiAccess) {
            const role = new k8s.rbac.v1.Role(name, peerDiscoveryRoleArgs(args.model), childOptions(this, args));
            new k8s.rbac.v1.RoleBinding(name, peerDiscoveryRoleBindingArgs(args.model), childOptions(this, args, { dependsOn: [...(args.dependsOn ?? []), role, sa] }));
            this.roleName = role.metadata.name;
        }
        this.registerOutputs({ serviceAccountName: this.serviceAccountName });
    }
}

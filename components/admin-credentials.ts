import * as pulumi from "@pulumi/pulumi";
import { adminSecretArgs } from "./builders/config";
import { ClusterPartArgs } from "./common";
import { GeneratedLoginSecret } from "./generated-login";

/**
 * Generated administrator credentials in a Secret: RabbitMQ's default user, EMQX's dashboard
 * admin. Values exist only as Pulumi secrets and inside the Secret.
 */
export class AdminCredentials extends GeneratedLoginSecret {
    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:AdminCredentials", name, args, { prefix: "admin", generation: args.model.cluster.adminCredentials.generation, secretArgs: adminSecretArgs }, opts);
    }
}

import * as pulumi from "@pulumi/pulumi";
import { appSecretArgs } from "./builders/config";
import { ClusterPartArgs } from "./common";
import { GeneratedLoginSecret } from "./generated-login";

/**
 * RabbitMQ's generated application user in a Secret: what the connection URL carries, so
 * applications never hold the administrator. Values exist only as Pulumi secrets and inside the Secret.
 */
export class AppCredentials extends GeneratedLoginSecret {
    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:AppCredentials", name, args, { prefix: "app", generation: args.model.cluster.appCredentials.generation, secretArgs: appSecretArgs }, opts);
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appSecretArgs } from "./builders/config";
import { childOptions, ClusterPartArgs } from "./common";
import { generatedLogin } from "./generated-login";

/**
 * RabbitMQ's generated application user in a Secret: what the connection URL carries, so
 * applications never hold the administrator. Values exist only as Pulumi secrets and inside the Secret.
 */
export class AppCredentials extends pulumi.ComponentResource {
    readonly secretName: pulumi.Output<string>;
    /** Secret Output. */
    readonly username: pulumi.Output<string>;
    /** Secret Output. */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:AppCredentials", name, {}, opts);
        // Only an explicit generation bump regenerates the credentials.
        const keepers = { generation: String(args.model.cluster.appCredentials.generation) };
        ({ username: this.username, password: this.password } = generatedLogin(this, name, "app", keepers));
        const secret = new k8s.core.v1.Secret(name, appSecretArgs(args.model, this.username, this.password), childOptions(this, args));
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}

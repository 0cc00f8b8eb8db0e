import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { adminSecretArgs } from "./builders/config";
import { childOptions, ClusterPartArgs } from "./common";
import { generatedLogin } from "./generated-login";

/**
 * Generated administrator credentials in a Secret: RabbitMQ's default user, EMQX's dashboard
 * admin. Values exist only as Pulumi secrets and inside the Secret.
 */
export class AdminCredentials extends pulumi.ComponentResource {
    readonly secretName: pulumi.Output<string>;
    /** Secret Output. */
    readonly username: pulumi.Output<string>;
    /** Secret Output. */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:AdminCredentials", name, {}, opts);
        // Only an explicit generation bump regenerates the credentials.
        const keepers = { generation: String(args.model.cluster.adminCredentials.generation) };
        ({ username: this.username, password: this.password } = generatedLogin(this, name, "admin", keepers));
        const secret = new k8s.core.v1.Secret(name, adminSecretArgs(args.model, this.username, this.password), childOptions(this, args));
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}

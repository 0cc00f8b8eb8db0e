import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { adminSecretArgs } from "./builders/config";
import { childOptions, ClusterPartArgs } from "./common";

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
        // A RandomPassword, not a RandomString: its result and id never reach the state in plain text.
        const suffix = new random.RandomPassword(`${name}-user`, { length: 8, special: false, upper: false, numeric: true, keepers }, { parent: this });
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false, keepers }, { parent: this });
        this.username = pulumi.secret(pulumi.interpolate`admin-${suffix.result}`);
        this.password = pulumi.secret(password.result);
        const secret = new k8s.core.v1.Secret(name, adminSecretArgs(args.model, this.username, this.password), childOptions(this, args));
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}

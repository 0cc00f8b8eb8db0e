import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childOptions, ClusterPartArgs } from "./common";
import { ClusterModel } from "./model";

/**
 * A generated user name (`<prefix>-<8 random characters>`) and 32-character password, as Pulumi
 * secrets. RandomPassword rather than RandomString for both: neither result nor id reaches the
 * state in plain text. `keepers` decide when they are generated again (an explicit generation bump).
 */
export function generatedLogin(parent: pulumi.Resource, name: string, prefix: string, keepers: Record<string, string>) {
    const suffix = new random.RandomPassword(`${name}-user`, { length: 8, special: false, upper: false, numeric: true, keepers }, { parent });
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false, keepers }, { parent });
    return { username: pulumi.secret(pulumi.interpolate`${prefix}-${suffix.result}`), password: pulumi.secret(password.result) };
}

/**
 * A generated login and the Secret that holds it (`username`, `password`): the shared body of
 * RabbitMQ's and EMQX's admin and RabbitMQ's application user. Subclasses give their own type
 * token (part of each resource's URN) and which builder makes the Secret.
 */
export abstract class GeneratedLoginSecret extends pulumi.ComponentResource {
    readonly secretName: pulumi.Output<string>;
    /** Secret Output. */
    readonly username: pulumi.Output<string>;
    /** Secret Output. */
    readonly password: pulumi.Output<string>;

    protected constructor(
        type: string,
        name: string,
        args: ClusterPartArgs,
        login: { prefix: string; generation: number; secretArgs: (model: ClusterModel, username: pulumi.Input<string>, password: pulumi.Input<string>) => k8s.core.v1.SecretArgs },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        // Only an explicit generation bump regenerates the credentials.
        const keepers = { generation: String(login.generation) };
        ({ username: this.username, password: this.password } = generatedLogin(this, name, login.prefix, keepers));
        const secret = new k8s.core.v1.Secret(name, login.secretArgs(args.model, this.username, this.password), childOptions(this, args));
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}

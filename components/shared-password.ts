import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childOptions, ClusterPartArgs } from "./common";
import { objectMeta } from "./builders/meta";

/**
 * The password every member of a Redis cluster shares (`requirepass`, `masterauth`, Sentinel
 * auth), the Redis counterpart of the Erlang cookie: generated once, stored in a Secret, written
 * nowhere else; only an explicit `password.generation` bump regenerates it. An existing Secret
 * (a Helm release's) is referenced instead, never managed.
 */
export class SharedPassword extends pulumi.ComponentResource {
    readonly secretName: pulumi.Output<string>;
    /** Secret Output; undefined when the Secret is adopted (the program never reads it). */
    readonly password?: pulumi.Output<string>;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:SharedPassword", name, {}, opts);
        const { model } = args;
        const ref = model.secrets.password;
        if (!ref) throw new Error(`cluster ${model.cluster.name}: the ${model.cluster.engine} profile shares no password`);
        if (model.cluster.password?.existingSecret) {
            this.secretName = pulumi.output(ref.name);
        } else {
            const value = new random.RandomPassword(
                `${name}-value`,
                // Letters and digits only: the value goes into config files and URLs unquoted.
                { length: 48, special: false, keepers: { generation: String(model.cluster.password?.generation ?? 0) } },
                { parent: this },
            );
            const secret = new k8s.core.v1.Secret(
                name,
                { metadata: objectMeta(model, ref.name), type: "Opaque", immutable: true, stringData: { [ref.key]: value.result } },
                childOptions(this, args),
            );
            this.secretName = secret.metadata.name;
            this.password = pulumi.secret(value.result);
        }
        this.registerOutputs({ secretName: this.secretName });
    }
}

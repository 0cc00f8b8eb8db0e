import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childOptions, ClusterPartArgs } from "./common";
import { objectMeta } from "./builders/meta";

/**
 * The secret every member shares where there is no Erlang cookie: Redis' password
 * (`requirepass`, `masterauth`, Sentinel auth; 48 letters and digits) or MongoDB's keyFile (756
 * characters of the base64 alphabet, within mongod's 6–1024). Generated once, stored in a
 * Secret, written nowhere else; only an explicit `generation` bump regenerates it. An existing
 * Secret (a Helm release's) is referenced instead, never managed.
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
        const keyFile = model.profile.sharedSecret === "keyfile";
        const settings = keyFile ? model.cluster.keyFile : model.cluster.password;
        if (settings?.existingSecret) {
            this.secretName = pulumi.output(ref.name);
        } else {
            const keepers = { generation: String(settings?.generation ?? 0) };
            const value = new random.RandomPassword(
                `${name}-value`,
                keyFile
                    ? { length: 756, special: true, overrideSpecial: "+/", upper: true, lower: true, numeric: true, keepers }
                    : // Letters and digits only: the value goes into config files and URLs unquoted.
                      { length: 48, special: false, keepers },
                { parent: this },
            );
            // Not `immutable`: a kubelet never refreshes an immutable Secret it has cached, so after a
            // rotation (the same name, new content) pods started on a node that still ran a pod of the
            // cluster mounted the old password (measured on real nodes: two of three members kept it
            // through a full restart). The generation keeper is what prevents an accidental change.
            const secret = new k8s.core.v1.Secret(
                name,
                { metadata: objectMeta(model, ref.name), type: "Opaque", stringData: { [ref.key]: value.result } },
                childOptions(this, args),
            );
            this.secretName = secret.metadata.name;
            this.password = pulumi.secret(value.result);
        }
        this.registerOutputs({ secretName: this.secretName });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { emqxPasswordHash, mqttClientSecretArgs, mqttUsersSecretArgs, renderEmqxUsers } from "./builders/mqtt-auth";
import { childOptions, ClusterPartArgs } from "./common";
import { generatedLogin } from "./generated-login";

/**
 * EMQX's generated MQTT client user: a Secret for applications (`username`, `password`) and the
 * hashed users file EMQX's built-in database loads on every boot. Values exist only as Pulumi
 * secrets and inside the Secrets.
 */
export class MqttClientCredentials extends pulumi.ComponentResource {
    /** Name of the Secret applications read the credentials from. */
    readonly secretName: pulumi.Output<string>;
    /** Secret Output. */
    readonly username: pulumi.Output<string>;
    /** Secret Output. */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:MqttClientCredentials", name, {}, opts);
        const { model } = args;
        if (!model.clientAuth || model.clientAuth.allowAnonymous) throw new Error(`cluster ${model.cluster.name} does not generate an MQTT client user`);
        // Only an explicit generation bump regenerates the user; a new name lets EMQX insert it
        // (the bootstrap file never overwrites a user it already has).
        const keepers = { generation: String(model.clientAuth.generation) };
        ({ username: this.username, password: this.password } = generatedLogin(this, name, "client", keepers));
        const salt = new random.RandomBytes(`${name}-salt`, { length: 16, keepers }, { parent: this });
        const users = pulumi
            .all([this.username, this.password, salt.hex])
            .apply(([user, pass, saltHex]) => renderEmqxUsers(user, emqxPasswordHash(pass, saltHex), saltHex));
        const secret = new k8s.core.v1.Secret(name, mqttClientSecretArgs(model, this.username, this.password), childOptions(this, args));
        new k8s.core.v1.Secret(`${name}-users`, mqttUsersSecretArgs(model, pulumi.secret(users)), childOptions(this, args));
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { erlangCookieSecretArgs } from "./builders/config";
import { childOptions, ClusterPartArgs } from "./common";

/**
 * The cluster's Erlang cookie: generated once, stored in a Secret, never written anywhere else.
 * Its generator has no inputs that config can change, so the value survives every later update;
 * a changed cookie would split the cluster.
 */
export class ErlangCookie extends pulumi.ComponentResource {
    /** Name of the Secret holding the cookie. */
    readonly secretName: pulumi.Output<string>;
    /** Key of the cookie inside that Secret. */
    readonly secretKey: string;

    constructor(name: string, args: ClusterPartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:ErlangCookie", name, {}, opts);
        const { model } = args;
        this.secretKey = model.secrets.cookie.key;
        if (model.cluster.erlangCookie.existingSecret) {
            // Adopted from an earlier install (e.g. a Helm release): referenced, never managed.
            this.secretName = pulumi.output(model.secrets.cookie.name);
        } else {
            const cookie = new random.RandomPassword(
                `${name}-value`,
                {
                    length: 48,
                    special: false,
                    upper: true,
                    lower: true,
                    numeric: true,
                    // Only an explicit generation bump regenerates the cookie.
                    keepers: { generation: String(model.cluster.erlangCookie.generation) },
                },
                { parent: this },
            );
            const secret = new k8s.core.v1.Secret(name, erlangCookieSecretArgs(model, cookie.result), childOptions(this, args));
            this.secretName = secret.metadata.name;
        }
        this.registerOutputs({ secretName: this.secretName });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

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

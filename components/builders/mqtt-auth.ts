import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { MQTT_USERS_JSON } from "../engines/emqx";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

/**
 * EMQX's `sha256` password hash with `salt_position = prefix` (emqx_passwd): lower-case hex of
 * sha256(salt ++ password), the salt used as the bytes of its string.
 */
export function emqxPasswordHash(password: string, salt: string): string {
    return createHash("sha256").update(Buffer.from(salt + password, "utf8")).digest("hex");
}

/**
 * The built-in database's bootstrap file (`bootstrap_type = hash`, JSON). EMQX inserts users it
 * does not have and skips identical records; the user is never a superuser, so authorization
 * still applies to it.
 */
export function renderEmqxUsers(username: string, passwordHash: string, salt: string): string {
    return JSON.stringify([{ user_id: username, password_hash: passwordHash, salt, is_superuser: false }], null, 2);
}

/** The generated MQTT client user for applications: `username`, `password`. */
export function mqttClientSecretArgs(model: ClusterModel, username: pulumi.Input<string>, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return { metadata: objectMeta(model, model.names.mqttClientSecret), type: "Opaque", immutable: true, stringData: { username, password } };
}

/** The users file EMQX loads at boot; its name comes from the model (`revisioned` by generation). */
export function mqttUsersSecretArgs(model: ClusterModel, usersJson: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    if (!model.secrets.mqttUsers) throw new Error(`cluster ${model.cluster.name} has no generated MQTT client user`);
    return { metadata: objectMeta(model, model.secrets.mqttUsers.name), type: "Opaque", immutable: true, stringData: { [MQTT_USERS_JSON]: usersJson } };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterModel } from "../model";
import { DEFINITIONS_JSON } from "../engines/rabbitmq";
import { objectMeta } from "./meta";
import { DefinitionsSettings } from "../config/schema";
import { createHash } from "crypto";

/** Plain broker settings. Credentials never go here; they live in Secrets. */
export function configMapArgs(model: ClusterModel): k8s.core.v1.ConfigMapArgs {
    return { metadata: objectMeta(model, model.secrets.config.name), data: { ...model.profile.configFiles } };
}

/** The Erlang cookie Secret; `cookie` is a generated secret Output. */
export function erlangCookieSecretArgs(model: ClusterModel, cookie: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return {
        metadata: objectMeta(model, model.secrets.cookie.name),
        type: "Opaque",
        immutable: true,
        stringData: { [model.secrets.cookie.key]: cookie },
    };
}

/** Admin credentials: RabbitMQ's administrator (through the definitions), EMQX's dashboard admin. */
export function adminSecretArgs(model: ClusterModel, username: pulumi.Input<string>, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return { metadata: objectMeta(model, model.names.adminSecret), type: "Opaque", immutable: true, stringData: { username, password } };
}

/**
 * RabbitMQ's password hash format (rabbit_password_hashing_sha256): base64(salt ++ sha256(salt ++ password)).
 * The salt is generated once per cluster and kept in state, so the file is stable across runs.
 */
export function rabbitPasswordHash(password: string, salt: Buffer): string {
    const digest = createHash("sha256").update(Buffer.concat([salt, Buffer.from(password, "utf8")])).digest();
    return Buffer.concat([salt, digest]).toString("base64");
}

/** What a RabbitMQ cluster imports when the stack declares no definitions: the default vhost. */
export const DEFAULT_DEFINITIONS: DefinitionsSettings = { vhosts: ["/"], policies: [], queues: [], exchanges: [], bindings: [] };

/**
 * RabbitMQ definitions, imported on every boot. The admin user is part of them (with full
 * permissions on every declared vhost), so its password always matches the admin Secret: after a
 * rotation, and after `destroy` + `up` on retained volumes, where a default user would keep the
 * old password.
 */
export function renderDefinitions(defs: DefinitionsSettings, username: string, passwordHash: string): string {
    const vhosts = [...new Set(["/", ...defs.vhosts])];
    return JSON.stringify(
        {
            users: [{ name: username, password_hash: passwordHash, hashing_algorithm: "rabbit_password_hashing_sha256", tags: ["administrator"] }],
            vhosts: vhosts.map((name) => ({ name })),
            permissions: vhosts.map((vhost) => ({ user: username, vhost, configure: ".*", write: ".*", read: ".*" })),
            policies: defs.policies,
            queues: defs.queues.map((q) => ({ ...q, auto_delete: false })),
            exchanges: defs.exchanges.map((e) => ({ ...e, auto_delete: false, internal: false, arguments: {} })),
            bindings: defs.bindings.map((b) => ({ ...b, arguments: {} })),
        },
        null,
        2,
    );
}

export function definitionsSecretArgs(model: ClusterModel, definitionsJson: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return { metadata: objectMeta(model, model.secrets.definitions.name), type: "Opaque", stringData: { [DEFINITIONS_JSON]: definitionsJson } };
}

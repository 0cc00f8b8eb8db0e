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
    return loginSecretArgs(model, model.names.adminSecret, username, password);
}

/** RabbitMQ's application user, which the connection URL carries. */
export function appSecretArgs(model: ClusterModel, username: pulumi.Input<string>, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return loginSecretArgs(model, model.names.appSecret, username, password);
}

function loginSecretArgs(model: ClusterModel, name: string, username: pulumi.Input<string>, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
    return { metadata: objectMeta(model, name), type: "Opaque", immutable: true, stringData: { username, password } };
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

/** The vhosts applications get: the declared ones, in order ("/" unless the stack declares others). */
export function applicationVhosts(defs: DefinitionsSettings): string[] {
    return defs.vhosts.length > 0 ? [...new Set(defs.vhosts)] : ["/"];
}

/** A user of the definitions: its name and `rabbitPasswordHash`. */
export interface DefinitionsUser {
    name: string;
    passwordHash: string;
}

/**
 * RabbitMQ definitions, imported on every boot. The users are part of them, so their passwords
 * always match their Secrets: after a rotation, and after `destroy` + `up` on retained volumes,
 * where a default user would keep the old password (and, with definitions, no `guest` is created).
 * The admin (tag `administrator`) may do everything on every vhost; the application user has no
 * tag (no management UI or HTTP API) and full rights on the declared vhosts only. Every vhost
 * defaults to quorum queues, so queues applications declare are replicated too.
 */
export function renderDefinitions(defs: DefinitionsSettings, users: { admin: DefinitionsUser; app: DefinitionsUser }): string {
    const vhosts = [...new Set(["/", ...defs.vhosts])];
    const user = (u: DefinitionsUser, tags: string[]) => ({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: "rabbit_password_hashing_sha256", tags });
    const all = (name: string, vhost: string) => ({ user: name, vhost, configure: ".*", write: ".*", read: ".*" });
    return JSON.stringify(
        {
            users: [user(users.admin, ["administrator"]), user(users.app, [])],
            vhosts: vhosts.map((name) => ({ name, metadata: { description: "", tags: [], default_queue_type: "quorum" } })),
            permissions: [...vhosts.map((vhost) => all(users.admin.name, vhost)), ...applicationVhosts(defs).map((vhost) => all(users.app.name, vhost))],
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

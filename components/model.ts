import { ClientAuthSettings, ClusterSettings, PlatformSettings, resolveClientAuth, StorageSettings } from "./config/schema";
import { emqxProfile } from "./engines/emqx";
import { EngineProfile, SecretRefs } from "./engines/profile";
import { rabbitmqProfile } from "./engines/rabbitmq";
import { PASSWORD_KEY, redisProfile } from "./engines/redis";
import { KEYFILE_KEY, mongodbProfile } from "./engines/mongodb";
import { usesApiDiscovery } from "./engines/versions";
import { clusterNames, ClusterNames, revisioned } from "./naming";
import { PreviousCluster } from "./day2/previous";

/** Key of the Erlang cookie inside the generated cookie Secret. */
export const COOKIE_KEY = "cookie";

/**
 * One cluster's validated settings with everything derived from them resolved once: names,
 * engine profile, storage, secrets. Builders take this and return Kubernetes args.
 */
export interface ClusterModel {
    namespace: string;
    cluster: ClusterSettings;
    names: ClusterNames;
    profile: EngineProfile;
    storage: StorageSettings;
    volumeSize: string;
    antiAffinity: "required" | "preferred";
    /** Whether peer discovery calls the Kubernetes API (and so gets a Role). */
    needsApiAccess: boolean;
    secrets: SecretRefs;
    /** Statically provisioned PVs (hostPath, nfs) rather than a dynamic StorageClass. */
    staticVolumes: boolean;
    /**
     * Size in the StatefulSet's claim template. Fixed when the StatefulSet is first created:
     * the template is immutable, and changing it would replace the StatefulSet.
     */
    claimTemplateSize: string;
    /** Members that exist already (from the stack's last update); 0 on a first deployment. */
    existingMembers: number;
    /** Members the cluster first formed with: `replicas` on a first deployment, then what the record keeps. */
    formationSize: number;
    /** EMQX's MQTT client authentication with defaults applied; `undefined` for RabbitMQ. */
    clientAuth?: ClientAuthSettings;
}

/** Whether the package configures EMQX's authenticator and generates a client user. */
export function hasClientUser(model: Pick<ClusterModel, "clientAuth">): boolean {
    return model.clientAuth !== undefined && !model.clientAuth.allowAnonymous;
}

/** The engine's profile: the one place that picks an engine's implementation. */
function engineProfile(platform: PlatformSettings, cluster: ClusterSettings, names: ClusterNames, formationSize: number): EngineProfile {
    switch (cluster.engine) {
        case "rabbitmq":
            return rabbitmqProfile(cluster, names, platform.clusterDomain, formationSize);
        case "emqx":
            return emqxProfile(cluster, names, platform.namespace, platform.clusterDomain);
        case "redis":
        case "valkey":
            return redisProfile(cluster, names);
        case "mongodb":
            return mongodbProfile(cluster, names);
    }
}

/**
 * @param previous what this stack's last update recorded about the cluster, if it ran before.
 */
export function resolveCluster(platform: PlatformSettings, cluster: ClusterSettings, previous?: PreviousCluster): ClusterModel {
    const names = clusterNames({ namespace: platform.namespace, name: cluster.name, engine: cluster.engine, clusterDomain: platform.clusterDomain });
    const clientAuth = resolveClientAuth(cluster);
    // A record from before formationSize was kept: the size it last deployed stands in.
    const formationSize = previous ? (previous.formationSize ?? previous.replicas) : cluster.replicas;
    const profile = engineProfile(platform, cluster, names, formationSize);
    const staticVolumes = platform.storage.mode !== "storageClass";
    const volumeSize = cluster.volumeSize ?? platform.storage.size;
    return {
        namespace: platform.namespace,
        cluster,
        names,
        profile,
        storage: platform.storage,
        volumeSize,
        antiAffinity: cluster.antiAffinity ?? (platform.storage.mode === "hostPath" ? "required" : "preferred"),
        needsApiAccess: usesApiDiscovery(cluster.engine, cluster.version, cluster.discovery),
        secrets: {
            cookie: cluster.erlangCookie.existingSecret ?? { name: names.erlangCookieSecret, key: COOKIE_KEY },
            ...(profile.sharedSecret === "password" ? { password: cluster.password?.existingSecret ?? { name: names.passwordSecret, key: PASSWORD_KEY } } : {}),
            ...(profile.sharedSecret === "keyfile" ? { password: cluster.keyFile?.existingSecret ?? { name: names.keyFileSecret, key: KEYFILE_KEY } } : {}),
            admin: { name: names.adminSecret },
            config: { name: revisioned(names.configMap, profile.configFiles) },
            // The definitions hold the admin user's password hash: their name derives from the
            // declared definitions and the credentials' generation, never from secret material.
            definitions: {
                name: revisioned(names.definitionsSecret, { definitions: cluster.definitions ?? null, admin: cluster.adminCredentials.generation, app: cluster.appCredentials.generation }),
            },
            ...(cluster.tls ? { tls: { name: cluster.tls.secretName ?? names.tlsSecret } } : {}),
            // Likewise the client user's hash: named after its generation only.
            ...(clientAuth && !clientAuth.allowAnonymous ? { mqttUsers: { name: revisioned(names.mqttUsersSecret, { client: clientAuth.generation }) } } : {}),
        },
        staticVolumes,
        claimTemplateSize: previous?.claimTemplateSize ?? previous?.volumeSize ?? volumeSize,
        existingMembers: previous?.replicas ?? 0,
        formationSize,
        ...(clientAuth ? { clientAuth } : {}),
    };
}

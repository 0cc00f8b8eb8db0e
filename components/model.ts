import { ClusterSettings, PlatformSettings, StorageSettings } from "./config/schema";
import { emqxProfile } from "./engines/emqx";
import { EngineProfile, SecretRefs } from "./engines/profile";
import { rabbitmqProfile } from "./engines/rabbitmq";
import { usesApiDiscovery } from "./engines/versions";
import { clusterNames, ClusterNames } from "./naming";

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
}

export function resolveCluster(platform: PlatformSettings, cluster: ClusterSettings): ClusterModel {
    const names = clusterNames({ namespace: platform.namespace, name: cluster.name, engine: cluster.engine, clusterDomain: platform.clusterDomain });
    const profile =
        cluster.engine === "rabbitmq"
            ? rabbitmqProfile(cluster, names, platform.clusterDomain)
            : emqxProfile(cluster, names, platform.namespace, platform.clusterDomain);
    const staticVolumes = platform.storage.mode !== "storageClass";
    return {
        namespace: platform.namespace,
        cluster,
        names,
        profile,
        storage: platform.storage,
        volumeSize: cluster.volumeSize ?? platform.storage.size,
        antiAffinity: cluster.antiAffinity ?? (platform.storage.mode === "hostPath" ? "required" : "preferred"),
        needsApiAccess: usesApiDiscovery(cluster.engine, cluster.version, cluster.discovery),
        secrets: {
            cookie: cluster.erlangCookie?.existingSecret ?? { name: names.erlangCookieSecret, key: COOKIE_KEY },
            admin: { name: names.adminSecret },
        },
        staticVolumes,
    };
}

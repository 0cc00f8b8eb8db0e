import * as k8s from "@pulumi/kubernetes";
import { ClusterNames } from "../naming";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** A named container port and whether peers (headless) or clients (client Service) use it. */
export interface BrokerPort {
    name: string;
    port: number;
    /**
     * `peer`: epmd, Erlang distribution and cluster RPC, which the nodes use among themselves and
     * which hand anyone holding the cookie a shell on every node; `client`: protocols and UIs;
     * `both`: ports that members and clients use alike (Redis and its Sentinels: a client asks a
     * Sentinel for the master's pod hostname and then connects to that pod), on both Services.
     */
    audience: "peer" | "client" | "both";
    /**
     * `false`: clients reach this port on the pods by hostname, not through the client Service
     * (Redis/Valkey data nodes: only the master takes writes, and Sentinel names it).
     */
    clientService?: false;
}

/** Where the pod reads its generated Secrets and configuration from; names are fixed by the platform. */
export interface SecretRefs {
    /** Secret and key holding the Erlang cookie. */
    cookie: { name: string; key: string };
    /**
     * The shared secret of engines without an Erlang cookie: Redis' password (`requirepass`,
     * `masterauth`, Sentinel auth), MongoDB's keyFile. Secret and key.
     */
    password?: { name: string; key: string };
    /** Secret holding the admin username/password (keys `username`, `password`). */
    admin: { name: string };
    /** ConfigMap of the broker's config files, named after its content (`revisioned`). */
    config: { name: string };
    /** Secret of the RabbitMQ definitions, named after what its content derives from (`revisioned`). */
    definitions: { name: string };
    /** Secret with the broker certificate (`tls.crt`, `tls.key`, `ca.crt`), when the cluster runs TLS. */
    tls?: { name: string };
    /**
     * EMQX with client authentication: the Secret of the users its built-in database loads at
     * boot, named after the client user's generation (`revisioned`), so a rotation rolls the pods.
     */
    mqttUsers?: { name: string };
}

/**
 * Everything engine-specific the generic builders need. One profile per engine; the StatefulSet,
 * Service and RBAC builders stay engine-agnostic by asking the profile.
 */
export interface EngineProfile {
    image: string;
    /** UID/GID the broker runs as; data volumes must belong to it. */
    uid: number;
    /** Where the data volume is mounted. */
    dataMountPath: string;
    ports: BrokerPort[];
    /** Files for the ConfigMap (file name → content); plain settings only, never secrets. */
    configFiles: Record<string, string>;
    /** Container environment; `$(VAR)` references only to variables defined earlier in the list. */
    env(names: ClusterNames, secrets: SecretRefs): EnvVar[];
    /**
     * The secret every member shares, which the platform generates: the Erlang cookie (RabbitMQ,
     * EMQX) or the Redis password. Exactly one of the two components is created.
     */
    sharedSecret: "erlang-cookie" | "password" | "keyfile";
    /** Whether the engine has an administrator login of its own (RabbitMQ's user, EMQX's dashboard). */
    adminUser: boolean;
    /** Container command, when the image's default entrypoint is not what runs. */
    command?: string[];
    /** Volumes and mounts for config, cookie and definitions, beyond the data volume. */
    volumes(names: ClusterNames, secrets: SecretRefs): {
        volumes: k8s.types.input.core.v1.Volume[];
        mounts: k8s.types.input.core.v1.VolumeMount[];
        initContainers: k8s.types.input.core.v1.Container[];
        /** Further containers of the pod (Redis: the Sentinel next to each data node). */
        sidecars?: k8s.types.input.core.v1.Container[];
    };
    /**
     * Run once every member runs this template (after the StatefulSet's roll-out), as a Job named
     * after `trigger`: a new trigger (a version) runs it again. RabbitMQ: enable the stable feature flags.
     */
    postDeploy?(names: ClusterNames, secrets: SecretRefs): {
        trigger: unknown;
        container: k8s.types.input.core.v1.Container;
        volumes: k8s.types.input.core.v1.Volume[];
        /** Seconds the Job may run in all (its attempts included). */
        deadlineSeconds: number;
    };
    readinessProbe: k8s.types.input.core.v1.Probe;
    /** Command run before the container is stopped, so clients and queues move first. */
    preStop: string[];
    /** Command run once the container has started, for settings the broker applies only at first boot. */
    postStart?: string[];
    terminationGracePeriodSeconds: number;
    /**
     * Prometheus endpoint: the port (by name), path and scheme; `perObjectPath` is an endpoint with
     * one series per queue, exchange or connection, where the broker has one.
     */
    metrics?: { portName: string; path: string; perObjectPath?: string; scheme: "http" | "https" };
    /** Client Service port used for the management UI / dashboard; none for Redis. */
    managementPort?: string;
    /** `https` when the management UI / dashboard listens with TLS. */
    managementScheme?: "http" | "https";
    /** Connection URL scheme and port name for the stack output. */
    connection: { scheme: string; portName: string; path: string };
}

/** The port of the profile with this name; a profile always names its own ports. */
export function portNamed(profile: EngineProfile, name: string): BrokerPort {
    const port = profile.ports.find((p) => p.name === name);
    if (!port) throw new Error(`the engine profile has no port named ${name}`);
    return port;
}

/** Security context shared by broker containers: non-root, no privilege escalation, no capabilities. */
export function restrictedContainerSecurity(uid: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** `POD_NAME` first, because node names reference it with `$(POD_NAME)`. */
export function podIdentityEnv(): EnvVar[] {
    return [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ];
}

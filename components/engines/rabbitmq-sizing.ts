import { parseQuantity } from "@broker-platform/quantity";
import { ClusterSettings } from "../config/schema";
import { compareVersions } from "./versions";

const GIB = 2 ** 30;

/**
 * What RabbitMQ may count as its memory: the container's limit less headroom for what the
 * runtime allocates outside RabbitMQ's accounting (binary heaps of connections in flight, the
 * code, ETS growth between checks): a fifth of the limit, at most 2 GiB. Integer bytes, because
 * `total_memory_available_override_value` accepts `2GB`-style units but no Kubernetes suffix
 * (`1.5Gi` is refused, and RabbitMQ then falls back to the node's RAM: no alarm before the OOM kill).
 */
export function rabbitmqMemoryBytes(cluster: Pick<ClusterSettings, "resources">): number {
    const limit = limitBytes(cluster);
    return Math.floor(limit - Math.min(limit / 5, 2 * GIB));
}

/**
 * Free disk below which publishers are blocked: as much as the memory limit (RabbitMQ's production
 * guidance is at least 1.0 × the memory it may use, so a node that pages its queues out before a
 * memory alarm still finds room), written as integer bytes.
 */
export function rabbitmqDiskFreeLimitBytes(cluster: Pick<ClusterSettings, "resources">): number {
    return limitBytes(cluster);
}

function limitBytes(cluster: Pick<ClusterSettings, "resources">): number {
    const limit = parseQuantity(cluster.resources.limits.memory);
    // The schema admits quantities only; this guards a caller that bypassed it.
    if (limit === undefined || limit <= 0) throw new Error(`resources.limits.memory = "${cluster.resources.limits.memory}" is not a memory quantity`);
    return Math.floor(limit);
}

/**
 * Erlang schedulers for the CPU limit: one per whole core, rounded up, at least one. Without a
 * limit the runtime starts one per CPU of the node, which is what the pod may then use. With a
 * limit, more schedulers than cores only spin against the CFS quota and stall every process of
 * the node (heartbeats between members included) when the quota runs out.
 */
export function rabbitmqSchedulers(cluster: Pick<ClusterSettings, "resources">): number | undefined {
    const cpu = cluster.resources.limits.cpu;
    if (cpu === undefined) return undefined;
    const cores = parseQuantity(cpu);
    if (cores === undefined || cores <= 0) return undefined;
    return Math.max(1, Math.ceil(cores));
}

/** Seconds of a pod's grace period given to each preStop step; they add up to less than the grace period. */
export interface StopBudget {
    /** `rabbitmq-upgrade await_online_quorum_plus_one`; 0 when the cluster is too small for it. */
    awaitQuorum: number;
    /** `rabbitmq-upgrade await_online_synchronized_mirror` (3.13 only); 0 otherwise. */
    awaitMirrors: number;
    /** `rabbitmq-upgrade drain`. */
    drain: number;
    /** Left for the broker's own shutdown after the hook: SIGTERM must come before SIGKILL. */
    shutdown: number;
}

/**
 * The preStop budget. The hook's waits run one after another, and the kubelet counts the hook
 * and the broker's shutdown against one grace period: the sum stays below it, so a hook that
 * waits its full time still ends in an orderly stop, not a SIGKILL.
 */
export function rabbitmqStopBudget(cluster: Pick<ClusterSettings, "replicas" | "version">, grace: number): StopBudget {
    const shutdown = Math.min(60, Math.floor(grace / 4));
    const drain = Math.min(60, Math.floor(grace / 4));
    const waits = grace - shutdown - drain;
    // Waiting for quorum+1 on a cluster of one or two would wait forever.
    const quorum = cluster.replicas >= 3;
    // Classic mirrored queues exist up to 3.13; a mirror needs a second member.
    const mirrors = compareVersions(cluster.version, "4.0.0") < 0 && cluster.replicas >= 2;
    const share = Math.max(1, Math.floor(waits / ((quorum ? 1 : 0) + (mirrors ? 1 : 0) || 1)));
    return { awaitQuorum: quorum ? share : 0, awaitMirrors: mirrors ? share : 0, drain, shutdown };
}

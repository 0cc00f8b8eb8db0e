import { ConfigError } from "../config/load";
import { PlatformSettings } from "../config/schema";
import { compareVersions, rabbitmqUpgradeSteps, seriesOf } from "../engines/versions";
import { isRedisFamily } from "../engines/redis-flavor";
import { PreviousDeployment } from "./previous";
import { resolveCluster } from "../model";
import { claimStorageClass } from "../builders/storage";
import { parseQuantity } from "@broker-platform/quantity";

/** Smallest member count that still holds a majority of `current` members. */
export function majorityOf(current: number): number {
    return Math.floor(current / 2) + 1;
}

/**
 * Changes that are safe in a fresh stack but lose data or membership against running clusters:
 * scale-down without consent or below a majority, version downgrades, engine swaps, and RabbitMQ
 * upgrades that skip a series RabbitMQ requires on the way. Returns problems in the same `key = value: why` form as
 * config validation.
 */
export function transitionProblems(settings: PlatformSettings, previous: PreviousDeployment | undefined, project: string): string[] {
    if (!previous) return [];
    const problems: string[] = [];
    settings.clusters.forEach((c, i) => {
        const before = previous[c.name];
        if (!before) return;
        const key = (field: string) => `${project}:clusters[${i}].${field}`;
        if (before.engine !== c.engine && isRedisFamily(before.engine) && isRedisFamily(c.engine)) {
            problems.push(
                `${key("engine")} = "${c.engine}": cluster ${c.name} runs ${before.engine} ${before.version}; a switch in place is refused: ` +
                    `Valkey cannot load the data files of Redis 7.4 and later (RDB 12), and from 7.0 or 7.2 a rolling switch would have Redis and Valkey members replicating from each other mid-roll, which this package does not prove safe. ` +
                    `Run a new cluster name beside it and move the data (REPLICAOF from the new master, or a snapshot loaded into it), then remove the old one.`,
            );
        } else if (before.engine !== c.engine) {
            problems.push(`${key("engine")} = "${c.engine}": cluster ${c.name} runs ${before.engine}; an engine cannot be swapped in place (its volumes hold ${before.engine} data). Use a new cluster name.`);
            return;
        }
        if (c.replicas < before.replicas) {
            if (!c.allowScaleDown) {
                problems.push(
                    `${key("replicas")} = ${c.replicas}: cluster ${c.name} runs ${before.replicas} members; scale-down removes members that may hold queue replicas. ` +
                        `Drain first (${drainHint(c.engine)}), then set ${key("allowScaleDown")} = true.`,
                );
            } else if (c.replicas < majorityOf(before.replicas)) {
                problems.push(
                    `${key("replicas")} = ${c.replicas}: cluster ${c.name} runs ${before.replicas} members, and removing more than a minority at once loses the majority ` +
                        `(quorum queues and Khepri/Raft metadata stop). Scale down to at least ${majorityOf(before.replicas)}, let it settle, then continue.`,
                );
            }
        }
        problems.push(...storageProblems(settings, i, before, project));
        const order = compareVersions(c.version, before.version);
        if (order < 0) {
            problems.push(`${key("version")} = "${c.version}": cluster ${c.name} runs ${before.version}; downgrades are not supported once nodes have enabled newer feature flags. Restore from a backup into a new cluster instead.`);
        } else if (order > 0 && c.engine === "rabbitmq") {
            const steps = rabbitmqUpgradeSteps(before.version, c.version);
            if (steps === undefined) {
                problems.push(`${key("version")} = "${c.version}": cluster ${c.name} runs ${before.version}, and RabbitMQ has no in-place upgrade path from ${seriesOf(before.version)} to ${seriesOf(c.version)}; migrate into a new cluster (blue/green) instead.`);
            } else if (steps.length > 0) {
                problems.push(
                    `${key("version")} = "${c.version}": cluster ${c.name} runs ${before.version}, and RabbitMQ cannot upgrade from ${seriesOf(before.version)} to ${seriesOf(c.version)} in one step; ` +
                        `upgrade through ${steps.map((s) => `the latest ${s}.x`).join(", then ")} first (one pulumi up each; every stable feature flag is enabled after each roll-out), then to ${c.version}.`,
                );
            }
        }
    });
    return problems;
}

/** Claims are bound to volumes of one class and size: only growth, and only where it can happen in place. */
function storageProblems(settings: PlatformSettings, index: number, before: PreviousDeployment[string], project: string): string[] {
    const c = settings.clusters[index];
    const key = (field: string) => `${project}:clusters[${index}].${field}`;
    const model = resolveCluster(settings, c, before);
    const problems: string[] = [];
    const storageClass = claimStorageClass(model);
    if (before.storageClass !== undefined && before.storageClass !== storageClass) {
        problems.push(
            `${key("name")} = "${c.name}": its claims were created in storage class ${before.storageClass} and would now ask for ${storageClass}; ` +
                `existing volumes cannot move between classes. Keep ${settings.storage.mode === "storageClass" ? "storage.className" : "storage.mode"} as it was, or migrate the data into a new cluster.`,
        );
        return problems;
    }
    const was = parseQuantity(before.volumeSize);
    const now = parseQuantity(model.volumeSize);
    if (was === undefined || now === undefined || now === was) return problems;
    const sizeKey = c.volumeSize !== undefined ? key("volumeSize") : `${project}:storage.size`;
    if (now < was) {
        problems.push(`${sizeKey} = "${model.volumeSize}": cluster ${c.name} has ${before.volumeSize} volumes; Kubernetes cannot shrink a volume. Keep ${before.volumeSize} or larger.`);
    } else if (settings.storage.mode === "storageClass" && !settings.storage.allowVolumeExpansion) {
        problems.push(
            `${sizeKey} = "${model.volumeSize}": growing cluster ${c.name}'s ${before.volumeSize} claims needs a class with allowVolumeExpansion: true; ` +
                `if ${storageClass} has it, set storage.allowVolumeExpansion: true and the claims are expanded in place.`,
        );
    }
    return problems;
}

function drainHint(engine: string): string {
    if (engine === "mongodb") {
        return "for each member to remove, highest ordinal first: rs.remove(\"<pod host>:27017\") on the primary (rs.stepDown() first if it is the primary)";
    }
    if (engine === "redis" || engine === "valkey") {
        return "if the master is among the highest ordinals, move it first with SENTINEL FAILOVER on a Sentinel; after the scale-down run SENTINEL RESET <master name> on every remaining Sentinel";
    }
    return engine === "rabbitmq"
        ? "for each member to remove, highest ordinal first: rabbitmq-upgrade drain, move or shrink its quorum queue replicas with rabbitmq-queues, then rabbitmqctl forget_cluster_node after it stops"
        : "for each member to remove, highest ordinal first: emqx ctl cluster leave on that node";
}

/** Throws a ConfigError listing every unsafe transition; no resource has been registered yet. */
export function assertSafeTransitions(settings: PlatformSettings, previous: PreviousDeployment | undefined, project: string): void {
    const problems = transitionProblems(settings, previous, project);
    if (problems.length > 0) throw new ConfigError(problems);
}

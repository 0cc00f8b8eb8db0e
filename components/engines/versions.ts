import { BrokerEngine } from "../naming";

/** Release series this package has configuration for, per engine (`major.minor`). */
export const SUPPORTED_VERSIONS: Record<BrokerEngine, readonly string[]> = {
    rabbitmq: ["3.13", "4.0", "4.1", "4.2", "4.3"],
    emqx: ["5.0", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8"],
    // Sentinel's announce-hostnames / resolve-hostnames arrived in 6.2; 7.x is what is tested.
    redis: ["7.0", "7.2", "7.4"],
    // The open continuation of Redis 7.2; the same Sentinel design.
    valkey: ["8.0", "8.1"],
    mongodb: ["6.0", "7.0", "8.0"],
};

function parse(version: string): [number, number, number] {
    const [major, minor, patch] = version.split(".").map((p) => Number.parseInt(p, 10));
    return [major ?? 0, minor ?? 0, patch ?? 0];
}

export function majorVersion(version: string): number {
    return parse(version)[0];
}

/** Numeric comparison of `a.b.c` versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
    const pa = parse(a);
    const pb = parse(b);
    for (let i = 0; i < 3; i++) {
        if (pa[i] !== pb[i]) return pa[i] - pb[i];
    }
    return 0;
}

export function isSupportedVersion(engine: BrokerEngine, version: string): boolean {
    const [major, minor] = parse(version);
    return SUPPORTED_VERSIONS[engine].includes(`${major}.${minor}`);
}

/**
 * RabbitMQ's in-place upgrade paths between series (its upgrade guide's table): from each series,
 * the series a rolling upgrade may go to. 4.3 runs on Khepri only (Mnesia is gone) and requires
 * every 4.2 feature flag, so it is reached from 4.2 alone; 3.13 may go to any of 4.0–4.2.
 */
export const RABBITMQ_UPGRADE_PATHS: Record<string, readonly string[]> = {
    "3.13": ["4.0", "4.1", "4.2"],
    "4.0": ["4.1", "4.2"],
    "4.1": ["4.2"],
    "4.2": ["4.3"],
    "4.3": [],
};

/** `major.minor` of a version. */
export function seriesOf(version: string): string {
    const [major, minor] = parse(version);
    return `${major}.${minor}`;
}

/**
 * The series on the way from `from` to `to` if the jump itself is not an allowed path, e.g.
 * 4.0 → 4.3 gives ["4.2"]; an empty list when the jump is allowed (or within one series).
 */
export function rabbitmqUpgradeSteps(from: string, to: string): string[] | undefined {
    const a = seriesOf(from);
    const b = seriesOf(to);
    if (a === b) return [];
    const reachable = RABBITMQ_UPGRADE_PATHS[a];
    if (!reachable) return undefined;
    if (reachable.includes(b)) return [];
    // Shortest chain of allowed jumps (breadth first over a handful of series).
    const queue: string[][] = reachable.map((s) => [s]);
    while (queue.length > 0) {
        const path = queue.shift()!;
        const last = path[path.length - 1];
        for (const next of RABBITMQ_UPGRADE_PATHS[last] ?? []) {
            if (next === b) return path;
            if (!path.includes(next)) queue.push([...path, next]);
        }
    }
    return undefined;
}

/**
 * RabbitMQ's k8s peer discovery asked the API for the headless Service's endpoints up to 4.0;
 * from 4.1 it derives the seed node (ordinal 0) from its own hostname and needs no API access.
 */
export function rabbitmqDiscoveryUsesApi(version: string): boolean {
    return compareVersions(version, "4.1.0") < 0;
}

/** EMQX discovery strategy, `dns` unless the cluster asks for `k8s`. */
export type EmqxDiscovery = "dns" | "k8s";

/** Whether the broker's peer discovery calls the Kubernetes API (and so needs RBAC). */
export function usesApiDiscovery(engine: BrokerEngine, version: string, emqxDiscovery: EmqxDiscovery | undefined): boolean {
    // Redis replicas and Sentinels find each other by the pods' DNS names: no API access.
    // MongoDB members are listed by the same DNS names in the replica set configuration.
    if (engine === "redis" || engine === "valkey" || engine === "mongodb") return false;
    return engine === "rabbitmq" ? rabbitmqDiscoveryUsesApi(version) : (emqxDiscovery ?? "dns") === "k8s";
}

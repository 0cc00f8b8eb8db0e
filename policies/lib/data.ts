/** Where a broker keeps its state, and which volumes back it. */
import { Broker } from "./model";
import { rec, recs, str } from "./util";

const DATA_DIRS: Record<Broker["engine"], string[]> = {
    rabbitmq: [
        "/var/lib/rabbitmq",
        "/var/lib/rabbitmq/mnesia",
        "/bitnami/rabbitmq/mnesia",
        "/bitnami/rabbitmq",
        "/opt/bitnami/rabbitmq/var/lib/rabbitmq",
        "/opt/bitnami/rabbitmq/.rabbitmq/mnesia",
    ],
    emqx: ["/opt/emqx/data", "/opt/emqx/data/mnesia", "/bitnami/emqx/data", "/bitnami/emqx"],
    redis: ["/data", "/bitnami/redis/data", "/bitnami/redis", "/var/lib/redis", "/bitnami/valkey/data", "/bitnami/valkey", "/var/lib/valkey"],
    mongodb: ["/data/db", "/bitnami/mongodb", "/bitnami/mongodb/data/db", "/var/lib/mongodb"],
};
const DATA_ENV: Record<Broker["engine"], string[]> = {
    rabbitmq: ["RABBITMQ_MNESIA_BASE", "RABBITMQ_MNESIA_DIR", "RABBITMQ_DATA_DIR"],
    emqx: ["EMQX_NODE__DATA_DIR"],
    redis: [],
    mongodb: [],
};

/**
 * The directory part of a data-dir setting that is fixed in the manifest: Bitnami's
 * `/opt/bitnami/rabbitmq/.rabbitmq/mnesia/$(RABBITMQ_NODE_NAME)` lives under `…/mnesia`.
 */
function literalDir(value: string): string | undefined {
    if (!value.startsWith("/")) return undefined;
    let dir = value;
    const cut = value.search(/\u0001|\$\(/);
    if (cut >= 0) dir = value.slice(0, cut).replace(/\/[^/]*$/, "");
    dir = dir.replace(/\/+$/, "");
    return dir.length > 0 ? dir : undefined;
}

/**
 * Where the broker keeps its state. An explicit data-dir setting replaces the image defaults (else
 * a writable scratch mount at a default path, like Bitnami's emptyDir at
 * `/opt/bitnami/rabbitmq/var/lib/rabbitmq`, would count as the data mount).
 */
export function dataDirs(b: Broker): string[] {
    const explicit: string[] = [];
    for (const n of DATA_ENV[b.engine]) {
        const v = b.env.vars.get(n)?.value;
        const dir = v === undefined ? undefined : literalDir(v);
        if (dir) explicit.push(dir);
    }
    return explicit.length > 0 ? explicit : [...DATA_DIRS[b.engine]];
}

export interface DataMount {
    mount: Record<string, any>;
    mountPath: string;
    volumeName: string;
    /** The pod volume of that name, if any (a volumeClaimTemplate of the same name takes precedence). */
    volume?: Record<string, any>;
}

const CONFIG_SOURCES = ["configMap", "secret", "projected", "downwardAPI"];

/** Mounts of the broker container that hold (or contain) its data directory. */
export function dataMounts(b: Broker): DataMount[] {
    const dirs = dataDirs(b);
    const volumes = new Map<string, Record<string, any>>();
    for (const v of recs(b.podSpec.volumes)) {
        const n = str(v.name);
        if (n) volumes.set(n, v);
    }
    const out: DataMount[] = [];
    for (const m of recs(b.container.volumeMounts)) {
        const mp = (str(m.mountPath) ?? "").replace(/\/+$/, "");
        const vn = str(m.name) ?? "";
        if (!mp) continue;
        const vol = volumes.get(vn);
        if (vol && CONFIG_SOURCES.some((k) => rec(vol[k]))) continue;
        const hit = dirs.some((d) => d === mp || d.startsWith(mp + "/") || mp.startsWith(d + "/"));
        if (hit) out.push({ mount: m, mountPath: mp, volumeName: vn, volume: vol });
    }
    // A deeper mount (e.g. /var/lib/rabbitmq/mnesia) holds the data; its ancestors only hold the rest.
    return out.filter((m) => !out.some((o) => o !== m && o.mountPath.startsWith(m.mountPath + "/")));
}

/** Names of the StatefulSet's volumeClaimTemplates. */
export function templateNames(b: Broker): Set<string> {
    const spec = rec(b.object.spec) ?? {};
    return new Set(recs(spec.volumeClaimTemplates).map((t) => str(rec(t.metadata)?.name) ?? "").filter((n) => n));
}

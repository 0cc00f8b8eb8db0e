/** Where a broker keeps its state, and which volumes back it. */
import { hasRuntimePart } from "./env";
import { Broker } from "./model";
import { rec, recs, str } from "./util";

const DATA_DIRS: Record<Broker["engine"], string[]> = {
    rabbitmq: ["/var/lib/rabbitmq", "/var/lib/rabbitmq/mnesia", "/bitnami/rabbitmq/mnesia", "/bitnami/rabbitmq", "/opt/bitnami/rabbitmq/var/lib/rabbitmq"],
    emqx: ["/opt/emqx/data", "/opt/emqx/data/mnesia", "/bitnami/emqx/data", "/bitnami/emqx"],
};
const DATA_ENV: Record<Broker["engine"], string[]> = {
    rabbitmq: ["RABBITMQ_MNESIA_BASE", "RABBITMQ_MNESIA_DIR", "RABBITMQ_DATA_DIR"],
    emqx: ["EMQX_NODE__DATA_DIR"],
};

export function dataDirs(b: Broker): string[] {
    const dirs = [...DATA_DIRS[b.engine]];
    for (const n of DATA_ENV[b.engine]) {
        const v = b.env.vars.get(n)?.value;
        if (v && v.startsWith("/") && !hasRuntimePart(v)) dirs.push(v.replace(/\/+$/, ""));
    }
    return dirs;
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

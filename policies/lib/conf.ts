/**
 * Configuration files a broker reads: rabbitmq.conf and EMQX 4 `emqx.conf` (sysctl-like
 * `key = value` lines), plus a forgiving reading of EMQX 5 HOCON blocks (`cluster { k8s { … } }`).
 * Files come from ConfigMaps and Secrets mounted into the container (plain, `items`, `subPath` and
 * projected volumes).
 */
import { objectData, Lookup } from "./env";
import { K8sObject } from "./types";
import { rec, recs, str } from "./util";

export interface ConfEntry {
    key: string;
    value: string;
    line: number;
}

/** Parses `key = value` / `key: value` lines and `name { … }` blocks into dotted keys. */
export function parseConf(text: string): ConfEntry[] {
    const out: ConfEntry[] = [];
    const stack: string[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((rawLine, i) => {
        const line = rawLine.trim();
        if (line === "" || line.startsWith("#") || line.startsWith("//") || line.startsWith("%")) return;
        if (line === "}" || line === "},") {
            stack.pop();
            return;
        }
        const block = /^([A-Za-z0-9_.\-"]+)\s*[=:]?\s*\{\s*$/.exec(line);
        if (block) {
            stack.push(block[1].replace(/"/g, ""));
            return;
        }
        const kv = /^([A-Za-z0-9_.\-"$]+)\s*(?:=|:)\s*(.*)$/.exec(line);
        if (!kv) return;
        let value = kv[2].trim();
        if (value.endsWith(",")) value = value.slice(0, -1).trim();
        if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
            value = value.slice(1, -1);
        }
        const key = [...stack, kv[1].replace(/"/g, "")].join(".");
        out.push({ key, value, line: i + 1 });
    });
    return out;
}

export interface MountedFile {
    /** Path inside the container. */
    path: string;
    /** Key in the ConfigMap/Secret. */
    key: string;
    text: string;
    source: K8sObject;
    secret: boolean;
}

interface VolumeSource {
    kind: "ConfigMap" | "Secret";
    name: string;
    items?: Array<{ key: string; path: string }>;
}

function volumeSources(volume: Record<string, any>): VolumeSource[] {
    const out: VolumeSource[] = [];
    const add = (kind: "ConfigMap" | "Secret", src: unknown, nameKey: string) => {
        const r = rec(src);
        const name = str(r?.[nameKey]);
        if (!r || !name) return;
        const items = Array.isArray(r.items)
            ? recs(r.items)
                  .map((it) => ({ key: str(it.key) ?? "", path: str(it.path) ?? str(it.key) ?? "" }))
                  .filter((it) => it.key)
            : undefined;
        out.push({ kind, name, items });
    };
    add("ConfigMap", volume.configMap, "name");
    add("Secret", volume.secret, "secretName");
    for (const s of recs(rec(volume.projected)?.sources)) {
        add("ConfigMap", s.configMap, "name");
        add("Secret", s.secret, "name");
    }
    return out;
}

/** ConfigMap/Secret-backed files mounted into the container, with their contents. */
export function mountedFiles(podSpec: unknown, container: unknown, namespace: string, lookup: Lookup): MountedFile[] {
    const volumes = new Map<string, Record<string, any>>();
    for (const v of recs(rec(podSpec)?.volumes)) {
        const n = str(v.name);
        if (n) volumes.set(n, v);
    }
    const files: MountedFile[] = [];
    for (const m of recs(rec(container)?.volumeMounts)) {
        const vol = volumes.get(str(m.name) ?? "");
        const mountPath = str(m.mountPath);
        if (!vol || !mountPath) continue;
        const subPath = str(m.subPath);
        for (const src of volumeSources(vol)) {
            const obj = lookup(src.kind, namespace, src.name);
            if (!obj) continue;
            const data = objectData(obj);
            const entries = src.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
            for (const it of entries) {
                if (data[it.key] === undefined) continue;
                if (subPath !== undefined && subPath !== it.path) continue;
                const p = subPath !== undefined ? mountPath : `${mountPath.replace(/\/$/, "")}/${it.path}`;
                files.push({ path: p, key: it.key, text: data[it.key], source: obj, secret: src.kind === "Secret" });
            }
        }
    }
    return files;
}

/** Files whose name says they hold broker configuration in `key = value` form. */
export function isConfFile(path: string): boolean {
    const base = path.slice(path.lastIndexOf("/") + 1);
    return /\.conf$/.test(base) || base === "emqx.conf" || /\.hocon$/.test(base);
}

/**
 * The npm packages as a user gets them: `npm pack` of the components, the policy pack and the
 * quantity parser they share, installed from the tarballs into a fresh project outside the
 * repository (dependencies from the npm registry, at the lock file's versions).
 */
import * as fs from "fs";
import * as path from "path";
import { mustRun, REPO_ROOT, tempDir } from "./local";

export const COMPONENTS = "@broker-platform/components";
export const POLICIES = "@broker-platform/policies";
export const QUANTITY = "@broker-platform/quantity";

export interface Tarball {
    name: string;
    version: string;
    /** Absolute path of the .tgz. */
    file: string;
    /** Paths inside the tarball (without the leading `package/`). */
    files: string[];
    /** The package.json the tarball holds. */
    manifest: Record<string, any>;
}

/** The environment without an enclosing `npm run`'s npm_* settings, so npm acts as in a shell. */
function npmEnv(): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

/** Versions from the repository's package-lock.json, e.g. `@pulumi/pulumi` → "3.248.0". */
export function lockedVersion(name: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (!v) throw new Error(`${name} is not in package-lock.json`);
    return v;
}

/**
 * Builds the packages (`npm run build`, what `prepare` runs before a publish) and packs all three
 * into `dest`; returns them by package name.
 */
export function packPackages(dest: string = tempDir("broker-tarballs-")): Record<string, Tarball> {
    mustRun("npm", ["run", "build"], { env: npmEnv(), timeoutMs: 15 * 60 * 1000 });
    const packed = [
        ...JSON.parse(mustRun("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest], { env: npmEnv() })),
        ...JSON.parse(mustRun("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest, "-w", "quantity", "-w", "policies"], { env: npmEnv() })),
    ] as Array<{ name: string; version: string; filename: string; files: Array<{ path: string }> }>;
    const out: Record<string, Tarball> = {};
    for (const p of packed) {
        const file = path.join(dest, p.filename);
        const manifest = JSON.parse(mustRun("tar", ["-xzOf", file, "package/package.json"]));
        out[p.name] = { name: p.name, version: p.version, file, files: p.files.map((f) => f.path).sort(), manifest };
    }
    for (const name of [COMPONENTS, POLICIES, QUANTITY]) if (!out[name]) throw new Error(`npm pack made no tarball of ${name}`);
    return out;
}

/**
 * A fresh project outside the repository with the tarballs installed (and `extra` registry
 * packages, e.g. "typescript@5.9.3"); returns its directory.
 */
export function installTarballs(tarballs: Tarball[], extra: string[] = [], dir: string = tempDir("broker-consumer-")): string {
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "broker-consumer", version: "0.0.0", private: true, license: "UNLICENSED" }, null, 2)}\n`);
    mustRun("npm", ["install", "--no-audit", "--no-fund", "--save-exact", ...tarballs.map((t) => t.file), ...extra], { cwd: dir, env: npmEnv(), timeoutMs: 20 * 60 * 1000 });
    return dir;
}

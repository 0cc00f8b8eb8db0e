/**
 * The end-to-end tier's access to the real tools: the control-plane binaries built by
 * `scripts/tools.sh`, a local control plane started by `scripts/cluster-up.sh` and kubectl
 * against it. Nothing here imitates a tool: when one is missing, the helpers throw with the
 * reason the build script gave.
 */
import { execFileSync, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Where the e2e tier keeps its own cluster, apart from a developer's `npm run cluster:up`. */
export const E2E_DIR = process.env.BROKER_E2E_DIR ?? path.join(REPO_ROOT, ".cache", "e2e");

function tail(text: string, lines = 40): string {
    return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * Builds (or reuses from the cache) the named tool groups. Throws with the build script's own
 * explanation (which tools failed and why) when any of them cannot be built.
 */
export function ensureTools(groups: string[]): void {
    const r = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "tools.sh"), ...groups], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 70 * 60 * 1000,
    });
    if (r.status !== 0) {
        throw new Error(
            `the local tools could not be built (scripts/tools.sh ${groups.join(" ")} exited ${r.status ?? r.signal}):\n` +
                tail(r.stderr ?? "", 25),
        );
    }
}

/** PATH with the control plane's kubectl, as `npm run env` prints it. */
export function toolsEnv(clusterDir: string): NodeJS.ProcessEnv {
    const out = execFileSync("bash", ["-c", 'eval "$(bash scripts/env.sh 2>/dev/null)" && env -0'], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { ...process.env, BROKER_CLUSTER_DIR: clusterDir },
    });
    const env: NodeJS.ProcessEnv = {};
    for (const entry of out.split("\0")) {
        const i = entry.indexOf("=");
        if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
    }
    return { ...process.env, PATH: env.PATH, KUBECONFIG: env.KUBECONFIG };
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): RunResult {
    const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
        cwd: opts.cwd ?? REPO_ROOT,
        env: opts.env ?? process.env,
        input: opts.input,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 10 * 60 * 1000,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function mustRun(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
    const r = run(cmd, args, opts);
    if (r.status !== 0) {
        throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${r.status}:\n${tail(r.stderr || r.stdout)}`);
    }
    return r.stdout;
}

/**
 * A local control plane with kwok nodes, or with real nodes (kubelets and containerd running the
 * stand-in images), started and stopped through the repository scripts.
 */
export class LocalCluster {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;

    private constructor(readonly name: string, readonly nodes: number, dir?: string) {
        this.dir = dir ?? path.join(E2E_DIR, `cluster-${name}`);
        this.env = toolsEnv(this.dir);
    }

    /**
     * Starts a cluster in `dir` (default: a directory of the e2e tier named after `name`), with
     * kwok nodes, or with `realNodes` the kubelets of `cluster-up --real-nodes`.
     */
    static start(name: string, nodes: number, dir?: string, opts: { realNodes?: boolean } = {}): LocalCluster {
        const c = new LocalCluster(name, nodes, dir);
        const flag = opts.realNodes ? "--real-nodes" : "--nodes";
        const r = run("bash", [path.join(REPO_ROOT, "scripts", "cluster-up.sh"), flag, String(nodes)], {
            env: { ...process.env, BROKER_CLUSTER_DIR: c.dir },
            timeoutMs: 75 * 60 * 1000,
        });
        if (r.status !== 0) {
            throw new Error(`cluster-up ${flag} ${nodes} failed (exit ${r.status}):\n${tail(r.stderr)}`);
        }
        return c;
    }

    /** A cluster started elsewhere (e.g. by `npm run cluster:up`) from its directory. */
    static attach(dir: string): LocalCluster {
        return new LocalCluster(path.basename(dir), 0, dir);
    }

    /** Runs cluster-down; its exit status and output. */
    stop(): RunResult {
        return run("bash", [path.join(REPO_ROOT, "scripts", "cluster-down.sh")], {
            env: { ...process.env, BROKER_CLUSTER_DIR: this.dir },
        });
    }

    get kubeconfig(): string {
        return path.join(this.dir, "kubeconfig");
    }

    kubectl(args: string[], input?: string): string {
        return mustRun("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { env: this.env, input });
    }

    tryKubectl(args: string[], input?: string): RunResult {
        return run("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { env: this.env, input });
    }

    getJson<T = any>(args: string[]): T {
        return JSON.parse(this.kubectl([...args, "-o", "json"])) as T;
    }

    /** Applies plain objects (server-side, so the API server validates each one in full). */
    apply(objects: Array<Record<string, any>>): void {
        const list = { apiVersion: "v1", kind: "List", items: objects };
        this.kubectl(["apply", "--server-side", "--field-manager=broker-e2e", "-f", "-"], JSON.stringify(list));
    }
}

/** Polls `check` until it returns a value other than undefined, or fails with `what`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = check();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
}

const tempDirs: string[] = [];
// Project copies, state backends and tarballs of one test process go with it (set
// BROKER_E2E_KEEP_TEMP=1 to look at them afterwards); symlinks inside are removed, not followed.
process.on("exit", () => {
    if (process.env.BROKER_E2E_KEEP_TEMP) return;
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temporary directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
}

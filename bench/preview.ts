/**
 * How long the commands a team runs on every pull request and deploy take with the real engine,
 * against the floor measured in the same run: `pulumi preview` of an empty Pulumi YAML program
 * (engine start, backend, no plugins). Each figure is the median of several runs of the CLI as a
 * whole process, on a local control plane with 5 kwok nodes; stacks live in a scratch backend.
 *
 *   npm run bench:preview [-- --runs 3]
 *
 * Prints each figure, its goal, and its ratio to the floor; and the 10-cluster / 1-cluster
 * preview ratio (goal: at most 2).
 */
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { engineEnv, POLICY_PACK, projectCopy, requireEngine, writeStackConfig } from "../tests/e2e/support/engine";
import { LocalCluster, run, tempDir } from "../tests/e2e/support/local";
import { stackConfig } from "../tests/support/render";

const RUNS = Number(process.argv[process.argv.indexOf("--runs") + 1] || 3) || 3;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** Wall-clock seconds of one CLI command, which must succeed. */
function timed(args: string[], cwd: string, env: Record<string, string>): number {
    const t0 = performance.now();
    const r = run("pulumi", args, { cwd, env, timeoutMs: 15 * 60 * 1000 });
    const s = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${(r.stderr || r.stdout).slice(-2000)}`);
    return s;
}

/** A stack of a project copy with the given config (project keys without prefix). */
function stack(dir: string, env: Record<string, string>, name: string, config?: Record<string, unknown>): string {
    if (config) writeStackConfig(dir, name, config);
    timed(["stack", "init", name], dir, env);
    return name;
}

function devConfig(namespace: string, clusters = 1): Record<string, unknown> {
    const raw = stackConfig("dev");
    const one = (raw["broker-platform:clusters"] as Array<Record<string, unknown>>)[0];
    return {
        namespace,
        storage: raw["broker-platform:storage"],
        clusters: Array.from({ length: clusters }, (_, i) => ({ ...one, name: clusters === 1 ? one.name : `${one.name}-${i}` })),
    };
}

async function main(): Promise<void> {
    console.log(`engine: ${requireEngine()}; runs per figure: ${RUNS} (median)`);
    const k = LocalCluster.start("bench-preview", 5);
    try {
        const env = engineEnv(k, tempDir("bench-state-"));
        const figures: Array<{ what: string; seconds: number; goal?: number }> = [];
        const measure = (what: string, goal: number | undefined, once: (i: number) => number) => {
            const xs = Array.from({ length: RUNS }, (_, i) => once(i));
            figures.push({ what, seconds: median(xs), goal });
            console.log(`  ${what}: ${xs.map((x) => x.toFixed(2)).join(" / ")} s`);
        };

        const floorDir = tempDir("bench-floor-");
        fs.writeFileSync(path.join(floorDir, "Pulumi.yaml"), "name: floor\nruntime: yaml\nresources: {}\n");
        stack(floorDir, env, "floor");
        timed(["preview"], floorDir, env); // warm-up: first use of the backend
        measure("floor: preview of an empty YAML program", undefined, () => timed(["preview"], floorDir, env));

        const dir = projectCopy();
        stack(dir, env, "dev");
        timed(["preview", "--stack", "dev"], dir, env); // warm-up: page cache, plugin start
        measure("dev: pulumi preview", 4, () => timed(["preview", "--stack", "dev"], dir, env));
        measure("dev: pulumi preview --policy-pack policies", 6, () => timed(["preview", "--stack", "dev", "--policy-pack", POLICY_PACK], dir, env));
        measure("pulumi up from empty (dev-like stack, new namespace)", 15, (i) => {
            const name = stack(dir, env, `up-${i}`, devConfig(`bench-up-${i}`));
            return timed(["up", "--yes", "--skip-preview", "--stack", name], dir, env);
        });
        measure("no-op preview after up (--expect-no-changes)", 4, () => timed(["preview", "--expect-no-changes", "--stack", "up-0"], dir, env));

        const one = stack(dir, env, "one", devConfig("bench-one", 1));
        const ten = stack(dir, env, "ten", devConfig("bench-ten", 10));
        measure("preview, 1 cluster", undefined, () => timed(["preview", "--stack", one], dir, env));
        measure("preview, 10 clusters", undefined, () => timed(["preview", "--stack", ten], dir, env));

        const floor = figures[0].seconds;
        console.log("\nfigure | median s | goal s | met | × floor");
        console.log("--- | --- | --- | --- | ---");
        for (const f of figures) {
            const met = f.goal === undefined ? "" : f.seconds <= f.goal ? "yes" : "no";
            console.log(`${f.what} | ${f.seconds.toFixed(2)} | ${f.goal ?? ""} | ${met} | ${(f.seconds / floor).toFixed(1)}`);
        }
        const ratio = figures.find((f) => f.what === "preview, 10 clusters")!.seconds / figures.find((f) => f.what === "preview, 1 cluster")!.seconds;
        console.log(`\n10-cluster / 1-cluster preview: ${ratio.toFixed(2)} (goal ≤ 2: ${ratio <= 2 ? "met" : "not met"})`);
    } finally {
        k.stop();
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});

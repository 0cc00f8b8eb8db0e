/**
 * Start-up of `broker-lint` as a user installs it: the policy package packed (`npm pack`) and
 * installed from its tarball into a fresh project outside the repository, its bin run as a whole
 * process, against kube-score on the same small file in the same run. Figures: `--version`, one
 * small file, and the floor `node -e 0`; also through `npx` (what CI templates call), which adds
 * npm's own start-up, the checkout's bin for comparison, and the small file without the bin's code
 * cache (V8's compiled code of the bundles, kept in the temp directory after a run: the warm-up
 * writes it; without it is a first run, or a temp directory it cannot write). Times are medians of alternating runs after one warm-up each.
 *
 * kube-score is looked up on PATH, $GOBIN and ~/.cache/broker-platform/peers/bin (`npm run peers`).
 *
 *   npm run bench:startup                     (RUNS=15 for more runs per figure)
 *   BROKER_CONSUMER_DIR=<dir> npm run bench:startup   reuses a project the packages are installed in
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../tests/e2e/support/local";
import { installTarballs, packPackages, POLICIES, QUANTITY } from "../tests/e2e/support/packages";

const SMALL = path.join(REPO_ROOT, "tests", "fixtures", "seeds", "002-04-rabbitmq-cluster-sts.yaml");
const RUNS = Number(process.env.RUNS ?? 9);
const TARGET = 0.25;

function which(tool: string): string | undefined {
    const dirs = (process.env.PATH ?? "").split(path.delimiter);
    if (process.env.GOBIN) dirs.push(process.env.GOBIN);
    dirs.push(path.join(os.homedir(), ".cache", "broker-platform", "peers", "bin"));
    return dirs.map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
}

/** Wall seconds and exit code of one whole-process run. */
function runOnce(cmd: string[], cwd: string): { seconds: number; code: number | null } {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd, stdio: ["ignore", "ignore", "ignore"], timeout: 60000 });
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, code: r.status };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The commands in turn (A B C A B C …) after one warm-up each; median seconds per command. */
function measure(cmds: Record<string, string[]>, cwd: string): Record<string, { seconds: number; code: number | null }> {
    const samples: Record<string, Array<{ seconds: number; code: number | null }>> = {};
    for (const cmd of Object.values(cmds)) runOnce(cmd, cwd);
    for (let i = 0; i < RUNS; i++) for (const [name, cmd] of Object.entries(cmds)) (samples[name] ??= []).push(runOnce(cmd, cwd));
    return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, { seconds: median(s.map((x) => x.seconds)), code: s[0].code }]));
}

const fmt = (s: number) => `${Math.round(s * 1000)} ms`;

function main(): void {
    let project = process.env.BROKER_CONSUMER_DIR;
    if (!project) {
        console.log("packing the packages and installing the policy package's tarball into a fresh project …");
        const t = packPackages();
        project = installTarballs([t[QUANTITY], t[POLICIES]]);
    }
    const bin = path.join(project, "node_modules", ".bin", "broker-lint");
    if (!fs.existsSync(bin)) throw new Error(`no installed broker-lint in ${project}`);
    console.log(`installed broker-lint: ${fs.realpathSync(bin)}`);
    const kubeScore = which("kube-score");
    console.log(`kube-score: ${kubeScore ?? "not installed (npm run peers); not measured"}`);
    console.log(`small file: ${path.relative(REPO_ROOT, SMALL)}; runs per figure: ${RUNS} after one warm-up, medians`);
    const load = () => os.loadavg().map((l) => l.toFixed(2)).join(", ");
    console.log(`load average at start: ${load()} on ${os.cpus().length} cores\n`);

    const cmds: Record<string, string[]> = {
        version: [bin, "--version"],
        small: [bin, SMALL],
        npxVersion: ["npx", "--no", "--", "broker-lint", "--version"],
        npxSmall: ["npx", "--no", "--", "broker-lint", SMALL],
        repoVersion: [process.execPath, path.join(REPO_ROOT, "policies", "bin", "broker-lint.js"), "--version"],
        repoSmall: [process.execPath, path.join(REPO_ROOT, "policies", "bin", "broker-lint.js"), SMALL],
        node: [process.execPath, "-e", "0"],
        // TMPDIR naming a file: no code cache can be read or written.
        noCacheSmall: ["env", `TMPDIR=${path.join(project, "package.json")}`, bin, SMALL],
    };
    if (kubeScore) {
        cmds.ksVersion = [kubeScore, "version"];
        cmds.ksSmall = [kubeScore, "score", SMALL];
    }
    const r = measure(cmds, project);
    const ratio = (ks: string, ours: string) => (r[ks] ? `${(r[ours].seconds / r[ks].seconds).toFixed(2)}x` : "-");
    const rows: string[][] = [
        ["figure", "broker-lint (installed)", "kube-score", "broker-lint / kube-score", "target", "met"],
        ["--version", fmt(r.version.seconds), r.ksVersion ? fmt(r.ksVersion.seconds) : "-", ratio("ksVersion", "version"), `<= ${TARGET * 1000} ms`, r.version.seconds <= TARGET ? "yes" : "NO"],
        [
            `one small file (${path.basename(SMALL)})`,
            `${fmt(r.small.seconds)} (exit ${r.small.code})`,
            r.ksSmall ? `${fmt(r.ksSmall.seconds)} (exit ${r.ksSmall.code})` : "-",
            ratio("ksSmall", "small"),
            `<= ${TARGET * 1000} ms`,
            r.small.seconds <= TARGET ? "yes" : "NO",
        ],
        ["one small file, without the code cache", `${fmt(r.noCacheSmall.seconds)} (exit ${r.noCacheSmall.code})`, "", ratio("ksSmall", "noCacheSmall"), "", ""],
        ["npx broker-lint --version", fmt(r.npxVersion.seconds), "", "", "", ""],
        ["npx broker-lint <small file>", `${fmt(r.npxSmall.seconds)} (exit ${r.npxSmall.code})`, "", "", "", ""],
        ["checkout's bin (policies/bin): --version / small file", `${fmt(r.repoVersion.seconds)} / ${fmt(r.repoSmall.seconds)}`, "", "", "", ""],
        ["floor: node -e 0", fmt(r.node.seconds), "", "", "", ""],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
    for (const x of rows) console.log(x.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
    console.log(`\nload average at end: ${load()}`);
}

main();

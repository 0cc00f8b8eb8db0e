/**
 * Speed of the `broker-lint` CLI as a whole process (the compiled bin, as `npx broker-lint` runs
 * it) against kube-score on the same files, in the same run: 5,000 objects in 50 files, 25,000
 * objects in 250 files, one 50 MB file, and start-up (`--version`, one small file). Also the rule
 * engine alone, in process. Times are medians of alternating runs; peak memory is the process's
 * maximum RSS from /usr/bin/time.
 *
 * kube-score is looked up on PATH, $GOBIN, ~/.cache/broker-platform/peers/bin and
 * $(go env GOPATH)/bin; install it with
 *   go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0
 * kube-linter is reported as not installed when absent (its module path is not on the Go proxy
 * this project can reach).
 *
 * Run: npm run build && npm run bench:lint   (RUNS=5 for more runs per figure)
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { lint } from "../policies/engine";
import { K8sObject } from "../policies/lib/types";
import { cluster, generate } from "./lint-objects";

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "policies", "bin", "broker-lint.js");
const SMALL = path.join(ROOT, "tests", "fixtures", "seeds", "002-04-rabbitmq-cluster-sts.yaml");
const RUNS = Number(process.env.RUNS ?? 3);
const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function which(tool: string): string | undefined {
    const dirs = (process.env.PATH ?? "").split(path.delimiter);
    if (process.env.GOBIN) dirs.push(process.env.GOBIN);
    dirs.push(path.join(os.homedir(), ".cache", "broker-platform", "peers", "bin"));
    try {
        dirs.push(path.join(execFileSync("go", ["env", "GOPATH"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(), "bin"));
    } catch {
        // no Go toolchain
    }
    return dirs.map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
}

interface Sample {
    seconds: number;
    /** User + system CPU time: less skewed than wall time when other processes share the cores. */
    cpuSeconds?: number;
    peakMb?: number;
    code: number | null;
}

/** One whole-process run; wall time and peak RSS as the kernel accounts them. */
function runOnce(cmd: string[]): Sample {
    const report = path.join(os.tmpdir(), `broker-lint-bench-time-${process.pid}`);
    const argv = TIME ? [TIME, "-f", "%e %M %U %S", "-o", report, ...cmd] : cmd;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "ignore"], timeout: 600000 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!TIME) return { seconds, code: r.status };
    const [wall, kb, user, sys] = fs.readFileSync(report, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    fs.rmSync(report, { force: true });
    return { seconds: wall || seconds, cpuSeconds: user + sys, peakMb: kb / 1024, code: r.status };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the commands in turn (A B A B …) after one warm-up each; medians per command. */
function measure(cmds: Record<string, string[]>): Record<string, Sample> {
    const samples: Record<string, Sample[]> = {};
    for (const cmd of Object.values(cmds)) runOnce(cmd);
    for (let i = 0; i < RUNS; i++) for (const [name, cmd] of Object.entries(cmds)) (samples[name] ??= []).push(runOnce(cmd));
    return Object.fromEntries(
        Object.entries(samples).map(([name, s]) => [
            name,
            {
                seconds: median(s.map((x) => x.seconds)),
                cpuSeconds: s[0].cpuSeconds === undefined ? undefined : median(s.map((x) => x.cpuSeconds!)),
                peakMb: s[0].peakMb === undefined ? undefined : median(s.map((x) => x.peakMb!)),
                code: s[0].code,
            },
        ]),
    );
}

const yamlOf = (objects: K8sObject[]) => objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n");

function writeFiles(dir: string, objects: K8sObject[], files: number): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const per = Math.ceil(objects.length / files);
    const out: string[] = [];
    for (let i = 0; i < files; i++) {
        const f = path.join(dir, `objects-${String(i).padStart(3, "0")}.yaml`);
        fs.writeFileSync(f, yamlOf(objects.slice(i * per, (i + 1) * per)));
        out.push(f);
    }
    return out;
}

/** One file of at least `bytes`, whole clusters at a time. */
function writeLargeFile(file: string, bytes: number): number {
    const fd = fs.openSync(file, "w");
    let written = 0;
    let objects = 0;
    for (let i = 0; written < bytes; i++) {
        const some = cluster(i);
        const text = (i > 0 ? "---\n" : "") + yamlOf(some);
        fs.writeSync(fd, text);
        written += Buffer.byteLength(text);
        objects += some.length;
    }
    fs.closeSync(fd);
    return objects;
}

const fmt = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
const cpu = (x: Sample) => (x.cpuSeconds === undefined ? "" : `, cpu ${fmt(x.cpuSeconds)}`);

function main(): void {
    if (!fs.existsSync(path.join(ROOT, "policies", "dist", "cli", "main.js"))) {
        console.log("note: policies/dist is missing, so the bin runs the TypeScript sources; run `npm run build` first for the shipped figures");
    }
    const kubeScore = which("kube-score");
    const kubeLinter = which("kube-linter");
    console.log(`kube-score: ${kubeScore ?? "not installed"}`);
    console.log(`kube-linter: ${kubeLinter ?? "not installed (golang.stackrox.io/kube-linter is not on the Go module proxy reachable here); not measured"}`);
    console.log(`runs per figure: ${RUNS} after one warm-up, medians; peak memory and CPU time: ${TIME ? "maximum RSS, user + system time from /usr/bin/time" : "not measured (no /usr/bin/time)"}`);
    console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")} on ${os.cpus().length} cores\n`);

    const objects = generate(5000);
    lint(objects.slice(0, 200));
    const t0 = process.hrtime.bigint();
    lint(objects);
    const engineMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`rule engine alone: ${objects.length} objects in ${engineMs.toFixed(0)} ms = ${Math.round((objects.length / engineMs) * 1000)} objects/s\n`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-bench-"));
    try {
        const rows: string[][] = [["figure", "broker-lint", "kube-score", "kube-score / broker-lint", "target", "met"]];
        for (const [count, files] of [
            [5000, 50],
            [25000, 250],
        ]) {
            const paths = writeFiles(path.join(dir, String(count)), generate(count), files);
            const cmds: Record<string, string[]> = { ours: [process.execPath, BIN, "--format", "json", path.join(dir, String(count))] };
            if (kubeScore) cmds.kubeScore = [kubeScore, "score", "--output-format", "json", ...paths];
            const r = measure(cmds);
            const ratio = r.kubeScore ? r.kubeScore.seconds / r.ours.seconds : undefined;
            rows.push([
                `${count.toLocaleString("en-US")} objects in ${files} files`,
                `${fmt(r.ours.seconds)} (exit ${r.ours.code}${cpu(r.ours)})`,
                r.kubeScore ? `${fmt(r.kubeScore.seconds)}${r.kubeScore.cpuSeconds === undefined ? "" : ` (cpu ${fmt(r.kubeScore.cpuSeconds)})`}` : "not installed",
                ratio ? `${ratio.toFixed(2)}x` : "-",
                ">= 1.5x",
                ratio ? (ratio >= 1.5 ? "yes" : "NO") : "-",
            ]);
        }
        const large = path.join(dir, "large.yaml");
        const largeObjects = writeLargeFile(large, 50 * 1024 * 1024);
        const big = measure({ ours: [process.execPath, BIN, "--format", "json", large] }).ours;
        const mb = (fs.statSync(large).size / 1024 / 1024).toFixed(1);
        rows.push([`one ${mb} MB file (${largeObjects.toLocaleString("en-US")} objects): time`, `${fmt(big.seconds)} (exit ${big.code}${cpu(big)})`, "", "", "<= 10 s", big.seconds <= 10 ? "yes" : "NO"]);
        if (big.peakMb !== undefined) rows.push([`one ${mb} MB file: peak memory`, `${big.peakMb.toFixed(0)} MB`, "", "", "<= 500 MB", big.peakMb <= 500 ? "yes" : "NO"]);
        const start = measure({ version: [process.execPath, BIN, "--version"], small: [process.execPath, BIN, SMALL], node: [process.execPath, "-e", "0"] });
        rows.push(["start-up: --version", fmt(start.version.seconds), "", "", "<= 0.25 s", start.version.seconds <= 0.25 ? "yes" : "NO"]);
        rows.push([`start-up: one small file (${path.basename(SMALL)})`, `${fmt(start.small.seconds)} (exit ${start.small.code})`, "", "", "<= 0.25 s", start.small.seconds <= 0.25 ? "yes" : "NO"]);
        rows.push(["floor: node -e 0", fmt(start.node.seconds), "", "", "", ""]);
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
        console.log(`\nload average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();

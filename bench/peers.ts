/**
 * Which broker defects broker-lint and other Kubernetes linters report, measured in one run.
 *
 * 1. Generated defects (bench/peer-defects.ts): one manifest per defect plus the clean baseline
 *    it was made from. A tool "flags" a defect when one of its checks whose meaning is that defect
 *    (MAPPINGS below, per tool) fires on the defect's manifest and does not fire on the baseline.
 *    For broker-lint that check is the rule the defect names. Checks that fire only on the
 *    defect's manifest but mean something else are listed under the table, not counted.
 * 2. Chart renders (../shared/corpus/charts/*.yaml, unedited `helm template` output): how many
 *    findings each tool reports per render, and each tool's total time.
 *
 * Peers run from the cache `npm run peers` installs (scripts/peers.sh); a tool it could not
 * install is printed as "not installable here" with the reason, never given results.
 *
 * Run: npm run peers && npm run bench:peers
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { baseline, Defect, DEFECTS, manifest } from "./peer-defects";
import { K8sObject } from "../policies/lib/types";

const ROOT = path.resolve(__dirname, "..");
const CHARTS = path.resolve(ROOT, "..", "shared", "corpus", "charts");
const BROKER_LINT = path.join(ROOT, "node_modules", ".bin", "broker-lint");
const PEERS = process.env.BROKER_PEERS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "broker-platform", "peers");
/** Peers scripts/peers.sh tries to install, in table order. */
const PEER_NAMES = ["kube-score", "checkov", "kube-linter", "polaris"];
const CONCURRENCY = 2;

/** What one run of a tool on one file reported. */
interface Report {
    /** Ids of the checks (rules) that fired. */
    checks: Set<string>;
    /** Number of findings (check × object). */
    findings: number;
    /** Of those, how many fail the run (broker-lint's mandatory violations). */
    mandatory?: number;
    ms: number;
}

interface Tool {
    name: string;
    version: string;
    run(file: string): Promise<Report>;
    /** check id → the defects (ids in peer-defects.ts) that check's meaning covers. */
    mapping: (defect: Defect) => string[];
}

/**
 * Peer check → defects, from each check's own description (`kube-score list`,
 * `checkov --list --framework kubernetes`). A defect with no entry has no check of that tool
 * whose meaning is the defect; other checks that happen to fire are reported, not counted.
 */
const MAPPINGS: Record<string, Record<string, string[]>> = {
    "kube-score": {
        // "Makes sure that StatefulSets have an existing headless serviceName" (it looks the
        // Service up in the StatefulSet's namespace and matches its selector to the pods).
        "statefulset-has-servicename": ["service-missing", "no-service-name", "service-not-headless", "service-other-namespace", "service-selector-mismatch", "service-no-selector"],
        // "Makes sure that all Services targets a Pod"
        "service-targets-pod": ["service-selector-mismatch", "service-no-selector"],
        // "Makes sure that a podAntiAffinity has been set that prevents multiple pods from being scheduled on the same node"
        "statefulset-has-host-podantiaffinity": ["anti-affinity-missing"],
        // "Makes sure that all StatefulSets are targeted by a PDB"
        "statefulset-has-poddisruptionbudget": ["pdb-missing"],
        // "Ensure the StatefulSet selector labels match the template metadata labels"
        "statefulset-pod-selector-labels-match-template-metadata-labels": ["selector-mismatch"],
        // "Makes sure that a explicit non-latest tag is used"
        "container-image-tag": ["image-latest"],
        // "Makes sure that all pods have resource limits and requests set"
        "container-resources": ["no-resources"],
        // "Makes sure that all Pods have safe probe configurations"
        "pod-probes": ["no-readiness-probe"],
        // "Checks if the object is using a deprecated apiVersion"
        "stable-version": ["deprecated-api"],
    },
    checkov: {
        CKV_K8S_49: ["rbac-wildcard"], // Minimize wildcard use in Roles and ClusterRoles
        CKV_K8S_14: ["image-latest"], // Image Tag should be fixed - not latest or blank
        CKV_K8S_9: ["no-readiness-probe"], // Readiness Probe Should be Configured
        CKV_K8S_10: ["no-resources"], // CPU requests should be set
        CKV_K8S_11: ["no-resources"], // CPU limits should be set
        CKV_K8S_12: ["no-resources"], // Memory requests should be set
        CKV_K8S_13: ["no-resources"], // Memory limits should be set
    },
};

function checksFor(tool: string, defect: Defect): string[] {
    return Object.entries(MAPPINGS[tool] ?? {})
        .filter(([, defects]) => defects.includes(defect.id))
        .map(([check]) => check);
}

function exec(bin: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null; ms: number }> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ stdout, stderr, code, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
}

function parseJson(tool: string, file: string, r: { stdout: string; stderr: string; code: number | null }): any {
    try {
        return JSON.parse(r.stdout);
    } catch {
        throw new Error(`${tool} on ${file} printed no JSON (exit ${r.code}): ${(r.stderr || r.stdout).slice(0, 400)}`);
    }
}

const brokerLint: Tool = {
    name: "broker-lint",
    version: JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")).version,
    async run(file) {
        const r = await exec(process.execPath, [BROKER_LINT, "--format", "json", file]);
        if (r.code !== 0 && r.code !== 1) throw new Error(`broker-lint on ${file} exited ${r.code}: ${r.stderr}`);
        const report = parseJson("broker-lint", file, r);
        const violations: Array<{ policy: string; enforcement: string }> = report.violations;
        const mandatory = violations.filter((v) => v.enforcement === "mandatory").length;
        return { checks: new Set(violations.map((v) => v.policy)), findings: violations.length, mandatory, ms: r.ms };
    },
    mapping: (d) => [d.rule],
};

function kubeScore(bin: string, version: string): Tool {
    return {
        name: "kube-score",
        version,
        async run(file) {
            // Exit 1 means "critical findings"; the JSON is printed either way.
            const r = await exec(bin, ["score", "--output-format", "json", file]);
            const objects: Array<{ checks: Array<{ check: { id: string }; grade: number; skipped: boolean }> }> = parseJson("kube-score", file, r) ?? [];
            const checks = new Set<string>();
            let findings = 0;
            for (const o of objects) {
                // Grades: 1 critical, 5 warning, 7 almost OK, 10 OK.
                for (const c of o.checks ?? []) {
                    if (c.skipped || c.grade >= 10) continue;
                    checks.add(c.check.id);
                    findings++;
                }
            }
            return { checks, findings, ms: r.ms };
        },
        mapping: (d) => checksFor("kube-score", d),
    };
}

function checkov(bin: string, version: string): Tool {
    return {
        name: "checkov",
        version,
        async run(file) {
            // --skip-download: no calls to the vendor's platform (doc links, severities, custom policies).
            const r = await exec(bin, ["-f", file, "--framework", "kubernetes", "-o", "json", "--skip-download"]);
            const out = parseJson("checkov", file, r);
            // One report object per framework, or a summary alone when nothing was scanned.
            const reports: any[] = Array.isArray(out) ? out : [out];
            const failed: Array<{ check_id: string }> = reports.flatMap((x) => x.results?.failed_checks ?? []);
            return { checks: new Set(failed.map((f) => f.check_id)), findings: failed.length, ms: r.ms };
        },
        mapping: (d) => checksFor("checkov", d),
    };
}

interface Peers {
    tools: Tool[];
    missing: Array<{ name: string; reason: string }>;
}

function peers(): Peers {
    const tools: Tool[] = [];
    const missing: Array<{ name: string; reason: string }> = [];
    for (const name of PEER_NAMES) {
        const bin = path.join(PEERS, "bin", name);
        const versionFile = path.join(PEERS, `version-${name}`);
        const why = path.join(PEERS, "unavailable", name);
        if (fs.existsSync(bin) && fs.existsSync(versionFile)) {
            const version = fs.readFileSync(versionFile, "utf8").trim();
            if (name === "kube-score") tools.push(kubeScore(bin, version));
            else if (name === "checkov") tools.push(checkov(bin, version));
            else missing.push({ name, reason: `installed, but this bench has no output parser or check mapping for it yet` });
        } else if (fs.existsSync(why)) {
            missing.push({ name, reason: `not installable here: ${fs.readFileSync(why, "utf8").trim()}` });
        } else {
            missing.push({ name, reason: "not installed: run `npm run peers`" });
        }
    }
    return { tools, missing };
}

/** Runs jobs with at most CONCURRENCY at a time, results in input order. */
async function pool<T, R>(items: T[], job: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await job(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return out;
}

function write(dir: string, name: string, objects: K8sObject[]): string {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, manifest(objects));
    return file;
}

function label(tool: Tool): string {
    return tool.name === "broker-lint" ? "broker-lint" : `${tool.name} ${tool.version}`;
}

async function defectTable(tools: Tool[], dir: string): Promise<void> {
    const files = [write(dir, "baseline", baseline()), ...DEFECTS.map((d) => write(dir, d.id, d.objects()))];
    const reports = new Map<Tool, Report[]>();
    for (const t of tools) reports.set(t, await pool(files, (f) => t.run(f)));

    const header = ["Defect (generated manifest)", ...tools.map(label)];
    const rows: string[][] = [];
    const unmapped: string[] = [];
    for (const [i, d] of DEFECTS.entries()) {
        const row = [`${d.title}${d.advisory ? " *(advisory)*" : ""}`];
        for (const t of tools) {
            const [base, broken] = [reports.get(t)![0], reports.get(t)![i + 1]];
            const fresh = [...broken.checks].filter((c) => !base.checks.has(c));
            const meant = t.mapping(d);
            const hits = fresh.filter((c) => meant.includes(c)).sort();
            row.push(hits.length > 0 ? (t.name === "broker-lint" ? "yes" : `yes (\`${hits.join("`, `")}\`)`) : "no");
            const other = fresh.filter((c) => !meant.includes(c));
            if (other.length > 0) unmapped.push(`- ${d.id}: ${t.name} also fired ${other.map((c) => `\`${c}\``).join(", ")}`);
        }
        rows.push(row);
    }
    const flagged = tools.map((_, j) => rows.filter((r) => r[j + 1].startsWith("yes")).length);
    rows.push([`**defects flagged (of ${DEFECTS.length})**`, ...flagged.map((n) => `**${n}**`)]);
    console.log(markdown(header, rows));
    const baseFired = tools.map((t) => `${t.name}: ${[...reports.get(t)![0].checks].sort().join(", ") || "none"}`);
    console.log(`\nChecks firing on the clean baseline (never counted): ${baseFired.join("; ")}.`);
    console.log(unmapped.length > 0 ? `\nChecks that fired only on a defect's manifest but mean something else (not counted):\n${unmapped.join("\n")}` : "\nNo other check fired only on a defect's manifest.");
}

async function chartTable(tools: Tool[]): Promise<void> {
    if (!fs.existsSync(CHARTS)) {
        console.log(`\n(no chart corpus at ${CHARTS}: skipped)`);
        return;
    }
    const files = fs
        .readdirSync(CHARTS)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(CHARTS, f));
    const reports = new Map<Tool, Report[]>();
    for (const t of tools) reports.set(t, await pool(files, (f) => t.run(f)));
    const header = ["Chart render (findings)", ...tools.map(label)];
    const cell = (findings: number, mandatory?: number) => (mandatory === undefined ? String(findings) : `${findings} (${mandatory} mandatory)`);
    const rows = files.map((f, i) => [path.basename(f), ...tools.map((t) => cell(reports.get(t)![i].findings, reports.get(t)![i].mandatory))]);
    const sum = (t: Tool, of: (r: Report) => number | undefined) => reports.get(t)!.reduce((a, r) => a + (of(r) ?? 0), 0);
    const total = (t: Tool) => cell(sum(t, (r) => r.findings), t === brokerLint ? sum(t, (r) => r.mandatory) : undefined);
    const ms = (t: Tool) => reports.get(t)!.reduce((a, r) => a + r.ms, 0);
    rows.push([`**total (${files.length} renders)**`, ...tools.map((t) => `**${total(t)}**`)]);
    console.log(`\n${markdown(header, rows)}`);
    const ours = ms(tools[0]);
    console.log(
        `\nTime over the ${files.length} renders (sum of per-file runs, process start included): ${tools.map((t) => `${t.name} ${(ms(t) / 1000).toFixed(1)} s${t === tools[0] ? "" : ` (${(ms(t) / ours).toFixed(2)}x broker-lint)`}`).join(", ")}.`,
    );
}

function markdown(header: string[], rows: string[][]): string {
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
    const { tools: found, missing } = peers();
    const tools = [brokerLint, ...found];
    const load = os.loadavg()[0].toFixed(1);
    console.log(`Peer linters measured ${new Date().toISOString().slice(0, 10)} on ${os.platform()}/${os.arch()}, ${os.cpus().length} CPUs, load ${load}: ${tools.map(label).join(", ")}.`);
    for (const m of missing) console.log(`${m.name}: ${m.reason}`);
    console.log("");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-peers-"));
    try {
        await defectTable(tools, dir);
        await chartTable(tools);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});

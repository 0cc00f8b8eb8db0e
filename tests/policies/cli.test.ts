/**
 * The real CLI (node_modules/.bin/broker-lint) as a process for what needs one: the bin, exit
 * codes, standard input, empty input, line numbers and each output format. The rest of the CLI's
 * logic (counts, messages, usage errors, the SARIF shape) through its `run(argv, io)` in this
 * process: the same function the bin calls with the same arguments, its output as the bin writes it.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "../../policies/cli/main";
import { SEEDS } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin", "broker-lint");

/** The bin as a child process. */
function cli(args: string[], cwd = ROOT) {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `run(args)` in this process (whose working directory is the repository root, as the bin's is in `cli`). */
function inProcess(args: string[]) {
    expect(process.cwd(), "working directory").to.equal(ROOT);
    let stdout = "";
    let stderr = "";
    const line = (s: string) => (s.endsWith("\n") ? s : s + "\n");
    const code = run(args, { out: (s) => (stdout += line(s)), err: (s) => (stderr += line(s)) });
    return { code, stdout, stderr };
}

describe("policies: broker-lint CLI", function () {
    this.timeout(60000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-test-"));
        fs.writeFileSync(path.join(dir, "empty.yaml"), "");
        fs.writeFileSync(path.join(dir, "helm.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n");
        fs.writeFileSync(path.join(dir, "config.yaml"), "rules:\n  pod-anti-affinity: {enforcement: advisory}\n  nope: disabled\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("json: exit 1 with mandatory violations across a directory of seed files", () => {
        const r = cli(["--format", "json", path.relative(ROOT, SEEDS)]);
        expect(r.code, r.stderr).to.equal(1);
        const out = JSON.parse(r.stdout);
        expect(out.errors).to.deep.equal([]);
        const v = out.violations.find((x: any) => x.policy === "erlang-cookie" && /rabbitmq-cluster/.test(x.resource));
        expect(v).to.include({ enforcement: "mandatory", resource: "StatefulSet/default/rabbitmq-cluster", file: "tests/fixtures/seeds/002-04-rabbitmq-cluster-sts.yaml" });
        // The literal's own line and column, not the StatefulSet's first line.
        expect(v).to.include({ line: 31, column: 18 });
        const text = cli([path.join(path.relative(ROOT, SEEDS), "002-04-rabbitmq-cluster-sts.yaml")]);
        expect(text.stdout).to.match(/^tests\/fixtures\/seeds\/002-04-rabbitmq-cluster-sts\.yaml:31:18: MANDATORY \[erlang-cookie\]/m);
    });
    it("violations point at the line of the offending field, for every rule", () => {
        const BROKEN = path.join(ROOT, "tests", "fixtures", "corpus", "broken");
        const cases: Array<[string, string, RegExp]> = [
            ["pv-safety__recycle-pv.yaml", "pv-safety", /^\s*persistentVolumeReclaimPolicy: Recycle/],
            ["pv-safety__hostpath-pvs-same-path.yaml", "pv-safety", /^\s*path: \/mnt\/disks\/rabbitmq/],
            ["pdb__max-unavailable-zero.yaml", "pdb", /^\s*maxUnavailable: 0/],
            ["erlang-cookie__literal-via-var-indirection.yaml", "erlang-cookie", /COOKIE|cookie/],
            ["node-names-agree__nodename-suffix-other-service.yaml", "node-names-agree", /^\s*value: rabbit@/],
            ["node-names-agree__emqx-dns-name-wrong-namespace.yaml", "node-names-agree", /^\s*EMQX_CLUSTER__DNS__NAME:/],
            ["node-names-agree__conf-hostname-suffix-mismatch.yaml", "node-names-agree", /^\s*rabbitmq\.conf: \|/],
            ["discovery-rbac__role-wildcard-verbs.yaml", "discovery-rbac", /^\s*- "\*"/],
            ["discovery-rbac__role-missing-endpoints-get.yaml", "discovery-rbac", /^\s*serviceAccountName: rabbitmq/],
            ["per-replica-storage__shared-pvc.yaml", "per-replica-storage", /^\s*claimName: emqx-data/],
            ["pod-anti-affinity__selector-not-own-labels.yaml", "pod-anti-affinity", /^\s*podAntiAffinity:/],
            ["headless-service__selector-mismatch.yaml", "headless-service", /^\s*app: rabbit/],
            ["headless-service__clusterip-set.yaml", "headless-service", /^\s*clusterIP:/],
            ["selector-matches-template__matchexpressions-mismatch.yaml", "selector-matches-template", /selector|matchExpressions/],
            ["credentials__default-pass-in-configmap.yaml", "credentials", /^\s*rabbitmq\.conf: \|/],
            ["tls-secret__certificate-misses-pod-names.yaml", "tls-secret", /^\s*- rmq$/],
        ];
        // Each file alone (files linted together are one set of objects, so one file's objects
        // can change another's findings), through run() with the bin's arguments.
        for (const [file, policy, field] of cases) {
            const lines = fs.readFileSync(path.join(BROKEN, file), "utf8").split("\n");
            const r = inProcess(["--format", "json", path.join(BROKEN, file)]);
            const v = JSON.parse(r.stdout).violations.find((x: any) => x.policy === policy && x.enforcement === "mandatory");
            expect(v, `${file}: a ${policy} violation`).to.not.equal(undefined);
            expect(lines[v.line - 1], `${file}:${v.line}`).to.match(field);
        }
        // The bin over all of them reports what run() reports, every line and column included.
        const args = ["--format", "json", ...cases.map(([file]) => path.join(BROKEN, file))];
        const bin = cli(args);
        const same = inProcess(args);
        expect(bin.code, bin.stderr).to.equal(1);
        expect(same.code).to.equal(1);
        expect(JSON.parse(bin.stdout).violations.length, "violations reported").to.be.greaterThan(cases.length);
        expect(bin.stdout).to.equal(same.stdout);
        expect(bin.stderr).to.equal(same.stderr);
    });
    it("a credential read from a ConfigMap is reported at that ConfigMap's key; SARIF carries the column and a relative URI", () => {
        const f = path.join(dir, "cm-cookie.yaml");
        fs.writeFileSync(
            f,
            [
                "apiVersion: v1",
                "kind: ConfigMap",
                "metadata: {name: env, namespace: mq}",
                "data:",
                "  RABBITMQ_ERLANG_COOKIE: not-a-secret",
                "---",
                "apiVersion: apps/v1",
                "kind: StatefulSet",
                "metadata: {name: rmq, namespace: mq}",
                "spec:",
                "  serviceName: rmq-headless",
                "  replicas: 3",
                "  selector: {matchLabels: {app: rmq}}",
                "  template:",
                "    metadata: {labels: {app: rmq}}",
                "    spec:",
                "      containers:",
                "        - name: rabbitmq",
                "          image: rabbitmq:4.1.4",
                "          envFrom: [{configMapRef: {name: env}}]",
                "",
            ].join("\n"),
        );
        const r = cli(["--format", "sarif", f], dir);
        const results = JSON.parse(r.stdout).runs[0].results.filter((x: any) => x.ruleId === "erlang-cookie");
        expect(results).to.have.length(1);
        expect(results[0].locations[0].physicalLocation).to.deep.equal({ artifactLocation: { uri: "cm-cookie.yaml" }, region: { startLine: 5, startColumn: 27 } });
    });
    it("sarif: valid 2.1.0 shape with relative URIs and start lines", () => {
        const r = inProcess(["--format", "sarif", path.join(SEEDS, "002-04-rabbitmq-cluster-sts.yaml"), path.join(SEEDS, "002-01-rabbitmq-configmap.yaml")]);
        expect(r.code).to.equal(1);
        const s = JSON.parse(r.stdout);
        expect(s.version).to.equal("2.1.0");
        expect(s.$schema).to.match(/sarif/);
        const run = s.runs[0];
        expect(run.tool.driver.name).to.equal("broker-lint");
        const ids = run.tool.driver.rules.map((x: any) => x.id);
        expect(ids).to.include.members(["headless-service", "node-names-agree", "discovery-rbac"]);
        for (const res of run.results) {
            expect(ids).to.include(res.ruleId);
            expect(["error", "warning"]).to.include(res.level);
            expect(res.message.text).to.be.a("string");
            const loc = res.locations[0].physicalLocation;
            expect(loc.artifactLocation.uri).to.match(/^tests\/fixtures\/seeds\/002-0[14]-/);
            expect(loc.region.startLine).to.be.a("number");
        }
    });
    it("exit 0 for advisory-only input; text output; empty files are fine", () => {
        const r = cli([path.join(SEEDS, "004-nginx-statefulset.yaml"), path.join(dir, "empty.yaml")]);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.match(/advisory\s+\[deprecated-api\] StatefulSet\/default\/web/);
    });
    it("nothing to lint is exit 2, unless --allow-empty: an empty file, a directory without manifests, empty stdin", () => {
        const emptyDir = fs.mkdtempSync(path.join(dir, "none-"));
        // The empty file through the bin; the directory without manifests through run().
        const ways: Array<[string[], (args: string[]) => { code: number | null; stdout: string }]> = [
            [[path.join(dir, "empty.yaml")], cli],
            [[emptyDir], inProcess],
        ];
        for (const [args, lint] of ways) {
            const r = lint(args);
            expect(r.code, r.stdout).to.equal(2);
            expect(r.stdout).to.match(/no Kubernetes objects in [01] files?/);
            expect(lint(["--allow-empty", ...args]).code).to.equal(0);
        }
        const stdin = spawnSync(process.execPath, [BIN, "--format", "json", "-"], { input: "", encoding: "utf8" });
        expect(stdin.status).to.equal(2);
        expect(JSON.parse(stdin.stdout).errors[0].message).to.match(/no Kubernetes objects/);
    });
    it("custom resources no rule reads are loaded but counted as skipped, not as linted (a RabbitmqCluster of another API group too)", () => {
        const f = path.join(dir, "operator.yaml");
        fs.writeFileSync(
            f,
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: p}\nspec: {groups: []}\n---\napiVersion: example.com/v1\nkind: RabbitmqCluster\nmetadata: {name: r}\nspec: {replicas: 3}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
        );
        const r = inProcess(["--format", "json", f]);
        expect(JSON.parse(r.stdout).summary).to.deep.equal({ files: 1, objects: 3, linted: 1, skipped: { PrometheusRule: 1, RabbitmqCluster: 1 } });
        expect(inProcess([f]).stdout).to.match(/in 1 object linted \(2 skipped, kinds no rule reads: PrometheusRule ×1, RabbitmqCluster ×1\) from 1 file/);
    });
    it("exit 2 naming file and line for unrendered Helm templates, missing files, bad config, bad usage", () => {
        const helm = cli(["--format", "json", path.join(dir, "helm.yaml")]);
        expect(helm.code).to.equal(2);
        expect(JSON.parse(helm.stdout).errors[0]).to.include({ line: 4 });
        expect(helm.stderr).to.match(/helm\.yaml:4: unrendered Helm template/);
        // The Helm template through the bin (exit 2 and its stderr); the other cases through run().
        const missing = inProcess(["nope.yaml"]);
        expect(missing.code).to.equal(2);
        expect(missing.stdout).to.match(/nope\.yaml: no such file/);
        const cfg = inProcess(["--config", path.join(dir, "config.yaml"), path.join(dir, "empty.yaml")]);
        expect(cfg.code).to.equal(2);
        expect(cfg.stderr).to.match(/rules.*nope.*known rules/);
        expect(inProcess([]).code).to.equal(2);
        expect(inProcess(["--format", "xml", "x.yaml"]).code).to.equal(2);
        for (const r of [helm, missing, cfg]) expect(r.stdout + r.stderr).not.to.match(/\n\s+at .*\(/);
    });
});

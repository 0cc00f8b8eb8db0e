/**
 * Unedited `helm template` renders of the charts people install (../shared/corpus/charts), with
 * the verdicts a correct linter reaches in its expected.json: the CLI must reach each one.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { run } from "../../policies/cli/main";

const ROOT = path.resolve(__dirname, "..", "..");
const CHARTS = path.resolve(ROOT, "..", "shared", "corpus", "charts");
const BIN = path.join(ROOT, "node_modules", ".bin", "broker-lint");

function lintJson(args: string[]): { code: number; report: any; stderr: string } {
    let out = "";
    let err = "";
    const code = run(["--format", "json", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, report: out ? JSON.parse(out) : undefined, stderr: err };
}

const mandatory = (report: any) => [...new Set<string>(report.violations.filter((v: any) => v.enforcement === "mandatory").map((v: any) => v.policy))].sort();

describe("policies: broker-lint on real chart renders", function () {
    if (!fs.existsSync(path.join(CHARTS, "expected.json"))) return; // the corpus lives beside the repository
    const expected = JSON.parse(fs.readFileSync(path.join(CHARTS, "expected.json"), "utf8")) as Record<string, { exit: number; mandatory: string[] }>;

    for (const [file, verdict] of Object.entries(expected)) {
        it(`${file}: exit ${verdict.exit}, mandatory [${verdict.mandatory.join(", ")}]`, () => {
            const r = lintJson([path.join(CHARTS, file)]);
            expect(r.stderr, "no load error").to.equal("");
            expect(mandatory(r.report)).to.deep.equal([...verdict.mandatory].sort());
            expect(r.code).to.equal(verdict.exit);
            expect(r.report.summary.linted).to.be.greaterThan(0);
        });
    }

    it("alert text with {{ $labels.instance }} is linted, not refused; the PrometheusRule is counted as skipped", () => {
        const r = lintJson([path.join(CHARTS, "bitnami-rabbitmq-r3-promrule.yaml")]);
        expect(r.report.errors).to.deep.equal([]);
        expect(r.report.summary.skipped).to.have.property("PrometheusRule", 1);
        const skipped = Object.values(r.report.summary.skipped as Record<string, number>).reduce((a, b) => a + b, 0);
        expect(r.report.summary.objects).to.equal(r.report.summary.linted + skipped);
    });

    it("helm template … | broker-lint - reads the render from standard input", function () {
        this.timeout(20000);
        const file = "emqx-r1.yaml";
        const r = spawnSync(process.execPath, [BIN, "--format", "json", "-"], { input: fs.readFileSync(path.join(CHARTS, file)), encoding: "utf8" });
        expect(r.status).to.equal(expected[file].exit);
        const report = JSON.parse(r.stdout);
        expect(mandatory(report)).to.deep.equal([...expected[file].mandatory].sort());
        expect(report.violations.every((v: any) => v.file === "<stdin>")).to.equal(true);
    });
});

/**
 * The generated manifests of the peer comparison (bench/peer-defects.ts) carry the defect each
 * one claims: broker-lint, run the way the bench runs it (a YAML file, `--format json`), reports
 * the baseline clean and each defect with exactly its rule. So the table's broker-lint column
 * cannot drift from what the rules do, and a peer's "yes" or "no" is about the defect named.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { baseline, Defect, DEFECTS, manifest } from "../../bench/peer-defects";
import { run } from "../../policies/cli/main";
import { RULES } from "../../policies/rules";
import { K8sObject } from "../../policies/lib/types";

interface Linted {
    code: number;
    mandatory: string[];
    advisory: string[];
    shown: string;
}

describe("policies: generated defects of the peer comparison", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-peers-test-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function lintFile(name: string, objects: K8sObject[]): Linted {
        const file = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(file, manifest(objects));
        let out = "";
        let err = "";
        const code = run(["--format", "json", file], { out: (s) => (out += s), err: (s) => (err += s) });
        expect(err, "no load error").to.equal("");
        const report = JSON.parse(out);
        expect(report.errors).to.deep.equal([]);
        const violations: Array<{ policy: string; enforcement: string; message: string }> = report.violations;
        const of = (level: string) => [...new Set(violations.filter((v) => v.enforcement === level).map((v) => v.policy))].sort();
        return { code, mandatory: of("mandatory"), advisory: of("advisory"), shown: violations.map((v) => `${v.enforcement} ${v.policy}: ${v.message}`).join("\n") };
    }

    it("the baseline has no finding at all (exit 0)", () => {
        const r = lintFile("baseline", baseline());
        expect(r.shown).to.equal("");
        expect(r.code).to.equal(0);
    });

    it("defect ids are unique and name real rules; every rule of the pack has a generated defect", () => {
        const ids = DEFECTS.map((d) => d.id);
        expect(new Set(ids).size).to.equal(ids.length);
        const ruleIds = RULES.map((r) => r.id);
        for (const d of DEFECTS) expect(ruleIds, d.id).to.include(d.rule);
        for (const r of ruleIds) expect(DEFECTS.map((d) => d.rule), `no generated defect for ${r}`).to.include(r);
    });

    it("each defect is a change to the baseline", () => {
        const base = manifest(baseline());
        for (const d of DEFECTS) expect(manifest(d.objects()), d.id).to.not.equal(base);
    });

    const expectation = (d: Defect) => (d.advisory ? `advisory ${d.rule} only (exit 0)` : `mandatory ${d.rule} only (exit 1)`);
    for (const d of DEFECTS) {
        it(`${d.id}: ${expectation(d)}`, () => {
            const r = lintFile(d.id, d.objects());
            if (d.advisory) {
                expect(r.mandatory, r.shown).to.deep.equal([]);
                expect(r.advisory, r.shown).to.include(d.rule);
                expect(r.code).to.equal(0);
            } else {
                expect(r.mandatory, r.shown).to.deep.equal([d.rule]);
                expect(r.code).to.equal(1);
            }
        });
    }
});

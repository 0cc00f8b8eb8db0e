/**
 * Realistic manifests (tests/fixtures/corpus): every clean file lints without a mandatory violation;
 * every broken file `<rule>__<defect>.yaml` carries exactly one defect, which its rule reports as
 * mandatory (or as advisory when the rule is advisory) and no other rule reports as mandatory.
 * Engine-level (no CLI spawn), one load per file.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { lint } from "../../policies/engine";
import { loadPaths } from "../../policies/cli/load";
import { RULES } from "../../policies/rules";

const CORPUS = path.join(__dirname, "..", "fixtures", "corpus");

function files(dir: string): string[] {
    return fs
        .readdirSync(path.join(CORPUS, dir))
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort();
}

function run(dir: string, file: string) {
    const loaded = loadPaths([path.join(CORPUS, dir, file)]);
    expect(loaded.errors, JSON.stringify(loaded.errors)).to.deep.equal([]);
    expect(loaded.objects.length, "objects loaded").to.be.greaterThan(0);
    const r = lint(loaded.objects, undefined, loaded.sources);
    expect(r.errors).to.deep.equal([]);
    const shown = r.violations.map((v) => `${v.enforcement} ${v.policy} ${v.resource}: ${v.message}`).join("\n");
    const mandatory = [...new Set(r.violations.filter((v) => v.enforcement === "mandatory").map((v) => v.policy))].sort();
    return { r, mandatory, shown };
}

describe("policies: corpus", () => {
    describe("clean deployments: no mandatory violation", () => {
        const clean = files("clean");
        it("has at least 8 clean files", () => expect(clean.length).to.be.at.least(8));
        for (const f of clean) {
            it(f, () => {
                const { mandatory, shown } = run("clean", f);
                expect(mandatory, shown).to.deep.equal([]);
            });
        }
    });

    describe("broken deployments: exactly the named rule fires", () => {
        const broken = files("broken");
        it("has at least 12 broken files, each named <rule>__<defect>", () => {
            expect(broken.length).to.be.at.least(12);
            for (const f of broken) expect(RULES.map((r) => r.id), f).to.include(f.split("__")[0]);
        });
        for (const f of broken) {
            const rule = RULES.find((r) => r.id === f.split("__")[0]);
            it(f, () => {
                const { r, mandatory, shown } = run("broken", f);
                if (rule?.defaultEnforcement === "advisory") {
                    expect(mandatory, shown).to.deep.equal([]);
                    expect(r.violations.some((v) => v.policy === rule.id), shown).to.equal(true);
                } else {
                    expect(mandatory, shown).to.deep.equal([rule?.id]);
                }
            });
        }
    });
});

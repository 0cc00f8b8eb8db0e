import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../support/render";

const project = (dir: string) => parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));

// The engine tier proves what the launcher runs; these catch the same mistakes in a second.
describe("what the Pulumi launcher loads", () => {
    for (const dir of [REPO_ROOT, path.join(REPO_ROOT, "tests", "e2e", "fixtures", "broken-cookie")]) {
        it(`${path.relative(REPO_ROOT, dir) || "the program"}: Pulumi.yaml names its entry point, which exists`, () => {
            const main = project(dir).main;
            expect(main, "main in Pulumi.yaml (else the launcher runs package.json's main)").to.be.a("string");
            expect(fs.existsSync(path.join(dir, main)), main).to.equal(true);
        });
    }

    it("the program loads transpile-only, while tsc --noEmit -p . still checks types", () => {
        const runtime = project(REPO_ROOT).runtime;
        const file = runtime.options.tsconfig;
        expect(file, "runtime.options.tsconfig").to.be.a("string");
        const loaded = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
        expect(loaded.compilerOptions.noCheck).to.equal(true);
        expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8")).compilerOptions.noCheck).to.equal(undefined);
    });

    it("the policy pack's entry is plain JavaScript that runs the compiled pack after a build, the sources before", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "package.json"), "utf8"));
        expect(pkg.main).to.match(/\.js$/);
        expect(fs.readFileSync(path.join(REPO_ROOT, "policies", pkg.main), "utf8")).to.match(/load\("index"\)/);
        const { entry } = require(path.join(REPO_ROOT, "policies", "bin", "compiled.js"));
        const compiled = path.join(REPO_ROOT, "policies", "dist", "index.js");
        const source = path.join(REPO_ROOT, "policies", "index.ts");
        const built = fs.existsSync(compiled) ? fs.statSync(compiled).mtimeMs : -1;
        const fresh = built >= fs.statSync(source).mtimeMs;
        expect(entry("index")).to.equal(fresh ? compiled : source);
        if (process.env.CI) expect(entry("index"), "CI builds before testing").to.equal(compiled);
    });
});

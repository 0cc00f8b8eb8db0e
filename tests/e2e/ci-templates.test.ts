/**
 * The pull-request templates in examples/ci run what they say: the workflow's broker-lint step
 * (as written in the file) and the pre-commit hook's entry, on broken and clean manifests. Real
 * processes only (bash, npx, the installed bin), no control plane and no engine.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { SEEDS } from "../policies/support";

const ROOT = path.resolve(__dirname, "..", "..");
const CI = path.join(ROOT, "examples", "ci");
const CLEAN = path.join(ROOT, "tests", "fixtures", "corpus", "clean", "emqx5-dns-srv.yaml");
const BROKEN = path.join(SEEDS, "002-04-rabbitmq-cluster-sts.yaml");
const env = { ...process.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` };

function manifests(file: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-ci-"));
    fs.copyFileSync(file, path.join(dir, path.basename(file)));
    return dir;
}

describe("policies: the pull-request templates", function () {
    this.timeout(60000);
    const workflow = parse(fs.readFileSync(path.join(CI, "broker-checks.yml"), "utf8"));
    const lintStep = (workflow.jobs["broker-lint"].steps as Array<{ run?: string }>).find((s) => s.run?.includes("broker-lint --format sarif"))!.run!;

    for (const [what, file, status] of [["a broken manifest", BROKEN, 1], ["a clean one", CLEAN, 0]] as const) {
        it(`workflow: the broker-lint step records status ${status} for ${what} and writes SARIF`, () => {
            const dir = manifests(file);
            const githubEnv = path.join(dir, "github-env");
            const r = spawnSync("bash", ["-e", "-c", lintStep], { cwd: ROOT, env: { ...env, MANIFESTS: dir, GITHUB_ENV: githubEnv }, encoding: "utf8" });
            try {
                expect(r.status, r.stderr).to.equal(0);
                expect(fs.readFileSync(githubEnv, "utf8").trim()).to.equal(`status=${status}`);
                const sarif = JSON.parse(fs.readFileSync(path.join(ROOT, "broker-lint.sarif"), "utf8"));
                const errors = sarif.runs[0].results.filter((x: any) => x.level === "error");
                expect(errors.length > 0).to.equal(status === 1);
            } finally {
                fs.rmSync(path.join(ROOT, "broker-lint.sarif"), { force: true });
            }
        });
    }

    it("pre-commit: the hook's entry fails on a broken manifest and passes a clean one", () => {
        const hook = parse(fs.readFileSync(path.join(CI, "pre-commit-config.yaml"), "utf8")).repos[0].hooks[0];
        const [cmd, ...args] = String(hook.entry).split(" ");
        for (const [file, status] of [[BROKEN, 1], [CLEAN, 0]] as const) {
            expect(new RegExp(hook.files).test(file)).to.equal(true);
            const r = spawnSync(cmd, [...args, file], { cwd: ROOT, env, encoding: "utf8" });
            expect(r.status, r.stdout + r.stderr).to.equal(status);
        }
    });
});

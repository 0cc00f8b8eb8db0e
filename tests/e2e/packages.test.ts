/**
 * The npm packages from their tarballs, not from the repository: `npm pack` of the components,
 * the policy pack and the quantity parser, installed into a fresh project outside the repository
 * (everything else from the npm registry at the lock file's versions). Then, with the real engine
 * against a local control plane:
 *   (a) a TypeScript program that imports the components type-checks against the installed
 *       declarations and previews;
 *   (b) `npx broker-lint` from the installed package lints chart renders (../shared/corpus/charts)
 *       with the verdicts of the corpus's expected.json;
 *   (c) `pulumi preview --policy-pack node_modules/@broker-platform/policies` runs the pack: it
 *       passes the components' stack and stops a deliberately broken program.
 */
import { expect } from "chai";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { changes, cli, engineEnv, policyViolations, requireEngine, writeStackConfig } from "./support/engine";
import { LocalCluster, mustRun, REPO_ROOT, run, tempDir } from "./support/local";
import { COMPONENTS, installTarballs, lockedVersion, packPackages, POLICIES, QUANTITY, Tarball } from "./support/packages";

const CHARTS = path.resolve(REPO_ROOT, "..", "shared", "corpus", "charts");
const PACK_DIR = path.join("node_modules", ...POLICIES.split("/"));
const STACK = "dev";

/** The program a user writes against the installed package: the repository's own, by package name. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { assertSafeTransitions, BrokerPlatform, loadLiveState, loadStackSettings, previousDeployment } from "${COMPONENTS}";

export = async () => {
    const settings = loadStackSettings();
    const live = await loadLiveState(settings);
    assertSafeTransitions(settings, previousDeployment(live), pulumi.getProject());
    const platform = new BrokerPlatform("brokers", { settings, live });
    return { namespace: platform.namespace, clusters: platform.summary() };
};
`;

/** Node16 resolution reads the packages' `exports` maps, types included. */
const TSCONFIG = {
    compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, esModuleInterop: true, skipLibCheck: false, types: ["node"], noEmit: true },
    include: ["index.ts"],
    "ts-node": { transpileOnly: true },
};

/** The dev stack's config (Pulumi.dev.yaml) without the project prefix. */
function devConfig(): Record<string, unknown> {
    const config = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")).config as Record<string, unknown>;
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^broker-platform:/, ""), value]));
}

const mandatory = (report: any) => [...new Set<string>(report.violations.filter((v: any) => v.enforcement === "mandatory").map((v: any) => v.policy))].sort();

/**
 * The packs the engine's summary event says ran, as [name, source, version]: its keys are
 * `<name>|local|<path>` for a pack loaded from a directory (the field is PascalCase in the JSON).
 */
function packsRun(events: EngineEvent[]): Array<[string, string, string]> {
    const summary = events.find((e) => e.summaryEvent)?.summaryEvent as any;
    const packs = (summary?.PolicyPacks ?? summary?.policyPacks ?? {}) as Record<string, string>;
    return Object.entries(packs).map(([key, version]) => {
        const [name, ...source] = key.split("|");
        return [name, source.join("|"), version];
    });
}

describe("e2e: the npm packages installed from their tarballs (the real engine)", function () {
    this.timeout(40 * 60 * 1000);
    let tarballs: Record<string, Tarball>;
    let project: string;
    let k: LocalCluster;
    let env: Record<string, string>;
    let stack: Stack;

    before(async function () {
        requireEngine();
        tarballs = packPackages();
        project = installTarballs(Object.values(tarballs), [
            `@pulumi/pulumi@${lockedVersion("@pulumi/pulumi")}`,
            `typescript@${lockedVersion("typescript")}`,
            `ts-node@${lockedVersion("ts-node")}`,
            `@types/node@${lockedVersion("@types/node")}`,
        ]);
        fs.writeFileSync(path.join(project, "index.ts"), PROGRAM);
        fs.writeFileSync(path.join(project, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: broker-consumer\nmain: index.ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
        writeStackConfig(project, STACK, devConfig());
        k = LocalCluster.start("packages", 1);
        env = engineEnv(k, tempDir("e2e-state-"));
        const pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
        stack = await LocalWorkspace.createOrSelectStack({ stackName: STACK, workDir: project }, { workDir: project, envVars: env, pulumiCommand });
    });

    after(function () {
        k?.stop();
        for (const dir of [project, tarballs && path.dirname(tarballs[POLICIES].file), env?.PULUMI_BACKEND_URL?.replace(/^file:\/\//, "")]) {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("the tarballs", function () {
        it("hold compiled JavaScript, declarations, README, LICENSE and CHANGELOG only: no sources, tests or maps", function () {
            const allowed = /^(dist\/.+\.(js|d\.ts)|package\.json|README\.md|LICENSE|CHANGELOG\.md|PulumiPolicy\.yaml|pack\.js|bin\/broker-lint\.js|bin\/compiled\.js)$/;
            for (const t of Object.values(tarballs)) {
                expect(t.files.filter((f) => !allowed.test(f)), t.name).to.deep.equal([]);
                expect(t.files, t.name).to.include.members(["package.json", "LICENSE", "CHANGELOG.md", "README.md"]);
                expect(t.files.some((f) => /(^|\/)tests?\//.test(f) || /\.test\./.test(f)), t.name).to.equal(false);
                expect(mustRun("tar", ["-xzOf", t.file, "package/LICENSE"]), `${t.name} LICENSE`).to.equal(fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"));
            }
            expect(tarballs[POLICIES].files).to.include.members(["PulumiPolicy.yaml", "bin/broker-lint.js", "dist/index.js", "dist/cli/main.js", "dist/bundle/cli/main.js", "dist/bundle/cli/lint-command.js"]);
            expect(tarballs[COMPONENTS].files).to.include.members(["dist/components/index.js", "dist/components/index.d.ts"]);
        });

        it("are public, versioned, Apache-2.0, with an exports map whose every target is in the tarball", function () {
            for (const t of Object.values(tarballs)) {
                const m = t.manifest;
                expect(m.private, t.name).to.equal(undefined);
                expect(m.version, t.name).to.match(/^\d+\.\d+\.\d+$/);
                expect(m.license, t.name).to.equal("Apache-2.0");
                expect(m.exports["."].types, t.name).to.match(/\.d\.ts$/);
                const targets = Object.values(m.exports as Record<string, string | Record<string, string>>).flatMap((x) => (typeof x === "string" ? [x] : Object.values(x)));
                for (const target of targets) expect(t.files, `${t.name} exports ${target}`).to.include(target.replace(/^\.\//, ""));
                for (const bin of Object.values((m.bin ?? {}) as Record<string, string>)) expect(t.files, `${t.name} bin`).to.include(bin);
            }
        });

        it("depend on each other and the registry by exact version, and nothing compiles TypeScript at run time", function () {
            for (const t of Object.values(tarballs)) {
                const deps = t.manifest.dependencies ?? {};
                for (const [name, range] of Object.entries(deps)) expect(range, `${t.name} → ${name}`).to.match(/^\d+\.\d+\.\d+$/);
                expect(Object.keys(deps), t.name).to.not.include.members(["typescript", "ts-node", "@swc/core"]);
            }
            expect(tarballs[COMPONENTS].manifest.dependencies[QUANTITY]).to.equal(tarballs[QUANTITY].version);
            expect(tarballs[POLICIES].manifest.dependencies[QUANTITY]).to.equal(tarballs[QUANTITY].version);
            for (const name of ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/random"]) {
                expect(tarballs[COMPONENTS].manifest.dependencies[name], name).to.equal(lockedVersion(name));
            }
            // The installed pack loads its compiled modules directly, the CLI their bundle.
            const installed = path.join(project, PACK_DIR);
            const { entry } = require(path.join(installed, "bin", "compiled.js"));
            expect(entry("index")).to.equal(path.join(installed, "dist", "index.js"));
            expect(entry("cli/main")).to.equal(path.join(installed, "dist", "bundle", "cli", "main.js"));
        });
    });

    describe("(a) a TypeScript program importing the installed components", function () {
        it("type-checks against the installed declarations (tsc, node16 resolution through exports)", function () {
            const r = run(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", project], { cwd: project });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
        });

        it("previews with the real engine: the components' resources, from the installed package", async function () {
            const events: EngineEvent[] = [];
            const r = await stack.preview({ onEvent: (e) => events.push(e) });
            expect(r.changeSummary.create ?? 0, changes(r.changeSummary)).to.be.greaterThan(10);
            const types = new Set(events.map((e) => e.resourcePreEvent?.metadata.type).filter(Boolean));
            expect([...types]).to.include.members(["broker-platform:index:BrokerPlatform", "broker-platform:index:BrokerCluster", "kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service"]);
            const resolved = mustRun(process.execPath, ["-p", `require.resolve(${JSON.stringify(COMPONENTS)})`], { cwd: project }).trim();
            expect(resolved).to.equal(path.join(fs.realpathSync(project), "node_modules", COMPONENTS, "dist", "components", "index.js"));
        });
    });

    describe("(b) npx broker-lint from the installed package", function () {
        it("is the installed package's bin, and --version is the package's version", function () {
            const bin = fs.realpathSync(path.join(project, "node_modules", ".bin", "broker-lint"));
            expect(bin).to.equal(fs.realpathSync(path.join(project, PACK_DIR, "bin", "broker-lint.js")));
            const r = run("npx", ["--no", "--", "broker-lint", "--version"], { cwd: project });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout.trim()).to.equal(tarballs[POLICIES].version);
        });

        it("lints chart renders from ../shared/corpus/charts with the corpus's expected verdicts", function () {
            if (!fs.existsSync(path.join(CHARTS, "expected.json"))) throw new Error(`the chart corpus is missing: ${CHARTS}/expected.json (it lives beside the repository)`);
            const expected = JSON.parse(fs.readFileSync(path.join(CHARTS, "expected.json"), "utf8")) as Record<string, { exit: number; mandatory: string[] }>;
            const files = Object.keys(expected);
            const picks = [files.find((f) => expected[f].exit === 0 && /rabbitmq/.test(f)), files.find((f) => expected[f].exit === 1), files.find((f) => /emqx/.test(f))].filter(Boolean) as string[];
            expect(picks.length).to.equal(3);
            for (const file of picks) {
                const r = run("npx", ["--no", "--", "broker-lint", "--format", "json", path.join(CHARTS, file)], { cwd: project });
                expect(r.stderr, `${file}: no load error`).to.equal("");
                const report = JSON.parse(r.stdout);
                expect(mandatory(report), file).to.deep.equal([...expected[file].mandatory].sort());
                expect(r.status, file).to.equal(expected[file].exit);
                expect(report.summary.linted, file).to.be.greaterThan(0);
            }
        });
    });

    describe("(c) pulumi preview --policy-pack node_modules/@broker-platform/policies", function () {
        it("runs the installed pack over the components' stack: the pack is reported, no mandatory violation", function () {
            const r = cli(["preview", "--json", "--stack", STACK, "--policy-pack", PACK_DIR], project, env);
            expect(r.status, r.stderr).to.equal(0);
            const packs = packsRun(r.events).map(([name, source, version]) => [name, source.replace(/^local\|/, "local:"), version]);
            expect(packs.map(([name, source, version]) => [name, source.startsWith("local:") ? path.resolve(project, source.slice(6)) : source, version])).to.deep.equal([
                ["broker-policies", path.join(project, PACK_DIR), tarballs[POLICIES].version],
            ]);
            expect(policyViolations(r.events).filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
        });

        it("stops a deliberately broken program (a literal Erlang cookie) with the erlang-cookie rule mandatory", function () {
            const broken = tempDir("e2e-broken-");
            try {
                for (const f of ["Pulumi.yaml", "index.ts"]) fs.copyFileSync(path.join(REPO_ROOT, "tests", "e2e", "fixtures", "broken-cookie", f), path.join(broken, f));
                fs.writeFileSync(path.join(broken, "package.json"), `${JSON.stringify({ name: "broken-cookie", version: "0.0.0", private: true })}\n`);
                fs.symlinkSync(path.join(project, "node_modules"), path.join(broken, "node_modules"));
                expect(cli(["stack", "init", "broken"], broken, env).status).to.equal(0);
                const r = cli(["preview", "--json", "--policy-pack", path.join(project, PACK_DIR)], broken, env);
                expect(r.status, r.stderr).to.not.equal(0);
                const violations = policyViolations(r.events).filter((v) => v.enforcementLevel === "mandatory");
                expect(violations.map((v) => v.policyName)).to.include("erlang-cookie");
            } finally {
                fs.rmSync(broken, { recursive: true, force: true });
            }
        });
    });
});

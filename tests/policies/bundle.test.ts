/**
 * The `broker-lint` bin runs a bundle of the compiled CLI (policies/dist/bundle, built by
 * `npm run build`): it must print byte for byte what the compiled modules in policies/dist print,
 * with the same exit code, and the checkout's bin must pick it while it is up to date.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SEEDS } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");
const DIST = path.join(ROOT, "policies", "dist");
const BUNDLE = path.join(DIST, "bundle", "cli", "main.js");
const MODULES = path.join(DIST, "cli", "main.js");

/** Runs `run(args, io)` of one CLI entry file in this process, capturing what it prints. */
function runInProcess(file: string, args: string[]) {
    const { run } = require(file) as { run: (argv: string[], io: { out: (s: string) => void; err: (s: string) => void }) => number };
    let stdout = "";
    let stderr = "";
    const line = (s: string) => (s.endsWith("\n") ? s : s + "\n");
    const code = run(args, { out: (s) => (stdout += line(s)), err: (s) => (stderr += line(s)) });
    return { code, stdout, stderr };
}

/** Runs `run(args)` of one CLI entry file in a fresh process, standard input from `input`. */
function runEntry(file: string, args: string[], input = "") {
    const script = `process.exitCode = require(${JSON.stringify(file)}).run(${JSON.stringify(args)});`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", input });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("policies: the broker-lint bundle", function () {
    this.timeout(120000);
    let dir: string;
    before(function () {
        for (const f of [BUNDLE, MODULES]) if (!fs.existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing: run \`npm run build\``);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-bundle-"));
        fs.writeFileSync(path.join(dir, "unknown-rule.yaml"), "rules:\n  nope: disabled\n");
        fs.writeFileSync(path.join(dir, "bad-option.yaml"), "rules:\n  pod-anti-affinity: {alwaysRequire: 3, extra: 1}\n  pdb: sometimes\nheadlessNaming: []\n");
        fs.writeFileSync(path.join(dir, "levels.yaml"), "rules:\n  erlang-cookie: advisory\n  headless-service: {strictNaming: true}\n");
        fs.writeFileSync(path.join(dir, "helm.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n");
        fs.writeFileSync(path.join(dir, "flow.yaml"), "{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: rabbitmq}, spec: {replicas: 3}}\n");
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("is what the checkout's bin runs while it is newer than the sources and dist", function () {
        const { entry } = require(path.join(ROOT, "policies", "bin", "compiled.js"));
        expect(entry("cli/main")).to.equal(BUNDLE);
        expect(entry("index")).to.equal(path.join(DIST, "index.js"));
    });

    it("requires only Node's built-in modules, and main.js the linter's bundle beside it", function () {
        const { builtinModules } = require("module") as typeof import("module");
        const required = (file: string) => [...new Set([...fs.readFileSync(file, "utf8").matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))];
        const builtin = (m: string) => builtinModules.includes(m.replace(/^node:/, ""));
        expect(required(BUNDLE).filter((m) => !builtin(m))).to.deep.equal(["./lint-command"]);
        expect(required(path.join(DIST, "bundle", "cli", "lint-command.js")).filter((m) => !builtin(m))).to.deep.equal([]);
    });

    it("carries the licence of every package it holds", function () {
        const carried = (file: string) => [...fs.readFileSync(file, "utf8").matchAll(/\/\*! (\S+) [\d.]+, bundled; its licence:\n\n(.+)/g)].map((m) => [m[1], /license|copyright/i.test(m[2])]);
        expect(carried(BUNDLE)).to.deep.equal([["commander", true]]);
        expect(carried(path.join(DIST, "bundle", "cli", "lint-command.js"))).to.deep.equal([["js-yaml", true], ["yaml", true], ["zod", true]]);
    });

    const seed = (name: string) => path.join(path.relative(ROOT, SEEDS), name);
    const cases: Array<[string, string[], string?]> = [
        ["--version", ["--version"]],
        ["--help", ["--help"]],
        ["no arguments (usage error)", []],
        ["a bad --format", ["--format", "xml", "x.yaml"]],
        ["text, one seed file", [seed("002-04-rabbitmq-cluster-sts.yaml")]],
        ["json, the seed folder", ["--format", "json", path.relative(ROOT, SEEDS)]],
        ["sarif, the seed folder", ["--format", "sarif", path.relative(ROOT, SEEDS)]],
        ["standard input", ["-"], fs.readFileSync(path.join(SEEDS, "002-04-rabbitmq-cluster-sts.yaml"), "utf8")],
        ["a flow-style file and an unrendered Helm template", ["FLOW", "HELM"]],
        ["a missing file", ["no-such-file.yaml"]],
        ["--config with rule levels and options", ["--config", "LEVELS", path.relative(ROOT, SEEDS)]],
        ["--config naming an unknown rule (zod's message)", ["--config", "UNKNOWN", seed("002-04-rabbitmq-cluster-sts.yaml")]],
        ["--config with wrongly typed options (zod's messages)", ["--config", "BAD", seed("002-04-rabbitmq-cluster-sts.yaml")]],
    ];
    for (const [name, args, input] of cases) {
        it(`prints what the compiled modules print: ${name}`, function () {
            const files: Record<string, string> = { FLOW: "flow.yaml", HELM: "helm.yaml", LEVELS: "levels.yaml", UNKNOWN: "unknown-rule.yaml", BAD: "bad-option.yaml" };
            const argv = args.map((a) => (files[a] ? path.join(dir, files[a]) : a));
            // Standard input needs a process of its own; the rest runs both entries in this one.
            const runner = input === undefined ? runInProcess : runEntry;
            const bundled = runner(BUNDLE, argv, input);
            const modules = runner(MODULES, argv, input);
            expect(bundled).to.deep.equal(modules);
            expect(bundled.stdout + bundled.stderr).to.not.equal("");
        });
    }

    it("loads with V8's code cache kept in the temp directory, and prints the same with a cache, without one and with a broken one", function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-cache-test-"));
        try {
            const bin = (args: string[]) => {
                const r = spawnSync(process.execPath, [path.join(ROOT, "policies", "bin", "broker-lint.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, TMPDIR: tmp } });
                return { code: r.status, stdout: r.stdout, stderr: r.stderr };
            };
            const args = ["--format", "json", path.relative(ROOT, SEEDS)];
            const modules = runEntry(MODULES, args);
            expect(bin(args), "first run, no cache").to.deep.equal(modules);
            const cacheDir = fs.readdirSync(tmp).filter((d) => d.startsWith("broker-lint-code-cache-")).map((d) => path.join(tmp, d));
            expect(cacheDir).to.have.length(1);
            const entries = fs.readdirSync(cacheDir[0]).map((f) => path.join(cacheDir[0], f));
            expect(entries, "main.js and lint-command.js cached").to.have.length(2);
            expect(bin(args), "from the cache").to.deep.equal(modules);
            // An earlier build's cache of the same file is replaced when a new one is written.
            const earlier = entries[0].replace(/-(\d+)-(\d+(\.\d+)?)-/, "-1-2-");
            expect(earlier).to.not.equal(entries[0]);
            fs.writeFileSync(earlier, "an earlier build's cache");
            for (const f of entries) fs.writeFileSync(f, "not a code cache");
            expect(bin(args), "a broken cache").to.deep.equal(modules);
            expect(fs.readFileSync(entries[0], "utf8"), "a rejected cache is written again").to.not.equal("not a code cache");
            expect(fs.existsSync(earlier), "the earlier build's cache is gone").to.equal(false);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("holds zod's English messages, which the config errors use", function () {
        const r = runEntry(BUNDLE, ["--config", path.join(dir, "bad-option.yaml"), seed("002-04-rabbitmq-cluster-sts.yaml")]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/expected boolean, received number/i);
    });
});

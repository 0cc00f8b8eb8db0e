/**
 * broker-lint: lint plain Kubernetes manifests for broken RabbitMQ/EMQX clusters.
 *
 *   broker-lint [--format text|json|sarif] [--config FILE] <files or dirs>…
 *
 * Exit codes: 0 no mandatory violation, 1 at least one, 2 usage error or unreadable input.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, Option } from "commander";
import type { LintOptions } from "./lint-command";

export interface Io {
    out: (s: string) => void;
    err: (s: string) => void;
}

const defaultIo: Io = {
    out: (s) => process.stdout.write(s.endsWith("\n") ? s : s + "\n"),
    err: (s) => process.stderr.write(s.endsWith("\n") ? s : s + "\n"),
};

/** The package's version; its package.json is the first one above this module, compiled or not. */
function packageVersion(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        try {
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            if (pkg.name === "@broker-platform/policies") return String(pkg.version ?? "0.0.0");
        } catch {
            // no package.json here
        }
        if (path.dirname(dir) === dir) return "0.0.0";
    }
}

/** Runs the CLI and returns the exit code (never throws, never exits the process itself). */
export function run(argv: string[], io: Io = defaultIo): number {
    const version = packageVersion();
    const program = new Command();
    let code = 0;
    program
        .name("broker-lint")
        .description("Lint Kubernetes manifests for broken RabbitMQ and EMQX clusters (headless naming, node names, anti-affinity, cookies, storage, discovery RBAC, PDBs).")
        .version(version)
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
        .option("-c, --config <file>", "YAML/JSON file with rule levels and options")
        .option("--allow-empty", "exit 0 when the inputs hold no Kubernetes object (default: exit 2, so a failed render or a mistyped path fails CI)")
        .argument("<paths...>", "manifest files or directories (*.yaml, *.yml, *.json, searched recursively); - reads standard input")
        .exitOverride()
        .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
        .action((paths: string[], opts: LintOptions) => {
            // Loaded here, so `--version` and `--help` start without the rules, zod and the parsers.
            const { lintCommand } = require("./lint-command") as typeof import("./lint-command");
            code = lintCommand(paths, opts, io, version);
        });
    try {
        program.parse(argv, { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" ? 0 : 2;
        }
        io.err(`broker-lint: ${e instanceof Error ? e.message : String(e)}`);
        return 2;
    }
    return code;
}

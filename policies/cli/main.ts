/**
 * broker-lint: lint plain Kubernetes manifests for broken RabbitMQ/EMQX clusters.
 *
 *   broker-lint [--format text|json|sarif] [--config FILE] <files or dirs>…
 *
 * Exit codes: 0 no mandatory violation, 1 at least one, 2 usage error or unreadable input.
 */
import * as fs from "fs";
import { Command, CommanderError, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { ConfigError, resolveConfig, ResolvedConfig } from "../config";
import { hasMandatory, lint } from "../engine";
import { formatJson, formatSarif, formatText } from "./format";
import { LoadError, loadPaths, locator } from "./load";
import { countKinds } from "./kinds";

export interface Io {
    out: (s: string) => void;
    err: (s: string) => void;
}

const defaultIo: Io = {
    out: (s) => process.stdout.write(s.endsWith("\n") ? s : s + "\n"),
    err: (s) => process.stderr.write(s.endsWith("\n") ? s : s + "\n"),
};

function packageVersion(): string {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return String(require("../package.json").version ?? "0.0.0");
    } catch {
        return "0.0.0";
    }
}

function loadConfig(file: string): ResolvedConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    let raw: unknown;
    try {
        raw = parseYaml(text, { prettyErrors: false });
    } catch (e) {
        const pos = (e as { linePos?: Array<{ line: number }> }).linePos;
        throw new ConfigError(`${pos?.[0] ? `line ${pos[0].line}: ` : ""}invalid YAML/JSON: ${(e as Error).message.split("\n")[0]}`);
    }
    return resolveConfig(raw ?? {});
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
        .action((paths: string[], opts: { format: "text" | "json" | "sarif"; config?: string; allowEmpty?: boolean }) => {
            let config: ResolvedConfig;
            try {
                config = opts.config ? loadConfig(opts.config) : resolveConfig({});
            } catch (e) {
                io.err(`broker-lint: config ${opts.config}: ${e instanceof Error ? e.message : String(e)}`);
                code = 2;
                return;
            }
            const loaded = loadPaths(paths);
            const result = lint(loaded.objects, config, loaded.sources, locator(loaded));
            const errors: LoadError[] = [...loaded.errors, ...result.errors.map((m) => ({ file: "-", message: m }))];
            if (errors.length === 0 && loaded.objects.length === 0 && !opts.allowEmpty) {
                errors.push({
                    file: paths.join(" "),
                    message: `no Kubernetes objects in ${loaded.files.length} file${loaded.files.length === 1 ? "" : "s"} (an empty render or a mistyped path?); pass --allow-empty to accept that`,
                });
            }
            const report = { violations: result.violations, errors, files: loaded.files.length, ...countKinds(loaded.objects) };
            if (opts.format === "json") io.out(formatJson(report));
            else if (opts.format === "sarif") io.out(formatSarif(report, version));
            else io.out(formatText(report));
            if (opts.format !== "text") for (const e of errors) io.err(`broker-lint: ${e.file}${e.line !== undefined ? `:${e.line}` : ""}: ${e.message}`);
            code = errors.length > 0 ? 2 : hasMandatory(result) ? 1 : 0;
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

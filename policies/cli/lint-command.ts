/** The lint run behind `broker-lint <paths…>`: load, lint, report; returns the exit code. */
import * as fs from "fs";
import { ConfigError, resolveConfig, ResolvedConfig } from "../config";
import { hasMandatory, lint } from "../engine";
import { formatJson, formatSarif, formatText } from "./format";
import { countKinds } from "./kinds";
import { LoadError, loadPaths, locator } from "./load";
import type { Io } from "./main";

export interface LintOptions {
    format: "text" | "json" | "sarif";
    config?: string;
    allowEmpty?: boolean;
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
        raw = (require("yaml") as typeof import("yaml")).parse(text, { prettyErrors: false });
    } catch (e) {
        const pos = (e as { linePos?: Array<{ line: number }> }).linePos;
        throw new ConfigError(`${pos?.[0] ? `line ${pos[0].line}: ` : ""}invalid YAML/JSON: ${(e as Error).message.split("\n")[0]}`);
    }
    return resolveConfig(raw ?? {});
}

export function lintCommand(paths: string[], opts: LintOptions, io: Io, version: string): number {
    let config: ResolvedConfig;
    try {
        config = opts.config ? loadConfig(opts.config) : resolveConfig({});
    } catch (e) {
        io.err(`broker-lint: config ${opts.config}: ${e instanceof Error ? e.message : String(e)}`);
        return 2;
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
    return errors.length > 0 ? 2 : hasMandatory(result) ? 1 : 0;
}

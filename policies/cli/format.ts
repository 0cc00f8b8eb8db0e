/** Output formats: text for people, JSON for scripts, SARIF 2.1.0 for code scanning. */
import { Violation } from "../lib/types";
import { RULES } from "../rules";
import * as path from "path";
import { LoadError, STDIN } from "./load";

export interface Report {
    violations: Violation[];
    errors: LoadError[];
    files: number;
    /** Kubernetes objects loaded. */
    objects: number;
    /** Of those, objects of kinds the rules read. */
    linted: number;
    /** The others, by kind. */
    skipped: Record<string, number>;
}

function skippedText(skipped: Record<string, number>): string {
    const kinds = Object.entries(skipped).sort(([a], [b]) => a.localeCompare(b));
    if (kinds.length === 0) return "";
    const n = kinds.reduce((sum, [, c]) => sum + c, 0);
    return ` (${n} skipped, kinds no rule reads: ${kinds.map(([k, c]) => `${k} ×${c}`).join(", ")})`;
}

export function formatJson(r: Report): string {
    const violations = r.violations.map((v) => {
        const o: Record<string, unknown> = { policy: v.policy, enforcement: v.enforcement, resource: v.resource, message: v.message, file: v.file ?? null };
        if (v.line !== undefined) o.line = v.line;
        if (v.column !== undefined) o.column = v.column;
        return o;
    });
    return JSON.stringify({ violations, errors: r.errors, summary: { files: r.files, objects: r.objects, linted: r.linted, skipped: r.skipped } }, null, 2);
}

export function formatText(r: Report): string {
    const lines: string[] = [];
    for (const e of r.errors) lines.push(`error: ${e.file}${e.line !== undefined ? `:${e.line}` : ""}: ${e.message}`);
    for (const v of r.violations) {
        const where = v.file ? `${v.file}${v.line !== undefined ? `:${v.line}${v.column !== undefined ? `:${v.column}` : ""}` : ""}` : "-";
        lines.push(`${where}: ${v.enforcement === "mandatory" ? "MANDATORY" : "advisory "} [${v.policy}] ${v.resource}`);
        lines.push(`    ${v.message}`);
    }
    const m = r.violations.filter((v) => v.enforcement === "mandatory").length;
    const a = r.violations.length - m;
    lines.push(`${m} mandatory, ${a} advisory violation${a === 1 ? "" : "s"} in ${r.linted} object${r.linted === 1 ? "" : "s"} linted${skippedText(r.skipped)} from ${r.files} file${r.files === 1 ? "" : "s"}${r.errors.length ? `; ${r.errors.length} error${r.errors.length === 1 ? "" : "s"}` : ""}`);
    return lines.join("\n");
}

/** A file as a URI reference relative to the working directory (code scanning resolves it against the checkout). */
function sarifUri(file: string): string {
    if (file === STDIN) return file;
    return encodeURI(path.relative(process.cwd(), path.resolve(file)).split(path.sep).join("/"));
}

export function formatSarif(r: Report, version: string): string {
    const ruleIndex = new Map(RULES.map((rule, i) => [rule.id, i]));
    const results = r.violations.map((v) => {
        const result: Record<string, unknown> = {
            ruleId: v.policy,
            ruleIndex: ruleIndex.get(v.policy),
            level: v.enforcement === "mandatory" ? "error" : "warning",
            message: { text: `${v.resource}: ${v.message}` },
        };
        if (v.file) {
            const physicalLocation: Record<string, unknown> = { artifactLocation: { uri: sarifUri(v.file) } };
            if (v.line !== undefined) physicalLocation.region = { startLine: v.line, ...(v.column !== undefined ? { startColumn: v.column } : {}) };
            result.locations = [{ physicalLocation, logicalLocations: [{ name: v.resource, kind: "resource" }] }];
        }
        return result;
    });
    const sarif = {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: {
                        name: "broker-lint",
                        version,
                        informationUri: "https://www.rabbitmq.com/docs/cluster-formation",
                        rules: RULES.map((rule) => ({
                            id: rule.id,
                            name: rule.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
                            shortDescription: { text: rule.description },
                            fullDescription: { text: rule.description },
                            defaultConfiguration: { level: rule.defaultEnforcement === "mandatory" ? "error" : "warning" },
                        })),
                    },
                },
                invocations: [
                    {
                        executionSuccessful: r.errors.length === 0,
                        toolExecutionNotifications: r.errors.map((e) => ({
                            level: "error",
                            message: { text: e.message },
                            locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(e.file) }, ...(e.line !== undefined ? { region: { startLine: e.line } } : {}) } }],
                        })),
                    },
                ],
                results,
            },
        ],
    };
    return JSON.stringify(sarif, null, 2);
}

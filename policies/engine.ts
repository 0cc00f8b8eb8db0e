/**
 * Runs every enabled rule over one set of objects and turns findings into violations with their
 * enforcement level and source location. Both adapters (CrossGuard, CLI) call `lint`.
 */
import { resolveConfig, ResolvedConfig } from "./config";
import { FieldRef, K8sObject, Position, SourceLookup, Violation } from "./lib/types";
import { resourceId } from "./lib/util";
import { withSharedModel } from "./lib/model";
import { RULES } from "./rules";

export interface LintResult {
    violations: Violation[];
    /** A rule that threw: reported, never fatal. */
    errors: string[];
}

/**
 * Where a field was written (the CLI's loader knows; CrossGuard's objects have no file). `object`
 * is the finding's object, which usually holds the field: the loader looks there first.
 */
export type Locate = (at: FieldRef, object: K8sObject) => Position | undefined;

export function lint(objects: K8sObject[], config: ResolvedConfig = resolveConfig({}), sources?: SourceLookup, locate?: Locate): LintResult {
    return withSharedModel(() => lintOnce(objects, config, sources, locate));
}

function lintOnce(objects: K8sObject[], config: ResolvedConfig, sources?: SourceLookup, locate?: Locate): LintResult {
    const violations: Violation[] = [];
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const rule of RULES) {
        const settings = config[rule.id];
        if (!settings || settings.enforcement === "disabled") continue;
        let findings;
        try {
            findings = rule.check(objects, settings.options);
        } catch (e) {
            errors.push(`rule ${rule.id} failed: ${e instanceof Error ? e.message : String(e)}`);
            continue;
        }
        for (const f of findings) {
            const enforcement = f.advisory || settings.enforcement === "advisory" ? "advisory" : "mandatory";
            const resource = resourceId(f.object);
            const key = `${rule.id}\u0000${resource}\u0000${f.message}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const src = sources?.get(f.object);
            const field = f.at ? locate?.(f.at, f.object) : undefined;
            const v: Violation = { policy: rule.id, enforcement, resource, message: f.message };
            if (field) {
                v.file = field.file;
                v.line = field.line;
                if (field.column !== undefined) v.column = field.column;
            } else {
                if (src?.file !== undefined) v.file = src.file;
                if (src?.line !== undefined) v.line = src.line;
                if (src?.column !== undefined) v.column = src.column;
            }
            if (src?.urn !== undefined) v.urn = src.urn;
            violations.push(v);
        }
    }
    return { violations, errors };
}

export function hasMandatory(result: LintResult): boolean {
    return result.violations.some((v) => v.enforcement === "mandatory");
}

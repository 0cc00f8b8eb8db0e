/**
 * Runs every enabled rule over one set of objects and turns findings into violations with their
 * enforcement level and source location. Both adapters (CrossGuard, CLI) call `lint`.
 */
import { resolveConfig, ResolvedConfig } from "./config";
import { K8sObject, SourceRef, Violation } from "./lib/types";
import { resourceId } from "./lib/util";
import { withSharedModel } from "./lib/model";
import { RULES } from "./rules";

export interface LintResult {
    violations: Violation[];
    /** A rule that threw: reported, never fatal. */
    errors: string[];
}

export function lint(objects: K8sObject[], config: ResolvedConfig = resolveConfig({}), sources?: Map<K8sObject, SourceRef>): LintResult {
    return withSharedModel(() => lintOnce(objects, config, sources));
}

function lintOnce(objects: K8sObject[], config: ResolvedConfig, sources?: Map<K8sObject, SourceRef>): LintResult {
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
            const v: Violation = { policy: rule.id, enforcement, resource, message: f.message };
            if (src?.file !== undefined) v.file = src.file;
            if (src?.line !== undefined) v.line = src.line;
            if (src?.urn !== undefined) v.urn = src.urn;
            violations.push(v);
        }
    }
    return { violations, errors };
}

export function hasMandatory(result: LintResult): boolean {
    return result.violations.some((v) => v.enforcement === "mandatory");
}

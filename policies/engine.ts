/**
 * Runs every enabled rule over one set of objects and turns findings into violations with their
 * enforcement level and source location. Both adapters (CrossGuard, CLI) call `lint`.
 */
import { resolveConfig, ResolvedConfig } from "./config";
import { FieldRef, Finding, K8sObject, Position, SourceLookup, Violation } from "./lib/types";
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
    const found: Array<[Violation, Finding]> = [];
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
            const v: Violation = { policy: rule.id, enforcement, resource, message: f.message };
            violations.push(v);
            found.push([v, f]);
        }
    }
    if (sources || locate) {
        // Positions are asked for object by object in input order, not rule by rule, so a loader
        // that reads them on demand reads each document once and can let it go.
        const order = new Map<K8sObject, number>();
        objects.forEach((o, i) => {
            if (!order.has(o)) order.set(o, i);
        });
        const rank = (f: Finding) => order.get(f.object) ?? objects.length;
        const byInput = found.map((x, i) => ({ x, r: rank(x[1]), i })).sort((a, b) => a.r - b.r || a.i - b.i);
        for (const { x } of byInput) place(x[0], x[1], sources, locate);
    }
    return { violations, errors };
}

function place(v: Violation, f: Finding, sources?: SourceLookup, locate?: Locate): void {
    const src = sources?.get(f.object);
    const field = f.at ? locate?.(f.at, f.object) : undefined;
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
}

export function hasMandatory(result: LintResult): boolean {
    return result.violations.some((v) => v.enforcement === "mandatory");
}

/**
 * Pack configuration, shared by the CLI (`--config FILE`, YAML or JSON) and CrossGuard:
 *
 *   rules:
 *     pod-anti-affinity: { enforcement: advisory, alwaysRequire: true }
 *     pdb: disabled
 *   headlessNaming: ["{statefulset}-headless", "{stem}-nodes"]
 */
import { z } from "zod";
import { Enforcement } from "./lib/types";
import { RULES } from "./rules";

export const enforcementSchema = z.enum(["mandatory", "advisory", "disabled"]);

function ruleEntrySchema(options: z.ZodObject<any>) {
    // `pdb: disabled` is shorthand for `pdb: {enforcement: disabled}`.
    return z.preprocess((v) => (typeof v === "string" ? { enforcement: v } : v), options.extend({ enforcement: enforcementSchema.optional() }));
}

export const configSchema = z.strictObject({
    rules: z.strictObject(Object.fromEntries(RULES.map((r) => [r.id, ruleEntrySchema(r.options).optional()]))).optional(),
    headlessNaming: z.array(z.string().min(1)).min(1).optional(),
});

export type PackConfig = z.infer<typeof configSchema>;

export interface RuleSettings {
    enforcement: Enforcement;
    options: Record<string, unknown>;
}

export type ResolvedConfig = Record<string, RuleSettings>;

export class ConfigError extends Error {}

function describeIssues(error: z.ZodError): string {
    return error.issues
        .map((i) => {
            const where = i.path.length > 0 ? i.path.join(".") : "(top level)";
            let msg = i.message;
            if (i.code === "unrecognized_keys" && i.path.length === 1 && i.path[0] === "rules") {
                msg += ` (known rules: ${RULES.map((r) => r.id).join(", ")})`;
            }
            return `${where}: ${msg}`;
        })
        .join("; ");
}

/** Validates raw config and fills in every rule's defaults. Throws ConfigError with a readable message. */
export function resolveConfig(raw: unknown = {}): ResolvedConfig {
    const parsed = configSchema.safeParse(raw ?? {});
    if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
    const cfg = parsed.data;
    const out: ResolvedConfig = {};
    for (const rule of RULES) {
        const entry = cfg.rules?.[rule.id] as unknown;
        let enforcement: Enforcement = rule.defaultEnforcement;
        let given: Record<string, unknown> = {};
        if (entry && typeof entry === "object") {
            const { enforcement: e, ...rest } = entry as Record<string, unknown>;
            if (e) enforcement = e as Enforcement;
            given = rest;
        }
        if (rule.id === "headless-service" && cfg.headlessNaming && given.naming === undefined) given = { ...given, naming: cfg.headlessNaming };
        const opts = rule.options.safeParse(given);
        if (!opts.success) throw new ConfigError(`rules.${rule.id}: ${describeIssues(opts.error)}`);
        out[rule.id] = { enforcement, options: opts.data as Record<string, unknown> };
    }
    return out;
}

import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { platformSchema, PlatformSettings } from "./schema";
import { escapedJson } from "./text";

/**
 * Raised before any resource is registered when stack config is invalid; lists every problem.
 * A RunError, so the engine prints the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        /** One line per problem: `<project>:<key path> = <value>: <what is allowed>`. */
        readonly problems: string[],
        /** What the problems stop, for the first line of the message. */
        title = "Invalid stack configuration",
    ) {
        super(`${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
        this.stack = plainStack(this);
    }
}

/**
 * The engine never shows a RunError's stack, but its run loop still formats the error for a trace
 * event; a stack that is only the message spares it source-mapping every frame (about 20 s).
 */
function plainStack(err: Error): string {
    return err.message;
}

/** A RunError (shown without a stack, like a config error) with a plain stack. */
export function runError(message: string): pulumi.RunError {
    const err = new pulumi.RunError(message);
    err.stack = plainStack(err);
    return err;
}

/**
 * Validates the project's stack config. `raw` maps config keys without the project prefix
 * (`clusters`, `storage`, …) to their values; `project` prefixes keys in messages so they read
 * exactly as in `Pulumi.<stack>.yaml`.
 */
export function parseSettings(raw: Record<string, unknown>, project: string): PlatformSettings {
    const result = platformSchema.safeParse(raw, { reportInput: true });
    if (result.success) return result.data;
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, project)));
}

/**
 * Reads every `<project>:*` key from Pulumi's config map. Object values arrive as JSON strings;
 * scalars as plain strings, so a value that is not JSON is kept as the string it is.
 */
export function rawProjectConfig(allConfig: Record<string, string>, project: string): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    const prefix = `${project}:`;
    for (const [key, value] of Object.entries(allConfig)) {
        if (!key.startsWith(prefix)) continue;
        raw[key.slice(prefix.length)] = decode(value);
    }
    return raw;
}

function decode(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** Map keys that are not plain words (`log.console.level`, a key with a newline) are shown quoted, in brackets. */
function keyPath(project: string, path: PropertyKey[]): string {
    let out = "";
    for (const part of path) {
        if (typeof part === "number") out += `[${part}]`;
        else if (typeof part === "string" && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += `[${escapedJson(part)}]`;
        else out += out === "" ? String(part) : `.${String(part)}`;
    }
    return `${project}:${out || "<root>"}`;
}

function show(value: unknown): string {
    if (value === undefined) return "(missing)";
    if (typeof value === "number" && !Number.isFinite(value)) return String(value);
    const text = escapedJson(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue, project: string): string {
    const key = keyPath(project, issue.path);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys
                .map((k) => `${keyPath(project, [...issue.path, k])}: unknown key (a typo?); allowed keys here: ${allowedKeys(issue.path).join(", ") || "see README"}`)
                .join("\n  - ");
        case "invalid_type":
            if (input === undefined) return `${key}: is required (${issue.message})`;
            return `${key} = ${show(input)}: ${issue.message}`;
        case "invalid_union":
            if ("discriminator" in issue && issue.discriminator) {
                const got = (input as Record<string, unknown> | undefined)?.[issue.discriminator as string];
                return `${key} = ${show(got)}: must be one of ${(issue as { options?: unknown[] }).options?.join(", ")}`;
            }
            return `${key} = ${show(input)}: ${issue.message}`;
        default:
            return `${key} = ${show(input)}: ${issue.message}`;
    }
}

/** Keys the schema accepts at a path, for the "did you mean" part of unknown-key errors. */
function allowedKeys(path: PropertyKey[]): string[] {
    let schema: z.ZodType = platformSchema;
    for (const part of path) {
        schema = unwrap(schema);
        if (typeof part === "number" && schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
        else if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(part)];
        else return [];
        if (!schema) return [];
    }
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
    if (schema instanceof z.ZodDiscriminatedUnion) {
        return [...new Set((schema.options as z.ZodObject[]).flatMap((o) => Object.keys(o.shape)))];
    }
    return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
    let s: z.ZodType = schema;
    for (;;) {
        if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
        else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
        else return s;
    }
}

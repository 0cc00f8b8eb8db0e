/** The contract every rule module implements. */
import { z } from "zod";
import { FieldRef, Finding, K8sObject } from "./types";

export interface Rule<O extends Record<string, unknown> = Record<string, unknown>> {
    /** Stable id, used in config, CrossGuard policy names, JSON/SARIF output. */
    id: string;
    /** One line for people. */
    description: string;
    defaultEnforcement: "mandatory" | "advisory";
    /** Rule-specific options (enforcement is handled by the engine); must accept `{}`. */
    options: z.ZodObject<any>;
    /** Type witness for `O`; never read. */
    readonly _options?: O;
    /** Pure: the same objects and options always give the same findings. */
    check(objects: K8sObject[], options: O): Finding[];
}

export const noOptions = z.strictObject({});

/** Field `key` of `node` (the spec, a volume, …) as a location, when `node` is a map; the field may be absent. */
export function fieldOf(node: unknown, key: string): FieldRef | undefined {
    return node !== null && typeof node === "object" && !Array.isArray(node) ? { node, key } : undefined;
}

export function finding(object: K8sObject, message: string, advisory = false, at?: FieldRef): Finding {
    return { object, message, ...(advisory ? { advisory } : {}), ...(at ? { at } : {}) };
}

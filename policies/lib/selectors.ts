/**
 * Label selector matching with Kubernetes semantics: `matchLabels` and `matchExpressions`
 * (In, NotIn, Exists, DoesNotExist) are ANDed; an empty LabelSelector matches everything, a
 * missing one nothing. Service selectors are plain maps (`{key: value}`).
 */
import { arr, rec, scalar, str, stringMap } from "./util";

/** Result of reading a selector: `invalid` when its shape is wrong (never matches). */
export interface ParsedSelector {
    matchLabels: Record<string, string>;
    expressions: Array<{ key: string; operator: string; values: string[] }>;
    invalid?: string;
}

export function parseLabelSelector(sel: unknown): ParsedSelector | undefined {
    const r = rec(sel);
    if (!r) return undefined;
    const out: ParsedSelector = { matchLabels: stringMap(r.matchLabels), expressions: [] };
    if (r.matchLabels !== undefined && r.matchLabels !== null && !rec(r.matchLabels)) {
        out.invalid = "matchLabels is not a map";
    }
    if (r.matchExpressions !== undefined && r.matchExpressions !== null && !Array.isArray(r.matchExpressions)) {
        out.invalid = "matchExpressions is not a list";
    }
    for (const e of arr(r.matchExpressions)) {
        const er = rec(e);
        const key = str(er?.key);
        const operator = str(er?.operator);
        if (!er || !key || !operator) {
            out.invalid = "a matchExpression lacks key or operator";
            continue;
        }
        const values = arr(er.values).map(scalar).filter((v): v is string => v !== undefined);
        out.expressions.push({ key, operator, values });
    }
    return out;
}

/** True when the selector has no requirement at all. */
export function isEmptySelector(sel: ParsedSelector): boolean {
    return Object.keys(sel.matchLabels).length === 0 && sel.expressions.length === 0;
}

export function matchesSelector(sel: ParsedSelector | undefined, labels: Record<string, string>): boolean {
    if (!sel || sel.invalid) return false;
    for (const [k, v] of Object.entries(sel.matchLabels)) {
        if (labels[k] !== v) return false;
    }
    for (const e of sel.expressions) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                if (!has || !e.values.includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && e.values.includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** Matches a LabelSelector object (`{matchLabels, matchExpressions}`) against labels. */
export function labelSelectorMatches(sel: unknown, labels: Record<string, string>): boolean {
    return matchesSelector(parseLabelSelector(sel), labels);
}

/** A Service's selector: a plain map; empty or missing selects no pods (endpoints are manual). */
export function serviceSelectorMatches(selector: unknown, labels: Record<string, string>): boolean {
    const m = stringMap(selector);
    const keys = Object.keys(m);
    if (keys.length === 0) return false;
    return keys.every((k) => labels[k] === m[k]);
}

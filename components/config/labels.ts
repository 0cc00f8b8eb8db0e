import { z } from "zod";

/** `prefix/name` label keys: an optional DNS subdomain prefix, a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Label values: empty, or at most 63 characters starting and ending with a letter or digit. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export const labelKey = (what: string) =>
    z.string().regex(LABEL_KEY, {
        error: `${what} keys are [prefix/]name with a name of at most 63 letters, digits, '-', '_' or '.', e.g. kubernetes.io/metadata.name`,
    });

export const labelValue = (what: string) =>
    z.string({ error: `${what} values must be strings` }).regex(LABEL_VALUE, {
        error: `${what} values are at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    });

/** A label map; bad keys are reported by name (a record's own key check would only say "Invalid key"). */
export const labelMap = (what: string) =>
    z.record(z.string(), labelValue(what)).superRefine((labels, ctx) => {
        for (const key of Object.keys(labels)) {
            if (!LABEL_KEY.test(key)) ctx.addIssue({ code: "custom", path: [key], message: `${what} keys are [prefix/]name with a name of at most 63 letters, digits, '-', '_' or '.', e.g. kubernetes.io/metadata.name; not ${JSON.stringify(key)}`, input: key });
        }
    });

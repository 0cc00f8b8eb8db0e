/**
 * selector-matches-template: a workload's `spec.selector` is present, non-empty and matches its
 * pod template's labels (apps/v1 rejects anything else; older APIs defaulted it). Applies to every
 * workload, broker or not.
 */
import { buildModel } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { isEmptySelector, parseLabelSelector, matchesSelector, serviceSelectorMatches } from "../lib/selectors";
import { Finding } from "../lib/types";
import { apiVersionOf, rec, stringMap } from "../lib/util";

const LEGACY = new Set(["apps/v1beta1", "apps/v1beta2", "extensions/v1beta1", "apps/v1alpha1"]);

export const selectorMatchesTemplate: Rule = {
    id: "selector-matches-template",
    description: "A workload's selector is set, non-empty and matches its pod template labels.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const out: Finding[] = [];
        for (const w of buildModel(objects).workloads) {
            if (w.kind === "Pod" || w.kind === "Job") continue;
            const o = w.object;
            const raw = rec(o.spec)?.selector;
            const legacy = LEGACY.has(apiVersionOf(o));
            const labels = JSON.stringify(w.podLabels);
            if (w.kind === "ReplicationController") {
                if (raw !== undefined && !serviceSelectorMatches(raw, w.podLabels)) {
                    out.push(finding(o, `selector ${JSON.stringify(stringMap(raw))} does not match the pod template labels ${labels}`, false, fieldOf(o.spec, "selector")));
                }
                continue;
            }
            if (raw === undefined || raw === null) {
                out.push(
                    finding(
                        o,
                        legacy
                            ? `${w.kind} ${w.name} has no spec.selector; ${apiVersionOf(o)} defaulted it from the template labels, but apps/v1 requires it`
                            : `${w.kind} ${w.name} has no spec.selector, which ${apiVersionOf(o) || "apps/v1"} requires`,
                        legacy,
                    ),
                );
                continue;
            }
            const sel = parseLabelSelector(raw);
            if (!sel || sel.invalid) {
                out.push(finding(o, `${w.kind} ${w.name} has a malformed spec.selector${sel?.invalid ? ` (${sel.invalid})` : ""}`, false, fieldOf(o.spec, "selector")));
            } else if (isEmptySelector(sel)) {
                out.push(finding(o, `${w.kind} ${w.name} has an empty spec.selector, which would select every pod in the namespace; apps/v1 rejects it`, false, fieldOf(o.spec, "selector")));
            } else if (!matchesSelector(sel, w.podLabels)) {
                out.push(finding(o, `${w.kind} ${w.name}'s selector does not match its pod template labels ${labels}: the API server rejects it (selector does not match template labels)`, false, fieldOf(o.spec, "selector")));
            }
        }
        return out;
    },
};

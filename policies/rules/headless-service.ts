/**
 * headless-service: a broker StatefulSet's `serviceName` names a Service in the same namespace with
 * `clusterIP: None` and a non-empty selector matching the pod template's labels, and the name
 * follows the naming convention. `publishNotReadyAddresses: true` is advisory (peers must resolve
 * each other before they are ready). A clustered broker on a Deployment is advisory.
 */
import { z } from "zod";
import { buildModel, Broker, Model } from "../lib/model";
import { discoveryOf } from "../lib/discovery";
import { fieldOf, finding, Rule } from "../lib/rule";
import { serviceSelectorMatches } from "../lib/selectors";
import { Finding, K8sObject } from "../lib/types";
import { labelsOf, nameOf, namespaceOf, rec, str, stringMap } from "../lib/util";

export const DEFAULT_HEADLESS_NAMING = ["{statefulset}-headless", "{statefulset}-nodes", "{stem}-headless", "{stem}-nodes"];

const options = z.strictObject({
    /**
     * Accepted headless Service names. Placeholders: `{statefulset}`, `{stem}` (the StatefulSet name
     * without a trailing `-server`/`-core`/`-replicant`), `{instance}` (label `app.kubernetes.io/instance`),
     * `{app}` (label `app.kubernetes.io/name`); `*` matches anything. `["*"]` turns the convention off.
     */
    naming: z.array(z.string().min(1)).min(1).default(DEFAULT_HEADLESS_NAMING),
    /**
     * Report a name outside the convention as mandatory. Off by default: a differently named Service
     * that is headless and selects the pods works (the other findings catch the ones that do not).
     */
    strictNaming: z.boolean().default(false),
});
export type HeadlessServiceOptions = z.infer<typeof options>;

function escapeRe(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const partsOf = new Map<string, string[]>();

/** A naming pattern split into literal text, `{variable}` and `*` (once per pattern). */
function patternParts(pattern: string): string[] {
    let parts = partsOf.get(pattern);
    if (!parts) partsOf.set(pattern, (parts = pattern.split(/(\{[a-z]+\}|\*)/)));
    return parts;
}

export function namingMatches(pattern: string, serviceName: string, b: { name: string; podLabels: Record<string, string>; object: K8sObject }): boolean {
    const stem = b.name.replace(/-(server|core|replicant)(-[a-z0-9]{1,10})?$/, "");
    const labels = { ...labelsOf(b.object), ...b.podLabels };
    const vars: Record<string, string | undefined> = {
        statefulset: b.name,
        stem,
        instance: labels["app.kubernetes.io/instance"],
        app: labels["app.kubernetes.io/name"],
    };
    let re = "";
    let literal = "";
    let wildcard = false;
    for (const part of patternParts(pattern)) {
        if (part === "*") {
            re += ".*";
            wildcard = true;
        } else if (/^\{[a-z]+\}$/.test(part)) {
            const v = vars[part.slice(1, -1)];
            if (v === undefined) return false;
            re += escapeRe(v);
            literal += v;
        } else {
            re += escapeRe(part);
            literal += part;
        }
    }
    return wildcard ? new RegExp(`^${re}$`).test(serviceName) : literal === serviceName;
}

export function findService(model: Model, namespace: string, name: string): K8sObject | undefined {
    return model.lookup("Service", namespace, name);
}

/**
 * A single node with no peer discovery configured never looks anyone up: its own long name resolves
 * through the /etc/hosts entry the kubelet writes, so the governing Service is only hygiene.
 */
function standalone(b: Broker): boolean {
    return b.replicas < 2 && !b.replicasInvalid && discoveryOf(b).mechanism === undefined;
}

function checkStatefulSet(b: Broker, model: Model, opts: HeadlessServiceOptions): Finding[] {
    const findings = checkGoverningService(b, model, opts);
    return standalone(b) ? findings.map((f) => ({ ...f, advisory: true })) : findings;
}

function checkGoverningService(b: Broker, model: Model, opts: HeadlessServiceOptions): Finding[] {
    const out: Finding[] = [];
    const o = b.object;
    const svcName = b.serviceName;
    if (!svcName) {
        out.push(finding(o, `${b.kind} ${b.name} has no spec.serviceName: its pods get no stable DNS names, so Erlang nodes cannot address each other`, false, fieldOf(o.spec, "serviceName") ?? fieldOf(o, "kind")));
        return out;
    }
    const svc = findService(model, b.namespace, svcName);
    if (!svc) {
        const elsewhere = model.ofKind("Service").find((s) => nameOf(s) === svcName);
        out.push(
            finding(
                o,
                elsewhere
                    ? `serviceName ${svcName} names a Service in namespace ${namespaceOf(elsewhere)}, but the StatefulSet is in ${b.namespace}: the governing Service must be in the same namespace`
                    : `serviceName ${svcName} names no Service in namespace ${b.namespace}: create a headless Service (clusterIP: None) with that name`,
                false,
                fieldOf(o.spec, "serviceName"),
            ),
        );
    } else {
        const spec = rec(svc.spec) ?? {};
        if (spec.clusterIP !== "None") {
            out.push(
                finding(
                    svc,
                    `Service ${svcName} governs StatefulSet ${b.name} but is not headless (clusterIP: ${str(spec.clusterIP) ?? "<allocated>"}); set clusterIP: None so each pod gets its own DNS record`,
                    false,
                    fieldOf(svc.spec, "clusterIP"),
                ),
            );
        }
        const selector = stringMap(spec.selector);
        if (Object.keys(selector).length === 0) {
            out.push(finding(svc, `headless Service ${svcName} has no selector: no Endpoints are created, so pod DNS names of ${b.name} never resolve`, false, fieldOf(svc.spec, "selector") ?? fieldOf(svc, "spec")));
        } else if (!serviceSelectorMatches(spec.selector, b.podLabels)) {
            out.push(
                finding(
                    svc,
                    `headless Service ${svcName} selector ${JSON.stringify(selector)} does not match the labels of ${b.name}'s pods ${JSON.stringify(b.podLabels)}: pod DNS names never resolve (nxdomain)`,
                    false,
                    fieldOf(svc.spec, "selector"),
                ),
            );
        }
        if (spec.publishNotReadyAddresses !== true) {
            out.push(
                finding(svc, `headless Service ${svcName} does not set publishNotReadyAddresses: true; booting nodes cannot resolve peers that are not ready yet, which stalls cluster formation`, true, fieldOf(svc.spec, "publishNotReadyAddresses") ?? fieldOf(svc, "spec")),
            );
        }
    }
    if (!opts.naming.some((p) => namingMatches(p, svcName, b))) {
        out.push(finding(o, `headless Service name ${svcName} does not follow the naming convention for StatefulSet ${b.name} (accepted: ${opts.naming.join(", ")})`, !opts.strictNaming, fieldOf(o.spec, "serviceName")));
    }
    return out;
}

export const headlessService: Rule<HeadlessServiceOptions> = {
    id: "headless-service",
    description: "A broker StatefulSet's serviceName names a headless Service in its namespace whose selector matches the pods, named by convention.",
    defaultEnforcement: "mandatory",
    options,
    check(objects, opts) {
        const model = buildModel(objects);
        const out: Finding[] = [];
        for (const b of model.brokers) {
            if (b.kind === "StatefulSet" || b.kind === "PetSet") out.push(...checkStatefulSet(b, model, opts));
            else if ((b.kind === "Deployment" || b.kind === "ReplicaSet") && b.replicas >= 2) {
                out.push(
                    finding(
                        b.object,
                        `${b.engine} runs as a ${b.kind} with ${b.replicas} replicas: pod names (and so Erlang node names) change on every reschedule; run brokers as a StatefulSet with a headless Service`,
                        true,
                        fieldOf(b.object, "kind"),
                    ),
                );
            }
        }
        return out;
    },
};



/**
 * CrossGuard adapter: one stack policy per rule. Each policy collects the stack's `kubernetes:*`
 * resources as plain Kubernetes objects and runs the rule over all of them together.
 * Advisory sub-findings of mandatory rules go to the `broker-advisories` policy, because a
 * CrossGuard policy has a single enforcement level.
 */
import { EnforcementLevel, PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { resolveConfig } from "./config";
import { Finding, K8sObject } from "./lib/types";
import { resourceId } from "./lib/util";
import { RULES } from "./rules";
import { Rule } from "./lib/rule";
import { withSharedModel } from "./lib/model";

/** `kubernetes:apps/v1:StatefulSet` → `{apiVersion: "apps/v1", kind: "StatefulSet"}`; core group → `v1`. */
export function parseK8sType(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    if (!m) return undefined;
    const [, groupVersion, kind] = m;
    if (kind.endsWith("Patch") || kind.endsWith("List")) return undefined;
    if (!/^([^/]+\/)?v\d+((alpha|beta)\d+)?$/.test(groupVersion)) return undefined;
    const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
    return { apiVersion, kind };
}

/** Deep-copies props into plain data; values unknown during preview become undefined. */
function plain(x: unknown, depth = 0): unknown {
    if (depth > 64 || x === null || typeof x !== "object") return x;
    if (Array.isArray(x)) {
        const out: unknown[] = [];
        for (let i = 0; i < x.length; i++) {
            try {
                out.push(plain(x[i], depth + 1));
            } catch {
                out.push(undefined);
            }
        }
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x)) {
        try {
            const v = plain((x as Record<string, unknown>)[k], depth + 1);
            if (v !== undefined) out[k] = v;
        } catch {
            // unknown during preview
        }
    }
    return out;
}

/** Plain Kubernetes objects from stack resources, with the URN of each. */
export function objectsFromResources(resources: PolicyResource[]): { objects: K8sObject[]; urns: Map<K8sObject, string> } {
    const objects: K8sObject[] = [];
    const urns = new Map<K8sObject, string>();
    for (const r of resources) {
        const t = parseK8sType(r.type);
        if (!t) continue;
        const props = (plain(r.props) as Record<string, any>) ?? {};
        const metadata = { ...(props.metadata && typeof props.metadata === "object" ? props.metadata : {}) };
        if (typeof metadata.name !== "string" || metadata.name === "") metadata.name = r.name;
        const obj: K8sObject = { ...props, apiVersion: t.apiVersion, kind: t.kind, metadata };
        objects.push(obj);
        urns.set(obj, r.urn);
    }
    return { objects, urns };
}

function report(findings: Finding[], urns: Map<K8sObject, string>, reportViolation: ReportViolation, advisory: boolean): void {
    for (const f of findings) {
        if (!!f.advisory !== advisory) continue;
        reportViolation(`${resourceId(f.object)}: ${f.message}`, urns.get(f.object));
    }
}

function ruleOptions(rule: Rule<any>, args: StackValidationArgs): Record<string, unknown> {
    const cfg = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
    const { enforcementLevel: _level, ...opts } = cfg;
    void _level;
    return resolveConfig({ rules: { [rule.id]: opts } })[rule.id].options;
}

function configSchemaOf(rule: Rule<any>): StackValidationPolicy["configSchema"] {
    if (rule.id === "pod-anti-affinity") return { properties: { alwaysRequire: { type: "boolean", default: false } } };
    if (rule.id === "headless-service") return { properties: { naming: { type: "array", items: { type: "string" } } } };
    return undefined;
}

export function policyFor(rule: Rule<any>): StackValidationPolicy {
    return {
        name: rule.id,
        description: rule.description,
        enforcementLevel: rule.defaultEnforcement as EnforcementLevel,
        configSchema: configSchemaOf(rule),
        validateStack: (args, reportViolation) => {
            const { objects, urns } = objectsFromResources(args.resources);
            report(rule.check(objects, ruleOptions(rule, args)), urns, reportViolation, false);
        },
    };
}

/** Advisory sub-checks of mandatory rules (publishNotReadyAddresses, missing PDB, …). */
export const brokerAdvisories: StackValidationPolicy = {
    name: "broker-advisories",
    description: "Advisory findings of the mandatory broker rules (publishNotReadyAddresses, missing PDB, unpinned hostPath PVs, …).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const { objects, urns } = objectsFromResources(args.resources);
        const config = resolveConfig({});
        withSharedModel(() => {
            for (const rule of RULES) report(rule.check(objects, config[rule.id].options), urns, reportViolation, true);
        });
    },
};

export const policies: StackValidationPolicy[] = [...RULES.map(policyFor), brokerAdvisories];

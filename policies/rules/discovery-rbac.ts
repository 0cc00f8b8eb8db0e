/**
 * discovery-rbac: when peer discovery calls the Kubernetes API (RabbitMQ < 4.1 with the k8s
 * backend, EMQX `k8s`), the pod's ServiceAccount is bound — right subject, `rbac.authorization.k8s.io`
 * group — to a Role granting `get` on endpoints in its namespace. No wildcard verbs, resources or
 * apiGroups in that Role. Without it discovery gets HTTP 403 and every node forms its own cluster.
 */
import { discoveryOf } from "../lib/discovery";
import { Broker, buildModel, Model } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { FieldRef, Finding, K8sObject } from "../lib/types";
import { apiVersionOf, arr, groupOf, kindOf, nameOf, namespaceOf, rec, recs, scalar, str } from "../lib/util";

const RBAC = "rbac.authorization.k8s.io";

/**
 * Whether a binding subject is the pod's ServiceAccount. In a RoleBinding a ServiceAccount subject
 * without a namespace means the binding's own namespace (the authorizer defaults it; Bitnami's
 * charts rely on this); a ClusterRoleBinding must spell it out.
 */
function subjectIsSA(subject: Record<string, any>, sa: string, ns: string, binding: K8sObject): boolean {
    const kind = str(subject.kind);
    const name = str(subject.name);
    if (kind === "ServiceAccount") {
        const subjectNs = str(subject.namespace) || (kindOf(binding) === "RoleBinding" ? namespaceOf(binding) : undefined);
        return name === sa && subjectNs === ns;
    }
    if (kind === "User") return name === `system:serviceaccount:${ns}:${sa}`;
    if (kind === "Group") return name === "system:serviceaccounts" || name === `system:serviceaccounts:${ns}`;
    return false;
}

function strings(x: unknown): string[] {
    return arr(x).map(scalar).filter((s): s is string => s !== undefined);
}

interface Grant {
    ok: boolean;
    wildcards: string[];
    /** The first rule holding a wildcard. */
    wildcardAt?: FieldRef;
}

function roleGrants(role: K8sObject): Grant {
    const wildcards: string[] = [];
    let wildcardAt: FieldRef | undefined;
    let ok = false;
    for (const r of recs(role.rules)) {
        const groups = strings(r.apiGroups);
        const resources = strings(r.resources);
        const verbs = strings(r.verbs);
        const before = wildcards.length;
        if (groups.includes("*")) wildcards.push("apiGroups");
        if (resources.includes("*")) wildcards.push("resources");
        if (verbs.includes("*")) wildcards.push("verbs");
        if (wildcards.length > before && !wildcardAt) wildcardAt = fieldOf(r, verbs.includes("*") ? "verbs" : resources.includes("*") ? "resources" : "apiGroups");
        const names = strings(r.resourceNames);
        if ((groups.includes("") || groups.includes("*")) && (resources.includes("endpoints") || resources.includes("*")) && (verbs.includes("get") || verbs.includes("*")) && names.length === 0) {
            ok = true;
        }
    }
    return { ok, wildcards: [...new Set(wildcards)], wildcardAt };
}

/** Bindings by what their subjects could name: `sa\0name`, `user\0name`, `group\0name`. */
interface BindingIndex {
    /** Per scope (`ns\0<namespace>` for RoleBindings, `cluster` for ClusterRoleBindings). */
    byKey: Map<string, Map<string, K8sObject[]>>;
    /** Place of each binding in the inputs. */
    order: Map<K8sObject, number>;
}

const bindingIndexes = new WeakMap<Model, BindingIndex>();

function bindingIndex(model: Model): BindingIndex {
    let index = bindingIndexes.get(model);
    if (index) return index;
    index = { byKey: new Map(), order: new Map() };
    const add = (scope: string, key: string, rb: K8sObject) => {
        let keys = index!.byKey.get(scope);
        if (!keys) index!.byKey.set(scope, (keys = new Map()));
        const list = keys.get(key);
        if (!list) keys.set(key, [rb]);
        else if (list[list.length - 1] !== rb) list.push(rb);
    };
    for (const rb of [...model.ofKind("RoleBinding"), ...model.ofKind("ClusterRoleBinding")]) {
        if (!index.order.has(rb)) index.order.set(rb, index.order.size);
        const scope = kindOf(rb) === "RoleBinding" ? `ns\u0000${namespaceOf(rb)}` : "cluster";
        for (const s of recs(rb.subjects)) {
            const name = str(s.name);
            const kind = str(s.kind);
            if (name === undefined) continue;
            if (kind === "ServiceAccount") add(scope, `sa\u0000${name}`, rb);
            else if (kind === "User") add(scope, `user\u0000${name}`, rb);
            else if (kind === "Group") add(scope, `group\u0000${name}`, rb);
        }
    }
    bindingIndexes.set(model, index);
    return index;
}

/**
 * The RoleBindings of `ns`, then the ClusterRoleBindings, that have a subject which is, or nearly
 * is, ServiceAccount `sa` of `ns` (in input order): the only ones `check` says anything about.
 */
function bindingsNaming(model: Model, sa: string, ns: string): K8sObject[] {
    const index = bindingIndex(model);
    const keys = [`sa\u0000${sa}`, `user\u0000system:serviceaccount:${ns}:${sa}`, "group\u0000system:serviceaccounts", `group\u0000system:serviceaccounts:${ns}`];
    const out: K8sObject[] = [];
    for (const scope of [`ns\u0000${ns}`, "cluster"]) {
        const byKey = index.byKey.get(scope);
        if (!byKey) continue;
        const hits = new Set<K8sObject>();
        for (const k of keys) for (const rb of byKey.get(k) ?? []) hits.add(rb);
        // In input order, as the findings and problems are listed.
        out.push(...[...hits].sort((a, b) => index.order.get(a)! - index.order.get(b)!));
    }
    return out;
}

function check(b: Broker, model: Model): Finding[] {
    const d = discoveryOf(b);
    if (!d.callsApi) return [];
    const sa = b.serviceAccount;
    const ns = b.namespace;
    const problems: string[] = [];
    const out: Finding[] = [];
    let granted = false;
    for (const rb of bindingsNaming(model, sa, ns)) {
        const subjects = recs(rb.subjects);
        const forSA = subjects.filter((s) => subjectIsSA(s, sa, ns, rb));
        const nearMiss = subjects.filter((s) => str(s.kind) === "ServiceAccount" && str(s.name) === sa && !forSA.includes(s));
        const id = `${kindOf(rb)} ${nameOf(rb)}`;
        if (forSA.length === 0) {
            if (nearMiss.length > 0) problems.push(`${id} names ServiceAccount ${sa} with namespace ${str(nearMiss[0].namespace) ?? "<none>"} instead of ${ns} in its subject`);
            continue;
        }
        if (groupOf(rb) !== RBAC) {
            problems.push(`${id} has apiVersion ${apiVersionOf(rb)}; RBAC objects live in the ${RBAC} group, so it is rejected`);
            continue;
        }
        const ref = rec(rb.roleRef) ?? {};
        const refKind = str(ref.kind);
        const refName = str(ref.name) ?? "";
        if (str(ref.apiGroup) !== RBAC) {
            problems.push(`${id} has roleRef.apiGroup ${JSON.stringify(str(ref.apiGroup) ?? "")}; it must be ${RBAC}`);
            continue;
        }
        const role = refKind === "Role" ? model.lookup("Role", ns, refName) : refKind === "ClusterRole" ? model.lookup("ClusterRole", "", refName) : undefined;
        if (!role) {
            problems.push(`${id} refers to ${refKind ?? "?"} ${refName}, which is not among the inputs${refKind === "Role" ? ` in namespace ${ns}` : ""}`);
            continue;
        }
        if (groupOf(role) !== RBAC) {
            problems.push(`${kindOf(role)} ${refName} has apiVersion ${apiVersionOf(role)}; it must be in the ${RBAC} group`);
            continue;
        }
        const g = roleGrants(role);
        if (g.wildcards.length > 0) {
            out.push(finding(role, `${kindOf(role)} ${refName}, bound to the ${b.engine} ServiceAccount ${sa}, uses wildcard ${g.wildcards.join(", ")}; grant only get (list/watch) on endpoints`, false, g.wildcardAt));
        }
        if (!g.ok) {
            problems.push(`${kindOf(role)} ${refName} (via ${id}) does not grant get on endpoints in the core API group`);
            continue;
        }
        granted = true;
        if (kindOf(rb) === "ClusterRoleBinding") {
            out.push(finding(rb, `${id} grants ${b.engine} discovery access in every namespace; a RoleBinding in ${ns} is enough`, true, fieldOf(rb, "kind")));
        }
    }
    if (!granted) {
        const what = b.engine === "rabbitmq" ? "the RabbitMQ k8s peer discovery backend" : `EMQX k8s discovery${d.rawSetting ? ` (${d.rawSetting}=${d.raw})` : ""}`;
        const detail = problems.length > 0 ? `: ${problems.join("; ")}` : ": no RoleBinding in the inputs binds it to a Role granting get on endpoints";
        out.push(finding(b.object, `${what} reads Endpoints from the API as ServiceAccount ${ns}/${sa}, which is not allowed (HTTP 403, every node forms its own cluster)${detail}`, false, fieldOf(b.podSpec, "serviceAccountName") ?? fieldOf(b.podSpec, "containers")));
    }
    return out;
}

export const discoveryRbac: Rule = {
    id: "discovery-rbac",
    description: "API-based peer discovery runs as a ServiceAccount bound to a Role granting get on endpoints, without wildcards.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.brokers.filter((b) => b.erlang).flatMap((b) => check(b, model));
    },
};

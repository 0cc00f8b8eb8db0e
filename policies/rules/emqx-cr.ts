/**
 * emqx-cr: an `EMQX` resource (EMQX operator, `apps.emqx.io/v2beta1`, `v2alpha1`) that the operator
 * turns into a broken, exposed or fragile cluster. The operator owns clustering: DNS (SRV) discovery
 * through `<name>-headless`, node identity and role env, the cookie Secret `<name>-node-cookie`.
 * A template `env` entry of the same name comes after the operator's and wins. Mandatory: env that
 * takes clustering or identity away, literal cookies and passwords in the resource, invalid storage,
 * core nodes with nothing keeping them on different machines. Advisory (as the matching StatefulSet
 * rules): an even number of core nodes, core data on emptyDir, replicants that may share a machine.
 */
import { displayValue, hasRuntimePart, resolveEnv } from "../lib/env";
import { parseConf } from "../lib/conf";
import { buildModel, Model } from "../lib/model";
import { EMQX_OPERATOR_ENV, emqxNames, emqxPodLabels, EmqxRole, isEmqxCluster, mapAt } from "../lib/operators";
import { parseQuantity } from "@broker-platform/quantity";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { labelSelectorMatches } from "../lib/selectors";
import { HOSTNAME, spreadingOf, spreadsNodes } from "../lib/spreading";
import { FieldRef, Finding, K8sObject } from "../lib/types";
import { apiVersionOf, int, isDns1123Subdomain, nameOf, namespaceOf, path, rec, recs, scalar, str } from "../lib/util";

interface Role {
    role: EmqxRole;
    /** `spec.coreTemplate` / `spec.replicantTemplate`. */
    template: Record<string, any>;
    spec: Record<string, any>;
    replicas: number;
    labels: Record<string, string>;
}

interface Ctx {
    cr: K8sObject;
    name: string;
    ns: string;
    spec: Record<string, any>;
    model: Model;
    out: Finding[];
}

function report(c: Ctx, message: string, at: FieldRef | undefined, advisory = false): void {
    c.out.push(finding(c.cr, message, advisory, at ?? fieldOf(c.cr, "spec")));
}

/**
 * Replicas of a role: the CRD defaults `spec.replicas` of a template (2 in v2beta1, 3 in v2alpha1)
 * only once the template's `spec` is written; v2beta1 defaults a missing core template to 1 node.
 */
function rolesOf(c: Ctx): Role[] {
    const fieldDefault = apiVersionOf(c.cr).endsWith("/v2alpha1") ? 3 : 2;
    const out: Role[] = [];
    for (const role of ["core", "replicant"] as const) {
        const template = rec(c.spec[`${role}Template`]);
        if (!template && role === "replicant") continue;
        const spec = rec(template?.spec);
        const replicas = spec ? (int(spec.replicas) ?? fieldDefault) : 1;
        out.push({ role, template: template ?? {}, spec: spec ?? {}, replicas, labels: emqxPodLabels(c.cr, role, template) });
    }
    return out;
}

function operatorValue(c: Ctx, role: EmqxRole, variable: string): string | undefined {
    const dnsName = `${emqxNames(c.name).headless}.${c.ns}.svc.${str(c.spec.clusterDomain) || "cluster.local"}`;
    switch (variable) {
        case "EMQX_CLUSTER__DISCOVERY_STRATEGY":
            return "dns";
        case "EMQX_CLUSTER__DNS__RECORD_TYPE":
            return "srv";
        case "EMQX_CLUSTER__DNS__NAME":
            return dnsName;
        case "EMQX_NODE__ROLE":
            return role;
        case "EMQX_NODE__DATA_DIR":
            return "data";
        default:
            return undefined;
    }
}

const WHY: Record<string, string> = {
    EMQX_CLUSTER__DISCOVERY_STRATEGY: "the nodes stop discovering each other through the headless Service",
    EMQX_CLUSTER__DNS__RECORD_TYPE: "the operator publishes the nodes as SRV records of the headless Service",
    EMQX_CLUSTER__DNS__NAME: "the nodes look for peers under a name the operator does not publish",
    EMQX_HOST: "the node names no longer match the pods' DNS names, which peers and the operator use",
    EMQX_NODE__NAME: "the node names no longer match the pods' DNS names, which peers and the operator use",
    EMQX_NODE__ROLE: "the nodes run in another role than the workload the operator manages them as",
    EMQX_NODE__DATA_DIR: "the data leaves the volume the operator mounts",
    EMQX_API_KEY__BOOTSTRAP_FILE: "the operator's API key is no longer loaded, so it cannot manage the nodes",
};

/** Template env over the operator's: literal cookies, and clustering or identity taken away. */
function checkEnv(c: Ctx, r: Role): string {
    const env = resolveEnv({ env: r.spec.env, envFrom: r.spec.envFrom }, c.ns, c.model.lookup);
    let cookieSource = `Secret ${emqxNames(c.name).cookie}`;
    for (const entry of recs(r.spec.env)) {
        const name = str(entry.name);
        if (!name || !EMQX_OPERATOR_ENV.has(name)) continue;
        const v = env.vars.get(name);
        if (!v) continue;
        const at = v.at ?? fieldOf(entry, "name");
        if (name === "EMQX_NODE__COOKIE") {
            if ((v.source === "literal" || v.source === "configMapKeyRef") && v.value.trim() !== "" && !hasRuntimePart(v.value)) {
                report(c, `EMQX ${c.name}: ${r.role}Template sets EMQX_NODE__COOKIE from ${v.source === "literal" ? "a literal value" : `ConfigMap ${v.ref}`}: anyone who can read the resource can join or rpc into the cluster; leave the cookie to the operator's Secret ${emqxNames(c.name).cookie}`, at);
            }
            const sk = rec(path(entry, "valueFrom", "secretKeyRef"));
            cookieSource = sk ? `Secret ${str(sk.name) ?? "?"} key ${str(sk.key) ?? "?"}` : "a literal value";
            continue;
        }
        const expected = operatorValue(c, r.role, name);
        if (expected !== undefined && v.source === "literal" && v.value === expected) continue;
        report(c, `EMQX ${c.name}: ${r.role}Template env ${name} = ${displayValue(v.value)} overrides what the operator sets (${expected ?? "its own value"}): ${WHY[name]}`, at);
    }
    return cookieSource;
}

function checkSpreading(c: Ctx, r: Role): void {
    if (r.replicas < 2) return;
    const anti = rec(path(r.spec, "affinity", "podAntiAffinity")) ?? {};
    const terms = [...recs(anti.requiredDuringSchedulingIgnoredDuringExecution), ...recs(anti.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w.podAffinityTerm) ?? {})];
    let misSelected = false;
    for (const t of [...terms, ...recs(r.spec.topologySpreadConstraints)]) {
        if (spreadsNodes(t.topologyKey) && !labelSelectorMatches(t.labelSelector, r.labels)) {
            misSelected = true;
            report(c, `EMQX ${c.name}: a ${r.role} node spreading rule on ${str(t.topologyKey)} selects no ${r.role} pod (the operator labels them apps.emqx.io/instance: ${c.name}, apps.emqx.io/db-role: ${r.role}), so it keeps nothing apart`, fieldOf(t, "labelSelector"), r.role === "replicant");
        }
    }
    const s = spreadingOf(r.spec, r.labels, c.ns);
    if (s.required || s.preferred || s.spread || misSelected) return;
    const at = fieldOf(r.spec, "affinity") ?? fieldOf(r.template, "spec");
    if (r.role === "core") {
        report(c, `EMQX ${c.name} runs ${r.replicas} core nodes with no podAntiAffinity term or topology spread on ${HOSTNAME} (the operator sets none): the scheduler may put several on one machine, and losing it loses the database copies they hold`, at);
    } else {
        report(c, `EMQX ${c.name} runs ${r.replicas} replicant nodes with no podAntiAffinity term or topology spread on ${HOSTNAME}: one machine can take all client capacity with it`, at, true);
    }
}

function checkCore(c: Ctx, core: Role): void {
    const raw = core.spec.replicas;
    if (raw !== undefined && raw !== null && (typeof raw !== "number" || !Number.isInteger(raw) || raw < 0)) {
        report(c, `EMQX ${c.name}: coreTemplate.spec.replicas ${JSON.stringify(raw)} is not a whole number ≥ 0: the API server rejects the resource`, fieldOf(core.spec, "replicas"));
    } else if (core.replicas % 2 === 0 && core.replicas > 0) {
        const defaulted = raw === undefined ? " (spec.replicas is not set, and the CRD defaults it to 2 once coreTemplate.spec is written)" : "";
        report(
            c,
            `EMQX ${c.name} runs ${core.replicas} core nodes${defaulted}: an even number of cores splits in half on a partition and tolerates no more failures than ${core.replicas - 1}; the operator recommends at least 3, use an odd number`,
            fieldOf(core.spec, "replicas") ?? fieldOf(core.template, "spec"),
            true,
        );
    }
    const vct = rec(core.spec.volumeClaimTemplates);
    if (!vct || Object.keys(vct).length === 0) {
        if (core.replicas > 0) {
            report(c, `EMQX ${c.name}: coreTemplate.spec.volumeClaimTemplates is not set, so the operator keeps the core nodes' data (routes, retained messages, configuration, dashboard users) on emptyDir: restarting every core loses it`, fieldOf(core.spec, "volumeClaimTemplates") ?? fieldOf(core.template, "spec"), true);
        }
        return;
    }
    const cls = vct.storageClassName;
    if (typeof cls === "string" && cls !== "" && !isDns1123Subdomain(cls)) {
        report(c, `EMQX ${c.name}: coreTemplate.spec.volumeClaimTemplates.storageClassName ${JSON.stringify(cls)} is not a valid StorageClass name (lowercase DNS subdomain): the claims never bind and the core pods stay Pending`, fieldOf(vct, "storageClassName"));
    }
    const requests = rec(path(vct, "resources", "requests"));
    if (requests?.storage !== undefined && parseQuantity(requests.storage) === undefined) {
        report(c, `EMQX ${c.name}: coreTemplate.spec.volumeClaimTemplates.resources.requests.storage ${JSON.stringify(requests.storage)} is not a Kubernetes quantity: the API server rejects the resource`, fieldOf(requests, "storage"));
    }
}

/** Secrets written into the resource: `node.cookie` and the dashboard password in the config, bootstrap API key secrets. */
function checkSecrets(c: Ctx): void {
    const config = mapAt(c.spec, "config");
    const [text, at] = typeof config.data === "string" ? [config.data, fieldOf(config, "data")] : [str(c.spec.bootstrapConfig), fieldOf(c.spec, "bootstrapConfig")];
    const field = typeof config.data === "string" ? "spec.config.data" : "spec.bootstrapConfig";
    for (const e of parseConf(text ?? "")) {
        if (e.value.trim() === "" || /^\$\{.*\}$/.test(e.value.trim())) continue;
        if (e.key === "node.cookie") {
            report(c, `EMQX ${c.name}: ${field} line ${e.line} sets node.cookie in clear text: the operator copies it into Secret ${emqxNames(c.name).cookie}, but the resource stays readable by anyone who can read it (and is kept in Git); drop it and let the operator generate the cookie`, at);
        } else if (e.key === "dashboard.default_password") {
            const known = e.value === "public" ? " (EMQX's published default)" : "";
            report(c, `EMQX ${c.name}: ${field} line ${e.line} sets dashboard.default_password in clear text${known}: the dashboard admin password is readable by anyone who can read the resource; set it from a Secret (EMQX_DASHBOARD__DEFAULT_PASSWORD with valueFrom.secretKeyRef)`, at);
        }
    }
    recs(c.spec.bootstrapAPIKeys).forEach((k, i) => {
        const secret = scalar(k.secret);
        if (secret !== undefined && secret !== "" && !rec(k.secretRef)) {
            report(c, `EMQX ${c.name}: bootstrapAPIKeys[${i}] (${str(k.key) ?? "?"}) gives its secret in clear text: anyone who can read the resource can call the EMQX API; use secretRef`, fieldOf(k, "secret"));
        }
    });
}

function check(cr: K8sObject, model: Model): Finding[] {
    const c: Ctx = { cr, name: nameOf(cr), ns: namespaceOf(cr), spec: rec(cr.spec) ?? {}, model, out: [] };
    const roles = rolesOf(c);
    const cookies = new Map<EmqxRole, string>();
    for (const r of roles) {
        if (r.role === "core") checkCore(c, r);
        else if (r.spec.replicas !== undefined && (typeof r.spec.replicas !== "number" || !Number.isInteger(r.spec.replicas) || r.spec.replicas < 0)) {
            report(c, `EMQX ${c.name}: replicantTemplate.spec.replicas ${JSON.stringify(r.spec.replicas)} is not a whole number ≥ 0: the API server rejects the resource`, fieldOf(r.spec, "replicas"));
        }
        cookies.set(r.role, checkEnv(c, r));
        checkSpreading(c, r);
    }
    const replicant = roles.find((r) => r.role === "replicant");
    if (replicant && replicant.replicas > 0 && cookies.get("core") !== cookies.get("replicant")) {
        const entry = [...recs(replicant.spec.env), ...recs(roles[0].spec.env)].find((e) => e.name === "EMQX_NODE__COOKIE");
        report(c, `EMQX ${c.name}: core nodes take the cookie from ${cookies.get("core")} but replicants from ${cookies.get("replicant")}: nodes with different cookies cannot connect, so the replicants never join`, entry ? fieldOf(entry, "name") : undefined);
    }
    checkSecrets(c);
    return c.out;
}

export const emqxCr: Rule = {
    id: "emqx-cr",
    description: "EMQX resources keep what the EMQX operator sets up for clustering (discovery, node identity, cookie Secret), hold no literal cookie or passwords, use valid storage and spread core nodes over machines.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.objects.filter((o) => rec(o) && isEmqxCluster(o)).flatMap((cr) => check(cr, model));
    },
};

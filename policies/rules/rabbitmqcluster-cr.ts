/**
 * rabbitmqcluster-cr: a `RabbitmqCluster` (RabbitMQ cluster-operator) that the operator turns into
 * a broken or fragile cluster. The operator owns peer discovery: the governing Service
 * `<name>-nodes`, node names `rabbit@<pod>.<name>-nodes.<ns>`, the k8s backend in
 * `10-operatorDefaults.conf`, the default user in `11-default_user.conf` and its Secret. Overrides
 * (`spec.override`, `additionalConfig`) are merged over that and can take any of it away.
 * Mandatory: what stops nodes from clustering or pods from being created, literal secrets, a
 * cluster with nothing keeping its nodes on different machines. Advisory (as the matching
 * StatefulSet rules): even replica counts, OrderedReady, emptyDir data, relying on the default
 * per-zone spread only.
 */
import { displayValue, EnvVar, hasRuntimePart, objectData, POD_NAME_TOKEN, resolveEnv } from "../lib/env";
import { parseConf } from "../lib/conf";
import { buildModel, Model } from "../lib/model";
import {
    containerNamed,
    isRabbitmqCluster,
    mapAt,
    mergeByName,
    RABBIT_NO_DEFAULT_SPREAD,
    rabbitNames,
    rabbitOperatorEnv,
    rabbitPodLabels,
    rabbitSelector,
} from "../lib/operators";
import { parseQuantity } from "@broker-platform/quantity";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { labelSelectorMatches, serviceSelectorMatches } from "../lib/selectors";
import { HOSTNAME, spreadingOf, spreadsNodes } from "../lib/spreading";
import { FieldRef, Finding, K8sObject } from "../lib/types";
import { annotationsOf, bool, int, isDns1123Subdomain, nameOf, namespaceOf, path, rec, recs, str } from "../lib/util";

interface Ctx {
    cr: K8sObject;
    name: string;
    ns: string;
    spec: Record<string, any>;
    /** `spec.override.statefulSet.spec`. */
    sts: Record<string, any>;
    /** `spec.override.statefulSet.spec.template.spec`. */
    pod: Record<string, any>;
    podLabels: Record<string, string>;
    replicas: number;
    model: Model;
    out: Finding[];
}

function report(c: Ctx, message: string, at: FieldRef | undefined, advisory = false): void {
    c.out.push(finding(c.cr, message, advisory, at ?? fieldOf(c.cr, "spec")));
}

function where(c: Ctx): string {
    return `RabbitmqCluster ${c.name}`;
}

function checkReplicas(c: Ctx, partitionHandling: string): void {
    const raw = c.spec.replicas;
    if (raw !== undefined && raw !== null && (typeof raw !== "number" || !Number.isInteger(raw) || raw < 0)) {
        report(c, `${where(c)}: spec.replicas ${JSON.stringify(raw)} is not a whole number ≥ 0: the API server rejects the resource`, fieldOf(c.spec, "replicas"));
    }
    const overridden = int(c.sts.replicas);
    const at = overridden !== undefined ? fieldOf(c.sts, "replicas") : fieldOf(c.spec, "replicas");
    if (overridden !== undefined && overridden !== (int(raw) ?? 1)) {
        report(
            c,
            `${where(c)}: override.statefulSet.spec.replicas ${overridden} differs from spec.replicas ${int(raw) ?? 1}: the StatefulSet runs ${overridden} pods while the operator sizes cluster formation and reports readiness for ${int(raw) ?? 1}; set spec.replicas instead`,
            at,
            true,
        );
    }
    const n = c.replicas;
    if (n === 2) {
        const why =
            partitionHandling === "pause_minority"
                ? `with cluster_partition_handling = pause_minority (the operator's default) the survivor of a lost node is a minority and pauses, so two nodes are less available than one`
                : `a two-node cluster loses its majority with either node, so quorum queues and streams stop`;
        report(c, `${where(c)} runs 2 replicas: ${why}; use 3`, at, true);
    } else if (n > 2 && n % 2 === 0) {
        report(c, `${where(c)} runs ${n} replicas: an even cluster tolerates no more failures than ${n - 1} nodes and can split in half; use an odd number`, at, true);
    }
}

/** The governing Service and the node names agree with what the operator creates. */
function checkIdentity(c: Ctx): void {
    const names = rabbitNames(c.name);
    const serviceName = str(c.sts.serviceName) || names.headless;
    const container = containerNamed(c.pod.containers, "rabbitmq");
    const env = resolveEnv({ env: mergeByName(rabbitOperatorEnv(c.name), container?.env), envFrom: container?.envFrom }, c.ns, c.model.lookup);
    // A variable the override sets, located at its value (or its entry when it comes from a reference).
    const userVar = (n: string): (EnvVar & { at: FieldRef | undefined }) | undefined => {
        const entry = recs(container?.env).find((e) => e.name === n);
        const v = env.vars.get(n);
        return entry && v ? { ...v, at: v.at ?? fieldOf(entry, "name") } : undefined;
    };
    let serviceReported = false;
    if (serviceName !== names.headless) {
        const svc = c.model.lookup("Service", c.ns, serviceName);
        const svcSpec = rec(svc?.spec) ?? {};
        let why: string | undefined;
        if (!svc) why = `the operator only creates the headless Service ${names.headless}, and no Service ${serviceName} is among the inputs`;
        else if (str(svcSpec.clusterIP) !== "None") why = `Service ${serviceName} is not headless (clusterIP: None), so it publishes no per-pod DNS records`;
        else if (!serviceSelectorMatches(svcSpec.selector, c.podLabels)) why = `Service ${serviceName} does not select the cluster's pods (app.kubernetes.io/name: ${c.name})`;
        if (why) {
            serviceReported = true;
            report(c, `${where(c)}: override.statefulSet.spec.serviceName ${serviceName}: ${why}; the pods' DNS names live under the governing Service, so the nodes cannot resolve each other. Leave serviceName to the operator`, fieldOf(c.sts, "serviceName"));
        }
    }
    const k8sService = env.vars.get("K8S_SERVICE_NAME");
    const k8sServiceUser = userVar("K8S_SERVICE_NAME");
    if (k8sService && k8sService.value !== serviceName && (k8sServiceUser || !serviceReported)) {
        report(
            c,
            `${where(c)}: K8S_SERVICE_NAME is ${displayValue(k8sService.value)} but the governing Service is ${serviceName}: node names rabbit@<pod>.${displayValue(k8sService.value)}.<ns> do not resolve, so the nodes cannot cluster`,
            k8sServiceUser?.at ?? fieldOf(c.sts, "serviceName"),
        );
    }
    const nodename = env.vars.get("RABBITMQ_NODENAME");
    const suffix = env.vars.get("K8S_HOSTNAME_SUFFIX");
    const identityAt = userVar("RABBITMQ_NODENAME")?.at ?? userVar("MY_POD_NAME")?.at ?? userVar("K8S_HOSTNAME_SUFFIX")?.at;
    if (nodename && identityAt) {
        const host = nodename.value.slice(nodename.value.indexOf("@") + 1);
        const shown = displayValue(nodename.value);
        if (!nodename.value.includes(POD_NAME_TOKEN)) {
            report(c, `${where(c)}: RABBITMQ_NODENAME is ${shown}, the same for every pod (no $(MY_POD_NAME) from metadata.name): the nodes cannot cluster`, identityAt);
        } else if (suffix && host !== POD_NAME_TOKEN + suffix.value) {
            report(
                c,
                `${where(c)}: RABBITMQ_NODENAME is ${shown} but peer discovery looks for rabbit@<pod>${displayValue(suffix.value)} (K8S_HOSTNAME_SUFFIX): the nodes never find each other under the names they run as`,
                identityAt,
            );
        } else if (suffix && !(suffix.value === `.${serviceName}` || suffix.value.startsWith(`.${serviceName}.`))) {
            report(c, `${where(c)}: node names ${shown} are not under the governing Service ${serviceName}, so they do not resolve`, identityAt);
        }
    }
    const longname = userVar("RABBITMQ_USE_LONGNAME");
    if (longname && bool(longname.value) === false && nodename?.value.includes(".")) {
        report(c, `${where(c)}: RABBITMQ_USE_LONGNAME is false while the node names are fully qualified (${displayValue(nodename.value)}): the node does not start`, longname.at);
    }
    const cookie = userVar("RABBITMQ_ERLANG_COOKIE");
    if (cookie && (cookie.source === "literal" || cookie.source === "configMapKeyRef") && cookie.value.trim() !== "" && !hasRuntimePart(cookie.value)) {
        report(
            c,
            `${where(c)}: the rabbitmq container's override sets RABBITMQ_ERLANG_COOKIE from ${cookie.source === "literal" ? "a literal value" : `ConfigMap ${cookie.ref}`}: anyone who can read the resource can join or rpc into the cluster; the operator already mounts a generated cookie from Secret ${c.name}-erlang-cookie`,
            cookie.at,
        );
    }
    const envConfig = str(path(c.spec, "rabbitmq", "envConfig"));
    if (envConfig && /-setcookie\s+['"]?[^\s'"$]|(^|\n)\s*(RABBITMQ_)?[A-Z_]*COOKIE\s*=\s*['"]?[^\s'"$]/.test(envConfig)) {
        report(c, `${where(c)}: spec.rabbitmq.envConfig sets the Erlang cookie in clear text: anyone who can read the resource can join or rpc into the cluster; leave the cookie to the operator's Secret ${c.name}-erlang-cookie`, fieldOf(c.spec.rabbitmq, "envConfig"));
    }
}

/** StatefulSet overrides the API server or the operator's volumes cannot take. */
function checkStatefulSetOverride(c: Ctx, storageZero: boolean): void {
    if (c.sts.selector !== undefined && !labelSelectorMatches(c.sts.selector, c.podLabels)) {
        report(c, `${where(c)}: override.statefulSet.spec.selector does not match the pod labels (app.kubernetes.io/name: ${c.name}, …): the API server rejects the StatefulSet`, fieldOf(c.sts, "selector"));
    }
    const policy = str(c.sts.podManagementPolicy);
    if (policy !== undefined && policy !== "Parallel") {
        report(
            c,
            `${where(c)}: override.statefulSet.spec.podManagementPolicy ${policy} replaces the operator's Parallel: after all nodes stop, pod 0 waits for peers that are only started once it is ready`,
            fieldOf(c.sts, "podManagementPolicy"),
            true,
        );
    }
    const vcts = recs(c.sts.volumeClaimTemplates);
    if (vcts.length > 0 && !storageZero) {
        if (!vcts.some((t) => str(path(t, "metadata", "name")) === "persistence")) {
            report(
                c,
                `${where(c)}: override.statefulSet.spec.volumeClaimTemplates has no claim named persistence, which the operator mounts at /var/lib/rabbitmq/mnesia: the pods reference a volume that does not exist`,
                fieldOf(c.sts, "volumeClaimTemplates"),
            );
        }
        for (const t of vcts) {
            const spec = rec(t.spec) ?? {};
            const cls = spec.storageClassName;
            if (typeof cls === "string" && cls !== "" && !isDns1123Subdomain(cls)) {
                report(c, `${where(c)}: volumeClaimTemplate ${str(path(t, "metadata", "name")) ?? "?"} asks for storageClassName ${JSON.stringify(cls)}, not a valid StorageClass name (lowercase DNS subdomain): the claim never binds`, fieldOf(spec, "storageClassName"));
            }
        }
    }
}

function checkPersistence(c: Ctx): boolean {
    const p = mapAt(c.spec, "persistence");
    const cls = p.storageClassName;
    if (typeof cls === "string" && cls !== "" && !isDns1123Subdomain(cls)) {
        report(c, `${where(c)}: spec.persistence.storageClassName ${JSON.stringify(cls)} is not a valid StorageClass name (lowercase DNS subdomain): the claims never bind and the pods stay Pending`, fieldOf(p, "storageClassName"));
    }
    if (p.storage === undefined) return false;
    const size = parseQuantity(p.storage);
    if (size === undefined) {
        report(c, `${where(c)}: spec.persistence.storage ${JSON.stringify(p.storage)} is not a Kubernetes quantity (10Gi, 500Gi): the API server rejects the resource`, fieldOf(p, "storage"));
        return false;
    }
    if (size === 0) {
        report(c, `${where(c)}: spec.persistence.storage is 0, so the operator puts the node data on emptyDir: every pod restart loses its messages, quorum queue replicas and definitions`, fieldOf(p, "storage"), true);
        return true;
    }
    return false;
}

function checkService(c: Ctx): void {
    const svc = rec(path(c.spec, "override", "service", "spec"));
    if (!svc || svc.selector === undefined) return;
    if (!serviceSelectorMatches(svc.selector, c.podLabels)) {
        report(c, `${where(c)}: override.service.spec.selector does not select the cluster's pods (the operator labels them app.kubernetes.io/name: ${c.name}): the client Service ${c.name} has no endpoints`, fieldOf(svc, "selector"));
    }
}

/** Settings in additionalConfig that the operator owns; the user's file (90-…) is read last and wins. */
function checkAdditionalConfig(c: Ctx): string {
    const rabbit = mapAt(c.spec, "rabbitmq");
    const text = str(rabbit.additionalConfig);
    let partitionHandling = "pause_minority";
    if (!text) return partitionHandling;
    const at = fieldOf(rabbit, "additionalConfig");
    const serviceName = str(c.sts.serviceName) || rabbitNames(c.name).headless;
    const credentials: Array<{ key: string; line: number; literal: boolean }> = [];
    for (const e of parseConf(text)) {
        const line = `additionalConfig line ${e.line}`;
        if (e.key === "cluster_partition_handling") partitionHandling = e.value;
        if (e.key === "default_user" || e.key === "default_pass") credentials.push({ key: e.key, line: e.line, literal: e.key === "default_pass" && e.value.trim() !== "" });
        let why: string | undefined;
        if (e.key === "cluster_formation.peer_discovery_backend" && !/^(rabbit_peer_discovery_)?k8s$/.test(e.value)) why = `replaces the operator's Kubernetes peer discovery: the nodes no longer find each other`;
        else if (e.key.startsWith("cluster_formation.classic_config.")) why = `lists peers by hand, but the operator configures Kubernetes peer discovery and names the nodes rabbit@<pod>.${serviceName}.<ns>`;
        else if (e.key === "cluster_formation.k8s.address_type" && e.value !== "hostname") why = `makes discovery return addresses, while the operator names the nodes by hostname: the nodes never match`;
        else if (e.key === "cluster_formation.k8s.service_name" && e.value !== serviceName) why = `names a Service other than the governing one (${serviceName})`;
        else if (e.key === "cluster_formation.k8s.hostname_suffix" && e.value !== `.${serviceName}.${c.ns}`) why = `does not match the node names rabbit@<pod>.${serviceName}.${c.ns} the operator gives the pods`;
        if (why) report(c, `${where(c)}: ${line} sets ${e.key} = ${e.value}, which the operator owns: it ${why}`, at);
    }
    if (credentials.length > 0) {
        const keys = credentials.map((k) => k.key).join(" and ");
        const literal = credentials.some((k) => k.literal);
        report(
            c,
            `${where(c)}: additionalConfig line ${credentials[0].line} sets ${keys}${literal ? " (a clear-text password in the resource, readable by anyone who can read it and kept in Git)" : ""}, which override the operator's default user: Secret ${c.name}-default-user then holds credentials that do not exist, so the operator's own calls and applications bound to that Secret fail; use spec.secretBackend.externalSecret`,
            at,
        );
    }
    return partitionHandling;
}

function checkTls(c: Ctx): void {
    const tls = mapAt(c.spec, "tls");
    const secretName = str(tls.secretName);
    const vaultTls = str(path(c.spec, "secretBackend", "vault", "tls", "pkiIssuerPath"));
    if (bool(tls.disableNonTLSListeners) === true && !secretName && !vaultTls) {
        report(c, `${where(c)}: tls.disableNonTLSListeners is true but no tls.secretName (or Vault PKI) is set: the operator refuses to reconcile the cluster`, fieldOf(tls, "disableNonTLSListeners"));
    }
    if (str(tls.caSecretName) && !secretName) {
        report(c, `${where(c)}: tls.caSecretName without tls.secretName is ignored: mutual TLS is not enabled`, fieldOf(tls, "caSecretName"), true);
    }
    const need = (field: string, keys: string[]) => {
        const n = str(tls[field]);
        const secret = n ? c.model.lookup("Secret", c.ns, n) : undefined;
        if (!secret) return;
        const have = objectData(secret);
        const missing = keys.filter((k) => !(k in have));
        if (missing.length > 0) report(c, `${where(c)}: tls.${field} ${n} has no ${missing.join(", ")}: the operator refuses to reconcile the cluster`, fieldOf(tls, field));
    };
    if (secretName) {
        need("secretName", ["tls.crt", "tls.key"]);
        need("caSecretName", ["ca.crt"]);
    }
}

/** A map merged over another, maps recursively and everything else replaced (a strategic merge for affinity). */
function mergeMaps(base: unknown, over: unknown): unknown {
    const b = rec(base);
    const o = rec(over);
    if (!o) return over === undefined ? base : over;
    if (!b) return o;
    const out: Record<string, unknown> = { ...b };
    for (const [k, v] of Object.entries(o)) out[k] = mergeMaps(b[k], v);
    return out;
}

function checkSpreading(c: Ctx): void {
    if (c.replicas < 2) return;
    const userAffinity = mergeMaps(c.spec.affinity, c.pod.affinity);
    const userSpread = recs(c.pod.topologySpreadConstraints);
    const defaultSpread =
        String(annotationsOf(c.cr)[RABBIT_NO_DEFAULT_SPREAD] ?? "").trim() === "true"
            ? []
            : [{ topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", maxSkew: 1, labelSelector: { matchLabels: rabbitSelector(c.name) } }];
    const spreads = [...defaultSpread.filter((d) => !userSpread.some((u) => u.topologyKey === d.topologyKey)), ...userSpread];
    let misSelected = false;
    const anti = rec(rec(userAffinity)?.podAntiAffinity) ?? {};
    const terms = [...recs(anti.requiredDuringSchedulingIgnoredDuringExecution), ...recs(anti.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w.podAffinityTerm) ?? {})];
    for (const t of [...terms, ...userSpread]) {
        if (spreadsNodes(t.topologyKey) && !labelSelectorMatches(t.labelSelector, c.podLabels)) {
            misSelected = true;
            report(
                c,
                `${where(c)}: a ${t.whenUnsatisfiable !== undefined ? "topology spread constraint" : "podAntiAffinity term"} on ${str(t.topologyKey)} selects no pod of this cluster (the operator labels them app.kubernetes.io/name: ${c.name}), so it keeps nothing apart`,
                fieldOf(t, "labelSelector"),
            );
        }
    }
    const user = spreadingOf({ affinity: userAffinity, topologySpreadConstraints: userSpread }, c.podLabels, c.ns);
    if (user.required || user.preferred || user.spread || misSelected) return;
    const at = fieldOf(c.spec, "affinity");
    if (spreadingOf({ topologySpreadConstraints: spreads }, c.podLabels, c.ns).spread) {
        report(
            c,
            `${where(c)} runs ${c.replicas} replicas with no spec.affinity: only the operator's default per-zone topology spread (whenUnsatisfiable: ScheduleAnyway) separates them, which in one zone, or on nodes without a zone label, lets the scheduler put several nodes on one machine; add a podAntiAffinity term on ${HOSTNAME}`,
            at,
            true,
        );
        return;
    }
    report(
        c,
        `${where(c)} runs ${c.replicas} replicas with no podAntiAffinity term on ${HOSTNAME} and the operator's default topology spread turned off (${RABBIT_NO_DEFAULT_SPREAD}): the scheduler may put several nodes on one machine, and losing it loses the majority`,
        at,
    );
}

function check(cr: K8sObject, model: Model): Finding[] {
    const spec = rec(cr.spec) ?? {};
    const sts = rec(path(spec, "override", "statefulSet", "spec")) ?? {};
    const template = rec(sts.template) ?? {};
    const c: Ctx = {
        cr,
        name: nameOf(cr),
        ns: namespaceOf(cr),
        spec,
        sts,
        pod: rec(template.spec) ?? {},
        podLabels: rabbitPodLabels(cr, path(template, "metadata", "labels")),
        replicas: int(sts.replicas) ?? (typeof spec.replicas === "number" ? Math.trunc(spec.replicas) : 1),
        model,
        out: [],
    };
    const partitionHandling = checkAdditionalConfig(c);
    checkReplicas(c, partitionHandling);
    checkIdentity(c);
    const storageZero = checkPersistence(c);
    checkStatefulSetOverride(c, storageZero);
    checkService(c);
    checkTls(c);
    checkSpreading(c);
    return c.out;
}

export const rabbitmqClusterCr: Rule = {
    id: "rabbitmqcluster-cr",
    description: "RabbitmqCluster resources keep what the cluster-operator sets up for clustering (governing Service, node names, peer discovery, default user), use valid storage and TLS Secrets, no literal secrets, and spread over nodes.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.objects.filter((o) => rec(o) && isRabbitmqCluster(o)).flatMap((cr) => check(cr, model));
    },
};

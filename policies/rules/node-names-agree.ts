/**
 * node-names-agree: everything a broker uses to find its peers names the StatefulSet's headless
 * Service (and its namespace where spelled out). Node names `<prefix>@<pod>.<service>.<ns>.svc.<domain>`,
 * RabbitMQ `K8S_SERVICE_NAME` / `cluster_formation.k8s.service_name` / `hostname_suffix`, EMQX
 * `EMQX_HOST`, `EMQX_NODE__NAME`, `EMQX_CLUSTER__DNS__NAME`, `EMQX_CLUSTER__K8S__*`. A mismatch is
 * the `nxdomain` failure: nodes advertise or look up names no DNS record exists for.
 */
import { displayValue, hasRuntimePart, POD_IP_TOKEN } from "../lib/env";
import { discoveryOf, emqxK8sSettings, isKnownEmqxStrategy, NameRef } from "../lib/discovery";
import { Broker, buildModel, Model } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { serviceSelectorMatches } from "../lib/selectors";
import { Finding } from "../lib/types";
import { hasExplicitNamespace, nameOf, path } from "../lib/util";

const UNRESOLVED = /\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/;

function literal(label: string | undefined): label is string {
    return label !== undefined && label !== "" && !hasRuntimePart(label);
}

interface Target {
    service?: string;
    namespace: string;
    explicitNs: boolean;
    statefulSet: boolean;
}

function checkRef(b: Broker, ref: NameRef, t: Target, model: Model, addressType: string | undefined): string[] {
    const problems: string[] = [];
    const shown = displayValue(ref.value);
    const unresolved = UNRESOLVED.exec(ref.value);
    if (unresolved) {
        problems.push(
            `${ref.setting}=${shown} refers to $(${unresolved[1]}), which is not defined earlier in the container's env; the kubelet leaves it unexpanded, so the node uses that literal text`,
        );
        return problems;
    }
    const ns = (label: string | undefined, what: string) => {
        if (t.explicitNs && literal(label) && label !== t.namespace) {
            problems.push(`${ref.setting}=${shown} names namespace ${label} in its ${what}, but the ${b.kind} is in ${t.namespace}`);
        }
    };
    const svc = (label: string | undefined, what: string) => {
        if (t.service && literal(label) && label !== t.service) {
            problems.push(`${ref.setting}=${shown} names ${label} as the ${what}, but the pods' DNS records live under the headless Service ${t.service} (${t.service === b.serviceName ? "serviceName" : "the one selecting the pods"}): peers resolve to nxdomain`);
        }
    };
    switch (ref.kind) {
        case "node":
        case "host": {
            const host = ref.kind === "node" ? (ref.value.includes("@") ? ref.value.slice(ref.value.indexOf("@") + 1) : undefined) : ref.value;
            if (host === undefined) {
                if (ref.kind === "node" && !hasRuntimePart(ref.value)) problems.push(`${ref.setting}=${shown} has no @host part`);
                break;
            }
            const labels = host.split(".");
            if (labels[0] === POD_IP_TOKEN || /^\d+$/.test(labels[labels.length - 1] ?? "")) break; // IP-based naming
            if (labels.length === 1) {
                if (b.replicas >= 2 && literal(labels[0]) && !/^localhost$/.test(labels[0])) {
                    problems.push(`${ref.setting}=${shown}: every replica claims the same host ${labels[0]}; use the pod name`);
                }
                break;
            }
            if (!t.statefulSet) {
                problems.push(`${ref.setting}=${shown} uses a per-pod DNS name, but ${b.kind} pods have no per-pod DNS records; run a StatefulSet with a headless Service`);
                break;
            }
            if (literal(labels[0]) && b.replicas >= 2 && !new RegExp(`^${b.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`).test(labels[0])) {
                problems.push(`${ref.setting}=${shown}: every replica claims the same host ${labels[0]}; use $(POD_NAME) from metadata.name`);
            }
            svc(labels[1], "DNS subdomain");
            ns(labels[2], "DNS name");
            if (labels.length > 3 && literal(labels[3]) && labels[3] !== "svc") {
                problems.push(`${ref.setting}=${shown} is not of the form <pod>.<service>.<namespace>.svc.<domain>`);
            }
            if (b.engine === "rabbitmq" && ref.kind === "node" && labels.length > 1 && !usesLongNames(b)) {
                problems.push(`${ref.setting}=${shown} is a fully qualified name but RABBITMQ_USE_LONGNAME is not "true": the node refuses to start with a dotted short name`);
            }
            break;
        }
        case "service": {
            if (!literal(ref.value)) break;
            const what = ref.defaulted ? `${ref.setting} is not set, so discovery queries the default Service ${ref.value}` : `${ref.setting}=${shown}`;
            if (t.service) {
                if (ref.value !== t.service) {
                    // With IP addresses any Service selecting the pods lists them; hostnames need the governing one.
                    const other = model.lookup("Service", b.namespace, ref.value);
                    const ipOk = addressType !== "hostname" && other !== undefined && serviceSelectorMatches(path(other, "spec", "selector"), b.podLabels);
                    if (!ipOk) {
                        problems.push(
                            `${what}, but the headless Service is ${t.service}: Endpoints carry pod hostnames only for the governing Service, so discovery finds no peers (or builds names that resolve to nxdomain)`,
                        );
                    }
                }
            } else {
                const other = model.lookup("Service", b.namespace, ref.value);
                if (!other) problems.push(`${what}, but no Service ${ref.value} exists in namespace ${b.namespace}`);
                else if (!serviceSelectorMatches(path(other, "spec", "selector"), b.podLabels)) {
                    problems.push(`${what}, but Service ${ref.value} does not select the broker's pods`);
                }
            }
            break;
        }
        case "rabbitSuffix": {
            if (!ref.value.startsWith(".") && literal(ref.value.split(".")[0])) {
                problems.push(`${ref.setting}=${shown} must start with a dot: it is appended verbatim to each pod hostname`);
                break;
            }
            const labels = ref.value.replace(/^\./, "").split(".");
            svc(labels[0], "hostname suffix service");
            ns(labels[1], "hostname suffix");
            break;
        }
        case "dnsName": {
            const labels = ref.value.split(".");
            svc(labels[0], "DNS name to query");
            ns(labels[1], "DNS name");
            break;
        }
        case "namespace":
            ns(ref.value, "discovery namespace");
            break;
        case "emqxSuffix": {
            const first = ref.value.replace(/^\./, "").split(".")[0];
            if (addressType === "hostname" && literal(first) && first !== "svc") {
                problems.push(`${ref.setting}=${shown}: with address_type hostname EMQX builds <hostname>.<service>.<namespace>.<suffix>, so the suffix must be svc.<cluster-domain>`);
            }
            if (addressType === "dns" && literal(first) && first !== "pod") {
                problems.push(`${ref.setting}=${shown}: with address_type dns EMQX builds <pod-ip>.<namespace>.<suffix>, so the suffix must be pod.<cluster-domain>`);
            }
            break;
        }
    }
    return problems;
}

function usesLongNames(b: Broker): boolean {
    const v = b.env.vars.get("RABBITMQ_USE_LONGNAME")?.value;
    if (v === "true") return true;
    if (v !== undefined && hasRuntimePart(v)) return true;
    if (b.env.unresolvedEnvFrom.length > 0 && v === undefined) return true;
    return b.files.some((f) => /rabbitmq-env\.conf$/.test(f.path) && /^\s*(RABBITMQ_)?USE_LONGNAME\s*=\s*"?true/m.test(f.text));
}

/**
 * The Service whose name the settings must spell. Normally `serviceName`; when that names no Service
 * but exactly one headless Service among the inputs selects the pods, `serviceName` is the typo
 * (headless-service reports it) and the settings are held against the Service that exists.
 */
function governingService(b: Broker, model: Model): string | undefined {
    if (!b.serviceName || model.lookup("Service", b.namespace, b.serviceName)) return b.serviceName;
    const selecting = model
        .ofKindIn("Service", b.namespace)
        .filter((s) => path(s, "spec", "clusterIP") === "None" && serviceSelectorMatches(path(s, "spec", "selector"), b.podLabels));
    return selecting.length === 1 ? nameOf(selecting[0]) : b.serviceName;
}

function checkBroker(b: Broker, model: Model): Finding[] {
    const out: Finding[] = [];
    const d = discoveryOf(b);
    const t: Target = {
        service: governingService(b, model),
        namespace: b.namespace,
        explicitNs: hasExplicitNamespace(b.object),
        statefulSet: b.kind === "StatefulSet" || b.kind === "PetSet",
    };
    for (const ref of d.refs) {
        for (const p of checkRef(b, ref, t, model, d.addressType)) out.push(finding(b.object, p, false, ref.at));
    }
    if (d.mechanism === "k8s" && d.addressType === "hostname" && !t.statefulSet && b.replicas >= 1) {
        out.push(finding(b.object, `k8s discovery with address_type hostname needs StatefulSet pods: Endpoints of ${b.kind} pods carry no hostnames`, false, fieldOf(b.object, "kind")));
    }
    if (b.engine === "emqx") {
        if (d.mechanism !== undefined && !isKnownEmqxStrategy(d.mechanism)) {
            out.push(finding(b.object, `${d.rawSetting}=${d.raw} is not an EMQX discovery strategy (manual, static, dns, etcd, k8s, mcast): the node does not cluster`, false, d.rawAt));
        }
        const k8s = emqxK8sSettings(b);
        if (k8s.length > 0 && d.mechanism !== "k8s" && d.mechanism !== "kubernetes" && b.replicas >= 2 && b.env.unresolvedEnvFrom.length === 0) {
            out.push(
                finding(b.object, `${k8s[0]} is set but the discovery strategy is ${d.raw ?? "manual (not set)"}: nodes never look each other up; set EMQX_CLUSTER__DISCOVERY_STRATEGY (EMQX 5) or EMQX_CLUSTER__DISCOVERY (EMQX 4) to k8s`),
            );
        }
        if (d.mechanism === "k8s" && d.appName && d.nodePrefix && literal(d.appName.value) && literal(d.nodePrefix) && d.appName.value !== d.nodePrefix) {
            out.push(finding(b.object, `${d.appName.setting}=${d.appName.value} differs from the node-name prefix ${d.nodePrefix}: discovered peers get names no node has`, false, d.appName.at));
        }
    }
    return out;
}

export const nodeNamesAgree: Rule = {
    id: "node-names-agree",
    description: "Node names, discovery service names, DNS names, suffixes and namespaces all name the StatefulSet's headless Service.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.brokers.flatMap((b) => checkBroker(b, model));
    },
};

/**
 * distribution-isolation (advisory): where a namespace uses NetworkPolicies, a broker's epmd and
 * Erlang distribution / cluster RPC ports should admit only its own nodes. Whoever reaches them
 * with the cookie runs code on every node, so the cookie alone is a thin wall. Flags a broker no
 * ingress policy selects (every port open), and a policy rule that opens a distribution port to
 * every source: no `from`, an ipBlock of /0, or every pod of every namespace.
 * A namespace without NetworkPolicies is not flagged: there, nothing is isolated by design.
 */
import { Broker, buildModel, envVar, Model } from "../lib/model";
import { finding, noOptions, Rule } from "../lib/rule";
import { isEmptySelector, labelSelectorMatches, parseLabelSelector } from "../lib/selectors";
import { FieldRef, Finding, K8sObject } from "../lib/types";
import { arr, int, nameOf, namespaceOf, rec, recs, str } from "../lib/util";

interface DistributionPort {
    port: number;
    what: string;
}

/** A literal numeric env value of the broker container, if set. */
function envPort(b: Broker, name: string): number | undefined {
    const v = envVar(b, name);
    return v?.source === "literal" ? int(v.value) : undefined;
}

/** The ports the broker's Erlang nodes listen on for each other, with the engines' defaults. */
export function distributionPorts(b: Broker): DistributionPort[] {
    if (b.engine === "rabbitmq") {
        const amqp = envPort(b, "RABBITMQ_NODE_PORT");
        return [
            { port: envPort(b, "ERL_EPMD_PORT") ?? 4369, what: "epmd" },
            // RabbitMQ listens for distribution on the AMQP port + 20000 unless told otherwise.
            { port: envPort(b, "RABBITMQ_DIST_PORT") ?? (amqp !== undefined ? amqp + 20000 : 25672), what: "Erlang distribution" },
        ];
    }
    return [
        { port: 4370, what: "Erlang distribution" },
        // The official image fixes cluster RPC at 5369; outside containers it is 5370.
        { port: envPort(b, "EMQX_RPC__TCP_SERVER_PORT") ?? 5369, what: "cluster RPC" },
    ];
}

function isIngressPolicy(p: K8sObject): boolean {
    const types = arr(rec(p.spec)?.policyTypes);
    // Without policyTypes, every policy isolates ingress.
    return types.length === 0 || types.includes("Ingress");
}

/** Whether a NetworkPolicyPort entry list admits TCP `port` (named ports resolve on the broker container). */
function admitsPort(ports: unknown, port: number, b: Broker): boolean {
    const list = recs(ports);
    if (arr(ports).length === 0) return true;
    const named = new Map(recs(b.container.ports).map((p) => [str(p.name), int(p.containerPort)]));
    return list.some((p) => {
        const protocol = str(p.protocol) ?? "TCP";
        if (protocol !== "TCP") return false;
        if (p.port === undefined || p.port === null) return true;
        const start = typeof p.port === "string" && int(p.port) === undefined ? named.get(p.port) : int(p.port);
        if (start === undefined) return false;
        const end = int(p.endPort) ?? start;
        return port >= start && port <= end;
    });
}

/** Why a `from` peer admits every source, if it does. */
function everywhere(peer: Record<string, any>): string | undefined {
    const cidr = str(rec(peer.ipBlock)?.cidr);
    if (cidr !== undefined && /\/0$/.test(cidr.trim())) return `ipBlock ${cidr}`;
    const ns = peer.namespaceSelector === undefined ? undefined : parseLabelSelector(peer.namespaceSelector);
    const pods = peer.podSelector === undefined ? undefined : parseLabelSelector(peer.podSelector);
    if (ns && !ns.invalid && isEmptySelector(ns) && (!pods || (!pods.invalid && isEmptySelector(pods)))) return "every pod of every namespace (namespaceSelector: {})";
    return undefined;
}

/** The first ingress rule of `p` that opens `port` to every source, with where it says so. */
function openingRule(p: K8sObject, port: number, b: Broker): { why: string; at: FieldRef; key: string } | undefined {
    const ingress = arr(rec(p.spec)?.ingress);
    for (let i = 0; i < ingress.length; i++) {
        const rule = rec(ingress[i]) ?? {};
        if (!admitsPort(rule.ports, port, b)) continue;
        const from = arr(rule.from);
        if (from.length === 0) return { why: `rule ${i + 1} has no "from", so it admits every source`, at: { node: ingress, key: i }, key: `${i}` };
        for (let j = 0; j < from.length; j++) {
            const why = everywhere(rec(from[j]) ?? {});
            if (why) return { why: `rule ${i + 1} admits ${why}`, at: { node: from, key: j }, key: `${i}/${j}` };
        }
    }
    return undefined;
}

function portList(ports: DistributionPort[]): string {
    return `${ports.length === 1 ? "port" : "ports"} ${ports.map((d) => `${d.port} (${d.what})`).join(", ")}`;
}

function check(b: Broker, model: Model): Finding[] {
    const inNamespace = model.ofKind("NetworkPolicy").filter((p) => namespaceOf(p) === b.namespace);
    if (inNamespace.length === 0) return [];
    const ports = distributionPorts(b);
    const selecting = inNamespace.filter((p) => isIngressPolicy(p) && labelSelectorMatches(rec(p.spec)?.podSelector, b.podLabels));
    const risk = "anyone who reaches these ports and has the Erlang cookie runs code on every node; admit only the cluster's own pods";
    if (selecting.length === 0) {
        const at = rec(b.template.metadata) ? { node: b.template.metadata, key: "labels" } : undefined;
        return [
            finding(
                b.object,
                `namespace ${b.namespace} has NetworkPolicies (${inNamespace.map(nameOf).join(", ")}) but none selects ${b.name}'s pods for ingress, so its ${portList(ports)} are reachable from everywhere: ${risk}`,
                false,
                at,
            ),
        ];
    }
    // One finding per opening rule, naming every distribution port it opens.
    const opened = new Map<string, { policy: K8sObject; why: string; at: FieldRef; ports: DistributionPort[] }>();
    for (const d of ports) {
        for (const p of selecting) {
            const open = openingRule(p, d.port, b);
            if (!open) continue;
            const key = `${nameOf(p)}#${open.key}`;
            const entry = opened.get(key) ?? { policy: p, why: open.why, at: open.at, ports: [] };
            entry.ports.push(d);
            opened.set(key, entry);
            break;
        }
    }
    return [...opened.values()].map((o) =>
        finding(o.policy, `NetworkPolicy ${nameOf(o.policy)} opens ${b.name}'s ${portList(o.ports)} to every source (${o.why}): ${risk}`, false, o.at),
    );
}

export const distributionIsolation: Rule = {
    id: "distribution-isolation",
    description: "Where NetworkPolicies are used, a broker's epmd and Erlang distribution ports admit only its own pods.",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.brokers.filter((b) => b.erlang && b.kind !== "Job").flatMap((b) => check(b, model));
    },
};

/**
 * What the control plane can show about a cluster's NetworkPolicy and ServiceMonitor: that the API
 * server admits them, and which pods and Services their selectors pick out. kwok runs no network
 * plugin, so nothing here shows that traffic is actually filtered: that takes a cluster whose CNI
 * enforces NetworkPolicies.
 *
 * Expectations come from the documented rules (policy and monitor named after the cluster, the
 * engines' distribution ports and metrics ports), not from the objects the program produced.
 */
import { expect } from "chai";
import * as path from "path";
import { parse } from "yaml";
import * as fs from "fs";
import { eventually, LocalCluster } from "./local";

/** epmd, Erlang distribution and cluster RPC, as the README documents them. */
export const DISTRIBUTION_PORTS: Record<"rabbitmq" | "emqx", number[]> = { rabbitmq: [4369, 25672], emqx: [4370, 5369] };
/** The metrics port each engine's ServiceMonitor scrapes, by Service port name and number. */
export const METRICS_PORT: Record<"rabbitmq" | "emqx", { name: string; port: number }> = {
    rabbitmq: { name: "prometheus", port: 15692 },
    emqx: { name: "dashboard", port: 18083 },
};

const CRD = path.join(__dirname, "..", "fixtures", "crds", "servicemonitor.yaml");

/** Installs the reduced ServiceMonitor CRD and waits until the API serves the kind. */
export async function provideServiceMonitorCrd(k: LocalCluster): Promise<void> {
    k.apply([parse(fs.readFileSync(CRD, "utf8"))]);
    await eventually("the ServiceMonitor CRD to be established", 60_000, () => {
        const crd = k.getJson(["get", "crd", "servicemonitors.monitoring.coreos.com"]);
        return (crd.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True") ? true : undefined;
    });
}

/** A LabelSelector as `kubectl -l` reads it (matchLabels and the four operators). */
export function selectorArg(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }): string {
    const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const e of sel.matchExpressions ?? []) {
        if (e.operator === "In") parts.push(`${e.key} in (${(e.values ?? []).join(",")})`);
        else if (e.operator === "NotIn") parts.push(`${e.key} notin (${(e.values ?? []).join(",")})`);
        else if (e.operator === "Exists") parts.push(e.key);
        else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    }
    expect(parts, "a selector with requirements (an empty one would select every pod)").to.not.deep.equal([]);
    return parts.join(",");
}

function podNames(k: LocalCluster, ns: string, sel: Parameters<typeof selectorArg>[0]): string[] {
    return k.getJson(["get", "pods", "-n", ns, "-l", selectorArg(sel)]).items.map((p: any) => p.metadata.name).sort();
}

const members = (name: string, replicas: number) => Array.from({ length: replicas }, (_, i) => `${name}-${i}`).sort();

export interface IsolatedCluster {
    name: string;
    engine: "rabbitmq" | "emqx";
    replicas: number;
}

/**
 * The NetworkPolicy named after the cluster is stored as admitted, selects exactly the cluster's
 * pods, and admits the distribution ports from pod selectors of the policy's own namespace only:
 * one that selects exactly those pods again, and for RabbitMQ one that selects only the pods of
 * its post-deploy Job (`<name>-post-deploy-…`, which enables the feature flags over Erlang
 * distribution) and none of the members. Returns the stored policy.
 */
export function expectNetworkIsolation(k: LocalCluster, ns: string, c: IsolatedCluster): any {
    const policy = k.getJson(["get", "networkpolicy", c.name, "-n", ns]);
    expect(policy.spec.policyTypes, `${c.name}: ingress isolation`).to.deep.equal(["Ingress"]);
    expect(podNames(k, ns, policy.spec.podSelector), `pods selected by NetworkPolicy ${c.name}`).to.deep.equal(members(c.name, c.replicas));
    const distribution = DISTRIBUTION_PORTS[c.engine];
    const rules = policy.spec.ingress.filter((r: any) => (r.ports ?? []).some((p: any) => distribution.includes(p.port)));
    expect(rules, `${c.name}: one rule admits the distribution ports`).to.have.length(1);
    expect(rules[0].ports.map((p: any) => p.port).sort(), `${c.name}: that rule's ports`).to.deep.equal([...distribution].sort());
    const peers = rules[0].from as any[];
    expect(peers, `${c.name}: distribution peers`).to.have.length(c.engine === "rabbitmq" ? 2 : 1);
    for (const peer of peers) {
        expect(Object.keys(peer), `${c.name}: each peer is a pod selector of the policy's namespace, no namespaceSelector or ipBlock`).to.deep.equal(["podSelector"]);
    }
    expect(podNames(k, ns, peers[0].podSelector), `pods allowed to reach ${c.name}'s distribution ports`).to.deep.equal(members(c.name, c.replicas));
    if (c.engine === "rabbitmq") {
        const job = podNames(k, ns, peers[1].podSelector);
        for (const pod of job) expect(pod, `${c.name}: the second peer selects the post-deploy Job's pods only`).to.match(new RegExp(`^${c.name}-post-deploy-[0-9a-f]{10}-[a-z0-9]{5}$`));
    }
    return policy;
}

/**
 * The ServiceMonitor named after the cluster is stored; of the Services its selector picks in the
 * namespaces it names, exactly the client Service carries the port every endpoint scrapes.
 */
export function expectServiceMonitor(k: LocalCluster, ns: string, c: IsolatedCluster): any {
    const sm = k.getJson(["get", "servicemonitor", c.name, "-n", ns]);
    expect(sm.spec.namespaceSelector.matchNames).to.deep.equal([ns]);
    const metrics = METRICS_PORT[c.engine];
    expect([...new Set(sm.spec.endpoints.map((e: any) => e.port))], `${c.name}: endpoints scrape the metrics port`).to.deep.equal([metrics.name]);
    const services = k.getJson(["get", "services", "-n", ns, "-l", selectorArg(sm.spec.selector)]).items;
    const scraped = services.filter((s: any) => s.spec.ports.some((p: any) => p.name === metrics.name));
    expect(scraped.map((s: any) => s.metadata.name), `Services ServiceMonitor ${c.name} scrapes`).to.deep.equal([c.name]);
    expect(scraped[0].spec.ports.find((p: any) => p.name === metrics.name).port).to.equal(metrics.port);
    return sm;
}

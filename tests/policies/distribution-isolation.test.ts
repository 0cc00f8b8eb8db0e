import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { run } from "../../policies/cli/main";
import { lint } from "../../policies/engine";
import { distributionIsolation } from "../../policies/rules/distribution-isolation";
import { K8sObject } from "../../policies/lib/types";
import { runProgram, kubernetesObjects } from "../support/render";
import { find, findings as ruleFindings, goodEmqx, goodRabbit } from "./support";

const RMQ = { "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": "rmq" };

function policy(name: string, spec: Record<string, unknown>, namespace = "mq"): K8sObject {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

/** Our own shape: distribution from the cluster's pods, AMQP from anywhere. */
function isolating(): K8sObject {
    return policy("rmq", {
        podSelector: { matchLabels: RMQ },
        policyTypes: ["Ingress"],
        ingress: [
            { from: [{ podSelector: { matchLabels: RMQ } }], ports: [{ protocol: "TCP", port: 4369 }, { protocol: "TCP", port: 25672 }] },
            { ports: [{ protocol: "TCP", port: 5672 }] },
        ],
    });
}

/** The rule's findings (an advisory rule: its level comes from the rule, not from each finding). */
const findings = (objects: K8sObject[]) => ruleFindings(distributionIsolation, objects);

describe("policies: distribution-isolation", () => {
    it("is advisory and never mandatory", () => {
        expect(distributionIsolation.defaultEnforcement).to.equal("advisory");
        const o = [...goodRabbit(), policy("open", { podSelector: {}, ingress: [{}] })];
        expect(lint(o).violations.filter((v) => v.policy === "distribution-isolation").map((v) => v.enforcement)).to.deep.equal(["advisory"]);
    });

    it("passes a namespace without NetworkPolicies, and a policy that admits distribution from the cluster's own pods only", () => {
        expect(findings(goodRabbit())).to.deep.equal([]);
        expect(findings([...goodRabbit(), isolating()])).to.deep.equal([]);
        // A policy of another namespace says nothing about this one.
        expect(findings([...goodRabbit(), policy("elsewhere", { podSelector: {}, ingress: [{}] }, "other")])).to.deep.equal([]);
    });

    it("flags a broker that no ingress policy of its namespace selects", () => {
        const other = policy("web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{}] });
        expect(findings([...goodRabbit(), other]).join()).to.match(/has NetworkPolicies \(web\) but none selects rmq's pods.*4369 \(epmd\), 25672 \(Erlang distribution\)/);
        // Egress-only policies do not isolate ingress.
        const egressOnly = policy("egress", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
        expect(findings([...goodRabbit(), egressOnly]).join()).to.match(/none selects rmq's pods/);
    });

    it("flags a rule without from, an ipBlock of /0 and every pod of every namespace, for the ports they open", () => {
        const noFrom = policy("rmq", { podSelector: { matchLabels: RMQ }, ingress: [{ ports: [{ port: 5672 }, { port: 4369 }, { port: 25672 }] }] });
        expect(findings([...goodRabbit(), noFrom]).join()).to.match(/opens rmq's ports 4369 \(epmd\), 25672 \(Erlang distribution\) to every source \(rule 1 has no "from"/);
        const anyAddress = policy("rmq", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 25672 }] }] });
        expect(findings([...goodRabbit(), anyAddress]).join()).to.match(/port 25672 \(Erlang distribution\) to every source \(rule 1 admits ipBlock 0\.0\.0\.0\/0\)/);
        const anyPod = policy("rmq", { podSelector: { matchLabels: RMQ }, ingress: [{ from: [{ namespaceSelector: {} }] }] });
        expect(findings([...goodRabbit(), anyPod]).join()).to.match(/4369 \(epmd\), 25672 .*every pod of every namespace/);
        // Policies add up: a second policy that opens the port opens it.
        expect(findings([...goodRabbit(), isolating(), { ...anyAddress, metadata: { name: "extra", namespace: "mq" } }]).join()).to.match(/NetworkPolicy extra opens rmq's port 25672/);
    });

    it("reads port ranges, named ports and protocols as the API does", () => {
        const range = policy("rmq", { podSelector: {}, ingress: [{ ports: [{ port: 25000, endPort: 26000 }] }] });
        expect(findings([...goodRabbit(), range]).join()).to.match(/port 25672 \(Erlang distribution\)/);
        const named = policy("rmq", { podSelector: {}, ingress: [{ ports: [{ port: "epmd" }] }] });
        expect(findings([...goodRabbit(), named]).join()).to.match(/port 4369 \(epmd\) to every source/);
        const udp = policy("rmq", { podSelector: {}, ingress: [{ ports: [{ protocol: "UDP", port: 4369 }, { protocol: "UDP", port: 25672 }] }] });
        expect(findings([...goodRabbit(), udp])).to.deep.equal([]);
        const restricted = policy("rmq", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: RMQ } }], ports: [{ port: 4369 }, { port: 25672 }] }] });
        expect(findings([...goodRabbit(), restricted]), "own pods, any namespace, is not everywhere").to.deep.equal([]);
    });

    it("follows the distribution port where env moves it; EMQX: 4370 and 5369", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").spec.template.spec.containers[0].env.push({ name: "RABBITMQ_DIST_PORT", value: "30000" });
        const opens = (port: number) => policy("rmq", { podSelector: {}, ingress: [{ ports: [{ port }] }] });
        expect(findings([...o, opens(25672)])).to.deep.equal([]);
        expect(findings([...o, opens(30000)]).join()).to.match(/port 30000 \(Erlang distribution\)/);
        const e = goodEmqx();
        const ns = (x: K8sObject) => ({ ...x, metadata: { ...x.metadata, namespace: "iot" } });
        expect(findings([...e, ns(opens(4370))]).join()).to.match(/port 4370 \(Erlang distribution\)/);
        expect(findings([...e, ns(opens(5369))]).join()).to.match(/port 5369 \(cluster RPC\)/);
        expect(findings([...e, ns(opens(1883))])).to.deep.equal([]);
    });

    it("broker-lint points at the rule that opens the port", () => {
        const file = path.join(__dirname, "..", "fixtures", "corpus", "broken", "distribution-isolation__policy-without-from.yaml");
        let out = "";
        const code = run(["--format", "json", file], { out: (s) => (out += s), err: () => undefined });
        expect(code).to.equal(0);
        const v = JSON.parse(out).violations.filter((x: any) => x.policy === "distribution-isolation");
        expect(v).to.have.length(1);
        expect(v[0]).to.include({ enforcement: "advisory", resource: "NetworkPolicy/mq/rmq" });
        expect(fs.readFileSync(file, "utf8").split("\n")[v[0].line - 1]).to.match(/^\s*- ports:/);
    });

    it("the program's own NetworkPolicy passes; without it, a foreign policy in the namespace is flagged", async function () {
        this.timeout(60000);
        const clusters = (networkPolicy: unknown) => [
            { name: "rmq", engine: "rabbitmq", version: "4.1.4", networkPolicy },
            { name: "mqtt", engine: "emqx", version: "5.8.6", networkPolicy },
        ];
        const config = (networkPolicy: unknown) => ({ namespace: "brokers", storage: { mode: "hostPath", basePath: "/d", size: "1Gi" }, clusters: clusters(networkPolicy) });
        const ours = kubernetesObjects((await runProgram(config({ enabled: true, clientPeers: [{ podSelector: { matchLabels: { role: "app" } } }] }))).resources);
        expect(ours.filter((o) => o.kind === "NetworkPolicy")).to.have.length(2);
        expect(findings(ours)).to.deep.equal([]);
        const without = kubernetesObjects((await runProgram(config(undefined))).resources);
        const foreign = policy("deny-web", { podSelector: { matchLabels: { app: "web" } }, ingress: [] }, "brokers");
        expect(findings([...without, foreign])).to.have.length(2);
    });
});

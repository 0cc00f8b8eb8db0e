/**
 * Network isolation and monitoring objects on a real control plane: the program's objects for a
 * namespace holding a RabbitMQ and an EMQX cluster, both with `networkPolicy` and `serviceMonitor`
 * enabled, applied server-side to a local kube-apiserver with a reduced ServiceMonitor CRD.
 *
 * Shows what the API server and label selection do: the policies and monitors are admitted, each
 * policy selects exactly its cluster's pods (not the other cluster's, not a look-alike pod), and
 * its distribution peer is those same pods. kwok runs no network plugin, so whether packets are
 * dropped is not shown here; that needs a cluster whose CNI enforces NetworkPolicies.
 */
import { expect } from "chai";
import { kubernetesObjects, runProgram } from "../support/render";
import { expectAllReady, ExpectedStack } from "./support/checks";
import { expectNetworkIsolation, expectServiceMonitor, IsolatedCluster, provideServiceMonitorCrd } from "./support/isolation";
import { ensureTools, eventually, LocalCluster } from "./support/local";

const NS = "isolation";
const OFFICE = { ipBlock: { cidr: "10.20.0.0/16", except: ["10.20.9.0/24"] } };
const APPS = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } }, podSelector: { matchLabels: { role: "producer" } } };
const MONITORING = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
const CLUSTERS: IsolatedCluster[] = [
    { name: "rmq", engine: "rabbitmq", replicas: 3 },
    { name: "mqtt", engine: "emqx", replicas: 3 },
];

function config() {
    const networkPolicy = { enabled: true, clientPeers: [APPS, OFFICE], managementPeers: [OFFICE], metricsPeers: [MONITORING] };
    return {
        namespace: NS,
        storage: { mode: "hostPath", basePath: "/var/lib/broker-e2e", size: "1Gi" },
        clusters: [
            { name: "rmq", engine: "rabbitmq", version: "4.1.4", replicas: 3, networkPolicy, serviceMonitor: { enabled: true, interval: "15s", labels: { release: "monitoring" } } },
            { name: "mqtt", engine: "emqx", version: "5.8.6", replicas: 3, networkPolicy, serviceMonitor: { enabled: true } },
        ],
    };
}

const expected: ExpectedStack = {
    stack: "isolation",
    namespace: NS,
    storageMode: "hostPath",
    storage: {},
    clusters: CLUSTERS.map((c) => ({ ...c, needsApiAccess: false })),
};

describe("e2e: NetworkPolicy and ServiceMonitor on a local control plane", function () {
    this.timeout(20 * 60 * 1000);
    let k: LocalCluster;
    let objects: Array<Record<string, any>>;

    before(async function () {
        ensureTools(["cluster"]);
        k = LocalCluster.start("isolation", 3);
        objects = kubernetesObjects((await runProgram(config(), { stack: "isolation" })).resources);
    });

    after(function () {
        k?.stop();
    });

    it("the API server admits the NetworkPolicies and, with the CRD installed, the ServiceMonitors", async function () {
        await provideServiceMonitorCrd(k);
        expect(objects.filter((o) => o.kind === "NetworkPolicy")).to.have.length(2);
        expect(objects.filter((o) => o.kind === "ServiceMonitor")).to.have.length(2);
        k.apply([...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")]);
        // A pod that shares the engine label but not the instance: no policy may pick it up.
        k.apply([
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "look-alike", namespace: NS, labels: { "app.kubernetes.io/name": "rabbitmq", role: "producer" } },
                spec: { containers: [{ name: "c", image: "busybox:1.37.0" }] },
            },
        ]);
        for (const c of CLUSTERS) {
            expect(k.getJson(["get", "networkpolicy", c.name, "-n", NS]).metadata.uid).to.be.a("string");
            expect(k.getJson(["get", "servicemonitor", c.name, "-n", NS]).metadata.uid).to.be.a("string");
        }
        await expectAllReady(k, expected);
        await eventually("the look-alike pod to be scheduled", 60_000, () => (k.getJson(["get", "pod", "look-alike", "-n", NS]).spec.nodeName ? true : undefined));
    });

    it("each policy selects exactly its cluster's pods, and admits distribution only from them", function () {
        for (const c of CLUSTERS) expectNetworkIsolation(k, NS, c);
    });

    it("client, management and metrics peers are stored as configured, with no port left open to all", function () {
        for (const c of CLUSTERS) {
            const policy = k.getJson(["get", "networkpolicy", c.name, "-n", NS]);
            const froms = policy.spec.ingress.map((r: any) => r.from);
            expect(froms.every((f: unknown) => Array.isArray(f) && f.length > 0), `${c.name}: every rule has peers`).to.equal(true);
            expect(froms).to.deep.include([APPS, OFFICE]);
            expect(froms).to.deep.include(c.engine === "emqx" ? [OFFICE, MONITORING] : [MONITORING]);
        }
    });

    it("each ServiceMonitor scrapes its cluster's client Service on the metrics port", function () {
        const rmq = expectServiceMonitor(k, NS, CLUSTERS[0]);
        expect(rmq.spec.endpoints.map((e: any) => e.path)).to.deep.equal(["/metrics", "/metrics/per-object"]);
        expect(rmq.metadata.labels).to.include({ release: "monitoring" });
        const mqtt = expectServiceMonitor(k, NS, CLUSTERS[1]);
        expect(mqtt.spec.endpoints.map((e: any) => e.path)).to.deep.equal(["/api/v5/prometheus/stats"]);
    });

    it("the CRD's schema is enforced: a ServiceMonitor with a malformed interval is refused", function () {
        const bad = { ...objects.find((o) => o.kind === "ServiceMonitor"), metadata: { name: "bad-interval", namespace: NS } } as Record<string, any>;
        bad.spec = { ...bad.spec, endpoints: [{ ...bad.spec.endpoints[0], interval: "15 seconds" }] };
        const r = k.tryKubectl(["apply", "--server-side", "--field-manager=broker-e2e", "-f", "-"], JSON.stringify(bad));
        expect(r.status, r.stdout).to.not.equal(0);
        expect(r.stderr).to.match(/interval/);
    });
});

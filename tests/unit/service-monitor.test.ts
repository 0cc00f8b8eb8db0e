import { expect } from "chai";
import { ConfigError, parseSettings } from "../../components";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit } from "../support/fixtures";

const PROJECT = "broker-platform";

async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

describe("service monitor", () => {
    it("is not registered unless enabled (the CRD may not exist); the scrape annotations stay either way", async () => {
        for (const serviceMonitor of [undefined, { enabled: false }]) {
            const objects = await render(baseConfig({ clusters: [rabbit({ serviceMonitor })] }));
            expect(all(objects, "ServiceMonitor")).to.deep.equal([]);
            expect(find(objects, "StatefulSet").spec.template.metadata.annotations).to.include({ "prometheus.io/scrape": "true", "prometheus.io/port": "15692", "prometheus.io/path": "/metrics" });
        }
        const on = await render(baseConfig({ clusters: [rabbit({ serviceMonitor: { enabled: true } })] }));
        expect(find(on, "StatefulSet").spec.template.metadata.annotations).to.include({ "prometheus.io/scrape": "true", "prometheus.io/port": "15692" });
    });

    it("RabbitMQ: /metrics and /metrics/per-object on the client Service's prometheus port, kept apart by metrics_path", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ serviceMonitor: { enabled: true, interval: "15s", labels: { release: "kube-prometheus-stack" } } })] }));
        const sm = find(objects, "ServiceMonitor", "rmq");
        expect(sm.apiVersion).to.equal("monitoring.coreos.com/v1");
        expect(sm.metadata).to.include({ namespace: "brokers" });
        expect(sm.metadata.labels).to.include({ release: "kube-prometheus-stack", "app.kubernetes.io/instance": "rmq" });
        expect(sm.spec.namespaceSelector).to.deep.equal({ matchNames: ["brokers"] });
        expect(sm.spec.endpoints.map((e: any) => [e.port, e.path, e.interval])).to.deep.equal([
            ["prometheus", "/metrics", "15s"],
            ["prometheus", "/metrics/per-object", "15s"],
        ]);
        for (const e of sm.spec.endpoints) expect(e.relabelings).to.deep.equal([{ sourceLabels: ["__metrics_path__"], targetLabel: "metrics_path" }]);
        // Of the Services the selector matches, only the client Service has the endpoint's port.
        const selected = all(objects, "Service").filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v));
        const withPort = selected.filter((s) => s.spec.ports.some((p: any) => p.name === "prometheus"));
        expect(withPort.map((s) => s.metadata.name)).to.deep.equal(["rmq"]);
        expect(withPort[0].spec.ports.find((p: any) => p.name === "prometheus").port).to.equal(15692);
    });

    it("RabbitMQ without the per-object endpoint: one endpoint, no relabeling", async () => {
        const sm = find(await render(baseConfig({ clusters: [rabbit({ serviceMonitor: { enabled: true, perObjectMetrics: false } })] })), "ServiceMonitor");
        expect(sm.spec.endpoints).to.deep.equal([{ port: "prometheus", path: "/metrics", interval: "30s" }]);
    });

    it("EMQX: the Prometheus endpoint on the dashboard port", async () => {
        const objects = await render(baseConfig({ clusters: [emqx({ serviceMonitor: { enabled: true } })] }));
        const sm = find(objects, "ServiceMonitor", "mqtt");
        expect(sm.spec.endpoints).to.deep.equal([{ port: "dashboard", path: "/api/v5/prometheus/stats", interval: "30s" }]);
        expect(find(objects, "Service", "mqtt").spec.ports.map((p: any) => p.name)).to.include("dashboard");
    });

    it("EMQX under TLS: an HTTPS scrape verified against the client Service name and the cluster's CA", async () => {
        for (const [tls, secret] of [
            [{ secretName: "mqtt-cert" }, "mqtt-cert"],
            [{ certManager: { issuerName: "internal-ca" } }, "mqtt-tls"],
        ] as const) {
            const objects = await render(baseConfig({ clusters: [emqx({ tls, serviceMonitor: { enabled: true } })] }));
            const sm = find(objects, "ServiceMonitor", "mqtt");
            expect(sm.spec.endpoints).to.deep.equal([
                {
                    port: "dashboard-tls",
                    path: "/api/v5/prometheus/stats",
                    interval: "30s",
                    scheme: "https",
                    tlsConfig: { serverName: "mqtt.brokers.svc.cluster.local", ca: { secret: { name: secret, key: "ca.crt" } } },
                },
            ]);
            const certificate = objects.find((o) => o.kind === "Certificate");
            if (tls.secretName) expect(certificate, "a user's Secret: no Certificate").to.equal(undefined);
            else expect(certificate?.spec.dnsNames).to.include(sm.spec.endpoints[0].tlsConfig.serverName);
            expect(find(objects, "Service", "mqtt").spec.ports.map((p: any) => p.name)).to.include("dashboard-tls");
        }
    });

    it("RabbitMQ under TLS keeps its metrics on plain HTTP: no tlsConfig", async () => {
        const sm = find(await render(baseConfig({ clusters: [rabbit({ tls: { secretName: "rmq-cert" }, serviceMonitor: { enabled: true, perObjectMetrics: false } })] })), "ServiceMonitor");
        expect(sm.spec.endpoints).to.deep.equal([{ port: "prometheus", path: "/metrics", interval: "30s" }]);
    });

    it("rejects bad settings, naming the key", () => {
        const cases: Array<[any, string, RegExp]> = [
            [rabbit({ serviceMonitor: { interval: "15s" } }), "clusters[0].serviceMonitor.enabled", /must be true/],
            [rabbit({ serviceMonitor: { enabled: true, interval: "15 seconds" } }), 'clusters[0].serviceMonitor.interval = "15 seconds"', /Prometheus duration/],
            [rabbit({ serviceMonitor: { enabled: true, interval: "0" } }), 'clusters[0].serviceMonitor.interval = "0"', /longer than 0/],
            [rabbit({ serviceMonitor: { enabled: true, labels: { release: "kube prometheus" } } }), "clusters[0].serviceMonitor.labels", /at most 63/],
            [emqx({ serviceMonitor: { enabled: true, perObjectMetrics: true } }), "clusters[0].serviceMonitor.perObjectMetrics = true", /RabbitMQ only/],
        ];
        for (const [cluster, key, says] of cases) {
            let error: unknown;
            try {
                parseSettings(baseConfig({ clusters: [cluster] }), PROJECT);
            } catch (e) {
                error = e;
            }
            expect(error, key).to.be.instanceOf(ConfigError);
            const problems = (error as ConfigError).problems.join("\n");
            expect(problems).to.include(`${PROJECT}:${key}`);
            expect(problems).to.match(says);
        }
    });
});

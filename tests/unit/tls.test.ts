import { expect } from "chai";
import { parseSettings } from "../../components";
import { configProblems as problems, kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, literalEnv, rabbit } from "../support/fixtures";

const PROJECT = "broker-platform";


async function render(config: any) {
    const run = await runProgram(config);
    return { objects: kubernetesObjects(run.resources), outputs: run.outputs };
}

/** The value of a (secret) Output, or a plain string output as it is. */
function valueOf(output: any): Promise<string> {
    return typeof output === "string" ? Promise.resolve(output) : new Promise((resolve) => output.apply((v: string) => resolve(v)));
}

const certManager = { issuerName: "internal-ca", issuerKind: "ClusterIssuer" };
const POD_NAMES = (name: string, ns: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${i}.${name}-headless.${ns}.svc.cluster.local`);

/** Whether a DNS SAN covers a host: exactly, or as a wildcard for its first label. */
function covers(sans: string[], host: string): boolean {
    return sans.some((s) => s === host || (s.startsWith("*.") && host.slice(host.indexOf(".") + 1) === s.slice(2)));
}

describe("TLS: config", () => {
    it("accepts a Secret or cert-manager; distribution defaults to off and the issuer kind to Issuer", () => {
        const a = parseSettings(baseConfig({ clusters: [rabbit({ tls: { secretName: "rmq-cert" } })] }), PROJECT);
        expect(a.clusters[0].tls).to.deep.equal({ secretName: "rmq-cert", distribution: false });
        const b = parseSettings(baseConfig({ clusters: [emqx({ tls: { certManager: { issuerName: "ca" }, distribution: true } })] }), PROJECT);
        expect(b.clusters[0].tls).to.deep.equal({ certManager: { issuerName: "ca", issuerKind: "Issuer" }, distribution: true });
    });

    const bad: Array<[string, any, string, RegExp]> = [
        ["both sources", { secretName: "x", certManager }, "clusters[0].tls", /exactly one.*both are set/],
        ["no source", { distribution: true }, "clusters[0].tls", /exactly one.*neither is set/],
        ["a Secret name that is not one", { secretName: "My_Cert" }, 'clusters[0].tls.secretName = "My_Cert"', /DNS-1123 subdomain/],
        ["an unknown issuer kind", { certManager: { issuerName: "ca", issuerKind: "Vault" } }, 'clusters[0].tls.certManager.issuerKind = "Vault"', /Issuer.*or ClusterIssuer/],
        ["a missing issuer name", { certManager: {} }, "clusters[0].tls.certManager.issuerName", /required|Issuer or ClusterIssuer/],
        ["distribution as text", { secretName: "x", distribution: "yes" }, 'clusters[0].tls.distribution = "yes"', /true or false/],
        ["a typo", { secretName: "x", distrbution: true }, "clusters[0].tls.distrbution", /unknown key/],
    ];
    for (const [what, tls, key, says] of bad) {
        it(`rejects ${what}, naming ${PROJECT}:${key}`, () => {
            const p = problems(baseConfig({ clusters: [rabbit({ tls })] }));
            expect(p).to.include(`${PROJECT}:${key}`);
            expect(p).to.match(says);
        });
    }
});

describe("TLS: RabbitMQ objects", () => {
    it("AMQPS and HTTPS listeners from the mounted Secret, plain listeners off, probe and URLs follow", async () => {
        const { objects, outputs } = await render(baseConfig({ clusters: [rabbit({ tls: { secretName: "rmq-cert" } })] }));
        const conf: string = all(objects, "ConfigMap").find((c) => c.data?.["rabbitmq.conf"])!.data["rabbitmq.conf"];
        const lines = conf.split("\n");
        for (const l of ["listeners.tcp = none", "listeners.ssl.default = 5671", "ssl_options.certfile = /etc/broker-tls/tls.crt", "ssl_options.keyfile = /etc/broker-tls/tls.key", "management.ssl.port = 15671"]) {
            expect(lines).to.include(l);
        }
        expect(lines.some((l) => l.startsWith("management.tcp.port") || l.startsWith("listeners.tcp.default"))).to.equal(false);
        const sts = find(objects, "StatefulSet", "rmq");
        const pod = sts.spec.template.spec;
        expect(pod.volumes).to.deep.include({ name: "tls", secret: { secretName: "rmq-cert", defaultMode: 0o440 } });
        expect(pod.containers[0].volumeMounts).to.deep.include({ name: "tls", mountPath: "/etc/broker-tls", readOnly: true });
        expect(pod.containers[0].readinessProbe.tcpSocket.port).to.equal("amqps");
        expect(pod.containers[0].ports.map((p: any) => p.containerPort)).to.include.members([5671, 15671]).and.not.include(5672);
        const client = find(objects, "Service", "rmq");
        expect(client.spec.ports.map((p: any) => p.name)).to.deep.equal(["amqps", "management-tls", "prometheus"]);
        expect(all(objects, "Certificate")).to.deep.equal([]);
        const summary = outputs.clusters.rmq;
        expect(await valueOf(summary.managementUrl)).to.equal("https://rmq.brokers.svc.cluster.local:15671/");
        expect(await valueOf(summary.connectionUrl)).to.match(/^amqps:\/\/[^:]+:[^@]+@rmq\.brokers\.svc\.cluster\.local:5671\/%2F$/);
    });

    it("without tls nothing changes: amqp:// on 5672, http management, no TLS volume", async () => {
        const { objects, outputs } = await render(baseConfig());
        const pod = find(objects, "StatefulSet", "rmq").spec.template.spec;
        expect(pod.volumes.map((v: any) => v.name)).not.to.include("tls");
        expect(await valueOf(outputs.clusters.rmq.connectionUrl)).to.match(/^amqp:\/\/.*:5672\/%2F$/);
        expect(await valueOf(outputs.clusters.rmq.managementUrl)).to.equal("http://rmq.brokers.svc.cluster.local:15672/");
    });

    it("inter-node TLS: inet_tls with an options file for the server and the CLI tools, mutual verification", async () => {
        const { objects } = await render(baseConfig({ clusters: [rabbit({ tls: { secretName: "rmq-cert", distribution: true } })] }));
        const sts = find(objects, "StatefulSet", "rmq");
        const env = literalEnv(sts);
        const args = "-proto_dist inet_tls -ssl_dist_optfile /etc/rabbitmq/inter_node_tls.config";
        expect(env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).to.equal(args);
        expect(env.RABBITMQ_CTL_ERL_ARGS).to.equal(args);
        const cm = all(objects, "ConfigMap").find((c) => c.data?.["inter_node_tls.config"]);
        const optfile: string = cm!.data["inter_node_tls.config"];
        expect(optfile).to.match(/\{server, \[.*\{verify, verify_peer\}, \{fail_if_no_peer_cert, true\}\]\}/);
        expect(optfile).to.include('{cacertfile, "/etc/broker-tls/ca.crt"}');
        const items = sts.spec.template.spec.volumes.find((v: any) => v.name === "config").projected.sources[0].configMap.items;
        expect(items).to.deep.include({ key: "inter_node_tls.config", path: "inter_node_tls.config" });
    });

    it("a TLS change rolls the pods (the checksum covers the config files)", async () => {
        const plain = find((await render(baseConfig())).objects, "StatefulSet", "rmq");
        const tls = find((await render(baseConfig({ clusters: [rabbit({ tls: { secretName: "rmq-cert" } })] }))).objects, "StatefulSet", "rmq");
        const sum = (s: any) => s.spec.template.metadata.annotations["broker-platform/config-checksum"];
        expect(sum(tls)).not.to.equal(sum(plain));
    });
});

describe("TLS: EMQX objects", () => {
    it("MQTTS, WSS and the HTTPS dashboard from the mounted Secret; HTTPS probe; mqtts:// URL", async () => {
        const { objects, outputs } = await render(baseConfig({ clusters: [emqx({ tls: { secretName: "mqtt-cert" } })] }));
        const sts = find(objects, "StatefulSet", "mqtt");
        const env = literalEnv(sts);
        expect(env).to.include({
            EMQX_LISTENERS__TCP__DEFAULT__ENABLE: "false",
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE: "/etc/broker-tls/tls.crt",
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__KEYFILE: "/etc/broker-tls/tls.key",
            EMQX_DASHBOARD__LISTENERS__HTTP__ENABLE: "false",
            EMQX_DASHBOARD__LISTENERS__HTTPS__ENABLE: "true",
            EMQX_DASHBOARD__LISTENERS__HTTPS__SSL_OPTIONS__CERTFILE: "/etc/broker-tls/tls.crt",
        });
        expect(env).not.to.have.property("EMQX_CLUSTER__PROTO_DIST");
        const c = sts.spec.template.spec.containers[0];
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/status", port: "dashboard-tls", scheme: "HTTPS" });
        expect(sts.spec.template.metadata.annotations).to.include({ "prometheus.io/port": "18084", "prometheus.io/scheme": "https" });
        expect(find(objects, "Service", "mqtt").spec.ports.map((p: any) => p.port)).to.deep.equal([8883, 8084, 18084]);
        expect(all(objects, "ConfigMap").filter((m) => m.data?.["inter_node_tls.config"])).to.deep.equal([]);
        expect(await valueOf(outputs.clusters.mqtt.connectionUrl)).to.match(/^mqtts:\/\/.*@mqtt\.brokers\.svc\.cluster\.local:8883$/);
        expect(await valueOf(outputs.clusters.mqtt.managementUrl)).to.equal("https://mqtt.brokers.svc.cluster.local:18084/");
    });

    it("EMQX before 5.1.1 takes the dashboard certificate without ssl_options", async () => {
        const env = literalEnv(find((await render(baseConfig({ clusters: [emqx({ version: "5.0.26", tls: { secretName: "c" }, clientAuth: { allowAnonymous: true } })] }))).objects, "StatefulSet", "mqtt"));
        expect(env).to.have.property("EMQX_DASHBOARD__LISTENERS__HTTPS__CERTFILE", "/etc/broker-tls/tls.crt");
        expect(env).not.to.have.property("EMQX_DASHBOARD__LISTENERS__HTTPS__SSL_OPTIONS__CERTFILE");
    });

    it("inter-node TLS: inet_tls distribution with its options file mounted, and gen_rpc over ssl", async () => {
        const { objects } = await render(baseConfig({ clusters: [emqx({ tls: { secretName: "mqtt-cert", distribution: true } })] }));
        const sts = find(objects, "StatefulSet", "mqtt");
        const env = literalEnv(sts);
        expect(env).to.include({ EMQX_CLUSTER__PROTO_DIST: "inet_tls", EMQX_SSL_DIST_OPTFILE: "/opt/emqx/dist-tls/inter_node_tls.config", EMQX_RPC__DRIVER: "ssl", EMQX_RPC__CACERTFILE: "/etc/broker-tls/ca.crt" });
        const cm = all(objects, "ConfigMap").find((m) => m.data?.["inter_node_tls.config"]);
        expect(cm, "the options file is in a ConfigMap").to.not.equal(undefined);
        const vol = sts.spec.template.spec.volumes.find((v: any) => v.name === "dist-tls");
        expect(vol.configMap.name).to.equal(cm!.metadata.name);
        expect(sts.spec.template.spec.containers[0].volumeMounts).to.deep.include({ name: "dist-tls", mountPath: "/opt/emqx/dist-tls", readOnly: true });
    });
});

describe("TLS: cert-manager Certificate", () => {
    it("is registered only when configured, names the issuer, and covers the client Service and every pod", async () => {
        const { objects } = await render(baseConfig({ clusters: [rabbit({ replicas: 5, tls: { certManager, distribution: true } }), emqx()] }));
        const certs = all(objects, "Certificate");
        expect(certs).to.have.length(1);
        const cert = certs[0];
        expect(cert.apiVersion).to.equal("cert-manager.io/v1");
        expect(cert.metadata).to.include({ name: "rmq-tls", namespace: "brokers" });
        expect(cert.spec.secretName).to.equal("rmq-tls");
        expect(cert.spec.issuerRef).to.deep.equal({ name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
        expect(cert.spec.usages).to.include.members(["server auth", "client auth"]);
        const sans: string[] = cert.spec.dnsNames;
        for (const host of ["rmq", "rmq.brokers", "rmq.brokers.svc", "rmq.brokers.svc.cluster.local", ...POD_NAMES("rmq", "brokers", 5)]) {
            expect(covers(sans, host), host).to.equal(true);
        }
        // The StatefulSet mounts the Secret the Certificate writes.
        const pod = find(objects, "StatefulSet", "rmq").spec.template.spec;
        expect(pod.volumes).to.deep.include({ name: "tls", secret: { secretName: "rmq-tls", defaultMode: 0o440 } });
        expect(find(objects, "StatefulSet", "mqtt").spec.template.spec.volumes ?? []).to.satisfy((v: any[]) => v.every((x) => x.name !== "tls"));
    });

    it("follows the cluster domain and namespace", async () => {
        const { objects } = await render(baseConfig({ namespace: "iot", clusterDomain: "corp.internal", clusters: [emqx({ tls: { certManager } })] }));
        const sans: string[] = find(objects, "Certificate").spec.dnsNames;
        expect(sans).to.include("mqtt.iot.svc.corp.internal");
        expect(POD_NAMES("mqtt", "iot", 3).map((h) => h.replace("cluster.local", "corp.internal")).every((h) => covers(sans, h))).to.equal(true);
    });
});

import { expect } from "chai";
import { tlsSecret } from "../../policies/rules/tls-secret";
import { Rule } from "../../policies/lib/rule";
import { advisory, find, goodEmqx, goodRabbit, mandatory, setEnv } from "./support";
import { K8sObject } from "../../policies/lib/types";

const rule = tlsSecret as Rule<any>;

/** goodRabbit with AMQPS from Secret `secret` mounted at /etc/rabbitmq-tls. */
function rabbitWithTls(secret = "rmq-tls"): K8sObject[] {
    const o = goodRabbit();
    const cm = find(o, "ConfigMap", "rmq-config");
    cm.data["rabbitmq.conf"] += "listeners.ssl.default = 5671\nssl_options.certfile = /etc/rabbitmq-tls/tls.crt\nssl_options.keyfile = /etc/rabbitmq-tls/tls.key\n";
    const pod = find(o, "StatefulSet").spec.template.spec;
    pod.containers[0].volumeMounts.push({ name: "tls", mountPath: "/etc/rabbitmq-tls", readOnly: true });
    pod.volumes.push({ name: "tls", secret: { secretName: secret } });
    return o;
}

const tlsSecretObject = (name: string, ns: string) => ({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name, namespace: ns }, data: { "tls.crt": "", "tls.key": "" } });

function certificate(secretName: string, ns: string, dnsNames: string[]): K8sObject {
    return { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: secretName, namespace: ns }, spec: { secretName, dnsNames, issuerRef: { name: "ca", kind: "ClusterIssuer" } } };
}

describe("policies: tls-secret", () => {
    it("passes clusters without TLS, and TLS from a Secret among the inputs", () => {
        expect(rule.check(goodRabbit(), {})).to.deep.equal([]);
        expect(rule.check(goodEmqx(), {})).to.deep.equal([]);
        const o = rabbitWithTls();
        o.push(tlsSecretObject("rmq-tls", "mq"));
        expect(rule.check(o, { requireSecretInInputs: true })).to.deep.equal([]);
    });

    it("reports a TLS Secret no input defines: advisory by default, mandatory with requireSecretInInputs; at the volume's secretName", () => {
        const o = rabbitWithTls();
        expect(mandatory(rule, o)).to.deep.equal([]);
        const a = advisory(rule, o).join();
        expect(a).to.match(/Secret rmq-tls \(ssl_options\.certfile \(rabbitmq\.conf\) = \/etc\/rabbitmq-tls\/tls\.crt; ssl_options\.keyfile/);
        expect(a).to.match(/ContainerCreating/);
        const strict = rule.check(o, rule.options.parse({ requireSecretInInputs: true }));
        expect(strict).to.have.length(1);
        expect(strict[0].advisory).to.equal(undefined);
        const volume = find(o, "StatefulSet").spec.template.spec.volumes.find((v: any) => v.name === "tls");
        expect(strict[0].at).to.deep.equal({ node: volume.secret, key: "secretName" });
    });

    it("the Secret in another namespace does not count", () => {
        const o = rabbitWithTls();
        o.push(tlsSecretObject("rmq-tls", "other"));
        expect(advisory(rule, o)).to.have.length(1);
    });

    it("EMQX: certificate env pointing into a projected Secret; image-relative paths and non-Secret mounts are ignored", () => {
        const o = goodEmqx();
        setEnv(o, "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE", "/opt/tls/tls.crt");
        setEnv(o, "EMQX_LISTENERS__WSS__DEFAULT__SSL_OPTIONS__CERTFILE", "${EMQX_ETC_DIR}/certs/cert.pem");
        setEnv(o, "EMQX_RPC__CACERTFILE", "/opt/emqx/data/ca.pem");
        const pod = find(o, "StatefulSet").spec.template.spec;
        pod.containers[0].volumeMounts.push({ name: "tls", mountPath: "/opt/tls" });
        pod.volumes = [{ name: "tls", projected: { sources: [{ secret: { name: "mqtt-cert", items: [{ key: "tls.crt", path: "tls.crt" }] } }] } }];
        const f = rule.check(o, rule.options.parse({ requireSecretInInputs: true }));
        expect(f.map((x) => x.message)).to.have.length(1);
        expect(f[0].message).to.match(/Secret mqtt-cert \(EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE = \/opt\/tls\/tls\.crt\)/);
        expect(f[0].at).to.deep.equal({ node: pod.volumes[0].projected.sources[0].secret, key: "name" });
    });

    it("follows the Erlang distribution options file to the certificate paths inside it", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-proto_dist inet_tls -ssl_dist_optfile /etc/rabbitmq/inter_node_tls.config");
        find(o, "ConfigMap", "rmq-config").data["inter_node_tls.config"] = '[{server, [{certfile, "/etc/dist-tls/tls.crt"}, {keyfile, "/etc/dist-tls/tls.key"}]}].\n';
        const pod = find(o, "StatefulSet").spec.template.spec;
        pod.containers[0].volumeMounts.push({ name: "dist", mountPath: "/etc/dist-tls" });
        pod.volumes.push({ name: "dist", secret: { secretName: "dist-cert" } });
        expect(advisory(rule, o).join()).to.match(/Secret dist-cert \(certfile in \/etc\/rabbitmq\/inter_node_tls\.config = \/etc\/dist-tls\/tls\.crt/);
    });

    it("a cert-manager Certificate that writes the Secret stands in for it; its dnsNames must cover every pod", () => {
        const good = rabbitWithTls();
        good.push(certificate("rmq-tls", "mq", ["rmq", "rmq.mq.svc.cluster.local", "*.rmq-headless.mq.svc.cluster.local"]));
        expect(rule.check(good, rule.options.parse({ requireSecretInInputs: true }))).to.deep.equal([]);

        const perPod = rabbitWithTls();
        perPod.push(certificate("rmq-tls", "mq", ["rmq-0.rmq-headless.mq.svc.cluster.local", "rmq-1.rmq-headless.mq.svc.cluster.local"]));
        const f = rule.check(perPod, rule.options.parse({}));
        expect(f).to.have.length(1);
        expect(f[0].advisory).to.equal(undefined);
        expect(f[0].message).to.match(/do not cover rmq-2\.rmq-headless\.mq\.svc\.cluster\.local: .*add \*\.rmq-headless\.mq\.svc\.cluster\.local/);
        const cert = find(perPod, "Certificate");
        expect(f[0].object).to.equal(cert);
        expect(f[0].at).to.deep.equal({ node: cert.spec, key: "dnsNames" });
    });

    it("the domain comes from the node names: a certificate for another cluster domain misses the pods", () => {
        const o = rabbitWithTls();
        o.push(certificate("rmq-tls", "mq", ["*.rmq-headless.mq.svc.corp.internal"]));
        expect(mandatory(rule, o).join()).to.match(/do not cover rmq-0\.rmq-headless\.mq\.svc\.cluster\.local/);
        // Without node names that spell a domain, any domain is accepted, but not another Service.
        const env = find(o, "StatefulSet").spec.template.spec.containers[0].env;
        env.splice(env.findIndex((e: any) => e.name === "RABBITMQ_NODENAME"), 1);
        find(o, "ConfigMap", "rmq-config").data["rabbitmq.conf"] = find(o, "ConfigMap", "rmq-config").data["rabbitmq.conf"].replace(/cluster_formation\.k8s\.hostname_suffix.*\n/, "");
        expect(mandatory(rule, o)).to.deep.equal([]);
        find(o, "Certificate").spec.dnsNames = ["*.rmq-nodes.mq.svc.cluster.local", "rmq.mq.svc.cluster.local"];
        expect(mandatory(rule, o).join()).to.match(/do not cover rmq-0\.rmq-headless\.mq\.svc, rmq-1/);
    });
});

describe("policies: tls-secret on our own program", function () {
    this.timeout(60000);
    // Loaded lazily: the unit tier's program runner brings the Pulumi mocks.
    const render = async (config: any) => {
        const { kubernetesObjects, runProgram } = await import("../support/render");
        return kubernetesObjects((await runProgram(config)).resources);
    };
    const base = (tls: any, replicas = 3) => ({
        namespace: "brokers",
        storage: { mode: "hostPath", basePath: "/data/brokers", size: "1Gi" },
        clusters: [
            { name: "rmq", engine: "rabbitmq", version: "4.1.4", replicas, tls },
            { name: "mqtt", engine: "emqx", version: "5.8.6", replicas, tls },
        ],
    });

    it("cert-manager: the Certificate stands in for the Secret and covers every pod, for both engines", async () => {
        const objects = await render(base({ certManager: { issuerName: "ca" }, distribution: true }, 5));
        expect(rule.check(objects, rule.options.parse({ requireSecretInInputs: true }))).to.deep.equal([]);
        // Narrowing the certificate to fewer pods than run is caught.
        const cert = objects.find((o) => o.kind === "Certificate" && o.metadata.name === "rmq-tls")!;
        cert.spec.dnsNames = cert.spec.dnsNames.filter((n: string) => !n.startsWith("*."));
        expect(mandatory(rule, objects).join()).to.match(/Certificate rmq-tls .* do not cover rmq-0\.rmq-headless\.brokers\.svc\.cluster\.local/);
    });

    it("a user-named Secret is outside the program's objects: advisory for both engines, never mandatory", async () => {
        const objects = await render(base({ secretName: "broker-cert", distribution: true }));
        expect(mandatory(rule, objects)).to.deep.equal([]);
        const a = advisory(rule, objects);
        // RabbitMQ's feature-flag Job speaks TLS distribution too: it reads the same Secret.
        expect(a).to.have.length(3);
        expect(a.join()).to.match(/rmq reads its TLS certificate from Secret broker-cert/).and.match(/mqtt reads its TLS certificate from Secret broker-cert/).and.match(/rmq-post-deploy-[0-9a-f]{10} reads its TLS certificate from Secret broker-cert/);
    });
});

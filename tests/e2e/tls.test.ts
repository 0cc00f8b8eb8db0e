/**
 * TLS objects on a real control plane: with cert-manager's Certificate kind installed (a CRD with
 * the part of cert-manager's schema the package uses; cert-manager itself does not run), the API
 * server admits a TLS cluster's objects, stores a Certificate that names every pod, and the
 * StatefulSets become ready mounting the certificate Secrets.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { lint } from "../../policies/engine";
import { kubernetesObjects, runProgram } from "../support/render";
import { expectAllReady, statefulSet } from "./support/checks";
import { provideServiceMonitorCrd } from "./support/isolation";
import { tlsStack } from "./support/tls";
import { ensureTools, eventually, LocalCluster } from "./support/local";

const NS = "tls-e2e";
const { config: CONFIG, expected: EXPECTED } = tlsStack(NS, "rmq");

const podHosts = (name: string) => [0, 1, 2].map((i) => `${name}-${i}.${name}-headless.${NS}.svc.cluster.local`);
const covers = (sans: string[], host: string) => sans.some((s) => s === host || (s.startsWith("*.") && host.slice(host.indexOf(".") + 1) === s.slice(2)));

describe("e2e: TLS objects on a local control plane with the cert-manager Certificate kind", function () {
    this.timeout(20 * 60 * 1000);
    let k: LocalCluster;

    before(async function () {
        ensureTools(["cluster"]);
        k = LocalCluster.start("tls", 3);
        const crd = parse(fs.readFileSync(path.join(__dirname, "fixtures", "certificate-crd.yaml"), "utf8"));
        k.apply([crd]);
        await eventually("the Certificate CRD to be established", 60_000, () => {
            const c = k.getJson(["get", "crd", "certificates.cert-manager.io"]);
            return (c.status?.conditions ?? []).some((x: any) => x.type === "Established" && x.status === "True") ? true : undefined;
        });
        await provideServiceMonitorCrd(k);
    });

    after(function () {
        k?.stop();
    });

    it("the API server admits every object, the Certificate included, and refuses a malformed one", async function () {
        const objects = kubernetesObjects((await runProgram(CONFIG)).resources);
        expect(objects.filter((o) => o.kind === "Certificate").map((o) => o.metadata.name)).to.deep.equal(["rmq-tls"]);
        // The user's own Secret for the EMQX cluster; cert-manager would write rmq-tls.
        const userSecret = { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "mqtt-cert", namespace: NS }, stringData: { "tls.crt": "placeholder", "tls.key": "placeholder" } };
        const ordered = [...objects.filter((o) => o.kind === "Namespace"), userSecret, ...objects.filter((o) => o.kind !== "Namespace")];
        k.apply(ordered);
        const bad = { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "bad", namespace: NS }, spec: { secretName: "x", dnsNames: "rmq", issuerRef: { name: "ca" } } };
        const refused = k.tryKubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(bad));
        expect(refused.status, "a Certificate with dnsNames as a string is refused").to.not.equal(0);
        expect(refused.stderr).to.match(/dnsNames/);
    });

    it("the stored Certificate covers the client Service and every pod, for both ends of a connection", function () {
        const cert = k.getJson(["get", "certificate", "rmq-tls", "-n", NS]);
        const sans: string[] = cert.spec.dnsNames;
        for (const host of ["rmq", `rmq.${NS}`, `rmq.${NS}.svc`, `rmq.${NS}.svc.cluster.local`, ...podHosts("rmq")]) expect(covers(sans, host), host).to.equal(true);
        expect(cert.spec).to.deep.include({ secretName: "rmq-tls", issuerRef: { name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" } });
        expect(cert.spec.usages).to.include.members(["server auth", "client auth"]);
    });

    it("every StatefulSet becomes ready, mounting its certificate Secret, with TLS-only client ports", async function () {
        await expectAllReady(k, EXPECTED);
        const mounted = (name: string) => {
            const pod = statefulSet(k, NS, name).spec.template.spec;
            const volume = pod.volumes.find((v: any) => v.name === "tls");
            const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === "tls");
            return { secret: volume?.secret?.secretName, mountPath: mount?.mountPath, readOnly: mount?.readOnly };
        };
        expect(mounted("rmq")).to.deep.equal({ secret: "rmq-tls", mountPath: "/etc/broker-tls", readOnly: true });
        expect(mounted("mqtt")).to.deep.equal({ secret: "mqtt-cert", mountPath: "/etc/broker-tls", readOnly: true });
        const ports = (svc: string) => k.getJson(["get", "service", svc, "-n", NS]).spec.ports.map((p: any) => p.port);
        expect(ports("rmq")).to.deep.equal([5671, 15671, 15692]);
        expect(ports("mqtt")).to.deep.equal([8883, 8084, 18084]);
        const pod = k.getJson(["get", "pod", "rmq-0", "-n", NS]);
        expect(pod.spec.volumes.find((v: any) => v.name === "tls").secret.secretName).to.equal("rmq-tls");
    });

    it("the EMQX ServiceMonitor scrapes HTTPS, verifying the client Service name against the CA of the cluster's own Secret", function () {
        const sm = k.getJson(["get", "servicemonitor", "mqtt", "-n", NS]);
        expect(sm.spec.endpoints).to.have.length(1);
        const [endpoint] = sm.spec.endpoints;
        expect(endpoint).to.deep.include({ port: "dashboard-tls", scheme: "https" });
        expect(endpoint.tlsConfig).to.deep.equal({ serverName: `mqtt.${NS}.svc.cluster.local`, ca: { secret: { name: "mqtt-cert", key: "ca.crt" } } });
        const port = k.getJson(["get", "service", "mqtt", "-n", NS]).spec.ports.find((p: any) => p.name === endpoint.port);
        expect(port?.port, "the scraped port is the HTTPS dashboard").to.equal(18084);
        const plain = { ...sm, metadata: { name: "plain", namespace: NS }, spec: { ...sm.spec, endpoints: [{ ...endpoint, scheme: "tcp" }] } };
        expect(k.tryKubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(plain)).status, "the CRD refuses a scheme Prometheus does not know").to.not.equal(0);
    });

    it("broker-lint on the live objects: the Certificate and the user's Secret satisfy tls-secret", function () {
        const live = k.getJson(["get", "statefulsets,services,configmaps,secrets,certificates", "-n", NS]).items;
        const r = lint(live);
        const tls = r.violations.filter((v) => v.policy === "tls-secret" || (v.policy === "broker-advisories" && /TLS certificate/.test(v.message)));
        expect(tls, JSON.stringify(tls, null, 2)).to.deep.equal([]);
        // Take the pods out of the certificate, as a hand edit would: the rule fails.
        const cert = live.find((o: any) => o.kind === "Certificate");
        cert.spec.dnsNames = [`rmq.${NS}.svc.cluster.local`];
        expect(lint(live).violations.filter((v) => v.policy === "tls-secret" && v.enforcement === "mandatory")).to.have.length(1);
    });
});

/**
 * TLS through the real engine: a stack with a cert-manager Certificate (RabbitMQ, inter-node TLS)
 * and a user-named Secret (EMQX), deployed with `pulumi up` on a local control plane that has the
 * Certificate kind (a CRD; cert-manager does not run, so the test creates the Secrets the pods
 * mount, as cert-manager and the user would).
 */
import { expect } from "chai";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { expectAllReady, statefulSet } from "./support/checks";
import { tlsStack } from "./support/tls";
import { provideServiceMonitorCrd } from "./support/isolation";
import { changes, EngineStack, engineStack, POLICY_PACK, policyViolations, requireEngine } from "./support/engine";
import { eventually, LocalCluster } from "./support/local";

const NS = "messaging-tls";
const { config: CONFIG, expected: EXPECTED } = tlsStack(NS, "rabbit");

function tlsSecret(name: string) {
    return { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name, namespace: NS }, stringData: { "tls.crt": "placeholder", "tls.key": "placeholder", "ca.crt": "placeholder" } };
}

describe("e2e: TLS through pulumi up (the real engine)", function () {
    this.timeout(30 * 60 * 1000);
    let k: LocalCluster;
    let e: EngineStack;

    before(async function () {
        requireEngine();
        k = LocalCluster.start("engine-tls", 3);
        k.apply([parse(fs.readFileSync(path.join(__dirname, "fixtures", "certificate-crd.yaml"), "utf8"))]);
        await eventually("the Certificate CRD to be established", 60_000, () =>
            (k.getJson(["get", "crd", "certificates.cert-manager.io"]).status?.conditions ?? []).some((x: any) => x.type === "Established" && x.status === "True") ? true : undefined,
        );
        await provideServiceMonitorCrd(k);
        e = await engineStack(k, "tls", { config: CONFIG });
    });

    after(async function () {
        await e?.stack.destroy().catch(() => undefined);
        k?.stop();
    });

    it("pulumi up creates the Certificate and the clusters; the outputs are amqps://, mqtts:// and https://", async function () {
        // The namespace is the program's; the user's Secret and cert-manager's go in once it exists.
        const created = eventually(`namespace ${NS}`, 300_000, () => (k.tryKubectl(["get", "namespace", NS]).status === 0 ? true : undefined)).then(() =>
            k.apply([tlsSecret("mqtt-cert"), tlsSecret("rabbit-tls")]),
        );
        const r = await e.stack.up();
        await created;
        expect(r.summary.result, r.stderr).to.equal("succeeded");
        const clusters = r.outputs.clusters.value;
        expect(clusters.rabbit.connectionUrl).to.match(new RegExp(`^amqps://[^:]+:[^@]+@rabbit\\.${NS}\\.svc\\.cluster\\.local:5671/%2F$`));
        expect(clusters.mqtt.connectionUrl).to.match(new RegExp(`^mqtts://[^:]+:[^@]+@mqtt\\.${NS}\\.svc\\.cluster\\.local:8883$`));
        expect(clusters.rabbit.managementUrl).to.equal(`https://rabbit.${NS}.svc.cluster.local:15671/`);
        expect(clusters.mqtt.managementUrl).to.equal(`https://mqtt.${NS}.svc.cluster.local:18084/`);
        const cert = k.getJson(["get", "certificate", "rabbit-tls", "-n", NS]);
        expect(cert.spec.dnsNames).to.include(`*.rabbit-headless.${NS}.svc.cluster.local`).and.include(`rabbit.${NS}.svc.cluster.local`);
        expect(cert.spec.issuerRef).to.deep.equal({ name: "internal-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
    });

    it("every StatefulSet becomes ready mounting its certificate Secret; EMQX metrics are scraped over verified HTTPS", async function () {
        await expectAllReady(k, EXPECTED);
        for (const [name, secret] of [["rabbit", "rabbit-tls"], ["mqtt", "mqtt-cert"]]) {
            const pod = statefulSet(k, NS, name).spec.template.spec;
            expect(pod.volumes.find((v: any) => v.name === "tls")?.secret?.secretName, name).to.equal(secret);
        }
        const [scrape] = k.getJson(["get", "servicemonitor", "mqtt", "-n", NS]).spec.endpoints;
        expect(scrape).to.deep.include({ port: "dashboard-tls", scheme: "https", tlsConfig: { serverName: `mqtt.${NS}.svc.cluster.local`, ca: { secret: { name: "mqtt-cert", key: "ca.crt" } } } });
    });

    it("a second run changes nothing, the Certificate included (preview --expect-no-changes)", async function () {
        const r = await e.stack.preview({ expectNoChanges: true });
        expect(changes(r.changeSummary)).to.equal("");
    });

    it("preview with the policy pack: no mandatory violation; the user's Secret outside the stack is an advisory", async function () {
        const events: EngineEvent[] = [];
        await e.stack.preview({ policyPacks: [POLICY_PACK], onEvent: (ev) => events.push(ev) });
        expect(policyViolations(events).filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
        const advisories = events.filter((ev) => ev.policyEvent !== undefined && ev.policyEvent.enforcementLevel !== "mandatory").map((ev) => ev.policyEvent!.message);
        expect(advisories.some((m) => /Secret mqtt-cert/.test(m)), advisories.join("\n")).to.equal(true);
        expect(advisories.some((m) => /Secret rabbit-tls/.test(m)), "the Certificate stands in for its Secret").to.equal(false);
    });
});

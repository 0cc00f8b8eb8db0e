import { expect } from "chai";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit } from "../support/fixtures";

async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

describe("broker StatefulSet, Services and PDB", () => {
    it("boots members in parallel with a light readiness probe and a draining preStop", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit(), emqx()] }));
        const rmq = find(objects, "StatefulSet", "rmq");
        const mqtt = find(objects, "StatefulSet", "mqtt");
        for (const sts of [rmq, mqtt]) {
            expect(sts.spec.podManagementPolicy).to.equal("Parallel");
            const c = sts.spec.template.spec.containers[0];
            expect(c.readinessProbe).to.be.an("object");
            expect(c.livenessProbe, "no liveness probe that restarts a node mid-sync").to.equal(undefined);
            expect(c.lifecycle.preStop.exec.command).to.be.an("array");
            expect(c.image).to.match(/:[0-9]+\.[0-9]+\.[0-9]+/);
        }
        expect(rmq.spec.template.spec.containers[0].readinessProbe.tcpSocket.port).to.equal("amqp");
        expect(rmq.spec.template.spec.containers[0].lifecycle.preStop.exec.command[2]).to.match(/await_online_quorum_plus_one.*rabbitmq-upgrade drain/);
        expect(rmq.spec.template.spec.terminationGracePeriodSeconds).to.equal(600);
        expect(mqtt.spec.template.spec.containers[0].readinessProbe.httpGet).to.deep.equal({ path: "/status", port: "dashboard" });
    });

    it("single-replica RabbitMQ drains without waiting for a quorum that cannot exist", async () => {
        const sts = find(await render(baseConfig({ clusters: [rabbit({ replicas: 1 })] })), "StatefulSet");
        expect(sts.spec.template.spec.containers[0].lifecycle.preStop.exec.command[2]).not.to.include("await_online_quorum_plus_one");
    });

    it("runs as non-root with no capabilities; only the volume-permissions init container is root", async () => {
        const sts = find(await render(baseConfig()), "StatefulSet");
        const pod = sts.spec.template.spec;
        expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
        expect(pod.containers[0].securityContext).to.deep.include({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        const roots = pod.initContainers.filter((c: any) => c.securityContext?.runAsUser === 0).map((c: any) => c.name);
        expect(roots).to.deep.equal(["volume-permissions"]);
        expect(pod.initContainers.find((c: any) => c.name === "volume-permissions").securityContext.capabilities).to.deep.equal({ drop: ["ALL"], add: ["CHOWN", "FOWNER"] });
    });

    it("sets resources from config", async () => {
        const sts = find(await render(baseConfig({ clusters: [rabbit({ resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "4Gi" } } })] })), "StatefulSet");
        expect(sts.spec.template.spec.containers[0].resources).to.deep.equal({ requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "4Gi" } });
    });

    it("anti-affinity: required on hostPath, preferred otherwise, required when asked", async () => {
        const kind = async (config: any) => Object.keys(find(await render(config), "StatefulSet").spec.template.spec.affinity.podAntiAffinity)[0];
        expect(await kind(baseConfig())).to.equal("requiredDuringSchedulingIgnoredDuringExecution");
        expect(await kind(baseConfig({ storage: { mode: "storageClass", className: "x" } }))).to.equal("preferredDuringSchedulingIgnoredDuringExecution");
        expect(await kind(baseConfig({ storage: { mode: "storageClass", className: "x" }, clusters: [rabbit({ antiAffinity: "required" })] }))).to.equal("requiredDuringSchedulingIgnoredDuringExecution");
    });

    it("a PDB allows one eviction at a time", async () => {
        const pdb = find(await render(baseConfig()), "PodDisruptionBudget");
        expect(pdb.spec.maxUnavailable).to.equal(1);
    });

    it("headless Service carries distribution ports; client Service carries protocols with the configured type", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ service: { type: "LoadBalancer", annotations: { "lb/internal": "true" } } })] }));
        const headless = find(objects, "Service", "rmq-headless");
        expect(headless.spec.ports.map((p: any) => p.name)).to.deep.equal(["epmd", "cluster-rpc"]);
        const client = find(objects, "Service", "rmq");
        expect(client.spec.type).to.equal("LoadBalancer");
        expect(client.metadata.annotations).to.deep.equal({ "lb/internal": "true" });
        expect(client.spec.ports.map((p: any) => p.name)).to.deep.equal(["amqp", "management", "prometheus"]);
    });

    it("config changes roll the pods through a checksum annotation; unrelated changes do not", async () => {
        const checksum = async (config: any) => find(await render(config), "StatefulSet").spec.template.metadata.annotations["broker-platform/config-checksum"];
        const base = await checksum(baseConfig());
        expect(base).to.match(/^[0-9a-f]{64}$/);
        expect(await checksum(baseConfig())).to.equal(base);
        expect(await checksum(baseConfig({ clusters: [rabbit({ plugins: ["rabbitmq_shovel"] })] }))).not.to.equal(base);
        expect(await checksum(baseConfig({ clusters: [rabbit({ definitions: { vhosts: ["new"] } })] }))).not.to.equal(base);
        expect(await checksum(baseConfig({ clusters: [rabbit({ adminCredentials: { generation: 1 } })] }))).not.to.equal(base);
        expect(await checksum(baseConfig({ clusters: [rabbit({ service: { type: "NodePort" } })] }))).to.equal(base);
        expect(await checksum(baseConfig({ clusters: [rabbit({ erlangCookie: { generation: 1 } })] })), "never a rolling restart across two cookies").to.equal(base);
    });

    it("rabbitmq.conf and enabled_plugins reflect the settings; the admin password is not in them", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ version: "3.13.7", plugins: ["rabbitmq_shovel"], extraConfig: { "consumer_timeout": 3600000 }, definitions: {} })] }));
        const cm = find(objects, "ConfigMap");
        expect(cm.data.enabled_plugins).to.equal("[rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s,rabbitmq_shovel].\n");
        expect(cm.data["rabbitmq.conf"]).to.include("consumer_timeout = 3600000\n");
        expect(cm.data["rabbitmq.conf"]).to.include("queue_master_locator = min-masters");
        expect(cm.data["rabbitmq.conf"]).to.include("load_definitions = /etc/rabbitmq/definitions.json");
        // 1Gi less a fifth, in bytes; the disk limit as much as the memory limit.
        expect(cm.data["rabbitmq.conf"]).to.include(`total_memory_available_override_value = ${Math.floor(2 ** 30 * 0.8)}\n`);
        expect(cm.data["rabbitmq.conf"]).to.include(`disk_free_limit.absolute = ${2 ** 30}\n`);
    });

    it("management Ingress points at the client Service's management port", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ ingress: { host: "mq.example.com", className: "nginx", tlsSecretName: "mq-tls" } })] }));
        const ing = find(objects, "Ingress");
        expect(ing.spec.rules[0].http.paths[0].backend.service).to.deep.equal({ name: "rmq", port: { name: "management" } });
        expect(ing.spec.tls).to.deep.equal([{ hosts: ["mq.example.com"], secretName: "mq-tls" }]);
        expect(all(await render(baseConfig()), "Ingress")).to.have.length(0);
    });

    it("uses an existing namespace without creating it", async () => {
        const objects = await render(baseConfig({ createNamespace: false }));
        expect(all(objects, "Namespace")).to.have.length(0);
        expect(find(objects, "StatefulSet").metadata.namespace).to.equal("brokers");
    });

    it("every namespaced object is in the stack's namespace, labelled as ours", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ version: "4.0.9" }), emqx({ discovery: "k8s" })] }));
        for (const o of objects.filter((x) => !["Namespace", "PersistentVolume"].includes(x.kind))) {
            expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal("brokers");
            expect(o.metadata.labels["app.kubernetes.io/managed-by"]).to.equal("broker-platform");
        }
    });
});

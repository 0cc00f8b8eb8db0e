import { expect } from "chai";
import { runProgram, kubernetesObjects } from "../support/render";
import { all, baseConfig, emqx, find, literalEnv, rabbit } from "../support/fixtures";

/**
 * The seeds' `nxdomain` failure: the headless Service, the StatefulSet's serviceName and every
 * name a broker uses to find peers must be one name. These tests read the rendered objects the
 * way Kubernetes and the brokers would, not the naming module.
 */
async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe("derived names agree everywhere", () => {
    for (const version of ["3.13.7", "4.0.9", "4.1.4"]) {
        it(`RabbitMQ ${version}: serviceName, node name, discovery config and selectors`, async () => {
            const objects = await render(baseConfig({ namespace: "mq", clusters: [rabbit({ version })] }));
            const sts = find(objects, "StatefulSet", "rmq");
            const headless = find(objects, "Service", sts.spec.serviceName);
            expect(headless.spec.clusterIP).to.equal("None");
            expect(headless.spec.publishNotReadyAddresses).to.equal(true);
            const podLabels = sts.spec.template.metadata.labels;
            expect(selectorMatches(headless.spec.selector, podLabels)).to.equal(true);
            expect(selectorMatches(sts.spec.selector.matchLabels, podLabels)).to.equal(true);
            expect(selectorMatches(find(objects, "PodDisruptionBudget").spec.selector.matchLabels, podLabels)).to.equal(true);
            const client = all(objects, "Service").find((s) => s.spec.clusterIP !== "None")!;
            expect(selectorMatches(client.spec.selector, podLabels)).to.equal(true);

            const domain = `${headless.metadata.name}.mq.svc.cluster.local`;
            const env = literalEnv(sts);
            expect(env.RABBITMQ_NODENAME).to.equal(`rabbit@$(POD_NAME).${domain}`);
            expect(env.K8S_SERVICE_NAME).to.equal(headless.metadata.name);
            const conf: string = find(objects, "ConfigMap").data["rabbitmq.conf"];
            expect(conf).to.include("cluster_formation.peer_discovery_backend = k8s");
            if (version.startsWith("4.1")) {
                // 4.1+ derives its seed from its own hostname; the old settings are ignored.
                expect(conf).not.to.include("cluster_formation.k8s.service_name");
            } else {
                expect(conf).to.include(`cluster_formation.k8s.service_name = ${headless.metadata.name}\n`);
                expect(conf).to.include(`cluster_formation.k8s.hostname_suffix = .${domain}\n`);
                expect(conf).to.include("cluster_formation.k8s.address_type = hostname");
            }
        });
    }

    for (const discovery of ["dns", "k8s"]) {
        it(`EMQX ${discovery} discovery: node name, host and discovery names`, async () => {
            const objects = await render(baseConfig({ namespace: "iot", storage: { mode: "storageClass", className: "ssd" }, clusters: [emqx({ discovery })] }));
            const sts = find(objects, "StatefulSet", "mqtt");
            const headless = find(objects, "Service", sts.spec.serviceName);
            expect(headless.spec.clusterIP).to.equal("None");
            const domain = `${headless.metadata.name}.iot.svc.cluster.local`;
            const env = literalEnv(sts);
            expect(env.EMQX_HOST).to.equal(`$(POD_NAME).${domain}`);
            expect(env.EMQX_NODE__NAME).to.equal(`emqx@$(POD_NAME).${domain}`);
            expect(env.EMQX_CLUSTER__DISCOVERY_STRATEGY).to.equal(discovery);
            if (discovery === "dns") {
                expect(env.EMQX_CLUSTER__DNS__NAME).to.equal(domain);
                expect(env.EMQX_CLUSTER__DNS__RECORD_TYPE).to.equal("srv");
            } else {
                expect(env.EMQX_CLUSTER__K8S__SERVICE_NAME).to.equal(headless.metadata.name);
                expect(env.EMQX_CLUSTER__K8S__NAMESPACE).to.equal("iot");
                expect(`${headless.metadata.name}.${env.EMQX_CLUSTER__K8S__NAMESPACE}.${env.EMQX_CLUSTER__K8S__SUFFIX}`).to.equal(domain);
            }
        });
    }

    it("uses the configured cluster domain in node names", async () => {
        const objects = await render({ ...baseConfig({ clusters: [rabbit({ version: "4.0.9" })] }), clusterDomain: "corp.internal" });
        const env = literalEnv(find(objects, "StatefulSet"));
        expect(env.RABBITMQ_NODENAME).to.match(/\.svc\.corp\.internal$/);
        expect(find(objects, "ConfigMap").data["rabbitmq.conf"]).to.include("cluster_formation.k8s.host = kubernetes.default.svc.corp.internal");
    });

    it("POD_NAME is defined before any env value that references it", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit(), emqx()] }));
        for (const sts of all(objects, "StatefulSet")) {
            const env: any[] = sts.spec.template.spec.containers[0].env;
            const podName = env.findIndex((e) => e.name === "POD_NAME");
            env.forEach((e, i) => {
                if (typeof e.value === "string" && e.value.includes("$(POD_NAME)")) expect(i).to.be.greaterThan(podName);
            });
        }
    });
});

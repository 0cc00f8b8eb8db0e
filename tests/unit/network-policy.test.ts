import { expect } from "chai";
import { isDeepStrictEqual } from "util";
import { canonicalCidr, ConfigError, parseSettings } from "../../components";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit } from "../support/fixtures";

const PROJECT = "broker-platform";

async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

function problemsOf(config: any): string {
    try {
        parseSettings(config, PROJECT);
    } catch (e) {
        expect(e, "expected a ConfigError").to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.join("\n");
    }
    throw new Error("the config was accepted");
}

/** The ports of the rules whose `from` is exactly `from` (undefined: the rules admitting every source). */
function portsFrom(policy: any, from: unknown): number[] {
    const rules = policy.spec.ingress.filter((r: any) => isDeepStrictEqual(r.from, from));
    return rules.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort((a: number, b: number) => a - b);
}

const MONITORING = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
const APPS = { namespaceSelector: { matchLabels: { team: "orders" } }, podSelector: { matchLabels: { role: "producer" } } };
const OFFICE = { ipBlock: { cidr: "10.20.0.0/16", except: ["10.20.9.0/24"] } };

describe("network policy", () => {
    it("is not created unless enabled, so upgrading changes nothing", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit(), emqx({ networkPolicy: { enabled: false, clientPeers: [APPS] } })] }));
        expect(all(objects, "NetworkPolicy")).to.deep.equal([]);
    });

    it("enabled without peers: distribution from the cluster's own pods only, every other port from anywhere", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ networkPolicy: { enabled: true } }), emqx({ networkPolicy: { enabled: true } })] }));
        const rmq = find(objects, "NetworkPolicy", "rmq");
        const own = (app: string, instance: string) => [{ podSelector: { matchLabels: { "app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance } } }];
        expect(rmq.metadata.namespace).to.equal("brokers");
        expect(rmq.spec.podSelector).to.deep.equal({ matchLabels: find(objects, "StatefulSet", "rmq").spec.selector.matchLabels });
        expect(rmq.spec.policyTypes).to.deep.equal(["Ingress"]);
        // The feature-flag Job is the one other pod that speaks Erlang distribution to the members.
        const postDeploy = { podSelector: { matchLabels: find(objects, "Job").spec.template.metadata.labels } };
        expect(postDeploy.podSelector.matchLabels).not.to.have.property("app.kubernetes.io/name");
        expect(portsFrom(rmq, [...own("rabbitmq", "rmq"), postDeploy])).to.deep.equal([4369, 25672]);
        expect(portsFrom(rmq, undefined)).to.deep.equal([5672, 15672, 15692]);
        expect(rmq.spec.ingress).to.have.length(2);

        const mqtt = find(objects, "NetworkPolicy", "mqtt");
        expect(portsFrom(mqtt, own("emqx", "mqtt"))).to.deep.equal([4370, 5369]);
        expect(portsFrom(mqtt, undefined)).to.deep.equal([1883, 8083, 8084, 8883, 18083]);
    });

    it("the distribution ports are exactly the headless Service's ports, and every container port is in some rule", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ networkPolicy: { enabled: true, clientPeers: [APPS] } }), emqx({ networkPolicy: { enabled: true, metricsPeers: [MONITORING] } })] }));
        for (const name of ["rmq", "mqtt"]) {
            const policy = find(objects, "NetworkPolicy", name);
            const headless = find(objects, "Service", `${name}-headless`).spec.ports.map((p: any) => p.port).sort();
            expect(policy.spec.ingress[0].ports.map((p: any) => p.port).sort()).to.deep.equal(headless);
            const container = find(objects, "StatefulSet", name).spec.template.spec.containers[0].ports.map((p: any) => p.containerPort).sort();
            const covered = policy.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
            expect(covered).to.deep.equal(container);
            expect(policy.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.protocol))).to.satisfy((ps: string[]) => ps.every((p) => p === "TCP"));
        }
    });

    it("client, management and metrics ports admit their own peers", async () => {
        const objects = await render(
            baseConfig({ clusters: [rabbit({ networkPolicy: { enabled: true, clientPeers: [APPS, OFFICE], managementPeers: [OFFICE], metricsPeers: [MONITORING] } })] }),
        );
        const policy = find(objects, "NetworkPolicy", "rmq");
        expect(portsFrom(policy, [APPS, OFFICE])).to.deep.equal([5672]);
        expect(portsFrom(policy, [OFFICE])).to.deep.equal([15672]);
        expect(portsFrom(policy, [MONITORING])).to.deep.equal([15692]);
        expect(portsFrom(policy, undefined), "no port left open to all").to.deep.equal([]);
    });

    it("EMQX's dashboard serves metrics too: it admits management and metrics peers, and stays open if either is left open", async () => {
        const both = find(await render(baseConfig({ clusters: [emqx({ networkPolicy: { enabled: true, managementPeers: [OFFICE], metricsPeers: [MONITORING] } })] })), "NetworkPolicy");
        expect(portsFrom(both, [OFFICE, MONITORING])).to.deep.equal([18083]);
        expect(portsFrom(both, undefined)).to.deep.equal([1883, 8083, 8084, 8883]);
        const oneOpen = find(await render(baseConfig({ clusters: [emqx({ networkPolicy: { enabled: true, managementPeers: [OFFICE] } })] })), "NetworkPolicy");
        expect(portsFrom(oneOpen, undefined)).to.include(18083);
        expect(portsFrom(oneOpen, [OFFICE])).to.deep.equal([]);
    });

    it("rejects peers it cannot express, naming the key", () => {
        const np = (networkPolicy: unknown) => baseConfig({ clusters: [rabbit({ networkPolicy })] });
        const cases: Array<[unknown, string, RegExp]> = [
            [{ clientPeers: [APPS] }, "clusters[0].networkPolicy.enabled", /must be true .* or false/],
            [{ enabled: true, clientPeers: [] }, "clusters[0].networkPolicy.clientPeers = []", /admit nobody; leave it out/],
            [{ enabled: true, clientPeers: [{}] }, "clusters[0].networkPolicy.clientPeers[0]", /needs namespaceSelector, podSelector or ipBlock/],
            [{ enabled: true, clientPeers: [{ ...OFFICE, podSelector: {} }] }, "clusters[0].networkPolicy.clientPeers[0].ipBlock", /not both/],
            [{ enabled: true, metricsPeers: [{ ipBlock: { cidr: "10.20.0.1/16" } }] }, 'clusters[0].networkPolicy.metricsPeers[0].ipBlock.cidr = "10.20.0.1/16"', /write 10\.20\.0\.0\/16/],
            [{ enabled: true, metricsPeers: [{ ipBlock: { cidr: "10.20.0.0/33" } }] }, "clusters[0].networkPolicy.metricsPeers[0].ipBlock.cidr", /IPv4 or IPv6 CIDR/],
            [{ enabled: true, metricsPeers: [{ ipBlock: { cidr: "10.20.0.0/16", except: ["10.30.0.0/24"] } }] }, "clusters[0].networkPolicy.metricsPeers[0].ipBlock.except[0]", /strictly inside/],
            [{ enabled: true, clientPeers: [{ podSelector: { matchExpressions: [{ key: "role", operator: "In" }] } }] }, "clusters[0].networkPolicy.clientPeers[0].podSelector.matchExpressions[0].values", /non-empty values/],
            [{ enabled: true, clientPeers: [{ podSelector: { matchExpressions: [{ key: "role", operator: "Exists", values: ["x"] }] } }] }, "clusters[0].networkPolicy.clientPeers[0].podSelector.matchExpressions[0].values", /takes no values/],
            [{ enabled: true, clientPeers: [{ podSelector: { matchLabels: { "bad key!": "x" } } }] }, 'clusters[0].networkPolicy.clientPeers[0].podSelector.matchLabels["bad key!"]', /\[prefix\/\]name/],
            [{ enabled: true, distributionPeers: [APPS] }, "clusters[0].networkPolicy.distributionPeers", /unknown key/],
        ];
        for (const [networkPolicy, key, says] of cases) {
            const problems = problemsOf(np(networkPolicy));
            expect(problems, JSON.stringify(networkPolicy)).to.include(`${PROJECT}:${key}`);
            expect(problems, JSON.stringify(networkPolicy)).to.match(says);
        }
    });

    it("CIDRs are compared in the canonical form the API server stores", () => {
        expect(canonicalCidr("10.20.0.0/16")).to.equal("10.20.0.0/16");
        expect(canonicalCidr("10.20.3.4/16")).to.equal("10.20.0.0/16");
        expect(canonicalCidr("0.0.0.0/0")).to.equal("0.0.0.0/0");
        expect(canonicalCidr("fd00:0:0:0:0:0:0:1/8")).to.equal("fd00::/8");
        expect(canonicalCidr("2001:db8:0:1:0:0:0:0/64")).to.equal("2001:db8:0:1::/64");
        expect(canonicalCidr("10.0.0.0")).to.equal(undefined);
        expect(canonicalCidr("300.0.0.0/8")).to.equal(undefined);
    });
});

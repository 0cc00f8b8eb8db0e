/**
 * The real-node tier: `pulumi up` with the real engine onto three real nodes (kubelets with their
 * own containerd, `cluster-up --real-nodes 3`), whose containers run the stand-in images of
 * RabbitMQ and Redis built from Debian's packages. Every assertion reads what the servers say
 * (`rabbitmqctl cluster_status`, `INFO replication`, Sentinel's master), what a client pod gets
 * through the stack outputs' connection URLs, or what the engine returned; then `cluster-down`
 * must leave the host as it was before `cluster-up`.
 *
 * Two stacks: hostPath volumes pinned one per node with required anti-affinity, and a
 * StorageClass of local volumes (claims bound where the scheduler puts each pod).
 */
import { expect } from "chai";
import { changes, EngineStack, engineStack, requireEngine } from "./support/engine";
import { LocalCluster } from "./support/local";
import {
    HostState,
    hostState,
    hostStateDiff,
    provideLocalStorageClass,
    rabbitmqClusterStatus,
    realNodeClusters,
    realNodeNames,
    redisMembers,
    runClient,
} from "./support/real-nodes";

const MESSAGES = 200;
const KEYS = 500;

interface RealStack {
    name: string;
    namespace: string;
    storage: Record<string, unknown>;
    prepare?: (k: LocalCluster) => void;
}

describe("e2e: real nodes (kubelet, containerd, stand-in broker images) through the real engine", function () {
    this.timeout(45 * 60 * 1000);
    let k: LocalCluster;
    let hostBefore: HostState;

    before(function () {
        requireEngine();
        hostBefore = hostState();
        k = LocalCluster.start("real", 3, undefined, { realNodes: true });
    });

    after(function () {
        // A failure before the last test still stops everything (the last test asserts on it).
        if (k && hostStateDiff(hostBefore, hostState()).processes) k.stop();
    });

    it("three real nodes are Ready, each with its own address and container runtime", function () {
        const nodes = k.getJson(["get", "nodes"]).items;
        expect(nodes.map((n: any) => n.metadata.name).sort()).to.deep.equal(["real-node-1", "real-node-2", "real-node-3"]);
        for (const n of nodes) {
            expect(n.status.conditions.find((c: any) => c.type === "Ready")?.status, n.metadata.name).to.equal("True");
            expect(n.status.nodeInfo.containerRuntimeVersion).to.match(/^containerd:\/\//);
            expect(n.status.nodeInfo.kubeletVersion).to.match(/^v1\.\d+\.\d+$/);
        }
        expect(new Set(nodes.map((n: any) => n.status.addresses.find((a: any) => a.type === "InternalIP")?.address)).size).to.equal(3);
    });

    const stacks: RealStack[] = [
        {
            name: "real-hostpath",
            namespace: "brokers-hostpath",
            // One directory per ordinal under the cluster's directory, pinned to the three nodes
            // (so cluster-down removes the data); hostPath makes anti-affinity required.
            storage: { mode: "hostPath", basePath: "@CLUSTER_DIR@/hostpath", size: "1Gi", nodes: ["real-node-1", "real-node-2", "real-node-3"] },
        },
        {
            name: "real-class",
            namespace: "brokers-class",
            storage: { mode: "storageClass", className: "local-e2e", size: "1Gi" },
            prepare: (c) => provideLocalStorageClass(c, "local-e2e", 2, "1Gi"),
        },
    ];

    for (const s of stacks) {
        describe(`stack ${s.name} (${String(s.storage.mode)})`, function () {
            let e: EngineStack;
            let outputs: Record<string, any>;

            before(async function () {
                s.prepare?.(k);
                const storage = JSON.parse(JSON.stringify(s.storage).replace("@CLUSTER_DIR@", k.dir));
                e = await engineStack(k, s.name, { config: { namespace: s.namespace, storage, clusters: realNodeClusters() } });
            });

            it("pulumi up succeeds: the provider saw every StatefulSet ready on real kubelets", async function () {
                const r = await e.stack.up();
                expect(r.summary.result, r.stderr).to.equal("succeeded");
                expect(r.summary.resourceChanges?.create ?? 0, changes(r.summary.resourceChanges)).to.be.greaterThan(10);
                outputs = r.outputs.clusters.value;
                expect(Object.keys(outputs).sort()).to.deep.equal(["cache", "rabbit"]);
                for (const sts of ["rabbit", "cache"]) {
                    const st = k.getJson(["get", "statefulset", "-n", s.namespace, sts]).status;
                    expect(st.readyReplicas, sts).to.equal(3);
                }
            });

            it("each member runs on its own node, with its own volume", function () {
                const pods = k.getJson(["get", "pods", "-n", s.namespace]).items.filter((p: any) => /^(rabbit|cache)-\d$/.test(p.metadata.name));
                for (const sts of ["rabbit", "cache"]) {
                    const nodes = pods.filter((p: any) => p.metadata.name.startsWith(`${sts}-`)).map((p: any) => p.spec.nodeName);
                    expect(nodes, sts).to.have.length(3);
                    expect(new Set(nodes).size, `${sts} on ${nodes.join(", ")}`).to.equal(3);
                }
                const claims = k.getJson(["get", "pvc", "-n", s.namespace]).items;
                expect(claims.filter((c: any) => c.status.phase === "Bound")).to.have.length(6);
                expect(new Set(claims.map((c: any) => c.spec.volumeName)).size).to.equal(6);
            });

            it("RabbitMQ: every member lists the same three running nodes (rabbitmqctl cluster_status)", function () {
                const status = rabbitmqClusterStatus(k, s.namespace, "rabbit", 3);
                const expected = [...(outputs.rabbit.nodeNames as string[])].sort();
                for (const st of status) expect(st.runningNodes, st.pod).to.deep.equal(expected);
            });

            it("Redis: one master, two replicas with master_link_status up, every Sentinel names that master", function () {
                const members = redisMembers(k, s.namespace, "cache", 3, outputs.cache.sentinels.masterName);
                const masters = members.filter((m) => m.role === "master");
                expect(masters.map((m) => m.pod), JSON.stringify(members)).to.have.length(1);
                expect(masters[0].connectedReplicas).to.equal(2);
                const masterHost = outputs.cache.nodeNames[Number(masters[0].pod.split("-").pop())];
                for (const m of members.filter((x) => x.role !== "master")) {
                    expect(m.role, m.pod).to.equal("slave");
                    expect(m.masterLinkStatus, m.pod).to.equal("up");
                    expect(m.masterHost, m.pod).to.equal(masterHost);
                }
                for (const m of members) expect(m.sentinelMaster, `${m.pod}'s Sentinel`).to.equal(masterHost);
            });

            it(`the AMQP connection URL works from a client pod: ${MESSAGES} confirmed messages published and consumed`, async function () {
                const url = (await e.stack.outputs()).clusters.value.rabbit.connectionUrl;
                const r = await runClient(k, s.namespace, "amqp-client", "amqp", url, MESSAGES);
                expect(r).to.deep.equal({ published: MESSAGES, consumed: MESSAGES, inOrder: true });
            });

            it(`the Redis Sentinel connection URL works from a client pod: ${KEYS} keys SET on the master and read back`, async function () {
                const url = (await e.stack.outputs()).clusters.value.cache.connectionUrl;
                const r = await runClient(k, s.namespace, "redis-client", "redis-sentinel", url, KEYS);
                expect(r.set).to.equal(KEYS);
                expect(r.got).to.equal(KEYS);
                expect(outputs.cache.nodeNames).to.include(r.master);
            });

            it("pulumi destroy succeeds", async function () {
                const d = await e.stack.destroy();
                expect(d.summary.result, d.stderr).to.equal("succeeded");
            });
        });
    }

    // Last (mocha runs a suite's own tests before its nested suites).
    describe("cluster-down", function () {
        it("the nodes are the ones the stacks ran on (no node was replaced meanwhile)", function () {
            expect(realNodeNames(k)).to.deep.equal(["real-node-1", "real-node-2", "real-node-3"]);
        });

        it("cluster-down stops every process and leaves the host as it was before cluster-up", function () {
            const r = k.stop();
            expect(r.status, r.stderr).to.equal(0);
            expect(hostStateDiff(hostBefore, hostState())).to.deep.equal({});
        });
    });
});

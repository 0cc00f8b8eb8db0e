/**
 * The program's Kubernetes objects on a real control plane: for each shipped stack, the objects
 * `index.ts` registers are applied server-side to a local kube-apiserver (with etcd, the
 * controller manager, the scheduler and kwok nodes), and the cluster is checked for what the
 * API server, the controllers and the scheduler do with them.
 *
 * This tier needs only the control-plane tools; it does not replace `pulumi up` (pulumi.test.ts):
 * the objects come from running the program under the unit tier's mocks, so it says nothing
 * about the engine or the Kubernetes provider.
 */
import { expect } from "chai";
import { renderStack } from "../support/render";
import {
    expectAllReady,
    expectAntiAffinityEnforced,
    expectClassBinding,
    expectedStack,
    expectPodComesBack,
    expectRbac,
    expectSpreadAcrossNodes,
    expectStaticBinding,
    isStatic,
    provideStorageClass,
    shippedStacks,
    statefulSet,
    summary,
} from "./support/checks";
import { expectNetworkIsolation, expectServiceMonitor, provideServiceMonitorCrd } from "./support/isolation";
import { ensureTools, LocalCluster } from "./support/local";

describe("e2e: the program's objects on a local control plane (kubectl apply --server-side)", function () {
    this.timeout(30 * 60 * 1000);
    let k: LocalCluster;

    before(function () {
        // Fails the tier, with the build script's reason, when the tools cannot be built.
        ensureTools(["cluster"]);
        k = LocalCluster.start("objects", 3);
    });

    after(function () {
        k?.stop();
    });

    for (const stack of shippedStacks()) {
        describe(`stack ${stack}`, function () {
            const s = expectedStack(stack);

            it("the API server admits every object the program registers", async function () {
                if (s.storageMode === "storageClass") provideStorageClass(k, s);
                if (s.clusters.some((c) => c.serviceMonitor)) await provideServiceMonitorCrd(k);
                const objects = await renderStack(stack);
                expect(objects.length).to.be.greaterThan(0);
                // Namespaces first, as the engine orders them by dependency.
                const ordered = [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
                k.apply(ordered);
                for (const c of s.clusters) expect(statefulSet(k, s.namespace, c.name).metadata.name).to.equal(c.name);
            });

            it("every StatefulSet becomes ready, and no two pods of a cluster share a node", async function () {
                await expectAllReady(k, s);
                expectSpreadAcrossNodes(k, s);
            });

            if (isStatic(s)) {
                it("the claim of ordinal i is Bound to the volume made for ordinal i", function () {
                    const bindings = expectStaticBinding(k, s);
                    expect(bindings).to.have.lengthOf(s.clusters.reduce((n, c) => n + c.replicas, 0));
                });
            } else {
                it("every claim is Bound to a volume of the configured StorageClass", function () {
                    expectClassBinding(k, s);
                });
            }

            it("the broker ServiceAccount may get endpoints where discovery needs it, and may not read Secrets", function () {
                expectRbac(k, s);
            });

            it("a deleted broker pod comes back with the same name and the same claim", async function () {
                await expectPodComesBack(k, s, s.clusters[0].name, 1);
            });

            const isolated = s.clusters.filter((c) => c.networkPolicy);
            if (isolated.length > 0) {
                it("each NetworkPolicy selects exactly its cluster's pods and admits distribution only from them (kwok enforces nothing)", function () {
                    for (const c of isolated) expectNetworkIsolation(k, s.namespace, c);
                });
            }
            const monitored = s.clusters.filter((c) => c.serviceMonitor);
            if (monitored.length > 0) {
                it("each ServiceMonitor scrapes exactly its cluster's client Service on the metrics port", function () {
                    for (const c of monitored) expectServiceMonitor(k, s.namespace, c);
                });
            }

            // Only where the stack asks for it: with preferred anti-affinity the third pod may share a node.
            const strict = s.clusters.find((c) => c.requiredAntiAffinity);
            if (isStatic(s) && strict) {
                it(`required anti-affinity is enforced by the scheduler: with 2 nodes left a third ${strict.name} pod stays Pending`, async function () {
                    const rules = statefulSet(k, s.namespace, strict.name).spec.template.spec.affinity?.podAntiAffinity;
                    expect(rules?.requiredDuringSchedulingIgnoredDuringExecution ?? [], "the StatefulSet asks for it").to.have.length.greaterThan(0);
                    const message = await expectAntiAffinityEnforced(k, s, strict.name);
                    expect(message).to.match(/anti-affinity/);
                });
            }

            after(function () {
                if (k && process.env.BROKER_E2E_SUMMARY) console.log(summary(k, s.namespace));
            });
        });
    }
});

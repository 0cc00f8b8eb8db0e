/**
 * `pulumi up` for real: the Pulumi engine (the CLI built from its Go module), the Kubernetes and
 * random providers (built at the versions in package-lock.json, installed as plugins in the
 * project-local PULUMI_HOME) and a local control plane with kwok nodes. Per shipped stack:
 *   1. up succeeds; every StatefulSet ready; no two pods of a cluster on one node
 *   2. static modes: PVC i Bound to PV i; required anti-affinity enforced by the scheduler
 *   3. a second preview reports no changes (cookie and generated values are stable)
 *   4. RBAC via SubjectAccessReview
 *   5. preview with the policy pack passes (and fails on a broken fixture, below)
 *   6. a deleted broker pod returns with the same name and claim
 *   7. destroy completes
 * If a tool cannot be built, the `before all` hook fails with the build script's reason.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    assignLoadBalancerAddresses,
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
} from "./support/checks";
import { EngineStack, engineStack } from "./support/engine";
import { ensureTools, LocalCluster, mustRun, REPO_ROOT } from "./support/local";

const POLICY_PACK = path.join(REPO_ROOT, "policies");

/** The engine's own summary of an update or preview, e.g. "create 14, same 2". */
function changes(summary: Record<string, number> | undefined): string {
    return Object.entries(summary ?? {})
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");
}

describe("e2e: pulumi up on a local control plane", function () {
    this.timeout(40 * 60 * 1000);
    let k: LocalCluster;

    before(function () {
        // Every tool `pulumi up` needs; a missing one fails here, loudly, with the reason.
        // (The program runs in the SDK's own language runtime, as an inline program of the
        // Automation API; the policy pack needs the nodejs language host, checked below.)
        ensureTools(["pulumi", "provider-kubernetes", "provider-random", "cluster"]);
        k = LocalCluster.start("pulumi", 3);
    });

    after(function () {
        k?.stop();
    });

    it("the provider plugins report exactly the versions in package-lock.json", function () {
        const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
        const env = { ...k.env };
        const plugins = JSON.parse(mustRun("pulumi", ["plugin", "ls", "--json"], { env })) as Array<{ name: string; kind: string; version: string }>;
        for (const name of ["kubernetes", "random"]) {
            const want = lock.packages[`node_modules/@pulumi/${name}`].version;
            const got = plugins.filter((p) => p.kind === "resource" && p.name === name).map((p) => p.version);
            expect(got, `resource plugin ${name}`).to.include(want);
        }
    });

    for (const stackName of shippedStacks()) {
        describe(`stack ${stackName}`, function () {
            const s = expectedStack(stackName);
            let e: EngineStack;
            let destroyed = false;

            before(async function () {
                if (s.storageMode === "storageClass") provideStorageClass(k, s);
                e = await engineStack(k, REPO_ROOT, stackName);
            });

            after(async function () {
                if (e && !destroyed) await e.stack.destroy().catch(() => undefined);
            });

            it("pulumi up succeeds", async function () {
                const stopLb = assignLoadBalancerAddresses(k, s.namespace);
                const r = await e.stack.up({ color: "never" }).finally(stopLb);
                expect(r.summary.result, r.stderr).to.equal("succeeded");
                expect(r.summary.resourceChanges?.create ?? 0, changes(r.summary.resourceChanges)).to.be.greaterThan(0);
            });

            it("every StatefulSet becomes ready, and no two pods of a cluster share a node", async function () {
                await expectAllReady(k, s);
                expectSpreadAcrossNodes(k, s);
            });

            if (isStatic(s)) {
                it("the claim of ordinal i is Bound to the volume made for ordinal i", function () {
                    expectStaticBinding(k, s);
                });
                it("required anti-affinity is enforced by the scheduler: with 2 nodes left the third pod stays Pending", async function () {
                    const c = s.clusters.find((x) => {
                        const aff = statefulSet(k, s.namespace, x.name).spec.template.spec.affinity?.podAntiAffinity;
                        return (aff?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0;
                    });
                    if (!c) this.skip();
                    expect(await expectAntiAffinityEnforced(k, s, c!.name)).to.match(/anti-affinity/);
                });
            } else {
                it("every claim is Bound to a volume of the configured StorageClass", function () {
                    expectClassBinding(k, s);
                });
            }

            it("a second run changes nothing (preview --expect-no-changes)", async function () {
                const r = await e.stack.preview({ expectNoChanges: true, color: "never" });
                const summary = r.changeSummary as Record<string, number>;
                const changed = Object.entries(summary).filter(([op, n]) => op !== "same" && n > 0);
                expect(changed, changes(summary)).to.deep.equal([]);
            });

            it("the broker ServiceAccount may get endpoints where discovery needs it, and may not read Secrets", function () {
                expectRbac(k, s);
            });

            it("preview with the policy pack passes", async function () {
                ensureTools(["language-nodejs"]);
                const r = await e.stack.preview({ policyPacks: [POLICY_PACK], color: "never" });
                expect(r.stdout).to.not.match(/mandatory/i);
            });

            it("a deleted broker pod comes back with the same name and the same claim", async function () {
                await expectPodComesBack(k, s, s.clusters[0].name, 1);
            });

            it("pulumi destroy completes", async function () {
                const r = await e.stack.destroy({ color: "never" });
                destroyed = true;
                expect(r.summary.result, r.stderr).to.equal("succeeded");
            });
        });
    }

    describe("a deliberately broken program", function () {
        it("preview with the policy pack fails with a mandatory violation", async function () {
            ensureTools(["language-nodejs"]);
            const fixture = path.join(__dirname, "fixtures", "broken-cookie");
            const e = await engineStack(k, fixture, "broken");
            let failure: unknown;
            try {
                await e.stack.preview({ policyPacks: [POLICY_PACK], color: "never" });
            } catch (err) {
                failure = err;
            }
            expect(failure, "preview must fail").to.not.equal(undefined);
            expect(String(failure)).to.match(/mandatory/);
            expect(String(failure)).to.match(/erlang-cookie|cookie/i);
        });
    });
});

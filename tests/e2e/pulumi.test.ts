/**
 * `pulumi up` for real: the Pulumi CLI on PATH with its installed kubernetes and random plugins,
 * each program run from a copy of its project by the CLI's own launcher, against a local control
 * plane with kwok nodes. Assertions read the engine's results (the Automation API's summaries,
 * engine events, exit status) and the live API server, never words in the output.
 *
 * Per shipped stack: up; ready; storage bound; a second preview changes nothing; RBAC; the
 * policy pack passes; `pulumi stack export` holds no secret outside ciphertext; a deleted pod
 * returns with its claim; destroy keeps the data and the next up adopts it (same claim uids).
 * Then day-2 through the engine, objects in the way, the broken fixture through the CLI, and the
 * README's quick start verbatim.
 */
import { expect } from "chai";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import {
    assignLoadBalancerAddresses,
    expectAllReady,
    expectClassBinding,
    expectedStack,
    expectPodComesBack,
    expectRbac,
    expectSpreadAcrossNodes,
    expectStaticBinding,
    isStatic,
    provideStorageClass,
    shippedStacks,
} from "./support/checks";
import { changes, claimUids, EngineStack, engineStack, POLICY_PACK, policyViolations, requireEngine } from "./support/engine";
import { LocalCluster, mustRun, REPO_ROOT } from "./support/local";
import { expectNetworkIsolation, expectServiceMonitor, provideServiceMonitorCrd } from "./support/isolation";
import { deployedSecrets, leaks } from "./support/secrets";

describe("e2e: pulumi up on a local control plane (the real engine)", function () {
    this.timeout(40 * 60 * 1000);
    let k: LocalCluster;

    before(function () {
        requireEngine();
        k = LocalCluster.start("pulumi", 5);
    });

    after(function () {
        k?.stop();
    });

    it("the installed provider plugins include exactly the versions in package-lock.json", function () {
        const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
        const plugins = JSON.parse(mustRun("pulumi", ["plugin", "ls", "--json"])) as Array<{ name: string; kind: string; version: string }>;
        for (const name of ["kubernetes", "random"]) {
            const want = lock.packages[`node_modules/@pulumi/${name}`].version;
            const got = plugins.filter((p) => p.kind === "resource" && p.name === name).map((p) => p.version);
            expect(got, `resource plugin ${name}`).to.include(want);
        }
        const sdk = lock.packages["node_modules/@pulumi/pulumi"].version;
        expect(mustRun("pulumi", ["version"]).trim(), "the CLI is the SDK's release").to.equal(`v${sdk}`);
    });

    for (const stackName of shippedStacks()) {
        describe(`stack ${stackName}`, function () {
            const s = expectedStack(stackName);
            let e: EngineStack;
            let kept: ReturnType<typeof claimUids>;

            before(async function () {
                if (s.storageMode === "storageClass") provideStorageClass(k, s);
                if (s.clusters.some((c) => c.serviceMonitor)) await provideServiceMonitorCrd(k);
                e = await engineStack(k, stackName);
            });

            after(async function () {
                await e?.stack.destroy().catch(() => undefined);
            });

            it("pulumi up succeeds and deploys the stack's clusters", async function () {
                const stopLb = assignLoadBalancerAddresses(k, s.namespace);
                const r = await e.stack.up().finally(stopLb);
                expect(r.summary.result, r.stderr).to.equal("succeeded");
                expect(r.summary.resourceChanges?.create ?? 0, changes(r.summary.resourceChanges)).to.be.greaterThan(10);
                expect(Object.keys(r.outputs.clusters.value).sort()).to.deep.equal(s.clusters.map((c) => c.name).sort());
                expect(r.outputs.namespace.value).to.equal(s.namespace);
            });

            it("every StatefulSet becomes ready, and no two pods of a cluster share a node", async function () {
                await expectAllReady(k, s);
                expectSpreadAcrossNodes(k, s);
            });

            it(isStatic(s) ? "the claim of ordinal i is Bound to the volume made for ordinal i" : "every claim is Bound to a volume of the configured StorageClass", function () {
                if (isStatic(s)) expectStaticBinding(k, s);
                else expectClassBinding(k, s);
            });

            it("a second run changes nothing (preview --expect-no-changes)", async function () {
                const r = await e.stack.preview({ expectNoChanges: true });
                expect(changes(r.changeSummary)).to.equal("");
            });

            it("the broker ServiceAccount may get endpoints where discovery needs it, and may not read Secrets", function () {
                expectRbac(k, s);
            });

            if (s.clusters.some((c) => c.networkPolicy || c.serviceMonitor)) {
                it("the deployed NetworkPolicies select exactly each cluster's pods; the ServiceMonitors its client Service", function () {
                    for (const c of s.clusters.filter((x) => x.networkPolicy)) expectNetworkIsolation(k, s.namespace, c);
                    for (const c of s.clusters.filter((x) => x.serviceMonitor)) expectServiceMonitor(k, s.namespace, c);
                });
            }

            it("preview with the policy pack reports no mandatory violation", async function () {
                const events: EngineEvent[] = [];
                await e.stack.preview({ policyPacks: [POLICY_PACK], onEvent: (ev) => events.push(ev) });
                expect(policyViolations(events).filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
            });

            it("pulumi stack export holds no cookie, password, username, hash or connection URL outside ciphertext", async function () {
                const secrets = await deployedSecrets(k, s.namespace, e.stack);
                const kinds = [...secrets.values()].join("\n");
                expect(kinds).to.match(/erlang-cookie cookie/).and.match(/admin password/).and.match(/admin username/).and.match(/connectionUrl/);
                if (s.clusters.some((c) => c.engine === "rabbitmq")) expect(kinds).to.match(/definitions-[0-9a-f]+ password_hash/);
                if (s.clusters.some((c) => c.engine === "emqx")) {
                    expect(kinds).to.match(/mqtt-client password/).and.match(/mqtt-users-[0-9a-f]+ password_hash/);
                    // EMQX's connectionUrl is the client URL, so the search holds that value once.
                    const clusters = (await e.stack.outputs()).clusters.value;
                    for (const c of s.clusters.filter((x) => x.engine === "emqx")) {
                        expect(secrets.has(clusters[c.name].clientConnectionUrl), `${c.name}.clientConnectionUrl is searched for`).to.equal(true);
                    }
                }
                // The CLI's own export, as a user or a backup job runs it (the Automation API's
                // exportStack decrypts secrets).
                const exported = mustRun("pulumi", ["stack", "export", "--stack", stackName], { cwd: e.workDir, env: e.env });
                expect(JSON.parse(exported).deployment.resources.length).to.be.greaterThan(10);
                expect(leaks(exported, secrets)).to.deep.equal([]);
                // Control: the same search finds the cookie and the connection URL in a decrypted export.
                const decrypted = leaks(JSON.stringify(await e.stack.exportStack()), secrets).join("\n");
                expect(decrypted).to.match(/erlang-cookie cookie \(plain\)/).and.match(/connectionUrl \(plain\)/);
            });

            it("a deleted broker pod comes back with the same name and the same claim", async function () {
                await expectPodComesBack(k, s, s.clusters[0].name, 1);
            });

            it("destroy keeps the data; the next up adopts what this stack retained and every claim keeps its uid", async function () {
                kept = claimUids(k, s.namespace);
                expect(Object.keys(kept)).to.have.length(s.clusters.reduce((n, c) => n + c.replicas, 0));
                const d = await e.stack.destroy();
                expect(d.summary.result).to.equal("succeeded");
                expect(claimUids(k, s.namespace), "claims and volumes survive destroy").to.deep.equal(kept);

                const stopLb = assignLoadBalancerAddresses(k, s.namespace);
                const r = await e.stack.up().finally(stopLb);
                expect(r.summary.result, r.stderr).to.equal("succeeded");
                const retained = 1 + s.clusters.length + (isStatic(s) ? s.clusters.reduce((n, c) => n + c.replicas, 0) : 0);
                expect(r.summary.resourceChanges?.import ?? 0, changes(r.summary.resourceChanges)).to.equal(retained);
                await expectAllReady(k, s);
                expect(claimUids(k, s.namespace)).to.deep.equal(kept);
                const again = await e.stack.preview({ expectNoChanges: true });
                expect(changes(again.changeSummary)).to.equal("");
            });
        });
    }
});

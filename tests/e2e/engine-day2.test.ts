/**
 * Day-2 operations through the real engine (the CLI on PATH, each program from a copy of its
 * project): scale-down and scale-up hand back the same claims and volumes; the guards still know
 * what ran after a destroy; a config change creates the new ConfigMap before the pods roll and
 * deletes the old one last; objects this stack did not make stop the program; the broken
 * fixture fails the policy pack through the CLI; the README's quick start runs verbatim.
 */
import { expect } from "chai";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { OWNER_ANNOTATION } from "../../components";
import { expectAllReady, ExpectedStack, pods, statefulSet } from "./support/checks";
import { changes, claimUids, cli, engineEnv, EngineStack, engineStack, POLICY_PACK, policyViolations, projectCopy, requireEngine } from "./support/engine";
import { eventually, LocalCluster, REPO_ROOT, run, tempDir } from "./support/local";

const NAME = "rabbit";

function settings(namespace: string, cluster: Record<string, unknown> = {}) {
    return {
        namespace,
        storage: { mode: "hostPath", basePath: "/var/lib/broker-e2e", size: "1Gi" },
        clusters: [{ name: NAME, engine: "rabbitmq", version: "4.1.4", replicas: 3, ...cluster }],
    };
}

function expected(namespace: string, replicas: number): ExpectedStack {
    return { stack: namespace, namespace, storageMode: "hostPath", storage: {}, clusters: [{ name: NAME, engine: "rabbitmq", replicas, needsApiAccess: false }] };
}

/** The error an operation fails with (undefined when it succeeds). */
async function failure(op: Promise<unknown>): Promise<string | undefined> {
    return op.then(
        () => undefined,
        (e: unknown) => String(e),
    );
}

describe("e2e: day-2 operations through the real engine", function () {
    this.timeout(40 * 60 * 1000);
    let k: LocalCluster;

    before(function () {
        requireEngine();
        k = LocalCluster.start("engine-day2", 5);
    });

    after(function () {
        k?.stop();
    });

    describe("scale 3 → 5 → 3 → 5, destroy, and the guards after it", function () {
        const NS = "e2e-scale";
        let e: EngineStack;
        let five: ReturnType<typeof claimUids>;

        before(async function () {
            e = await engineStack(k, "scale", { config: settings(NS) });
            const r = await e.stack.up();
            expect(r.summary.result).to.equal("succeeded");
            await expectAllReady(k, expected(NS, 3));
        });

        it("3 → 5 adds two members, each with its own new volume", async function () {
            e.setConfig(settings(NS, { replicas: 5 }));
            const r = await e.stack.up();
            expect(r.summary.result).to.equal("succeeded");
            await expectAllReady(k, expected(NS, 5));
            five = claimUids(k, NS);
            expect(Object.keys(five).sort()).to.deep.equal([0, 1, 2, 3, 4].map((i) => `data-${NAME}-${i}`));
        });

        it("5 → 3 without allowScaleDown is refused before anything changes", async function () {
            e.setConfig(settings(NS, { replicas: 3 }));
            const err = await failure(e.stack.up());
            expect(err, "up must fail").to.be.a("string");
            expect(err).to.match(/broker-platform:clusters\[0\]\.replicas = 3/);
            expect(statefulSet(k, NS, NAME).spec.replicas).to.equal(5);
        });

        it("5 → 3 with allowScaleDown keeps the removed members' claims and volumes", async function () {
            e.setConfig(settings(NS, { replicas: 3, allowScaleDown: true }));
            const r = await e.stack.up();
            expect(r.summary.result).to.equal("succeeded");
            await eventually("two members to go", 120_000, () => (pods(k, NS, statefulSet(k, NS, NAME)).length === 3 ? true : undefined));
            expect(claimUids(k, NS)).to.deep.equal(five);
        });

        it("3 → 5 again hands back the retained PVs and PVCs (same uids), adopted, not created", async function () {
            e.setConfig(settings(NS, { replicas: 5, allowScaleDown: true }));
            const r = await e.stack.up();
            expect(r.summary.result).to.equal("succeeded");
            expect(r.summary.resourceChanges?.import, changes(r.summary.resourceChanges)).to.equal(2);
            await expectAllReady(k, expected(NS, 5));
            expect(claimUids(k, NS)).to.deep.equal(five);
            for (const i of [3, 4]) {
                const pod = k.getJson(["get", "pod", `${NAME}-${i}`, "-n", NS]);
                expect(pod.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName).to.equal(`data-${NAME}-${i}`);
            }
        });

        it("5 → 3 → 5 once more works the same way", async function () {
            e.setConfig(settings(NS, { replicas: 3, allowScaleDown: true }));
            expect((await e.stack.up()).summary.result).to.equal("succeeded");
            e.setConfig(settings(NS, { replicas: 5, allowScaleDown: true }));
            expect((await e.stack.up()).summary.result).to.equal("succeeded");
            await expectAllReady(k, expected(NS, 5));
            expect(claimUids(k, NS)).to.deep.equal(five);
        });

        it("a config change creates the new ConfigMap first, rolls the pods onto it, and deletes the old one last", async function () {
            e.setConfig(settings(NS, { replicas: 5, allowScaleDown: true, plugins: ["rabbitmq_shovel"] }));
            const ops: string[] = [];
            const r = await e.stack.up({
                onEvent: (ev: EngineEvent) => {
                    const m = ev.resOutputsEvent?.metadata;
                    if (m && /ConfigMap::rabbit-config$|StatefulSet::rabbit$/.test(m.urn)) ops.push(`${m.op} ${m.type.split(":").pop()}`);
                },
            });
            expect(r.summary.result).to.equal("succeeded");
            expect(ops).to.deep.equal(["create-replacement ConfigMap", "replace ConfigMap", "update StatefulSet", "delete-replaced ConfigMap"]);
            const configMaps = k.getJson(["get", "configmaps", "-n", NS, "-l", `app.kubernetes.io/instance=${NAME}`]).items.map((c: any) => c.metadata.name);
            const mounted = statefulSet(k, NS, NAME).spec.template.spec.volumes[0].projected.sources[0].configMap.name;
            expect(configMaps.filter((n: string) => n.startsWith(`${NAME}-config-`))).to.deep.equal([mounted]);
        });

        it("after destroy the guards still know what ran: a downgrade on the retained data is refused", async function () {
            expect((await e.stack.destroy()).summary.result).to.equal("succeeded");
            e.setConfig(settings(NS, { replicas: 5, version: "4.0.9" }));
            const err = await failure(e.stack.up());
            expect(err).to.match(/broker-platform:clusters\[0\]\.version = "4\.0\.9": cluster rabbit runs 4\.1\.4/);
            expect(k.tryKubectl(["get", "statefulset", NAME, "-n", NS]).status, "nothing was created").to.not.equal(0);
            const state = await e.stack.exportStack();
            expect((state.deployment.resources ?? []).filter((res: any) => res.type.startsWith("kubernetes:"))).to.deep.equal([]);
        });

        it("and a scale-down past a majority of the retained members too; the same config as before deploys again", async function () {
            e.setConfig(settings(NS, { replicas: 2, allowScaleDown: true }));
            expect(await failure(e.stack.up())).to.match(/clusters\[0\]\.replicas = 2: cluster rabbit runs 5 members/);
            e.setConfig(settings(NS, { replicas: 5, allowScaleDown: true, plugins: ["rabbitmq_shovel"] }));
            const r = await e.stack.up();
            expect(r.summary.result).to.equal("succeeded");
            await expectAllReady(k, expected(NS, 5));
            expect(claimUids(k, NS)).to.deep.equal(five);
        });
    });

    describe("objects in the way", function () {
        it("a namespace this package did not create stops the program; nothing is registered or changed", async function () {
            const NS = "e2e-foreign";
            k.kubectl(["create", "namespace", NS]);
            const e = await engineStack(k, "foreign", { config: settings(NS) });
            const err = await failure(e.stack.up());
            expect(err).to.match(/Namespace e2e-foreign already exists in the cluster and it was not created by this package/);
            const ns = k.getJson(["get", "namespace", NS]);
            expect(ns.metadata.annotations?.[OWNER_ANNOTATION]).to.equal(undefined);
            expect(k.getJson(["get", "pv", "-l", "app.kubernetes.io/instance=rabbit"]).items.filter((pv: any) => pv.metadata.name.startsWith(NS))).to.deep.equal([]);
            const state = await e.stack.exportStack();
            expect((state.deployment.resources ?? []).filter((res: any) => res.type.startsWith("kubernetes:"))).to.deep.equal([]);
        });

        it("a volume another stack retained is refused, and left as it was", async function () {
            const NS = "e2e-other";
            const pv = `${NS}-${NAME}-data-1`;
            k.apply([
                {
                    apiVersion: "v1",
                    kind: "PersistentVolume",
                    metadata: { name: pv, annotations: { [OWNER_ANNOTATION]: "acme/broker-platform/prod" } },
                    spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", hostPath: { path: "/var/lib/other" } },
                },
            ]);
            const e = await engineStack(k, "other", { config: settings(NS) });
            const err = await failure(e.stack.up());
            expect(err).to.match(new RegExp(`PersistentVolume ${pv} already exists in the cluster and it belongs to stack acme/broker-platform/prod`));
            const after = k.getJson(["get", "pv", pv]);
            expect(after.metadata.annotations[OWNER_ANNOTATION]).to.equal("acme/broker-platform/prod");
            expect(after.spec.hostPath.path).to.equal("/var/lib/other");
            expect(k.tryKubectl(["get", "namespace", NS]).status, "no namespace created").to.not.equal(0);
        });
    });

    describe("a deliberately broken program", function () {
        it("pulumi preview --policy-pack policies fails through the CLI with the erlang-cookie rule mandatory", function () {
            const dir = projectCopy(path.join(__dirname, "fixtures", "broken-cookie"));
            const env = engineEnv(k, tempDir("e2e-state-"));
            expect(cli(["stack", "init", "broken"], dir, env).status).to.equal(0);
            const r = cli(["preview", "--json", "--policy-pack", POLICY_PACK], dir, env);
            expect(r.status, r.stderr).to.not.equal(0);
            const mandatory = policyViolations(r.events).filter((v) => v.enforcementLevel === "mandatory");
            expect(mandatory.map((v) => v.policyName)).to.include("erlang-cookie");
            expect(mandatory.every((v) => v.resourceUrn?.includes("broken-cookie::kubernetes:"))).to.equal(true);
        });
    });

    describe("the README quick start, verbatim, in a fresh copy of the project", function () {
        it("installs, starts the local control plane, previews with the pack and deploys the dev stack", async function () {
            const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
            const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? "";
            const script = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
            expect(script, "a bash block in the Quick start").to.be.a("string");
            const dir = projectCopy(REPO_ROOT, { linkNodeModules: false });
            const env: NodeJS.ProcessEnv = { ...process.env, BROKER_CLUSTER_DIR: path.join(dir, ".cache", "cluster") };
            for (const v of ["KUBECONFIG", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) delete env[v];
            try {
                const r = run("bash", ["-euo", "pipefail", "-c", script!], { cwd: dir, env, timeoutMs: 40 * 60 * 1000 });
                expect(r.status, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`).to.equal(0);
                const after = (command: string) => run("bash", ["-c", `eval "$(npm run --silent env)" && ${command}`], { cwd: dir, env });
                const outputs = after("pulumi stack output --json --stack dev");
                expect(outputs.status, outputs.stderr).to.equal(0);
                expect(JSON.parse(outputs.stdout).clusters.rabbit.nodeNames).to.have.length(3);
                const again = after("pulumi preview --expect-no-changes --json --stack dev");
                expect(again.status, again.stderr).to.equal(0);
                expect(changes(JSON.parse(again.stdout).changeSummary)).to.equal("");
                const cluster = LocalCluster.attach(path.join(dir, ".cache", "cluster"));
                await expectAllReady(cluster, expected("messaging-dev", 3));
            } finally {
                run("bash", [path.join(dir, "scripts", "cluster-down.sh")], { cwd: dir, env });
            }
        });
    });
});

import { expect } from "chai";
import { ConfigError, majorityOf, parseSettings, RECORD_ANNOTATION, transitionProblems } from "../../components";
import { kubernetesKind, kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, mongodb, rabbit, redis } from "../support/fixtures";

const P = "broker-platform";
const settings = (config: any) => parseSettings(config, P);
const ran = (replicas: number, version = "4.1.4", extra: Record<string, unknown> = {}) => ({
    rmq: { engine: "rabbitmq", version, replicas, storageClass: "brokers-rmq-static", claimTemplateSize: "1Gi", volumeSize: "1Gi", ...extra },
});

describe("day-2 transitions", () => {
    it("a first deployment has nothing to compare with", () => {
        expect(transitionProblems(settings(baseConfig({ clusters: [rabbit({ replicas: 1 })] })), undefined, P)).to.deep.equal([]);
    });

    it("majority of 1..7 members", () => {
        expect([1, 2, 3, 4, 5, 6, 7].map(majorityOf)).to.deep.equal([1, 2, 2, 3, 3, 4, 4]);
    });

    it("scale-up and unchanged clusters pass", () => {
        expect(transitionProblems(settings(baseConfig({ clusters: [rabbit({ replicas: 5 })] })), ran(3), P)).to.deep.equal([]);
        expect(transitionProblems(settings(baseConfig()), ran(3), P)).to.deep.equal([]);
    });

    it("Redis and MongoDB: the same guards, with each engine's way to remove members; an engine swap is refused", () => {
        const before = (name: string, engine: string, replicas: number) => ({
            [name]: { engine, version: engine === "redis" ? "7.2.5" : "7.0.14", replicas, storageClass: `brokers-${name}-static`, claimTemplateSize: "1Gi", volumeSize: "1Gi" },
        });
        const [cache] = transitionProblems(settings(baseConfig({ clusters: [redis({ replicas: 3 })] })), before("cache", "redis", 5), P);
        expect(cache).to.match(/clusters\[0\]\.replicas = 3: cluster cache runs 5 members.*SENTINEL FAILOVER.*SENTINEL RESET <master name>/);
        const [docs] = transitionProblems(settings(baseConfig({ clusters: [mongodb({ replicas: 3 })] })), before("docs", "mongodb", 5), P);
        expect(docs).to.match(/cluster docs runs 5 members.*rs\.remove\("<pod host>:27017"\) on the primary/);
        const [downgrade] = transitionProblems(settings(baseConfig({ clusters: [mongodb({ version: "6.0.16" })] })), before("docs", "mongodb", 3), P);
        expect(downgrade).to.match(/version = "6\.0\.16": cluster docs runs 7\.0\.14; downgrades are not supported/);
        const [swap] = transitionProblems(settings(baseConfig({ clusters: [redis({ name: "docs" })] })), before("docs", "mongodb", 3), P);
        expect(swap).to.match(/engine = "redis": cluster docs runs mongodb; an engine cannot be swapped in place/);
    });

    it("refuses scale-down without allowScaleDown, explaining how to drain", () => {
        const [problem] = transitionProblems(settings(baseConfig({ clusters: [rabbit({ replicas: 2 })] })), ran(3), P);
        expect(problem).to.match(/^broker-platform:clusters\[0\]\.replicas = 2: cluster rmq runs 3 members/);
        expect(problem).to.match(/rabbitmq-upgrade drain.*forget_cluster_node/);
        expect(problem).to.include("allowScaleDown = true");
    });

    it("allows a consented scale-down that keeps a majority, refuses one below it", () => {
        expect(transitionProblems(settings(baseConfig({ clusters: [rabbit({ replicas: 3, allowScaleDown: true })] })), ran(5), P)).to.deep.equal([]);
        const [problem] = transitionProblems(settings(baseConfig({ clusters: [rabbit({ replicas: 2, allowScaleDown: true })] })), ran(5), P);
        expect(problem).to.match(/at least 3/);
    });

    it("refuses downgrades and series skips RabbitMQ cannot upgrade across; allows its upgrade guide's paths", () => {
        const problems = (to: string, from: string) => transitionProblems(settings(baseConfig({ clusters: [rabbit({ version: to })] })), ran(3, from), P);
        expect(problems("4.0.9", "4.1.4")[0]).to.match(/downgrades are not supported/);
        // 4.3 runs on Khepri only and needs every 4.2 feature flag: from 4.2 alone.
        expect(problems("4.3.6", "4.0.5")).to.deep.equal([
            `${P}:clusters[0].version = "4.3.6": cluster rmq runs 4.0.5, and RabbitMQ cannot upgrade from 4.0 to 4.3 in one step; upgrade through the latest 4.2.x first (one pulumi up each; every stable feature flag is enabled after each roll-out), then to 4.3.6.`,
        ]);
        expect(problems("4.3.6", "3.13.7")[0]).to.match(/from 3\.13 to 4\.3 in one step; upgrade through the latest 4\.2\.x first/);
        expect(problems("4.3.6", "4.1.4")[0]).to.match(/through the latest 4\.2\.x first/);
        for (const [from, to] of [["3.13.7", "4.0.9"], ["3.13.7", "4.1.4"], ["3.13.7", "4.2.1"], ["4.0.9", "4.1.4"], ["4.0.5", "4.2.1"], ["4.1.4", "4.2.1"], ["4.2.1", "4.3.6"], ["4.3.1", "4.3.6"]]) {
            expect(problems(to, from), `${from} → ${to}`).to.deep.equal([]);
        }
    });

    it("refuses swapping the engine under a cluster name", () => {
        const [problem] = transitionProblems(settings(baseConfig({ clusters: [emqx({ name: "rmq" })] })), ran(3), P);
        expect(problem).to.match(/runs rabbitmq; an engine cannot be swapped/);
    });

    it("refuses moving claims to another storage class, and shrinking volumes", () => {
        const moved = transitionProblems(settings(baseConfig({ storage: { mode: "storageClass", className: "ssd", size: "1Gi" } })), ran(3), P);
        expect(moved[0]).to.match(/created in storage class brokers-rmq-static and would now ask for ssd/);
        const shrunk = transitionProblems(settings(baseConfig({ clusters: [rabbit({ volumeSize: "512Mi" })] })), ran(3), P);
        expect(shrunk[0]).to.match(/^broker-platform:clusters\[0\]\.volumeSize = "512Mi": .*cannot shrink/);
    });

    it("growing dynamically provisioned claims needs a class that allows expansion", () => {
        const prev = ran(3, "4.1.4", { storageClass: "ssd" });
        const grow = (allow: boolean) =>
            transitionProblems(settings(baseConfig({ storage: { mode: "storageClass", className: "ssd", size: "5Gi", allowVolumeExpansion: allow } })), prev, P);
        expect(grow(false)[0]).to.match(/^broker-platform:storage\.size = "5Gi": .*allowVolumeExpansion: true/);
        expect(grow(true)).to.deep.equal([]);
    });

    it("the program stops before registering anything when a transition is unsafe", async () => {
        let error: unknown;
        try {
            await runProgram(baseConfig({ clusters: [rabbit({ replicas: 1 })] }), { stack: "day2-refused", previousOutputs: { clusters: ran(3) } });
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(ConfigError);
    });
});

describe("day-2 plans", () => {
    it("outputs record what the next update compares against", async () => {
        const run = await runProgram(baseConfig(), { stack: "day2-outputs" });
        expect(run.outputs.clusters.rmq).to.deep.include({ replicas: 3, version: "4.1.4", engine: "rabbitmq", storageClass: "brokers-rmq-static", claimTemplateSize: "1Gi", volumeSize: "1Gi" });
    });

    it("scale-up adds PVs for the new ordinals and leaves existing ones as they were", async () => {
        const before = kubernetesObjects((await runProgram(baseConfig(), { stack: "day2-scale" })).resources);
        const after = kubernetesObjects((await runProgram(baseConfig({ clusters: [rabbit({ replicas: 5 })] }), { stack: "day2-scale", previousOutputs: { clusters: ran(3) } })).resources);
        const pvs = (objs: any[]) => all(objs, "PersistentVolume");
        expect(pvs(after)).to.have.length(5);
        expect(pvs(after).slice(0, 3)).to.deep.equal(pvs(before));
        expect(find(after, "StatefulSet").spec.replicas).to.equal(5);
    });

    it("a dynamic size increase patches the existing claims and keeps the StatefulSet's template", async () => {
        const config = baseConfig({ storage: { mode: "storageClass", className: "ssd", size: "5Gi", allowVolumeExpansion: true } });
        const run = await runProgram(config, { stack: "day2-grow", previousOutputs: { clusters: ran(3, "4.1.4", { storageClass: "ssd" }) } });
        const patches = run.resources.filter((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaimPatch").map((r) => r.inputs);
        expect(patches.map((p) => p.metadata.name)).to.deep.equal(["data-rmq-0", "data-rmq-1", "data-rmq-2"]);
        patches.forEach((p) => expect(p.spec.resources.requests.storage).to.equal("5Gi"));
        const sts = find(kubernetesObjects(run.resources), "StatefulSet");
        expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal("1Gi");
        expect(run.outputs.clusters.rmq).to.deep.include({ claimTemplateSize: "1Gi", volumeSize: "5Gi" });
    });

    it("a static size increase raises PV capacity; claims still fit", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit({ volumeSize: "4Gi" })] }), { stack: "day2-static-grow", previousOutputs: { clusters: ran(3) } });
        const objects = kubernetesObjects(run.resources);
        all(objects, "PersistentVolume").forEach((pv) => expect(pv.spec.capacity.storage).to.equal("4Gi"));
        expect(find(objects, "StatefulSet").spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal("1Gi");
        expect(run.resources.filter((r) => r.type.endsWith("PersistentVolumeClaimPatch"))).to.have.length(0);
    });

    it("a second run with unchanged config registers exactly the same objects (nothing to update)", async () => {
        const config = baseConfig({ storage: { mode: "storageClass", className: "ssd" } });
        const first = await runProgram(config, { stack: "day2-same" });
        // What the engine would hand back: the first run's outputs, as plain values.
        const recorded = { rmq: JSON.parse(first.resources.find((r) => r.name === "rmq-deployment")!.inputs.metadata.annotations[RECORD_ANNOTATION]) };
        const second = await runProgram(config, { stack: "day2-same", previousOutputs: { clusters: recorded } });
        const registered = (run: typeof first) => run.resources.map((r) => [r.type, r.name, r.inputs]);
        expect(registered(second)).to.deep.equal(registered(first));
    });
});

/** Leaf paths whose values differ between two JSON-like values. */
function changedPaths(a: any, b: any, at = ""): string[] {
    if (a === b) return [];
    if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) => changedPaths(a[k], b[k], at ? `${at}.${k}` : k));
    }
    return [at];
}

describe("version upgrades change only what they must", () => {
    async function objectsFor(cluster: any, stack: string) {
        // Keyed by the resource's logical name: a ConfigMap renamed after its content is still one resource.
        const run = await runProgram(baseConfig({ storage: { mode: "storageClass", className: "ssd" }, clusters: [cluster] }), { stack });
        return Object.fromEntries(run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => [`${kubernetesKind(r.type)!.kind}/${r.name}`, r.inputs]));
    }

    async function diff(from: any, to: any): Promise<string[]> {
        const a = await objectsFor(from, "upgrade");
        const b = await objectsFor(to, "upgrade");
        return changedPaths(a, b).map((p) => p.replace(/\.env\.\d+\.value$/, ".env[].value"));
    }

    it("RabbitMQ 3.13 → 4.0: image, version label, the 3.x-only locator setting and the checksum", async () => {
        const paths = await diff(rabbit({ version: "3.13.7" }), rabbit({ version: "4.0.9" }));
        expect(paths.filter((p) => !p.endsWith("app.kubernetes.io/version"))).to.have.members([
            "ConfigMap/rmq-config.metadata.name",
            "ConfigMap/rmq-config.data.rabbitmq.conf",
            "StatefulSet/rmq.spec.template.spec.volumes.0.projected.sources.0.configMap.name",
            "ConfigMap/rmq-deployment.metadata.annotations.broker-platform/deployment",
            "StatefulSet/rmq.spec.template.metadata.annotations.broker-platform/config-checksum",
            "StatefulSet/rmq.spec.template.spec.containers.0.image",
            "StatefulSet/rmq.spec.template.spec.initContainers.0.image",
            // 4.x has no mirrored classic queues to wait for.
            "StatefulSet/rmq.spec.template.spec.containers.0.lifecycle.preStop.exec.command.2",
            // The feature flags are enabled again once the new version has rolled out.
            "Job/rmq-post-deploy.metadata.name",
            "Job/rmq-post-deploy.spec.template.spec.containers.0.image",
        ]);
    });

    it("RabbitMQ 4.0 → 4.1: discovery stops calling the API, so its Role, binding and token go", async () => {
        const paths = await diff(rabbit({ version: "4.0.9" }), rabbit({ version: "4.1.4" }));
        expect(paths).to.include.members(["Role/rmq-rbac", "RoleBinding/rmq-rbac", "StatefulSet/rmq.spec.template.spec.automountServiceAccountToken"]);
        expect(paths.filter((p) => p.startsWith("Service/") || p.startsWith("Secret/") || p.startsWith("PodDisruptionBudget/"))).to.deep.equal([]);
        expect(paths.some((p) => p.includes("serviceName") || p.includes("selector") || p.includes("volumeClaimTemplates"))).to.equal(false);
    });

    it("EMQX 5.7 → 5.8: only the image and the version label", async () => {
        const paths = await diff(emqx({ version: "5.7.2" }), emqx({ version: "5.8.6" }));
        expect(paths.filter((p) => !p.endsWith("app.kubernetes.io/version"))).to.have.members([
            "StatefulSet/mqtt.spec.template.spec.containers.0.image",
            "ConfigMap/mqtt-deployment.metadata.annotations.broker-platform/deployment",
        ]);
    });
});

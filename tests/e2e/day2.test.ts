/**
 * Day-2 operations on a real control plane: the objects the program produces before and after a
 * change are applied to a local kube-apiserver, and what the StatefulSet, PV and garbage
 * controllers do with them is read back. The "previous update" each plan is computed against is
 * handed to the program the way the engine would (the stack's recorded outputs).
 */
import { expect } from "chai";
import { kubernetesObjects, runProgram } from "../support/render";
import { expectAllReady, ExpectedStack, pods, statefulSet } from "./support/checks";
import { ensureTools, eventually, LocalCluster } from "./support/local";

const NS = "day2";
const NAME = "rmq";

function config(cluster: Record<string, unknown> = {}) {
    return {
        namespace: NS,
        storage: { mode: "hostPath", basePath: "/var/lib/broker-e2e", size: "1Gi" },
        clusters: [{ name: NAME, engine: "rabbitmq", version: "4.1.4", replicas: 3, ...cluster }],
    };
}

/** Runs the program for `cfg`, as an update after one that ran `previous` (if any). */
async function plan(stack: string, cfg: Record<string, unknown>, previous?: Record<string, unknown>) {
    const run = await runProgram(cfg, { stack, previousOutputs: previous ? { clusters: previous } : undefined });
    const recorded = JSON.parse(JSON.stringify({ [NAME]: { ...run.outputs.clusters[NAME], cookieSecret: `${NAME}-erlang-cookie`, adminSecret: `${NAME}-admin`, connectionUrl: "[secret]" } }));
    return { objects: kubernetesObjects(run.resources), outputs: recorded };
}

function expected(replicas: number): ExpectedStack {
    return { stack: "day2", namespace: NS, storageMode: "hostPath", storage: {}, clusters: [{ name: NAME, engine: "rabbitmq", replicas, needsApiAccess: false }] };
}

describe("e2e: day-2 operations on a local control plane", function () {
    this.timeout(30 * 60 * 1000);
    let k: LocalCluster;
    let current: Record<string, unknown>;

    const claim = (ordinal: number) => k.getJson(["get", "pvc", `data-${NAME}-${ordinal}`, "-n", NS]);
    const apply = (objects: Array<Record<string, any>>) =>
        k.apply([...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")]);

    before(async function () {
        ensureTools(["cluster"]);
        k = LocalCluster.start("day2", 3);
        const first = await plan("day2-initial", config());
        apply(first.objects);
        current = first.outputs;
        await expectAllReady(k, expected(3));
    });

    after(function () {
        k?.stop();
    });

    it("scale-down keeps the removed member's claim and volume; scale-up hands them back", async function () {
        const before = { uid: claim(2).metadata.uid, volume: claim(2).spec.volumeName };
        const down = await plan("day2-down", config({ replicas: 2, allowScaleDown: true }), current);
        apply(down.objects);
        await eventually("rmq-2 to be removed", 120_000, () => (pods(k, NS, statefulSet(k, NS, NAME)).length === 2 ? true : undefined));
        await expectAllReady(k, expected(2));
        expect(claim(2).metadata.uid, "claim of the removed member kept").to.equal(before.uid);
        expect(claim(2).status.phase).to.equal("Bound");
        expect(k.getJson(["get", "pv", before.volume]).status.phase, "its volume still bound").to.equal("Bound");

        const up = await plan("day2-up", config(), down.outputs);
        apply(up.objects);
        await expectAllReady(k, expected(3));
        const pod = k.getJson(["get", "pod", `${NAME}-2`, "-n", NS]);
        const mounted = pod.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
        expect(mounted).to.equal(`data-${NAME}-2`);
        expect(claim(2).metadata.uid, "the same claim object, so the same data").to.equal(before.uid);
        current = up.outputs;
    });

    it("a scale-down below a majority is refused before anything reaches the cluster", async function () {
        let error: unknown;
        try {
            await plan("day2-refused", config({ replicas: 1, allowScaleDown: true }), current);
        } catch (e) {
            error = e;
        }
        expect(String(error)).to.match(/at least 2/);
        expect(statefulSet(k, NS, NAME).spec.replicas).to.equal(3);
    });

    it("a configuration change rolls the pods one at a time, keeping a majority ready", async function () {
        const before = statefulSet(k, NS, NAME).status as any;
        const changed = await plan("day2-config", config({ plugins: ["rabbitmq_shovel"] }), current);
        apply(changed.objects);
        let fewestReady = 3;
        await eventually("every pod to run the new revision", 300_000, () => {
            const sts = statefulSet(k, NS, NAME) as any;
            const all = pods(k, NS, sts);
            const ready = all.filter((p) => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
            fewestReady = Math.min(fewestReady, ready.length);
            const done =
                sts.status.updateRevision !== before.currentRevision &&
                sts.status.updatedReplicas === 3 &&
                sts.status.readyReplicas === 3 &&
                all.every((p) => p.metadata.labels["controller-revision-hash"] === sts.status.updateRevision);
            return done ? true : undefined;
        });
        expect(fewestReady, "ready members at any moment of the roll").to.be.at.least(2);
        current = changed.outputs;
    });

    it("growing the volume raises PV capacity without touching the StatefulSet's immutable claim template", async function () {
        const grown = await plan("day2-grow", config({ plugins: ["rabbitmq_shovel"], volumeSize: "4Gi" }), current);
        apply(grown.objects);
        for (let i = 0; i < 3; i++) {
            const pv = k.getJson(["get", "pv", claim(i).spec.volumeName]);
            expect(pv.spec.capacity.storage).to.equal("4Gi");
        }
        const sts = statefulSet(k, NS, NAME) as any;
        expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal("1Gi");

        // Control: the API server refuses a changed claim template outright, which is what would
        // have forced a replacement of the StatefulSet.
        const changedTemplate = JSON.parse(JSON.stringify(grown.objects.find((o) => o.kind === "StatefulSet")));
        changedTemplate.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "4Gi";
        const refused = k.tryKubectl(["apply", "--server-side", "--field-manager=broker-e2e", "-f", "-"], JSON.stringify(changedTemplate));
        expect(refused.status).to.not.equal(0);
        expect(refused.stderr).to.match(/Forbidden: updates to statefulset spec for fields other than/);
        current = grown.outputs;
    });

    it("destroy keeps data: with what Pulumi deletes gone, a new deployment gets ordinal i's claim and volume back", async function () {
        const kept = [0, 1, 2].map((i) => ({ uid: claim(i).metadata.uid, volume: claim(i).spec.volumeName }));
        // What `pulumi destroy` deletes; the namespace and the PVs are retained on delete.
        k.kubectl(["delete", "statefulset,service,secret,configmap,poddisruptionbudget,serviceaccount,job", "-n", NS, "-l", `app.kubernetes.io/instance=${NAME}`, "--wait=true", "--timeout=180s"]);
        await eventually("the broker pods to be gone", 180_000, () => (k.getJson(["get", "pods", "-n", NS]).items.length === 0 ? true : undefined));
        kept.forEach((c, i) => {
            expect(claim(i).metadata.uid, `claim ${i} survives`).to.equal(c.uid);
            expect(claim(i).status.phase).to.equal("Bound");
        });

        const again = await plan("day2-again", config({ plugins: ["rabbitmq_shovel"], volumeSize: "4Gi" }), undefined);
        apply(again.objects);
        await expectAllReady(k, expected(3));
        kept.forEach((c, i) => {
            const pod = k.getJson(["get", "pod", `${NAME}-${i}`, "-n", NS]);
            expect(pod.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName).to.equal(`data-${NAME}-${i}`);
            expect(claim(i).metadata.uid, `ordinal ${i} gets its own claim back`).to.equal(c.uid);
            expect(claim(i).spec.volumeName, `ordinal ${i} gets its own volume back`).to.equal(c.volume);
        });
    });
});

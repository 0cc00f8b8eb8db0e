import { expect } from "chai";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, find, rabbit } from "../support/fixtures";

async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

/** The claim name the StatefulSet controller creates: `<template>-<statefulset>-<ordinal>`. */
function controllerClaimName(sts: Record<string, any>, ordinal: number): string {
    return `${sts.spec.volumeClaimTemplates[0].metadata.name}-${sts.metadata.name}-${ordinal}`;
}

describe("broker storage", () => {
    it("hostPath: one PV per ordinal, distinct directories, pre-bound to that ordinal's claim", async () => {
        const objects = await render(baseConfig({ namespace: "dev", clusters: [rabbit({ replicas: 5 })] }));
        const sts = find(objects, "StatefulSet");
        const pvs = all(objects, "PersistentVolume");
        expect(pvs).to.have.length(5);
        const paths = pvs.map((pv) => pv.spec.hostPath.path);
        expect(new Set(paths).size).to.equal(5);
        pvs.forEach((pv, ordinal) => {
            expect(pv.spec.claimRef).to.deep.equal({ namespace: "dev", name: controllerClaimName(sts, ordinal) });
            expect(pv.spec.hostPath.path).to.equal(`/data/brokers/dev/rmq-${ordinal}`);
            expect(pv.spec.persistentVolumeReclaimPolicy).to.equal("Retain");
            expect(pv.spec.storageClassName).to.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName);
        });
    });

    it("hostPath paths differ between clusters and namespaces sharing a base path", async () => {
        const a = all(await render(baseConfig({ namespace: "team-a", clusters: [rabbit({ name: "x" }), rabbit({ name: "y" })] })), "PersistentVolume");
        const b = all(await render(baseConfig({ namespace: "team-b", clusters: [rabbit({ name: "x" })] })), "PersistentVolume");
        const paths = [...a, ...b].map((pv) => pv.spec.hostPath.path);
        const names = [...a, ...b].map((pv) => pv.metadata.name);
        expect(new Set(paths).size).to.equal(9);
        expect(new Set(names).size).to.equal(9);
    });

    it("hostPath node pinning puts PV i on nodes[i] and requires anti-affinity", async () => {
        const objects = await render(baseConfig({ storage: { mode: "hostPath", basePath: "/d", nodes: ["n0", "n1", "n2"] } }));
        all(objects, "PersistentVolume").forEach((pv, i) => {
            expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]).to.deep.equal({ key: "kubernetes.io/hostname", operator: "In", values: [`n${i}`] });
        });
        const affinity = find(objects, "StatefulSet").spec.template.spec.affinity.podAntiAffinity;
        expect(affinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).to.equal("kubernetes.io/hostname");
    });

    it("nfs: server and a distinct export path per ordinal", async () => {
        const objects = await render(baseConfig({ namespace: "stg", storage: { mode: "nfs", server: "10.1.2.3", basePath: "/exports/mq/" } }));
        const pvs = all(objects, "PersistentVolume");
        expect(pvs.map((pv) => pv.spec.nfs)).to.deep.equal([0, 1, 2].map((i) => ({ server: "10.1.2.3", path: `/exports/mq/stg/rmq-${i}` })));
        expect(pvs[0].spec.mountOptions).to.deep.equal(["nfsvers=4.1", "hard"]);
        expect(find(objects, "StatefulSet").spec.template.spec.affinity.podAntiAffinity).to.have.property("preferredDuringSchedulingIgnoredDuringExecution");
    });

    it("storageClass: no static PVs, claims from the class, no permission fixer", async () => {
        const objects = await render(baseConfig({ storage: { mode: "storageClass", className: "fast-ssd", size: "20Gi" } }));
        expect(all(objects, "PersistentVolume")).to.have.length(0);
        const sts = find(objects, "StatefulSet");
        expect(sts.spec.volumeClaimTemplates[0].spec).to.deep.include({ storageClassName: "fast-ssd", resources: { requests: { storage: "20Gi" } } });
        expect(sts.spec.template.spec.initContainers.map((c: any) => c.name)).not.to.include("volume-permissions");
    });

    it("data mount comes from the claim template, and claims are retained on delete and scale-down", async () => {
        const sts = find(await render(baseConfig()), "StatefulSet");
        const mount = sts.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.mountPath === "/var/lib/rabbitmq/mnesia");
        expect(mount.name).to.equal(sts.spec.volumeClaimTemplates[0].metadata.name);
        expect((sts.spec.template.spec.volumes ?? []).map((v: any) => v.name)).not.to.include(mount.name);
        expect(sts.spec.persistentVolumeClaimRetentionPolicy).to.deep.equal({ whenDeleted: "Retain", whenScaled: "Retain" });
    });

    it("per-cluster volumeSize overrides the stack size on claims and PVs", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ volumeSize: "3Gi" })] }));
        expect(find(objects, "StatefulSet").spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal("3Gi");
        all(objects, "PersistentVolume").forEach((pv) => expect(pv.spec.capacity.storage).to.equal("3Gi"));
    });
});

import { expect } from "chai";
import { pvSafety } from "../../policies/rules";
import { K8sObject } from "../../policies/lib/types";
import { advisory, find, goodRabbit, mandatory } from "./support";

function pv(name: string, extra: Record<string, any> = {}): K8sObject {
    return {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name },
        spec: { storageClassName: "static", capacity: { storage: "10Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", ...extra },
    };
}
function pinned(node: string) {
    return { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } };
}
function withPVs(...pvs: K8sObject[]): K8sObject[] {
    const o = goodRabbit();
    find(o, "StatefulSet").spec.volumeClaimTemplates[0].spec.storageClassName = "static";
    return [...o, ...pvs];
}

describe("policies: pv-safety", () => {
    it("passes Retain PVs on distinct pinned hostPaths", () => {
        const o = withPVs(...[0, 1, 2].map((i) => pv(`p${i}`, { hostPath: { path: "/data/rmq" }, nodeAffinity: pinned(`n${i}`) })));
        expect(mandatory(pvSafety, o)).to.deep.equal([]);
        expect(advisory(pvSafety, o)).to.deep.equal([]);
    });
    it("flags Recycle and Delete", () => {
        const o = withPVs(pv("a", { persistentVolumeReclaimPolicy: "Recycle" }), pv("b", { persistentVolumeReclaimPolicy: "Delete" }), pv("c"));
        const m = mandatory(pvSafety, o).join("\n");
        expect(m).to.match(/a has persistentVolumeReclaimPolicy Recycle/);
        expect(m).to.match(/b has persistentVolumeReclaimPolicy Delete/);
    });
    it("flags shared hostPath directories unless pinned to distinct nodes; unpinned is advisory", () => {
        const o = withPVs(...[0, 1, 2].map((i) => pv(`p${i}`, { hostPath: { path: "/data/rmq" } })));
        expect(mandatory(pvSafety, o).filter((m) => /uses directory \/data\/rmq/.test(m))).to.have.length(3);
        expect(advisory(pvSafety, o).filter((m) => /not pinned/.test(m))).to.have.length(3);
        const d = withPVs(...[0, 1, 2].map((i) => pv(`p${i}`, { hostPath: { path: `/data/rmq-${i}` } })));
        expect(mandatory(pvSafety, d)).to.deep.equal([]);
    });
    it("flags too few static PVs and PVs too small or with the wrong modes", () => {
        const o = withPVs(pv("a"), pv("small", { capacity: { storage: "1Gi" } }), pv("rwx", { accessModes: ["ReadWriteMany"] }));
        const m = mandatory(pvSafety, o).join("\n");
        expect(m).to.match(/needs 3 volumes.*only 1/);
        expect(m).to.match(/small cannot bind.*capacity 1Gi/);
        expect(m).to.match(/rwx cannot bind.*lack ReadWriteOnce/);
    });
    it("flags an invalid storageClassName", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").spec.volumeClaimTemplates[0].spec.storageClassName = "Fast_SSD";
        expect(mandatory(pvSafety, o).join()).to.match(/not a valid StorageClass name/);
    });
    it("provisioned PVs (kubectl dumps) keep their class's Delete and do not make the class static", () => {
        const provisioned = pv("pvc-1", { persistentVolumeReclaimPolicy: "Delete", csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-1" } });
        provisioned.metadata.annotations = { "pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com" };
        expect(mandatory(pvSafety, withPVs(provisioned))).to.deep.equal([]);
        delete provisioned.metadata.annotations;
        expect(mandatory(pvSafety, withPVs(provisioned)).join()).to.match(/has persistentVolumeReclaimPolicy Delete/);
    });
});

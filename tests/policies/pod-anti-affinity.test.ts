import { expect } from "chai";
import { podAntiAffinity } from "../../policies/rules";
import { find, goodEmqx, goodRabbit, mandatory } from "./support";

describe("policies: pod-anti-affinity", () => {
    it("passes required and (on network storage) preferred terms", () => {
        expect(mandatory(podAntiAffinity, goodRabbit())).to.deep.equal([]);
        expect(mandatory(podAntiAffinity, goodEmqx())).to.deep.equal([]);
    });
    it("flags a missing term and a term that does not select the pod", () => {
        const o = goodRabbit();
        const spec = find(o, "StatefulSet").spec.template.spec;
        spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector = { matchLabels: { app: "x" } };
        expect(mandatory(podAntiAffinity, o).join()).to.match(/without a podAntiAffinity term/);
        spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector = {
            matchExpressions: [{ key: "app.kubernetes.io/instance", operator: "In", values: ["rmq"] }],
        };
        expect(mandatory(podAntiAffinity, o)).to.deep.equal([]);
        // A zone holds whole nodes: one replica per zone is also one per machine.
        spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey = "topology.kubernetes.io/zone";
        expect(mandatory(podAntiAffinity, o)).to.deep.equal([]);
        // Many machines share an instance type: keeping replicas apart by it says nothing about hosts.
        spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey = "node.kubernetes.io/instance-type";
        expect(mandatory(podAntiAffinity, o)).to.have.length(1);
        delete spec.affinity;
        expect(mandatory(podAntiAffinity, o)).to.have.length(1);
    });
    it("requires a required term when data is on hostPath PVs, or when configured", () => {
        const o = goodEmqx();
        expect(mandatory(podAntiAffinity, o, { alwaysRequire: true }).join()).to.match(/configured to always require/);
        const vct = find(o, "StatefulSet").spec.volumeClaimTemplates[0];
        vct.spec.storageClassName = "local";
        o.push({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv0" }, spec: { storageClassName: "local", hostPath: { path: "/d0" }, capacity: { storage: "5Gi" }, accessModes: ["ReadWriteOnce"] } });
        expect(mandatory(podAntiAffinity, o).join()).to.match(/hostPath\/local/);
    });
    it("ignores single replicas", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").spec.replicas = 1;
        delete find(o, "StatefulSet").spec.template.spec.affinity;
        expect(mandatory(podAntiAffinity, o)).to.deep.equal([]);
    });
});

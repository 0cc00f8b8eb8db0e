import { expect } from "chai";
import { podAntiAffinity } from "../../policies/rules";
import { advisory, find, goodEmqx, goodRabbit, mandatory } from "./support";

describe("policies: pod-anti-affinity", () => {
    it("passes required and (on network storage) preferred terms", () => {
        expect(mandatory(podAntiAffinity, goodRabbit())).to.deep.equal([]);
        expect(mandatory(podAntiAffinity, goodEmqx())).to.deep.equal([]);
    });
    it("advises on terms keyed on the deprecated failure-domain.beta.kubernetes.io labels, whatever else holds", () => {
        const o = goodRabbit();
        const spec = find(o, "StatefulSet").spec.template.spec;
        const required = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        expect(advisory(podAntiAffinity, o)).to.deep.equal([]);
        spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution = [
            { weight: 100, podAffinityTerm: { labelSelector: required.labelSelector, topologyKey: "failure-domain.beta.kubernetes.io/zone" } },
        ];
        spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "failure-domain.beta.kubernetes.io/region", whenUnsatisfiable: "ScheduleAnyway", labelSelector: required.labelSelector }];
        const found = advisory(podAntiAffinity, o).join("\n");
        expect(found).to.match(/failure-domain\.beta\.kubernetes\.io\/zone, deprecated .*use topology\.kubernetes\.io\/zone/);
        expect(found).to.match(/failure-domain\.beta\.kubernetes\.io\/region, deprecated .*use topology\.kubernetes\.io\/region/);
        expect(mandatory(podAntiAffinity, o), "the required hostname term still satisfies the rule").to.deep.equal([]);
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

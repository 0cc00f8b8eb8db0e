import { expect } from "chai";
import { pdb } from "../../policies/rules";
import { advisory, find, goodRabbit, mandatory } from "./support";

describe("policies: pdb", () => {
    it("passes maxUnavailable 1 and minAvailable 2 of 3", () => {
        expect(mandatory(pdb, goodRabbit())).to.deep.equal([]);
        const o = goodRabbit();
        find(o, "PodDisruptionBudget").spec = { minAvailable: "60%", selector: find(o, "PodDisruptionBudget").spec.selector };
        expect(mandatory(pdb, o)).to.deep.equal([]);
    });
    it("flags a budget that allows no eviction", () => {
        const o = goodRabbit();
        find(o, "PodDisruptionBudget").spec.maxUnavailable = 0;
        expect(mandatory(pdb, o).join()).to.match(/allows no eviction/);
        find(o, "PodDisruptionBudget").spec = { minAvailable: 3, selector: { matchLabels: { "app.kubernetes.io/instance": "rmq" } } };
        expect(mandatory(pdb, o).join()).to.match(/allows no eviction/);
    });
    it("flags a budget that loses the majority", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").spec.replicas = 5;
        find(o, "PodDisruptionBudget").spec.maxUnavailable = 3;
        expect(mandatory(pdb, o).join()).to.match(/less than the majority of 3/);
    });
    it("a missing PDB is advisory; two PDBs are a violation", () => {
        const o = goodRabbit();
        const p = find(o, "PodDisruptionBudget");
        expect(advisory(pdb, o.filter((x) => x !== p)).join()).to.match(/no PodDisruptionBudget/);
        o.push({ ...p, metadata: { name: "second", namespace: "mq" } });
        expect(mandatory(pdb, o).join()).to.match(/more than one budget/);
    });
});

import { expect } from "chai";
import { perReplicaStorage } from "../../policies/rules";
import { advisory, brokerContainer, find, goodRabbit, mandatory } from "./support";

describe("policies: per-replica-storage", () => {
    it("passes a volumeClaimTemplate mount", () => {
        expect(mandatory(perReplicaStorage, goodRabbit())).to.deep.equal([]);
        expect(advisory(perReplicaStorage, goodRabbit())).to.deep.equal([]);
    });
    it("flags one PVC shared by all replicas", () => {
        const o = goodRabbit();
        const spec = find(o, "StatefulSet").spec;
        spec.template.spec.volumes.push({ name: "shared", persistentVolumeClaim: { claimName: "rmq-data" } });
        brokerContainer(o).volumeMounts[0].name = "shared";
        expect(mandatory(perReplicaStorage, o).join()).to.match(/single PVC rmq-data.*template data is not mounted/);
    });
    it("emptyDir or no data volume is advisory", () => {
        const o = goodRabbit();
        const spec = find(o, "StatefulSet").spec;
        spec.template.spec.volumes.push({ name: "tmp", emptyDir: {} });
        brokerContainer(o).volumeMounts[0].name = "tmp";
        expect(mandatory(perReplicaStorage, o)).to.deep.equal([]);
        expect(advisory(perReplicaStorage, o).join()).to.match(/emptyDir/);
        brokerContainer(o).volumeMounts.shift();
        expect(advisory(perReplicaStorage, o).join()).to.match(/mounts no volume/);
    });
});

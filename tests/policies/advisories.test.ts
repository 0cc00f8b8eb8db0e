import { expect } from "chai";
import { deprecatedApi, imageTag, oddReplicas, podManagementPolicy, readinessProbe, resources } from "../../policies/rules";
import { brokerContainer, find, findings, goodRabbit } from "./support";

describe("policies: advisory rules", () => {
    it("all pass the good cluster", () => {
        for (const r of [oddReplicas, resources, readinessProbe, imageTag, podManagementPolicy, deprecatedApi]) {
            expect(findings(r, goodRabbit()), r.id).to.deep.equal([]);
            expect(r.defaultEnforcement).to.equal("advisory");
        }
    });
    it("odd-replicas flags 2 and 4, and a non-integer", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").spec.replicas = 4;
        expect(findings(oddReplicas, o).join()).to.match(/odd number/);
        find(o, "StatefulSet").spec.replicas = "three";
        expect(findings(oddReplicas, o).join()).to.match(/not an integer/);
    });
    it("resources, readiness-probe, image-tag, pod-management-policy", () => {
        const o = goodRabbit();
        delete brokerContainer(o).resources;
        delete brokerContainer(o).readinessProbe;
        brokerContainer(o).image = "rabbitmq:latest";
        delete find(o, "StatefulSet").spec.podManagementPolicy;
        expect(findings(resources, o).join()).to.match(/requests.cpu/);
        expect(findings(readinessProbe, o).join()).to.match(/no readinessProbe/);
        expect(findings(imageTag, o).join()).to.match(/rabbitmq:latest/);
        expect(findings(podManagementPolicy, o).join()).to.match(/Parallel/);
        brokerContainer(o).image = "rabbitmq@sha256:abc";
        expect(findings(imageTag, o)).to.deep.equal([]);
    });
    it("deprecated-api flags removed API versions and PetSet", () => {
        const o = goodRabbit();
        find(o, "Role").apiVersion = "rbac.authorization.k8s.io/v1beta1";
        find(o, "PodDisruptionBudget").apiVersion = "policy/v1beta1";
        o.push({ apiVersion: "apps/v1alpha1", kind: "PetSet", metadata: { name: "p" } });
        expect(findings(deprecatedApi, o)).to.have.length(3);
    });
});

import { expect } from "chai";
import { discoveryRbac } from "../../policies/rules";
import { find, goodEmqx, goodRabbit, mandatory, setEnv } from "./support";

describe("policies: discovery-rbac", () => {
    it("passes a correct Role and RoleBinding", () => {
        expect(mandatory(discoveryRbac, goodRabbit())).to.deep.equal([]);
    });
    it("flags a missing binding (HTTP 403)", () => {
        const o = goodRabbit().filter((x) => x.kind !== "RoleBinding");
        expect(mandatory(discoveryRbac, o).join()).to.match(/ServiceAccount mq\/rmq.*403/);
    });
    it("flags wrong subject, wrong group, missing verb and wildcards", () => {
        let o = goodRabbit();
        find(o, "RoleBinding").subjects[0].namespace = "default";
        expect(mandatory(discoveryRbac, o).join()).to.match(/with namespace default instead of mq/);
        o = goodRabbit();
        find(o, "RoleBinding").apiVersion = "rbac.authorization.kubernetes.io/v1beta1";
        expect(mandatory(discoveryRbac, o).join()).to.match(/rbac.authorization.k8s.io group/);
        o = goodRabbit();
        find(o, "RoleBinding").roleRef.apiGroup = "rbac.authorization.kubernetes.io";
        expect(mandatory(discoveryRbac, o).join()).to.match(/roleRef.apiGroup/);
        o = goodRabbit();
        find(o, "Role").rules[0].verbs = ["list"];
        expect(mandatory(discoveryRbac, o).join()).to.match(/does not grant get on endpoints/);
        o = goodRabbit();
        find(o, "Role").rules[0].verbs = ["*"];
        expect(mandatory(discoveryRbac, o).join()).to.match(/wildcard verbs/);
    });
    it("does not apply to RabbitMQ 4.1+ or to DNS discovery", () => {
        const o = goodRabbit().filter((x) => x.kind !== "RoleBinding");
        find(o, "StatefulSet").spec.template.spec.containers[0].image = "rabbitmq:4.1.4-management";
        expect(mandatory(discoveryRbac, o)).to.deep.equal([]);
        expect(mandatory(discoveryRbac, goodEmqx())).to.deep.equal([]);
    });
    it("applies to EMQX k8s discovery", () => {
        const o = goodEmqx();
        setEnv(o, "EMQX_CLUSTER__DISCOVERY_STRATEGY", "k8s");
        expect(mandatory(discoveryRbac, o).join()).to.match(/EMQX k8s discovery.*iot\/default/);
    });
    it("a RoleBinding's ServiceAccount subject without namespace means the binding's namespace", () => {
        const o = goodRabbit();
        delete find(o, "RoleBinding").subjects[0].namespace;
        expect(mandatory(discoveryRbac, o)).to.deep.equal([]);
        find(o, "RoleBinding").kind = "ClusterRoleBinding";
        expect(mandatory(discoveryRbac, o).join()).to.match(/403/);
    });
});

import { expect } from "chai";
import { headlessService } from "../../policies/rules";
import { advisory, find, findings, goodRabbit, mandatory } from "./support";

describe("policies: headless-service", () => {
    it("passes the good cluster", () => {
        expect(mandatory(headlessService, goodRabbit())).to.deep.equal([]);
    });
    it("flags a missing serviceName", () => {
        const o = goodRabbit();
        delete find(o, "StatefulSet").spec.serviceName;
        expect(mandatory(headlessService, o).join()).to.match(/no spec.serviceName/);
    });
    it("flags a Service in another namespace", () => {
        const o = goodRabbit();
        find(o, "Service").metadata.namespace = "other";
        expect(mandatory(headlessService, o).join()).to.match(/namespace other.*same namespace/);
    });
    it("flags a Service that is not headless", () => {
        const o = goodRabbit();
        delete find(o, "Service").spec.clusterIP;
        expect(mandatory(headlessService, o).join()).to.match(/not headless/);
    });
    it("flags an empty or non-matching selector", () => {
        const o = goodRabbit();
        find(o, "Service").spec.selector = {};
        expect(mandatory(headlessService, o).join()).to.match(/no selector/);
        find(o, "Service").spec.selector = { app: "other" };
        expect(mandatory(headlessService, o).join()).to.match(/does not match/);
    });
    it("publishNotReadyAddresses is advisory", () => {
        const o = goodRabbit();
        delete find(o, "Service").spec.publishNotReadyAddresses;
        expect(mandatory(headlessService, o)).to.deep.equal([]);
        expect(advisory(headlessService, o).join()).to.match(/publishNotReadyAddresses/);
    });
    it("reports the naming convention as advisory, mandatory with strictNaming, configurable", () => {
        const o = goodRabbit();
        find(o, "Service").metadata.name = "rabbitmq-peers";
        find(o, "StatefulSet").spec.serviceName = "rabbitmq-peers";
        expect(mandatory(headlessService, o)).to.deep.equal([]);
        expect(advisory(headlessService, o).join()).to.match(/naming convention/);
        expect(mandatory(headlessService, o, { strictNaming: true }).join()).to.match(/naming convention/);
        expect(mandatory(headlessService, o, { naming: ["*-peers"], strictNaming: true })).to.deep.equal([]);
        expect(findings(headlessService, o, { naming: ["*"] })).to.deep.equal([]);
    });
    it("a single node without peer discovery needs no headless Service (advisory only)", () => {
        const o = goodRabbit().filter((x) => x.kind !== "ConfigMap");
        const sts = find(o, "StatefulSet");
        sts.spec.replicas = 1;
        find(o, "Service").spec.clusterIP = "10.0.0.7";
        expect(mandatory(headlessService, o)).to.deep.equal([]);
        expect(advisory(headlessService, o).join()).to.match(/not headless/);
        sts.spec.replicas = 3;
        expect(mandatory(headlessService, o).join()).to.match(/not headless/);
    });
    it("accepts the cluster-operator's <name>-nodes for <name>-server", () => {
        const o = goodRabbit();
        find(o, "StatefulSet").metadata.name = "prod-server";
        find(o, "StatefulSet").spec.serviceName = "prod-nodes";
        find(o, "Service").metadata.name = "prod-nodes";
        expect(mandatory(headlessService, o).filter((m) => /naming/.test(m))).to.deep.equal([]);
    });
});

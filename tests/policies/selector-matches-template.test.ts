import { expect } from "chai";
import { selectorMatchesTemplate } from "../../policies/rules";
import { advisory, find, goodRabbit, mandatory } from "./support";

describe("policies: selector-matches-template", () => {
    it("passes a matching selector", () => {
        expect(mandatory(selectorMatchesTemplate, goodRabbit())).to.deep.equal([]);
    });
    it("flags missing, empty and non-matching selectors", () => {
        const o = goodRabbit();
        const sts = find(o, "StatefulSet");
        sts.spec.selector = { matchLabels: { app: "nope" } };
        expect(mandatory(selectorMatchesTemplate, o).join()).to.match(/does not match its pod template labels/);
        sts.spec.selector = {};
        expect(mandatory(selectorMatchesTemplate, o).join()).to.match(/empty spec.selector/);
        delete sts.spec.selector;
        expect(mandatory(selectorMatchesTemplate, o).join()).to.match(/no spec.selector/);
        sts.spec.selector = { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["rabbitmq"] }] };
        expect(mandatory(selectorMatchesTemplate, o)).to.have.length(1);
    });
    it("a missing selector under apps/v1beta1 is advisory", () => {
        const o = goodRabbit();
        const sts = find(o, "StatefulSet");
        sts.apiVersion = "apps/v1beta1";
        delete sts.spec.selector;
        expect(mandatory(selectorMatchesTemplate, o)).to.deep.equal([]);
        expect(advisory(selectorMatchesTemplate, o).join()).to.match(/apps\/v1 requires it/);
    });
});

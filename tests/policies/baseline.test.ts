import { expect } from "chai";
import { goodEmqx, goodRabbit, policiesOf } from "./support";

describe("policies: good baselines", () => {
    it("a well-built RabbitMQ cluster has no violation at all", () => {
        const r = policiesOf(goodRabbit());
        expect(r.violations).to.deep.equal([]);
        expect(r.errors).to.deep.equal([]);
    });
    it("a well-built EMQX cluster has no violation at all", () => {
        expect(policiesOf(goodEmqx()).violations).to.deep.equal([]);
    });
});

/** Our own program obeys our own pack: the stacks it renders under mocks have no mandatory violation. */
import { expect } from "chai";
import { lint } from "../../policies/engine";
import { renderStack } from "../support/render";

describe("policies: our own program obeys the pack", function () {
    this.timeout(120000);
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: zero mandatory violations`, async () => {
            const objects = await renderStack(stack);
            expect(objects.some((o) => o.kind === "StatefulSet")).to.equal(true);
            const r = lint(objects);
            expect(r.errors).to.deep.equal([]);
            const mandatory = r.violations.filter((v) => v.enforcement === "mandatory");
            expect(mandatory, JSON.stringify(mandatory, null, 2)).to.deep.equal([]);
        });
    }
});

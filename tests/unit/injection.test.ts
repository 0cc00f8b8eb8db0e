import { expect } from "chai";
import { runInjectionProperty } from "../support/injection";

/** `FUZZ_RUNS=10000 npm test -- --grep injection` runs more cases; `npm run bench:fuzz` reports figures. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

describe("config injection (property)", () => {
    it(`no accepted config adds a line, a setting or a shell word the package did not write (${RUNS} generated configs)`, function () {
        this.timeout(Math.max(20000, RUNS * 20));
        const { accepted, rejected } = runInjectionProperty(RUNS);
        // The generator must reach both sides, or the property proves nothing about one of them.
        expect(accepted, "accepted configs").to.be.at.least(RUNS / 10);
        expect(rejected, "rejected configs").to.be.at.least(RUNS / 10);
    });
});

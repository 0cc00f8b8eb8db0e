import { expect } from "chai";
import { ConfigError, resolveConfig } from "../../policies/config";
import { lint } from "../../policies/engine";
import { find, goodRabbit } from "./support";

describe("policies: config", () => {
    it("fills defaults and accepts levels and options", () => {
        const c = resolveConfig({ rules: { "pod-anti-affinity": { enforcement: "advisory", alwaysRequire: true }, pdb: "disabled" }, headlessNaming: ["{statefulset}-peers"] });
        expect(c["pod-anti-affinity"]).to.deep.equal({ enforcement: "advisory", options: { alwaysRequire: true } });
        expect(c.pdb.enforcement).to.equal("disabled");
        expect(c["headless-service"].options).to.deep.equal({ naming: ["{statefulset}-peers"], strictNaming: false });
        expect(c["image-tag"].enforcement).to.equal("advisory");
    });
    it("rejects unknown rules, options and levels with readable messages", () => {
        expect(() => resolveConfig({ rules: { nope: "advisory" } })).to.throw(ConfigError, /known rules: headless-service/);
        expect(() => resolveConfig({ rules: { pdb: { enforcement: "loud" } } })).to.throw(ConfigError, /rules.pdb/);
        expect(() => resolveConfig({ rules: { "pod-anti-affinity": { alwaysRequire: "yes" } } })).to.throw(ConfigError, /alwaysRequire/);
        expect(() => resolveConfig({ extra: 1 })).to.throw(ConfigError);
        expect(() => resolveConfig("x")).to.throw(ConfigError);
    });
    it("levels change the enforcement of violations", () => {
        const o = goodRabbit();
        delete find(o, "StatefulSet").spec.template.spec.affinity;
        expect(lint(o).violations.map((v) => v.enforcement)).to.deep.equal(["mandatory"]);
        expect(lint(o, resolveConfig({ rules: { "pod-anti-affinity": "advisory" } })).violations.map((v) => v.enforcement)).to.deep.equal(["advisory"]);
        expect(lint(o, resolveConfig({ rules: { "pod-anti-affinity": "disabled" } })).violations).to.deep.equal([]);
    });
});

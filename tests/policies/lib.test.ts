import { expect } from "chai";
import { parseConf } from "../../policies/lib/conf";
import { displayValue, expand, resolveEnv } from "../../policies/lib/env";
import { engineFromImage } from "../../policies/lib/model";
import { parseQuantity } from "@broker-platform/quantity";
import { labelSelectorMatches } from "../../policies/lib/selectors";

describe("policies: helpers", () => {
    it("expands $(VAR) with kubelet semantics", () => {
        const m = (n: string) => ({ A: "x", B: "y" } as Record<string, string>)[n];
        expect(expand("$(A).$(B)", m)).to.equal("x.y");
        expect(expand("$$(A)", m)).to.equal("$(A)");
        expect(expand("$(C)", m)).to.equal("$(C)");
        expect(expand("$(A", m)).to.equal("$(A");
        expect(expand("a$", m)).to.equal("a$");
        expect(expand("$x", m)).to.equal("$x");
    });
    it("resolves env from envFrom (with prefix), then env in order", () => {
        const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { SVC: "s" } };
        const env = resolveEnv(
            { envFrom: [{ configMapRef: { name: "c" }, prefix: "P_" }], env: [{ name: "N", value: "$(P_SVC)-$(LATER)" }, { name: "LATER", value: "l" }, { name: "F", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, { name: "G", value: "$(F)" }] },
            "default",
            (k, _ns, n) => (k === "ConfigMap" && n === "c" ? cm : undefined),
        );
        expect(env.vars.get("N")?.value).to.equal("s-$(LATER)");
        expect(displayValue(env.vars.get("G")!.value)).to.equal("<pod-name>");
    });
    it("matches selectors fully", () => {
        const labels = { a: "1", b: "2" };
        expect(labelSelectorMatches({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "In", values: ["2"] }] }, labels)).to.equal(true);
        expect(labelSelectorMatches({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }, { key: "a", operator: "Exists" }] }, labels)).to.equal(true);
        expect(labelSelectorMatches({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, labels)).to.equal(false);
        expect(labelSelectorMatches({ matchExpressions: [{ key: "a", operator: "Bogus" }] }, labels)).to.equal(false);
        expect(labelSelectorMatches({}, labels)).to.equal(true);
        expect(labelSelectorMatches(undefined, labels)).to.equal(false);
    });
    it("parses rabbitmq.conf and HOCON-ish blocks", () => {
        const e = parseConf("# c\na.b = 1\ncluster {\n  k8s {\n    service_name = \"x\"\n  }\n}\n");
        expect(e.map((x) => [x.key, x.value])).to.deep.equal([["a.b", "1"], ["cluster.k8s.service_name", "x"]]);
    });
    it("detects brokers by image, not exporters", () => {
        expect(engineFromImage("docker.io/bitnami/rabbitmq:3.12.1-debian-11-r0")).to.equal("rabbitmq");
        expect(engineFromImage("emqx/emqx:5.8.6")).to.equal("emqx");
        expect(engineFromImage("kbudde/rabbitmq-exporter:v0.29.0")).to.equal(undefined);
        expect(engineFromImage("rabbitmqoperator/cluster-operator:2.9.0")).to.equal(undefined);
    });
    it("parses quantities", () => {
        expect(parseQuantity("4Gi")).to.equal(4 * 2 ** 30);
        expect(parseQuantity("500M")).to.equal(5e8);
        expect(parseQuantity("1.5Gi")).to.equal(1.5 * 2 ** 30);
        expect(parseQuantity("lots")).to.equal(undefined);
    });
});

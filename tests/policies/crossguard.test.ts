/**
 * The CrossGuard policies the pack registers (index.ts only constructs the PolicyPack, which
 * starts a gRPC server, so the policies are tested from ./crossguard with hand-built args).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { brokerAdvisories, objectsFromResources, parseK8sType, policies } from "../../policies/crossguard";
import { RULE_IDS } from "../../policies/rules";
import { find, goodRabbit, runStackPolicy, setEnv, stackValidationArgs } from "./support";

const POLICIES = path.resolve(__dirname, "..", "..", "policies");

describe("policies: CrossGuard pack", () => {
    it("registers one stack policy per rule plus broker-advisories, and index.ts builds the pack from them", () => {
        expect(policies.map((p) => p.name)).to.deep.equal([...RULE_IDS, "broker-advisories"]);
        for (const p of policies) expect(p).to.have.property("validateStack").that.is.a("function");
        const index = fs.readFileSync(path.join(POLICIES, "index.ts"), "utf8");
        expect(index).to.match(/new PolicyPack\("broker-policies", \{ policies \}\)/);
        expect(fs.readFileSync(path.join(POLICIES, "PulumiPolicy.yaml"), "utf8")).to.match(/runtime: nodejs/);
        expect(JSON.parse(fs.readFileSync(path.join(POLICIES, "package.json"), "utf8")).version).to.match(/^\d+\.\d+\.\d+$/);
    });
    it("maps Pulumi type tokens to apiVersion/kind", () => {
        expect(parseK8sType("kubernetes:apps/v1:StatefulSet")).to.deep.equal({ apiVersion: "apps/v1", kind: "StatefulSet" });
        expect(parseK8sType("kubernetes:core/v1:Service")).to.deep.equal({ apiVersion: "v1", kind: "Service" });
        expect(parseK8sType("kubernetes:rbac.authorization.k8s.io/v1:Role")).to.deep.equal({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" });
        expect(parseK8sType("kubernetes:helm.sh/v3:Release")?.kind).to.equal("Release");
        expect(parseK8sType("kubernetes:yaml:ConfigGroup")).to.equal(undefined);
        expect(parseK8sType("random:index/randomPassword:RandomPassword")).to.equal(undefined);
    });
    it("falls back to the resource name when metadata.name is absent (auto-naming during preview)", () => {
        const { objects } = objectsFromResources(stackValidationArgs(goodRabbit(), {}, { dropNames: true }).resources);
        expect(objects.map((o) => o.metadata.name)).to.include("rmq-headless");
    });
    it("a good stack passes every policy", async () => {
        for (const p of policies) expect(await runStackPolicy(p, stackValidationArgs(goodRabbit())), p.name).to.deep.equal([]);
    });
    it("reports violations against the offending resource's URN", async () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_ERLANG_COOKIE", "literal");
        find(o, "Service").spec.publishNotReadyAddresses = false;
        const cookie = policies.find((p) => p.name === "erlang-cookie")!;
        const v = await runStackPolicy(cookie, stackValidationArgs(o));
        expect(v).to.have.length(1);
        expect(v[0].urn).to.equal("urn:pulumi:test::broker-platform::kubernetes:apps/v1:StatefulSet::rmq");
        expect(v[0].message).to.match(/^StatefulSet\/mq\/rmq: .*RABBITMQ_ERLANG_COOKIE/);
        const adv = await runStackPolicy(brokerAdvisories, stackValidationArgs(o));
        expect(adv.map((x) => x.message).join()).to.match(/publishNotReadyAddresses/);
        const headless = await runStackPolicy(policies.find((p) => p.name === "headless-service")!, stackValidationArgs(o));
        expect(headless).to.deep.equal([]);
    });
    it("honours policy config (alwaysRequire, naming)", async () => {
        const o = goodRabbit();
        const aff = find(o, "StatefulSet").spec.template.spec.affinity.podAntiAffinity;
        aff.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1, podAffinityTerm: aff.requiredDuringSchedulingIgnoredDuringExecution[0] }];
        delete aff.requiredDuringSchedulingIgnoredDuringExecution;
        const p = policies.find((x) => x.name === "pod-anti-affinity")!;
        expect(await runStackPolicy(p, stackValidationArgs(o))).to.deep.equal([]);
        expect(await runStackPolicy(p, stackValidationArgs(o, { alwaysRequire: true }))).to.have.length(1);
        const h = policies.find((x) => x.name === "headless-service")!;
        expect(await runStackPolicy(h, stackValidationArgs(o, { naming: ["{statefulset}-peers"], strictNaming: true }))).to.have.length(1);
    });
    it("unknown values during preview are skipped, not fatal", async () => {
        const args = stackValidationArgs(goodRabbit());
        const sts = args.resources.find((r) => r.type.endsWith(":StatefulSet"))!;
        const props = sts.props;
        Object.defineProperty(props.spec, "replicas", { get: () => { throw new Error("unknown during preview"); }, enumerable: true });
        for (const p of policies) await runStackPolicy(p, args);
    });
});

import { expect } from "chai";
import { ConfigError, OWNER_ANNOTATION } from "../../components";
import { baseConfig, rabbit } from "../support/fixtures";
import { runProgram } from "../support/render";

const OWNER = (stack: string) => `organization/broker-platform/${stack}`;
const ours = (stack: string, uid: string) => ({ uid, annotations: { [OWNER_ANNOTATION]: OWNER(stack) } });

async function refusal(run: Promise<unknown>): Promise<ConfigError> {
    const err = await run.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(err, "the program must stop").to.be.instanceOf(ConfigError);
    return err as ConfigError;
}

describe("retained objects: adopted when this stack made them, refused otherwise", () => {
    it("a first deployment imports nothing and marks every retained object with the stack", async () => {
        const run = await runProgram(baseConfig(), { stack: "adopt-fresh" });
        expect(run.resources.filter((r) => r.options.importId)).to.deep.equal([]);
        const retained = run.resources.filter((r) => ["kubernetes:core/v1:Namespace", "kubernetes:core/v1:PersistentVolume"].includes(r.type) || r.name === "rmq-deployment");
        expect(retained.map((r) => r.name)).to.have.members(["brokers", "rmq-data-0", "rmq-data-1", "rmq-data-2", "rmq-deployment"]);
        for (const r of retained) expect(r.inputs.metadata.annotations[OWNER_ANNOTATION], r.name).to.equal(OWNER("adopt-fresh"));
    });

    it("after a destroy, this stack's namespace, volumes and record are imported by id; nothing else is", async () => {
        const cluster = {
            "Namespace:brokers": ours("adopt-again", "ns-uid"),
            "PersistentVolume:brokers-rmq-data-0": ours("adopt-again", "pv0"),
            "PersistentVolume:brokers-rmq-data-1": ours("adopt-again", "pv1"),
        };
        const run = await runProgram(baseConfig(), { stack: "adopt-again", cluster });
        const imports = Object.fromEntries(run.resources.filter((r) => r.options.importId).map((r) => [r.name, r.options.importId]));
        expect(imports).to.deep.equal({ brokers: "brokers", "rmq-data-0": "brokers-rmq-data-0", "rmq-data-1": "brokers-rmq-data-1" });
    });

    it("a scale-up hands back the volumes a scale-down retained", async () => {
        const cluster = { "PersistentVolume:brokers-rmq-data-3": ours("adopt-scale", "pv3"), "PersistentVolume:brokers-rmq-data-4": ours("adopt-scale", "pv4") };
        const run = await runProgram(baseConfig({ clusters: [rabbit({ replicas: 5 })] }), { stack: "adopt-scale", cluster });
        expect(run.resources.filter((r) => r.options.importId).map((r) => r.options.importId)).to.deep.equal(["brokers-rmq-data-3", "brokers-rmq-data-4"]);
    });

    it("a namespace that exists without the package's annotation stops the program before anything is registered", async () => {
        const err = await refusal(runProgram(baseConfig(), { stack: "adopt-foreign-ns", cluster: { "Namespace:brokers": { uid: "x", annotations: {} } } }));
        expect(err.problems).to.have.length(1);
        expect(err.problems[0]).to.match(/^Namespace brokers already exists/).and.match(/createNamespace: false/);
        expect(err.message).to.match(/^Objects in the way \(1 problem\)/);
    });

    it("a volume another stack retained is refused, naming that stack", async () => {
        const cluster = { "PersistentVolume:brokers-rmq-data-2": ours("someone-else", "pv2") };
        const err = await refusal(runProgram(baseConfig(), { stack: "adopt-other-stack", cluster }));
        expect(err.problems).to.deep.equal([
            `PersistentVolume brokers-rmq-data-2 already exists in the cluster and it belongs to stack ${OWNER("someone-else")}; this stack will not take it over: it may hold another deployment's data: choose another cluster name or namespace, or delete the volume once its data is safe.`,
        ]);
    });

    it("an existing namespace is fine with createNamespace: false: it is only referenced", async () => {
        const run = await runProgram(baseConfig({ createNamespace: false }), { stack: "adopt-existing-ns", cluster: { "Namespace:brokers": { uid: "x", annotations: {} } } });
        expect(run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace")).to.deep.equal([]);
    });

    it("the guards compare with the deployment record kept in the cluster, also after a destroy", async () => {
        const record = { uid: "r", annotations: { [OWNER_ANNOTATION]: OWNER("adopt-guard"), "broker-platform/deployment": JSON.stringify({ engine: "rabbitmq", version: "4.1.4", replicas: 3 }) } };
        const err = await refusal(runProgram(baseConfig({ clusters: [rabbit({ version: "4.0.9" })] }), { stack: "adopt-guard", cluster: { "ConfigMap:brokers/rmq-deployment": record } }));
        expect(err.problems[0]).to.match(/^broker-platform:clusters\[0\]\.version = "4\.0\.9": cluster rmq runs 4\.1\.4; downgrades/);
    });
});

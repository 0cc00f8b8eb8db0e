import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseSettings } from "../../components";
import { kubernetesObjects, PROJECT, runStack, shippedStacks, stackConfig } from "../support/render";
import { all } from "../support/fixtures";

describe("shipped stacks", () => {
    it("ships dev, staging and prod", () => {
        expect(shippedStacks()).to.include.members(["dev", "staging", "prod"]);
    });

    it("dev is hostPath, staging nfs, prod storageClass with RabbitMQ and EMQX", () => {
        const mode = (s: string) => (stackConfig(s)[`${PROJECT}:storage`] as any).mode;
        expect([mode("dev"), mode("staging"), mode("prod")]).to.deep.equal(["hostPath", "nfs", "storageClass"]);
        const engines = (stackConfig("prod")[`${PROJECT}:clusters`] as any[]).map((c) => c.engine).sort();
        expect(engines).to.deep.equal(["emqx", "rabbitmq"]);
    });

    for (const stack of shippedStacks()) {
        it(`Pulumi.${stack}.yaml is valid and the program runs with it`, async () => {
            const config = stackConfig(stack);
            const raw: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(config)) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
            const settings = parseSettings(raw, PROJECT);
            const run = await runStack(stack);
            const objects = kubernetesObjects(run.resources);
            expect(all(objects, "StatefulSet")).to.have.length(settings.clusters.length);
            const out = run.outputs.clusters;
            for (const c of settings.clusters) {
                expect(out[c.name].nodeNames).to.have.length(c.replicas);
                expect(out[c.name].clientHost).to.equal(`${c.name}.${settings.namespace}.svc.cluster.local`);
                expect(await pulumi.isSecret(out[c.name].connectionUrl)).to.equal(true);
            }
        });
    }
});

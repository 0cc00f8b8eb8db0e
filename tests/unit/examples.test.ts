import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks } from "../support/mocks";
import { kubernetesObjects, REPO_ROOT } from "../support/render";

describe("README examples", () => {
    it("the own-program example is in the README verbatim and runs against the public API", async () => {
        const file = path.join(REPO_ROOT, "examples", "own-program.ts");
        const source = fs.readFileSync(file, "utf8");
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        expect(readme).to.include(source.replace('from "../components"', 'from "@broker-platform/components"'));

        const mocks = new RecordingMocks();
        await pulumi.runtime.setMocks(mocks, "payments", "example", false, "organization");
        pulumi.runtime.setAllConfig({}, []);
        delete require.cache[require.resolve(file)];
        const out = require(file);
        await pulumi.runtime.disconnect();
        const objects = kubernetesObjects(mocks.resources);
        expect(objects.map((o) => o.kind)).to.include.members(["StatefulSet", "Service", "Secret", "PodDisruptionBudget"]);
        expect(objects.map((o) => o.kind)).not.to.include("Namespace");
        expect(out.nodeNames[2]).to.equal("rabbit@ledger-mq-2.ledger-mq-headless.payments.svc.cluster.local");
        expect(await pulumi.isSecret(out.amqpUrl)).to.equal(true);
    });
});

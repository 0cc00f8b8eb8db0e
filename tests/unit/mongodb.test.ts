import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { KEYFILE_PATH } from "../../components";
import { configProblems as problems, kubernetesObjects, outputValue as value, runProgram } from "../support/render";
import { all, baseConfig, find, mongodb, rabbit } from "../support/fixtures";



describe("mongodb (replica set)", () => {
    it("a StatefulSet of mongod --replSet with the keyFile copied 0400 from its Secret; members are the pod hostnames; no sidecar, no API token", async () => {
        const run = await runProgram(baseConfig({ clusters: [mongodb()] }));
        const objects = kubernetesObjects(run.resources);
        const sts = find(objects, "StatefulSet", "docs");
        const pod = sts.spec.template.spec;
        expect(pod.containers.map((c: any) => c.name)).to.deep.equal(["mongodb"]);
        expect(pod.automountServiceAccountToken).to.equal(false);
        expect(all(objects, "Role")).to.have.length(0);
        const mongod = pod.containers[0];
        expect(mongod.command).to.include.ordered.members(["mongod", "--replSet", "docs"]);
        expect(mongod.command.slice(mongod.command.indexOf("--keyFile"))).to.deep.equal(["--keyFile", KEYFILE_PATH]);
        const init = pod.initContainers.find((c: any) => c.name === "keyfile");
        expect(init.command.join(" ")).to.match(/cp \/run\/secrets\/mongo\/keyfile \/run\/mongo\/keyfile && chmod 400 \/run\/mongo\/keyfile/);
        expect(pod.volumes.find((v: any) => v.name === "keyfile-secret").secret.secretName).to.equal("docs-keyfile");
        expect(pod.volumes.find((v: any) => v.name === "keyfile").emptyDir.medium).to.equal("Memory");
        expect(mongod.env.find((e: any) => e.name === "MONGO_ANNOUNCE_HOST").value).to.equal("$(POD_NAME).docs-headless.brokers.svc.cluster.local");
        const cm = objects.find((o) => o.kind === "ConfigMap" && o.data?.["replica-set.sh"])!;
        const script: string = cm.data["replica-set.sh"];
        for (let i = 0; i < 3; i++) expect(script).to.include(`docs-${i}.docs-headless.brokers.svc.cluster.local:27017`);
        // Ordinal 0 initiates only when no other member has a set; everyone else joins through the primary.
        expect(script).to.match(/if \[ "\$ORDINAL" = "0" \] && ! any_set; then\n\s+local_eval "rs\.initiate/);
        expect(script).to.match(/rs\.add\(\$spec\)/);
        expect(mongod.lifecycle.postStart.exec.command).to.deep.equal(["sh", "/etc/mongo/replica-set.sh"]);
        for (const svc of ["docs", "docs-headless"]) expect(find(objects, "Service", svc).spec.ports.map((p: any) => p.port)).to.deep.equal([27017]);
    });

    it("the keyFile: 756 characters of the base64 alphabet, stable (generation keeper), only in its Secret; root user and URL secret", async () => {
        const run = await runProgram(baseConfig({ clusters: [mongodb(), rabbit()] }));
        const objects = kubernetesObjects(run.resources);
        const keyFile = find(objects, "Secret", "docs-keyfile").stringData.keyfile;
        expect(keyFile).to.match(/^[A-Za-z0-9+/]{756}$/);
        const generator = run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.startsWith("docs-keyfile"))!;
        expect(generator.inputs).to.deep.include({ length: 756, overrideSpecial: "+/", keepers: { generation: "0" } });
        expect(JSON.stringify(objects.filter((o) => o.kind !== "Secret"))).not.to.include(keyFile);
        const admin = find(objects, "Secret", "docs-admin").stringData;
        const c = run.outputs.clusters.docs;
        expect(await pulumi.isSecret(c.connectionUrl)).to.equal(true);
        const hosts = [0, 1, 2].map((i) => `docs-${i}.docs-headless.brokers.svc.cluster.local:27017`).join(",");
        expect(await value(c.connectionUrl as pulumi.Output<string>)).to.equal(`mongodb://${admin.username}:${admin.password}@${hosts}/?replicaSet=docs&authSource=admin`);
        expect(Object.keys(c)).to.include("keyFileSecret").and.not.to.include("cookieSecret");
    });

    it("an existing keyFile Secret is adopted, never generated", async () => {
        const run = await runProgram(baseConfig({ clusters: [mongodb({ keyFile: { existingSecret: { name: "mongo-keyfile", key: "key" } } })] }));
        const objects = kubernetesObjects(run.resources);
        expect(all(objects, "Secret").map((s) => s.metadata.name)).to.deep.equal(["docs-admin"]);
        const v = find(objects, "StatefulSet").spec.template.spec.volumes.find((x: any) => x.name === "keyfile-secret");
        expect(v.secret).to.deep.include({ secretName: "mongo-keyfile", items: [{ key: "key", path: "keyfile" }] });
    });

    it("refuses versions outside 6.0/7.0/8.0 and keys that do not apply, naming key and value", () => {
        const cfg = (c: Record<string, unknown>) => baseConfig({ clusters: [mongodb(c)] });
        expect(problems(cfg({ version: "5.0.9" }))).to.match(/version = "5\.0\.9".*supported series: 6\.0, 7\.0, 8\.0/);
        expect(problems(cfg({ password: { generation: 1 } }))).to.match(/password applies to Redis and Valkey only; MongoDB members share the keyFile/);
        expect(problems(cfg({ extraConfig: { "net.maxIncomingConnections": 100 } }))).to.match(/extraConfig does not apply to MongoDB/);
        expect(problems(baseConfig({ clusters: [rabbit({ keyFile: { generation: 1 } })] }))).to.match(/keyFile applies to MongoDB only/);
        expect(problems(cfg({ adminCredentials: { generation: 1 } }))).to.match(/adminCredentials does not apply to MongoDB: the root user is created once/);
        expect(problems(cfg({}))).to.equal("");
    });
});

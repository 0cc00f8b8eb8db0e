import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { rabbitPasswordHash } from "../../components";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit } from "../support/fixtures";

function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
    return pulumi.isSecret(o);
}

describe("secrets", () => {
    it("connection URLs are secret outputs; plain outputs hold no credentials", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit(), emqx()] }));
        for (const name of ["rmq", "mqtt"]) {
            const c = run.outputs.clusters[name];
            expect(await isSecretOutput(c.connectionUrl), `${name}.connectionUrl`).to.equal(true);
            expect(await isSecretOutput(c.cookieSecret)).to.equal(false);
            expect(c.managementUrl).to.be.a("string").and.not.to.include("@");
        }
        const url = await new Promise<string>((resolve) => run.outputs.clusters.rmq.connectionUrl.apply(resolve));
        // Applications get the application user, never the administrator.
        const app = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "rmq-app")!.inputs.stringData;
        expect(url).to.equal(`amqp://${app.username}:${app.password}@rmq.brokers.svc.cluster.local:5672/%2F`);
        expect(url).to.match(/^amqp:\/\/app-[a-z0-9]{8}:[A-Za-z0-9]{32}@/);
        expect(await new Promise<string>((resolve) => run.outputs.clusters.rmq.appSecret.apply(resolve))).to.equal("rmq-app");
    });

    it("the connection URL opens the first declared vhost", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit({ definitions: { vhosts: ["orders", "billing"] } })] }));
        const url = await new Promise<string>((resolve) => run.outputs.clusters.rmq.connectionUrl.apply(resolve));
        expect(url).to.match(/:5672\/orders$/);
    });

    it("the cookie and passwords reach pods only through Secrets, never as literals or in ConfigMaps", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit({ definitions: { vhosts: ["a"] } }), emqx()] }));
        const objects = kubernetesObjects(run.resources);
        const generated = run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.inputs);
        expect(generated.length).to.be.greaterThan(0);
        const cookieValues = run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("erlang-cookie")).map((r) => r.inputs.stringData.cookie);
        expect(cookieValues).to.have.length(2);
        const nonSecretText = JSON.stringify(objects.filter((o) => o.kind !== "Secret"));
        for (const cookie of cookieValues) {
            expect(cookie).to.match(/^[A-Za-z0-9]{48}$/);
            expect(nonSecretText).not.to.include(cookie);
        }
        for (const sts of all(objects, "StatefulSet")) {
            for (const e of sts.spec.template.spec.containers[0].env) {
                if (/(COOKIE|PASS|PASSWORD)$/.test(e.name)) expect(e, e.name).to.have.nested.property("valueFrom.secretKeyRef");
            }
        }
        expect(JSON.stringify(all(objects, "ConfigMap"))).not.to.match(/default_pass|password/);
    });

    it("generated values have no inputs that config can change, so updates never rotate them", async () => {
        const generators = async (config: any) =>
            (await runProgram(config)).resources.filter((r) => r.type.startsWith("random:")).map((r) => ({ name: r.name, inputs: r.inputs }));
        const before = await generators(baseConfig({ clusters: [rabbit({ replicas: 3 })] }));
        const after = await generators(baseConfig({ namespace: "other", storage: { mode: "nfs", server: "nfs", basePath: "/e" }, clusters: [rabbit({ replicas: 5, version: "4.2.1", resources: { limits: { memory: "4Gi" } } })] }));
        expect(after).to.deep.equal(before);
        const cookie = before.find((g) => g.name.endsWith("erlang-cookie-value"))!;
        expect(cookie.inputs).to.deep.include({ length: 48, special: false, keepers: { generation: "0" } });
    });

    it("rotation is explicit: bumping a generation changes only that generator's keepers", async () => {
        const keepers = async (config: any) =>
            Object.fromEntries((await runProgram(config)).resources.filter((r) => r.type.startsWith("random:") && r.inputs.keepers).map((r) => [r.name, r.inputs.keepers.generation]));
        expect(await keepers(baseConfig({ clusters: [rabbit({ erlangCookie: { generation: 1 } })] }))).to.deep.equal({
            "rmq-erlang-cookie-value": "1",
            "rmq-admin-user": "0",
            "rmq-admin-password": "0",
            "rmq-app-user": "0",
            "rmq-app-password": "0",
        });
        expect(await keepers(baseConfig({ clusters: [rabbit({ appCredentials: { generation: 3 } })] }))).to.deep.include({ "rmq-admin-password": "0", "rmq-app-user": "3", "rmq-app-password": "3" });
        expect(await keepers(baseConfig({ clusters: [rabbit({ adminCredentials: { generation: 2 } })] }))).to.deep.include({ "rmq-erlang-cookie-value": "0", "rmq-admin-password": "2" });
    });

    it("secrets are immutable objects, so an accidental rotation fails instead of splitting the cluster", async () => {
        const objects = kubernetesObjects((await runProgram(baseConfig())).resources);
        expect(find(objects, "Secret", "rmq-erlang-cookie").immutable).to.equal(true);
        expect(find(objects, "Secret", "rmq-admin").immutable).to.equal(true);
    });

    it("adopts an existing cookie Secret instead of generating one", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit({ erlangCookie: { existingSecret: { name: "rabbitmq-helm", key: "rabbitmq-erlang-cookie" } } })] }));
        const objects = kubernetesObjects(run.resources);
        expect(run.resources.filter((r) => r.name.endsWith("erlang-cookie-value"))).to.have.length(0);
        expect(all(objects, "Secret").map((s) => s.metadata.name)).not.to.include("rmq-erlang-cookie");
        const vol = find(objects, "StatefulSet").spec.template.spec.volumes.find((v: any) => v.name === "erlang-cookie");
        expect(vol.secret).to.deep.include({ secretName: "rabbitmq-helm", items: [{ key: "rabbitmq-erlang-cookie", path: "cookie" }] });
    });

    it("definitions carry the admin and the application user with RabbitMQ's salted SHA-256 hash", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit({ definitions: { vhosts: ["orders"], queues: [{ name: "q1", vhost: "orders" }] } })] }));
        const admin = run.resources.find((r) => r.name === "rmq-admin" && r.type === "kubernetes:core/v1:Secret")!.inputs.stringData;
        const defs = JSON.parse(run.resources.find((r) => r.name === "rmq-definitions")!.inputs.stringData["definitions.json"]);
        expect(defs.users[0].name).to.equal(admin.username);
        const salt = Buffer.from(defs.users[0].password_hash, "base64").subarray(0, 4);
        expect(defs.users[0].password_hash).to.equal(rabbitPasswordHash(admin.password, salt));
        const app = run.resources.find((r) => r.name === "rmq-app" && r.type === "kubernetes:core/v1:Secret")!.inputs.stringData;
        expect(defs.users.map((u: any) => [u.name, u.tags])).to.deep.equal([[admin.username, ["administrator"]], [app.username, []]]);
        expect(defs.users[1].password_hash).to.equal(rabbitPasswordHash(app.password, salt));
        expect(defs.vhosts.map((v: any) => [v.name, v.metadata.default_queue_type])).to.deep.equal([["/", "quorum"], ["orders", "quorum"]]);
        // The admin on every vhost; the application user on the declared ones only.
        expect(defs.permissions.map((p: any) => [p.user, p.vhost])).to.deep.equal([[admin.username, "/"], [admin.username, "orders"], [app.username, "orders"]]);
        expect(defs.queues[0]).to.deep.include({ name: "q1", vhost: "orders", durable: true, arguments: { "x-queue-type": "quorum" } });
        expect(Object.keys(admin).sort()).to.deep.equal(["password", "username"]);
    });

    it("RabbitMQ without declared definitions still imports the admin user on every boot", async () => {
        const run = await runProgram(baseConfig());
        const defs = JSON.parse(run.resources.find((r) => r.name === "rmq-definitions")!.inputs.stringData["definitions.json"]);
        expect(defs.users.map((u: any) => u.tags)).to.deep.equal([["administrator"], []]);
        expect(defs.vhosts).to.deep.equal([{ name: "/", metadata: { description: "", tags: [], default_queue_type: "quorum" } }]);
        const conf = kubernetesObjects(run.resources).find((o) => o.kind === "ConfigMap")!.data["rabbitmq.conf"];
        expect(conf).to.include("load_definitions = /etc/rabbitmq/definitions.json");
        expect(conf).not.to.match(/default_(user|pass)/);
    });
});

describe("secret inputs", () => {
    it("Secret payloads reach the engine marked secret", async () => {
        const run = await runProgram(baseConfig());
        for (const r of run.resources.filter((x) => x.type === "kubernetes:core/v1:Secret")) {
            expect(r.secretInputs, r.name).to.be.greaterThan(0);
        }
    });
});

import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emqxPasswordHash, parseSettings, resolveCluster, statefulSetArgs } from "../../components";
import { dashboardAdminSyncScript, MQTT_USERS_DIR } from "../../components/engines/emqx";
import { kubernetesObjects, outputValue as value, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, literalEnv, rabbit } from "../support/fixtures";

const secretInputs = (run: Awaited<ReturnType<typeof runProgram>>, name: string) => run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === name)!.inputs;

describe("EMQX client authentication", () => {
    it("is on by default: a built-in database authenticator loads the generated user from a mounted Secret", async () => {
        const run = await runProgram(baseConfig({ clusters: [emqx()] }));
        const objects = kubernetesObjects(run.resources);
        const sts = find(objects, "StatefulSet", "mqtt");
        const env = literalEnv(sts);
        expect(env).to.include({
            EMQX_AUTHENTICATION__1__MECHANISM: "password_based",
            EMQX_AUTHENTICATION__1__BACKEND: "built_in_database",
            EMQX_AUTHENTICATION__1__USER_ID_TYPE: "username",
            EMQX_AUTHENTICATION__1__PASSWORD_HASH_ALGORITHM__NAME: "sha256",
            EMQX_AUTHENTICATION__1__PASSWORD_HASH_ALGORITHM__SALT_POSITION: "prefix",
            EMQX_AUTHENTICATION__1__BOOTSTRAP_TYPE: "hash",
            EMQX_AUTHENTICATION__1__BOOTSTRAP_FILE: `${MQTT_USERS_DIR}/users.json`,
        });
        const pod = sts.spec.template.spec;
        const users = all(objects, "Secret").find((s) => s.metadata.name.startsWith("mqtt-mqtt-users-"))!;
        expect(users.metadata.name).to.match(/^mqtt-mqtt-users-[0-9a-f]{10}$/);
        expect(pod.volumes.find((v: any) => v.name === "mqtt-users").secret).to.deep.equal({
            secretName: users.metadata.name,
            defaultMode: 0o440,
            items: [{ key: "users.json", path: "users.json" }],
        });
        expect(pod.securityContext.fsGroup, "group 1000 may read the 0440 file").to.equal(1000);
        expect(pod.containers[0].volumeMounts).to.deep.include({ name: "mqtt-users", mountPath: MQTT_USERS_DIR, readOnly: true });
        expect(JSON.stringify(pod)).not.to.include("client-");
    });

    it("the users file holds EMQX's salted sha256 of the client Secret's password, never the password", async () => {
        const run = await runProgram(baseConfig({ clusters: [emqx()] }));
        const client = secretInputs(run, "mqtt-mqtt-client").stringData;
        const file = secretInputs(run, "mqtt-mqtt-client-users");
        const users = JSON.parse(file.stringData["users.json"]);
        expect(Object.keys(client).sort()).to.deep.equal(["password", "username"]);
        expect(client.username).to.match(/^client-[a-z0-9]{8}$/);
        expect(client.password).to.match(/^[A-Za-z0-9]{32}$/);
        expect(users).to.have.length(1);
        expect(users[0]).to.deep.include({ user_id: client.username, is_superuser: false });
        expect(users[0].salt).to.match(/^[0-9a-f]{32}$/);
        expect(users[0].password_hash).to.equal(emqxPasswordHash(client.password, users[0].salt));
        expect(file.stringData["users.json"]).not.to.include(client.password);
        expect(file.immutable).to.equal(true);
        expect(secretInputs(run, "mqtt-mqtt-client").immutable).to.equal(true);
    });

    it("hashes as emqx_passwd does for sha256 with the salt in front (lower-case hex)", () => {
        // sha256("0011aabb" ++ "Secr3tPassw0rd"), computed outside this package.
        expect(emqxPasswordHash("Secr3tPassw0rd", "0011aabb")).to.equal("d159c46985333a54a11f3d4a57d5286260b8bd507c01d0eb67236cdcbf262529");
    });

    it("outputs a secret client URL for the generated user; connectionUrl is the same, without the dashboard admin", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit(), emqx()] }));
        const { mqtt, rmq } = run.outputs.clusters;
        expect(await pulumi.isSecret(mqtt.clientConnectionUrl)).to.equal(true);
        const client = secretInputs(run, "mqtt-mqtt-client").stringData;
        const url = await value(mqtt.clientConnectionUrl);
        expect(url).to.equal(`mqtt://${client.username}:${client.password}@mqtt.brokers.svc.cluster.local:1883`);
        expect(await value(mqtt.connectionUrl)).to.equal(url);
        const admin = secretInputs(run, "mqtt-admin").stringData;
        expect(url).not.to.include(admin.username);
        expect(await value(mqtt.clientSecret)).to.equal("mqtt-mqtt-client");
        expect(rmq).not.to.have.any.keys("clientConnectionUrl", "clientSecret");
        expect(await value(rmq.connectionUrl)).to.match(/^amqp:\/\/app-/);
    });

    it("allowAnonymous: true configures no authenticator and generates no user; the URL has no credentials", async () => {
        const run = await runProgram(baseConfig({ clusters: [emqx({ version: "5.6.1", clientAuth: { allowAnonymous: true } })] }));
        const objects = kubernetesObjects(run.resources);
        const sts = find(objects, "StatefulSet", "mqtt");
        expect(Object.keys(literalEnv(sts)).filter((k) => k.startsWith("EMQX_AUTHENTICATION"))).to.deep.equal([]);
        expect(sts.spec.template.spec.volumes.map((v: any) => v.name)).not.to.include("mqtt-users");
        expect(all(objects, "Secret").map((s) => s.metadata.name).filter((n) => n.includes("mqtt-mqtt"))).to.deep.equal([]);
        expect(run.resources.filter((r) => r.type.startsWith("random:") && r.name.includes("mqtt-client"))).to.deep.equal([]);
        const out = run.outputs.clusters.mqtt;
        expect(await value(out.clientConnectionUrl)).to.equal("mqtt://mqtt.brokers.svc.cluster.local:1883");
        expect(out).not.to.have.key("clientSecret");
    });

    it("further authenticators may follow from index 2 through extraConfig", () => {
        const s = parseSettings(baseConfig({ clusters: [emqx({ extraConfig: { EMQX_AUTHENTICATION__2__MECHANISM: "jwt" } })] }), "broker-platform");
        expect(s.clusters[0].extraConfig).to.have.key("EMQX_AUTHENTICATION__2__MECHANISM");
    });

    it("rotation is explicit: clientAuth.generation renews the user, renames the users Secret and so rolls the pods", async () => {
        const render = async (generation: number) => {
            const run = await runProgram(baseConfig({ clusters: [emqx({ clientAuth: { generation } })] }));
            const sts = find(kubernetesObjects(run.resources), "StatefulSet", "mqtt");
            const keepers = Object.fromEntries(run.resources.filter((r) => r.type.startsWith("random:") && r.inputs.keepers).map((r) => [r.name, r.inputs.keepers.generation]));
            return { volume: sts.spec.template.spec.volumes.find((v: any) => v.name === "mqtt-users").secret.secretName, keepers };
        };
        const [before, after] = [await render(0), await render(1)];
        expect(after.volume).not.to.equal(before.volume);
        expect(after.keepers).to.deep.equal({
            "mqtt-erlang-cookie-value": "0",
            "mqtt-admin-user": "0",
            "mqtt-admin-password": "0",
            "mqtt-mqtt-client-user": "1",
            "mqtt-mqtt-client-password": "1",
            "mqtt-mqtt-client-salt": "1",
        });
        // The name derives from the generation only, never from secret material.
        const settings = parseSettings(baseConfig({ clusters: [emqx({ clientAuth: { generation: 1 } })] }), "p");
        expect(resolveCluster(settings, settings.clusters[0]).secrets.mqttUsers!.name).to.equal(after.volume);
    });

    it("every EMQX pod runs the dashboard admin sync after start; RabbitMQ pods do not", async () => {
        const objects = kubernetesObjects((await runProgram(baseConfig({ clusters: [rabbit(), emqx({ version: "5.0.26", clientAuth: { allowAnonymous: true } })] }))).resources);
        const lifecycle = (name: string) => find(objects, "StatefulSet", name).spec.template.spec.containers[0].lifecycle;
        expect(lifecycle("mqtt").postStart.exec.command).to.deep.equal(["sh", "-c", dashboardAdminSyncScript()]);
        expect(lifecycle("mqtt").preStop.exec.command).to.deep.equal(["sh", "-c", "sleep 15"]);
        expect(lifecycle("rmq")).not.to.have.key("postStart");
        const settings = parseSettings(baseConfig({ clusters: [emqx()] }), "p");
        const env = (statefulSetArgs(resolveCluster(settings, settings.clusters[0])) as any).spec.template.spec.containers[0].env;
        // The hook reads the admin from the same Secret references the broker boots with.
        expect(env.find((e: any) => e.name === "EMQX_DASHBOARD__DEFAULT_PASSWORD").valueFrom.secretKeyRef).to.deep.equal({ name: "mqtt-admin", key: "password" });
    });
});

/**
 * The hook script against a stand-in for `emqx ctl` that keeps the dashboard's admin table in a
 * directory and answers as EMQX does (`ok`, `Error: <reason>`, nothing while the node is down).
 */
describe("dashboard admin sync (postStart hook)", () => {
    let dir: string;
    const FAKE = `#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$d/calls"
echo "$*" >> "$d/argv"
if [ "$n" -le "$(cat "$d/down" 2>/dev/null || echo 0)" ]; then echo "Node emqx@x not responding to pings."; exit 1; fi
shift; shift
case "$1" in
  passwd) [ -f "$d/admins/$2" ] || { echo "Error: username_not_found"; exit 0; }
          case "$3" in *[0-9]*) ;; *) echo "Error: The password should contain at least two types"; exit 0 ;; esac
          printf %s "$3" > "$d/admins/$2"; echo ok ;;
  add) [ -f "$d/admins/$2" ] && { echo "Error: username_already_exists"; exit 0; }
       case "$3" in *[0-9]*) ;; *) echo "Error: The password should contain at least two types"; exit 0 ;; esac
       printf %s "$3" > "$d/admins/$2"; echo ok ;;
  del) [ -f "$d/admins/$2" ] || { echo "Error: username_not_found"; exit 0; }
       rm "$d/admins/$2"; echo ok ;;
esac
`;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "admin-sync-"));
        fs.mkdirSync(path.join(dir, "admins"));
        fs.writeFileSync(path.join(dir, "emqx"), FAKE, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const admins = () => Object.fromEntries(fs.readdirSync(path.join(dir, "admins")).map((u) => [u, fs.readFileSync(path.join(dir, "admins", u), "utf8")]));
    const log = () => (fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : "");
    const calls = () => Number(fs.readFileSync(path.join(dir, "calls"), "utf8"));
    function start(user: string, pass: string, attempts = 5) {
        const script = dashboardAdminSyncScript({ emqx: path.join(dir, "emqx"), marker: path.join(dir, "marker"), log: path.join(dir, "log"), attempts, pauseSeconds: 0 });
        const r = spawnSync("sh", ["-c", script], { env: { PATH: process.env.PATH, EMQX_DASHBOARD__DEFAULT_USERNAME: user, EMQX_DASHBOARD__DEFAULT_PASSWORD: pass }, encoding: "utf8", timeout: 20000 });
        expect(r.status, r.stderr).to.equal(0);
        expect(log(), "the log never carries the password").not.to.include(pass);
        return r;
    }

    it("waits for the node, then creates the admin when the Secret's user does not exist", () => {
        fs.writeFileSync(path.join(dir, "down"), "2");
        start("admin-aaaa1111", "Passw0rdOne");
        expect(admins()).to.deep.equal({ "admin-aaaa1111": "Passw0rdOne" });
        expect(fs.readFileSync(path.join(dir, "marker"), "utf8")).to.equal("admin-aaaa1111");
        expect(log()).to.match(/follows its Secret/);
    });

    it("resets a password stored earlier (changed in the dashboard, or kept on retained data) to the Secret's", () => {
        fs.writeFileSync(path.join(dir, "admins", "admin-aaaa1111"), "ChangedByHand1");
        fs.writeFileSync(path.join(dir, "marker"), "admin-aaaa1111");
        start("admin-aaaa1111", "Passw0rdOne");
        expect(admins()).to.deep.equal({ "admin-aaaa1111": "Passw0rdOne" });
    });

    it("after a rotation, applies the new admin and deletes the one it applied before; other admins stay", () => {
        start("admin-aaaa1111", "Passw0rdOne");
        fs.writeFileSync(path.join(dir, "admins", "operator"), "Operat0r");
        start("admin-bbbb2222", "Passw0rdTwo");
        expect(admins()).to.deep.equal({ "admin-bbbb2222": "Passw0rdTwo", operator: "Operat0r" });
        expect(fs.readFileSync(path.join(dir, "marker"), "utf8")).to.equal("admin-bbbb2222");
        // A second member restarting onto the same Secret finds the old admin gone already.
        start("admin-bbbb2222", "Passw0rdTwo");
        expect(admins()).to.deep.equal({ "admin-bbbb2222": "Passw0rdTwo", operator: "Operat0r" });
    });

    it("gives up after its attempts when the node never answers, without failing the container", () => {
        fs.writeFileSync(path.join(dir, "down"), "1000");
        start("admin-aaaa1111", "Passw0rdOne", 3);
        expect(calls()).to.equal(3);
        expect(admins()).to.deep.equal({});
        expect(log()).to.match(/not answering/);
    });

    it("stops at once when EMQX refuses the password, and says why in the log", () => {
        fs.writeFileSync(path.join(dir, "admins", "admin-aaaa1111"), "Old0ne");
        start("admin-aaaa1111", "onlyletters", 5);
        expect(calls()).to.equal(1);
        expect(log()).to.match(/not applied: Error: The password should contain/);
    });
});

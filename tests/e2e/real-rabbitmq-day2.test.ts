/**
 * RabbitMQ day-2 on real pods: the program's StatefulSets through the real engine onto three real
 * nodes, for both stand-in versions at once (4.0.5, whose discovery asks the API, and 4.3.6 on
 * the >= 4.1 path: seed = ordinal 0, no API access), one stack each. A client pod publishes
 * persistent messages with publisher confirms through every operation; at the end every id the
 * broker confirmed must be in the queue. Assertions read what RabbitMQ says (`cluster_status`,
 * `rabbitmq-queues quorum_status`, `list_users`, `list_feature_flags`, HTTP statuses of its API,
 * message ids), never log words.
 *
 * Scenarios run in order on the same two clusters: formation; a rolling restart through
 * `pulumi up`; a member's container killed; a node lost; ordinal 0 on an empty volume; a full
 * stop; scale 3 → 5 → 3 with the guard's steps; the upgrade guard and the feature flags.
 */
import { expect } from "chai";
import { EngineStack, engineStack, requireEngine } from "./support/engine";
import { eventually, LocalCluster, REPO_ROOT, run } from "./support/local";
import {
    exec,
    HostState,
    hostState,
    hostStateDiff,
    idsOf,
    provideLocalStorageClass,
    PublisherResult,
    rabbitmqFeatureFlags,
    rabbitmqQuorumMembers,
    rabbitmqRunningNodes,
    rabbitmqUsers,
    RABBITMQ_NEXT_VERSION,
    RABBITMQ_VERSION,
    runClient,
    startClient,
    stopPublisher,
} from "./support/real-nodes";
import * as fs from "fs";
import * as path from "path";

const GRACE = 60;
/** The node the node-loss scenario stops and starts. */
const LOST_NODE = "real-node-3";
const CLASS = "local-day2";

interface Day2Stack {
    version: string;
    ns: string;
    e: EngineStack;
    nodeNames: string[];
    /** Every publisher run's result, checked against the queue at the end. */
    published: PublisherResult[];
    /** Publishers started and not yet stopped. */
    running: string[];
}

function clusterConfig(version: string, over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "rabbit",
        engine: "rabbitmq",
        version,
        replicas: 3,
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
        terminationGracePeriodSeconds: GRACE,
        definitions: { vhosts: ["orders"], queues: [{ name: "orders.created", vhost: "orders" }] },
        ...over,
    };
}

function stackConfig(s: { version: string; ns: string }, over: Record<string, unknown> = {}) {
    return { namespace: s.ns, storage: { mode: "storageClass", className: CLASS, size: "1Gi" }, clusters: [clusterConfig(s.version, over)] };
}

/** Node names of the members, by ordinal. */
function members(s: Day2Stack, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => s.nodeNames[0].replace(/^rabbit@rabbit-0\./, `rabbit@rabbit-${i}.`));
}

/** Every member answers and lists exactly `expected` as running (one cluster). */
function oneCluster(k: LocalCluster, s: Day2Stack, expected: string[]): true | undefined {
    for (let i = 0; i < expected.length; i++) {
        const running = rabbitmqRunningNodes(k, s.ns, `rabbit-${i}`);
        if (JSON.stringify(running) !== JSON.stringify([...expected].sort())) return undefined;
    }
    return true;
}

function secretLogin(k: LocalCluster, ns: string, name: string): { username: string; password: string } {
    const data = k.getJson(["get", "secret", "-n", ns, name]).data;
    return { username: Buffer.from(data.username, "base64").toString(), password: Buffer.from(data.password, "base64").toString() };
}

async function startPublisher(k: LocalCluster, s: Day2Stack, name: string): Promise<void> {
    const url = (await s.e.stack.outputs()).clusters.value.rabbit.connectionUrl;
    // Never on the node the node-loss scenario takes away: the publisher must outlive every scenario.
    startClient(k, s.ns, name, "amqp-publish", url, s.published.length + s.running.length + 1, { avoidNodes: [LOST_NODE] });
    s.running.push(name);
    await eventually(`publisher ${s.ns}/${name} running`, 60_000, () => (k.getJson(["get", "pod", "-n", s.ns, name]).status?.phase === "Running" ? true : undefined));
}

async function stopPublishers(k: LocalCluster, s: Day2Stack): Promise<PublisherResult[]> {
    const names = s.running;
    s.running = [];
    const settled = await Promise.allSettled(names.map((name) => stopPublisher(k, s.ns, name)));
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [`${names[i]}: ${String(r.reason)}`] : []));
    const results = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    s.published.push(...results);
    if (failed.length > 0) throw new Error(`${s.version}: publishers failed: ${failed.join("; ")}`);
    for (const r of results) expect(idsOf(r.confirmed).length, `publisher run ${r.run} confirmed nothing`).to.be.greaterThan(0);
    return results;
}

/** Confirmations a publisher got between two moments (unix seconds). */
function confirmedBetween(r: PublisherResult, from: number, to: number): number {
    const at = (t: number) => [...r.timeline].reverse().find(([s]) => s <= t)?.[1] ?? 0;
    return at(to) - at(from);
}

/** Host pid of a member's broker VM: a `beam.smp` booting rabbit, whose environment names the member. */
function brokerPids(node: string): number[] {
    const pids = run("pgrep", ["-x", "beam.smp"]).stdout.split("\n").filter(Boolean).map(Number);
    return pids.filter((pid) => {
        try {
            const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
            const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
            return cmdline.includes(" -s rabbit boot ") && environ.includes(`RABBITMQ_NODENAME=${node}`);
        } catch {
            return false; // gone meanwhile
        }
    });
}

/**
 * Seconds each pod took from its deletion to the end of its containers (the pod object gone), by
 * name and uid, while `during` runs. The API sets deletionTimestamp to the deletion time plus the
 * grace period, so the deletion time is that less deletionGracePeriodSeconds.
 */
async function terminationTimes<T>(k: LocalCluster, ns: string, during: () => Promise<T>): Promise<{ result: T; seconds: Record<string, number> }> {
    const deleting = new Map<string, { name: string; at: number }>();
    const seconds: Record<string, number> = {};
    let done = false;
    const poll = (async () => {
        while (!done) {
            const pods = k.getJson(["get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=rabbitmq"]).items;
            const uids = new Set(pods.map((p: any) => p.metadata.uid));
            for (const p of pods) {
                if (p.metadata.deletionTimestamp && !deleting.has(p.metadata.uid)) {
                    deleting.set(p.metadata.uid, { name: p.metadata.name, at: Date.parse(p.metadata.deletionTimestamp) - 1000 * (p.metadata.deletionGracePeriodSeconds ?? 0) });
                }
            }
            for (const [uid, d] of deleting) {
                if (!uids.has(uid) && seconds[`${d.name}/${uid.slice(0, 8)}`] === undefined) seconds[`${d.name}/${uid.slice(0, 8)}`] = (Date.now() - d.at) / 1000;
            }
            await new Promise((r) => setTimeout(r, 1000));
        }
    })();
    try {
        const result = await during();
        return { result, seconds };
    } finally {
        done = true;
        await poll;
    }
}

describe("e2e: RabbitMQ day-2 on real pods, 4.0.5 and 4.3.6 side by side", function () {
    this.timeout(60 * 60 * 1000);
    let k: LocalCluster;
    let hostBefore: HostState;
    const stacks: Day2Stack[] = [];
    const timings: Record<string, number> = {};
    let t0 = 0;
    beforeEach(() => (t0 = Date.now()));
    afterEach(function () {
        timings[this.currentTest?.title.slice(0, 60) ?? "?"] = Math.round((Date.now() - t0) / 1000);
    });

    before(async function () {
        requireEngine();
        hostBefore = hostState();
        k = LocalCluster.start("real", 3, undefined, { realNodes: true });
        // Four local volumes per node: 3 members per stack, a replacement volume for ordinal 0, two for the scale-up.
        provideLocalStorageClass(k, CLASS, 4, "1Gi");
        for (const version of [RABBITMQ_VERSION, RABBITMQ_NEXT_VERSION]) {
            const ns = `day2-${version.replace(/\./g, "")}`;
            const e = await engineStack(k, ns, { config: stackConfig({ version, ns }) });
            stacks.push({ version, ns, e, nodeNames: [], published: [], running: [] });
        }
    });

    after(function () {
        console.log(`      scenario times (s): ${JSON.stringify(timings)}`);
        if (k && hostStateDiff(hostBefore, hostState()).processes) k.stop();
    });

    it("a. formation: one cluster of three, the declared quorum queue on all three, the application user, no guest, every stable feature flag", async function () {
        const ups = await Promise.all(stacks.map((s) => s.e.stack.up()));
        ups.forEach((r, i) => expect(r.summary.result, `${stacks[i].version}: ${r.stderr}`).to.equal("succeeded"));
        for (const [i, s] of stacks.entries()) {
            s.nodeNames = ups[i].outputs.clusters.value.rabbit.nodeNames;
            expect(oneCluster(k, s, s.nodeNames), s.version).to.equal(true);
            expect(rabbitmqQuorumMembers(k, s.ns, "rabbit-0", "orders.created", "orders"), s.version).to.deep.equal([...s.nodeNames].sort());
            const admin = secretLogin(k, s.ns, "rabbit-admin");
            const app = secretLogin(k, s.ns, "rabbit-app");
            const users = rabbitmqUsers(k, s.ns, "rabbit-0").map((u) => [u.user, [...u.tags].sort()]);
            expect(users, s.version).to.have.deep.members([
                [admin.username, ["administrator"]],
                [app.username, []],
            ]);
            const flags = rabbitmqFeatureFlags(k, s.ns, "rabbit-0");
            const notEnabled = flags.filter((f) => f.stability !== "experimental" && f.state !== "enabled");
            expect(notEnabled, `${s.version}: ${JSON.stringify(notEnabled)}`).to.deep.equal([]);
        }
        await Promise.all(
            stacks.map(async (s) => {
                const as = (who: { username: string; password: string }) =>
                    `http://${encodeURIComponent(who.username)}:${encodeURIComponent(who.password)}@rabbit.${s.ns}.svc.cluster.local:15672/api/overview`;
                expect((await runClient(k, s.ns, "http-app", "http-get", as(secretLogin(k, s.ns, "rabbit-app")), 0)).status, `${s.version}: the application user on the management API`).to.equal(401);
                expect((await runClient(k, s.ns, "http-admin", "http-get", as(secretLogin(k, s.ns, "rabbit-admin")), 0)).status, `${s.version}: the admin`).to.equal(200);
                const url = (await s.e.stack.outputs()).clusters.value.rabbit.connectionUrl;
                expect(await runClient(k, s.ns, "amqp-client", "amqp", url, 200), s.version).to.deep.equal({ published: 200, consumed: 200, inOrder: true });
            }),
        );
    });

    it(`b. a rolling restart through pulumi up (a config change): every pod stops within its ${GRACE} s grace period, and pulumi up succeeds`, async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-roll")));
        const rolls = await Promise.all(
            stacks.map((s) =>
                terminationTimes(k, s.ns, async () => {
                    await s.e.setConfig(stackConfig(s, { extraConfig: { consumer_timeout: 3600000 } }));
                    return s.e.stack.up();
                }),
            ),
        );
        for (const [i, s] of stacks.entries()) {
            expect(rolls[i].result.summary.result, `${s.version}: ${rolls[i].result.stderr}`).to.equal("succeeded");
            const times = Object.values(rolls[i].seconds);
            console.log(`      ${s.version}: pod stop times (deletion to gone, s): ${JSON.stringify(rolls[i].seconds)}`);
            expect(times, s.version).to.have.length(3);
            for (const t of times) expect(t, s.version).to.be.lessThan(GRACE);
            expect(oneCluster(k, s, s.nodeNames), s.version).to.equal(true);
        }
        await Promise.all(stacks.map((s) => stopPublishers(k, s)));
    });

    it("d. a member's Erlang VM killed (SIGKILL, no preStop): it restarts and rejoins; the others keep confirming", async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-kill")));
        await new Promise((r) => setTimeout(r, 5000));
        const killedAt = Math.floor(Date.now() / 1000);
        for (const s of stacks) {
            const pids = brokerPids(s.nodeNames[1]);
            expect(pids, `${s.version}: the VM of ${s.nodeNames[1]}`).to.have.length(1);
            process.kill(pids[0], "SIGKILL");
        }
        await new Promise((r) => setTimeout(r, 10_000));
        for (const s of stacks) await eventually(`${s.version}: one cluster of three again`, 300_000, () => oneCluster(k, s, s.nodeNames));
        const back = Math.floor(Date.now() / 1000);
        for (const [i, r] of (await Promise.all(stacks.map((s) => stopPublishers(k, s)))).entries()) {
            expect(confirmedBetween(r[0], killedAt, back), `${stacks[i].version}: confirmations while the member was down`).to.be.greaterThan(0);
        }
    });

    it("d. a node lost (kubelet, containerd and containers killed): the others keep serving; its members rejoin when it returns", async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-node")));
        const lost = LOST_NODE;
        const pods = (s: Day2Stack) => k.getJson(["get", "pods", "-n", s.ns, "-l", "app.kubernetes.io/name=rabbitmq"]).items.filter((p: any) => p.spec.nodeName === lost).map((p: any) => p.metadata.name);
        const onLost = stacks.map(pods);
        const stop = run("bash", [path.join(REPO_ROOT, "scripts", "cluster-node.sh"), "stop", lost], { env: { ...process.env, BROKER_CLUSTER_DIR: k.dir } });
        expect(stop.status, stop.stderr).to.equal(0);
        const stoppedAt = Math.floor(Date.now() / 1000);
        await new Promise((r) => setTimeout(r, 30_000));
        // The survivors still form the cluster without the lost members.
        for (const [i, s] of stacks.entries()) {
            const survivor = ["rabbit-0", "rabbit-1", "rabbit-2"].find((p) => !onLost[i].includes(p))!;
            const running = rabbitmqRunningNodes(k, s.ns, survivor);
            expect(running, `${s.version}: running nodes seen from ${survivor}`).to.have.length(3 - onLost[i].length);
        }
        const startedAt = Math.floor(Date.now() / 1000);
        const start = run("bash", [path.join(REPO_ROOT, "scripts", "cluster-node.sh"), "start", lost], { env: { ...process.env, BROKER_CLUSTER_DIR: k.dir } });
        expect(start.status, start.stderr).to.equal(0);
        for (const s of stacks) await eventually(`${s.version}: one cluster of three after ${lost} returned`, 600_000, () => oneCluster(k, s, s.nodeNames));
        for (const [i, r] of (await Promise.all(stacks.map((s) => stopPublishers(k, s)))).entries()) {
            expect(confirmedBetween(r[0], stoppedAt, startedAt), `${stacks[i].version}: confirmations while ${lost} was down (${onLost[i].join(", ")} on it)`).to.be.greaterThan(0);
        }
    });

    it("e. ordinal 0 on an empty volume while the others run: it joins the existing cluster, its queues get their replicas back", async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-empty")));
        for (const s of stacks) {
            const claim = k.getJson(["get", "pvc", "-n", s.ns, "data-rabbit-0"]);
            k.kubectl(["delete", "pvc", "-n", s.ns, "data-rabbit-0", "--wait=false"]);
            k.kubectl(["delete", "pod", "-n", s.ns, "rabbit-0", "--wait=false"]);
            await eventually(`${s.version}: rabbit-0 on a new claim`, 300_000, () => {
                const c = k.tryKubectl(["get", "pvc", "-n", s.ns, "data-rabbit-0", "-o", "json"]);
                if (c.status !== 0) return undefined;
                const now = JSON.parse(c.stdout);
                return now.metadata.uid !== claim.metadata.uid && now.status.phase === "Bound" ? true : undefined;
            });
        }
        for (const s of stacks) {
            await eventually(`${s.version}: one cluster of three with the new rabbit-0`, 300_000, () => oneCluster(k, s, s.nodeNames));
            await eventually(`${s.version}: orders.created back on three members`, 120_000, () =>
                JSON.stringify(rabbitmqQuorumMembers(k, s.ns, "rabbit-1", "orders.created", "orders")) === JSON.stringify([...s.nodeNames].sort()) ? true : undefined,
            );
        }
        await Promise.all(stacks.map((s) => stopPublishers(k, s)));
    });

    it("c. full stop and start (every pod deleted at once): one cluster again", async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-full")));
        for (const s of stacks) k.kubectl(["delete", "pod", "-n", s.ns, "rabbit-0", "rabbit-1", "rabbit-2", "--wait=false"]);
        await new Promise((r) => setTimeout(r, 10_000));
        for (const s of stacks) await eventually(`${s.version}: one cluster of three after the full stop`, 900_000, () => oneCluster(k, s, s.nodeNames));
        await Promise.all(stacks.map((s) => stopPublishers(k, s)));
    });

    it("f. scale 3 → 5 → 3 with the guard's steps: the quorum queues stay on the members that remain", async function () {
        await Promise.all(stacks.map((s) => startPublisher(k, s, "pub-scale")));
        const ups = await Promise.all(
            stacks.map(async (s) => {
                await s.e.setConfig(stackConfig(s, { replicas: 5, extraConfig: { consumer_timeout: 3600000 } }));
                return s.e.stack.up();
            }),
        );
        ups.forEach((r, i) => expect(r.summary.result, `${stacks[i].version}: ${r.stderr}`).to.equal("succeeded"));
        for (const s of stacks) await eventually(`${s.version}: one cluster of five`, 300_000, () => oneCluster(k, s, members(s, 5)));
        // The guard's steps: move the replicas off the members to remove, scale down with consent, forget them.
        for (const s of stacks) {
            for (const node of [members(s, 5)[4], members(s, 5)[3]]) {
                const r = exec(k, s.ns, "rabbit-0", "rabbitmq", ["rabbitmq-queues", "shrink", node]);
                expect(r.status, `${s.version}: shrink ${node}: ${r.stderr}`).to.equal(0);
            }
        }
        const downs = await Promise.all(
            stacks.map(async (s) => {
                await s.e.setConfig(stackConfig(s, { replicas: 3, allowScaleDown: true, extraConfig: { consumer_timeout: 3600000 } }));
                return s.e.stack.up();
            }),
        );
        downs.forEach((r, i) => expect(r.summary.result, `${stacks[i].version}: ${r.stderr}`).to.equal("succeeded"));
        for (const s of stacks) {
            for (const node of [members(s, 5)[4], members(s, 5)[3]]) {
                const r = exec(k, s.ns, "rabbit-0", "rabbitmq", ["rabbitmqctl", "forget_cluster_node", node]);
                expect(r.status, `${s.version}: forget ${node}: ${r.stderr}`).to.equal(0);
            }
            await eventually(`${s.version}: one cluster of three`, 120_000, () => oneCluster(k, s, s.nodeNames));
            for (const [queue, vhost] of [["orders.created", "orders"], ["day2", "orders"]]) {
                await eventually(`${s.version}: ${queue} on the three remaining members`, 120_000, () =>
                    JSON.stringify(rabbitmqQuorumMembers(k, s.ns, "rabbit-0", queue, vhost)) === JSON.stringify([...s.nodeNames].sort()) ? true : undefined,
                );
            }
        }
        await Promise.all(stacks.map((s) => stopPublishers(k, s)));
    });

    it("every message the brokers confirmed through all of the above is in the queue", async function () {
        for (const s of stacks) {
            const url = (await s.e.stack.outputs()).clusters.value.rabbit.connectionUrl;
            const drained = await runClient(k, s.ns, "drain", "amqp-drain", url, 0);
            const lost: Record<number, number> = {};
            let confirmed = 0;
            for (const r of s.published) {
                const got = new Set(idsOf(drained.received[String(r.run)] ?? []));
                const ids = idsOf(r.confirmed);
                confirmed += ids.length;
                const missing = ids.filter((id) => !got.has(id));
                if (missing.length > 0) lost[r.run] = missing.length;
            }
            console.log(`      ${s.version}: ${confirmed} confirmed over ${s.published.length} publisher runs, ${drained.count} in the queue`);
            expect(lost, `${s.version}: confirmed messages missing, by publisher run`).to.deep.equal({});
        }
    });

    it("g. the guard refuses 4.0 → 4.3 (no 4.2 step) before anything is registered; 4.3.6 refuses a downgrade", async function () {
        const [old, next] = stacks;
        await old.e.setConfig(stackConfig({ version: RABBITMQ_NEXT_VERSION, ns: old.ns }, { extraConfig: { consumer_timeout: 3600000 } }));
        const skip = await old.e.stack.preview().then(
            () => "",
            (err: Error) => String(err),
        );
        expect(skip).to.match(/version = "4\.3\.6": cluster rabbit runs 4\.0\.5, and RabbitMQ cannot upgrade from 4\.0 to 4\.3 in one step; upgrade through the latest 4\.2\.x first/);
        await next.e.setConfig(stackConfig({ version: RABBITMQ_VERSION, ns: next.ns }, { extraConfig: { consumer_timeout: 3600000 } }));
        const down = await next.e.stack.preview().then(
            () => "",
            (err: Error) => String(err),
        );
        expect(down).to.match(/version = "4\.0\.5": cluster rabbit runs 4\.3\.6; downgrades are not supported/);
        for (const s of stacks) await s.e.setConfig(stackConfig(s, { extraConfig: { consumer_timeout: 3600000 } }));
    });

    it("pulumi destroy succeeds for both stacks; cluster-down leaves the host as it was", async function () {
        const ds = await Promise.all(stacks.map((s) => s.e.stack.destroy()));
        ds.forEach((d, i) => expect(d.summary.result, `${stacks[i].version}: ${d.stderr}`).to.equal("succeeded"));
        const r = k.stop();
        expect(r.status, r.stderr).to.equal(0);
        expect(hostStateDiff(hostBefore, hostState())).to.deep.equal({});
    });
});

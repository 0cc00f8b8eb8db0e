/**
 * Redis and Valkey with Sentinel on real pods: the program's StatefulSets through the real engine
 * onto three real nodes, Redis 7.0.15 and Valkey 8.1.1 side by side (one stack each). A client
 * pod writes through the Sentinels with `WAIT 1` after every SET and counts what was
 * acknowledged; it also polls every member's `INFO replication` and keeps each role change. At
 * the end every acknowledged key must be on every member. Assertions read what the servers say
 * (`INFO replication`, `SENTINEL` replies, the keys a `SCAN` lists), never log words.
 *
 * Scenarios, in order on the same two clusters: a. formation; d. a rolling restart through
 * `pulumi up` with writes running; e. the master's node lost; b. every pod restarting at once
 * while the old master is stale (it missed the writes after its node was lost); c. every pod
 * restarting with each ordinal's volume empty in turn; f. the password rotated as the README
 * says. The letters are the issue's.
 */
import { expect } from "chai";
import * as path from "path";
import { EngineStack, engineStack, requireEngine } from "./support/engine";
import { eventually, LocalCluster, REPO_ROOT, run } from "./support/local";
import { clientResult, exec, hostState, HostState, hostStateDiff, idsOf, IdRanges, provideLocalStorageClass, redisCli, redisMembers, REDIS_VERSION, startClient, VALKEY_VERSION } from "./support/real-nodes";

const CLASS = "local-kv";
const GRACE = 30;
/** The node the node-loss scenario stops; the writers never run on it. */
const LOST_NODE = "real-node-3";
const STS = "cache";
/**
 * Seconds from a node's loss to a new master: Sentinel's own failover (measured 6–8 s), or, when
 * no Sentinel has a candidate yet (it reads replicas every 10 s, and this scenario has just
 * changed their priorities), the guard's election after its 30 s wait (measured 31.2 s).
 */
const FAILOVER_BOUND = 45;

interface WriterResult {
    run: number;
    acked: IdRanges;
    failures: number;
    timeline: Array<[number, number]>;
    /** [unix seconds, member host, role or "down"], each change the writer's watcher saw. */
    roles: Array<[number, string, string]>;
}

interface KvStack {
    engine: "redis" | "valkey";
    version: string;
    ns: string;
    e: EngineStack;
    masterName: string;
    hosts: string[];
    generation: number;
    /** Every acknowledged key so far. */
    acked: Set<string>;
    writers: number;
    running?: string;
}

function stackConfig(s: { engine: string; version: string; ns: string }, over: Record<string, unknown> = {}) {
    return {
        namespace: s.ns,
        storage: { mode: "storageClass", className: CLASS, size: "1Gi" },
        clusters: [
            {
                name: STS,
                engine: s.engine,
                version: s.version,
                replicas: 3,
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                terminationGracePeriodSeconds: GRACE,
                ...over,
            },
        ],
    };
}

const pods = [0, 1, 2].map((i) => `${STS}-${i}`);
const hostOf = (s: KvStack, i: number) => s.hosts[i];

/** One master, two replicas linked to it, every Sentinel naming it: the master's ordinal. */
function converged(k: LocalCluster, s: KvStack): number | undefined {
    let members;
    try {
        members = redisMembers(k, s.ns, STS, 3, s.masterName, s.engine);
    } catch {
        return undefined;
    }
    const masters = members.flatMap((m, i) => (m.role === "master" ? [i] : []));
    if (masters.length !== 1) return undefined;
    const host = hostOf(s, masters[0]);
    const linked = members.filter((m) => m.role === "slave" && m.masterHost === host && m.masterLinkStatus === "up").length;
    return linked === 2 && members.every((m) => m.sentinelMaster === host) ? masters[0] : undefined;
}

async function startWriter(k: LocalCluster, s: KvStack, name: string): Promise<void> {
    const url = (await s.e.stack.outputs()).clusters.value[STS].connectionUrl;
    s.writers += 1;
    startClient(k, s.ns, name, "redis-write", url, s.writers, { avoidNodes: [LOST_NODE] });
    s.running = name;
    await eventually(`writer ${s.ns}/${name} running`, 60_000, () => (k.getJson(["get", "pod", "-n", s.ns, name]).status?.phase === "Running" ? true : undefined));
}

async function stopWriter(k: LocalCluster, s: KvStack): Promise<WriterResult> {
    const name = s.running!;
    s.running = undefined;
    exec(k, s.ns, name, "client", ["touch", "/tmp/stop"]);
    const r = (await clientResult(k, s.ns, name, 60_000)) as unknown as WriterResult;
    for (const i of idsOf(r.acked)) s.acked.add(`w:${r.run}:${i}`);
    expect(idsOf(r.acked).length, `${s.engine}: writer ${name} had writes acknowledged (${JSON.stringify({ attempts: (r as any).attempts, failures: r.failures, error: (r as any).error })})`).to.be.greaterThan(0);
    return r;
}

/** Acknowledged keys a member does not have (its own SCAN of `w:*`). */
function missingOn(k: LocalCluster, s: KvStack, pod: string): string[] {
    const listed = new Set(redisCli(k, s.ns, pod, s.engine, 6379, "--scan --pattern 'w:*'").split("\n").map((l) => l.trim()).filter(Boolean));
    return [...s.acked].filter((key) => !listed.has(key));
}

/** Deletes every pod of the stack at once (graceful, as `kubectl delete pod -l` does) and waits for one master again. */
async function fullRestart(k: LocalCluster, s: KvStack, hooks: { before?: () => void; after?: () => void } = {}): Promise<{ master: number; seconds: number }> {
    const t = Date.now();
    const uidsBefore = pods.map((p) => k.getJson(["get", "pod", "-n", s.ns, p]).metadata.uid);
    hooks.before?.();
    k.kubectl(["delete", "pod", "-n", s.ns, ...pods, "--wait=false"]);
    hooks.after?.();
    // Every pod replaced and ready (a pod on a node that was away is deleted only once it returns).
    await eventually(`${s.engine}: every pod new and ready`, 600_000, () => {
        const items = k.getJson(["get", "pods", "-n", s.ns, "-l", `app.kubernetes.io/instance=${STS}`]).items;
        const fresh = items.filter((p: any) => !uidsBefore.includes(p.metadata.uid) && !p.metadata.deletionTimestamp && (p.status.containerStatuses ?? []).every((c: any) => c.ready));
        return fresh.length === pods.length && items.length === pods.length ? true : undefined;
    });
    const master = await eventually(`${s.engine}: one master after a full restart`, 600_000, () => converged(k, s));
    return { master, seconds: Math.round((Date.now() - t) / 1000) };
}

function nodeCommand(k: LocalCluster, verb: "stop" | "start", node: string): void {
    const r = run("bash", [path.join(REPO_ROOT, "scripts", "cluster-node.sh"), verb, node], { env: { ...process.env, BROKER_CLUSTER_DIR: k.dir } });
    expect(r.status, r.stderr).to.equal(0);
}

describe("e2e: Redis 7.0.15 and Valkey 8.1.1 with Sentinel on real pods: no acknowledged write lost", function () {
    this.timeout(60 * 60 * 1000);
    let k: LocalCluster;
    let hostBefore: HostState;
    const stacks: KvStack[] = [];
    const figures: Record<string, unknown> = {};

    before(async function () {
        requireEngine();
        hostBefore = hostState();
        k = LocalCluster.start("real", 3, undefined, { realNodes: true });
        // Per node: one member per stack, and replacement volumes for the emptied ordinals.
        provideLocalStorageClass(k, CLASS, 5, "1Gi");
        for (const [engine, version] of [["redis", REDIS_VERSION], ["valkey", VALKEY_VERSION]] as const) {
            const ns = `kv-${engine}`;
            const e = await engineStack(k, ns, { config: stackConfig({ engine, version, ns }) });
            stacks.push({ engine, version, ns, e, masterName: "", hosts: [], generation: 0, acked: new Set(), writers: 0 });
        }
    });

    after(function () {
        console.log(`      figures: ${JSON.stringify(figures)}`);
        if (k && hostStateDiff(hostBefore, hostState()).processes) k.stop();
    });

    it("a. formation: one master, two replicas linked, every Sentinel names it; the client Service carries Sentinel only", async function () {
        const t = Date.now();
        const ups = await Promise.all(stacks.map((s) => s.e.stack.up()));
        figures.formationSeconds = Math.round((Date.now() - t) / 1000);
        for (const [i, s] of stacks.entries()) {
            expect(ups[i].summary.result, `${s.engine}: ${ups[i].stderr}`).to.equal("succeeded");
            const out = ups[i].outputs.clusters.value[STS];
            s.masterName = out.sentinels.masterName;
            s.hosts = out.nodeNames;
            expect(converged(k, s), s.engine).to.be.a("number");
            const svc = k.getJson(["get", "service", "-n", s.ns, STS]);
            expect(svc.spec.ports.map((p: any) => p.port), s.engine).to.deep.equal([26379]);
            const image = k.getJson(["get", "pod", "-n", s.ns, pods[0]]).spec.containers[0].image;
            expect(image).to.equal(s.engine === "valkey" ? `valkey/valkey:${VALKEY_VERSION}` : `redis:${REDIS_VERSION}`);
            expect(redisCli(k, s.ns, pods[0], s.engine, 6379, "INFO server")).to.match(new RegExp(`^${s.engine === "valkey" ? "valkey" : "redis"}_version:${s.version.replace(/\./g, "\\.")}`, "m"));
        }
        await Promise.all(stacks.map((s) => startWriter(k, s, "w-roll")));
    });

    it("d. a rolling restart through pulumi up (a config change) with writes running: every master restart fails over in its preStop, once", async function () {
        await new Promise((r) => setTimeout(r, 5000));
        const from = Date.now() / 1000;
        const ups = await Promise.all(
            stacks.map(async (s) => {
                await s.e.setConfig(stackConfig(s, { extraConfig: { hz: "11" } }));
                return s.e.stack.up();
            }),
        );
        const to = Date.now() / 1000;
        ups.forEach((u, i) => expect(u.summary.result, `${stacks[i].engine}: ${u.stderr}`).to.equal("succeeded"));
        for (const s of stacks) await eventually(`${s.engine}: converged after the roll`, 300_000, () => converged(k, s));
        const results = await Promise.all(stacks.map((s) => stopWriter(k, s)));
        const rolls: Record<string, unknown> = {};
        for (const [i, s] of stacks.entries()) {
            const changes = results[i].roles.filter(([t]) => t >= from && t <= to + 5);
            // A master's restart: its data node answering as master, then down.
            const masterStops: Array<{ host: string; at: number }> = [];
            const promotions: Array<{ host: string; at: number }> = [];
            const last = new Map<string, string>();
            for (const [t, host, role] of results[i].roles) {
                const was = last.get(host);
                last.set(host, role);
                if (t < from || t > to + 5) continue;
                if (was === "master" && role !== "master") masterStops.push({ host, at: t });
                if (role === "master" && was !== undefined && was !== "master") promotions.push({ host, at: t });
            }
            rolls[s.engine] = { masterStops: masterStops.length, promotions: promotions.length, changes: changes.length, acknowledged: idsOf(results[i].acked).length, failures: results[i].failures };
            expect(promotions.length, `${s.engine}: promotions during the roll ${JSON.stringify(changes)}`).to.be.at.most(masterStops.length);
            expect(masterStops.length, `${s.engine}: the roll restarted the master`).to.be.at.least(1);
            // Planned: before each old master stopped answering as master, another member already was one.
            for (const stop of masterStops) {
                const before = promotions.filter((p) => p.host !== stop.host && p.at <= stop.at + 0.5);
                expect(before.length, `${s.engine}: a new master before ${stop.host} stopped at ${stop.at}: ${JSON.stringify(changes)}`).to.be.at.least(1);
            }
        }
        figures.roll = rolls;
    });

    it(`e. the master's node lost (kubelet and containers stopped): a new master within ${FAILOVER_BOUND} s and writes go on`, async function () {
        // Put each stack's master on the node to lose: the other members may not be promoted
        // (replica-priority 0) while a Sentinel fails over, then get their priority back.
        for (const s of stacks) {
            const onLost = k.getJson(["get", "pods", "-n", s.ns, "-l", "app.kubernetes.io/instance=cache"]).items.find((p: any) => p.spec.nodeName === LOST_NODE);
            const target = pods.indexOf(onLost.metadata.name);
            const master = converged(k, s)!;
            if (master !== target) {
                for (const i of [0, 1, 2].filter((i) => i !== target)) redisCli(k, s.ns, pods[i], s.engine, 6379, "CONFIG SET replica-priority 0");
                redisCli(k, s.ns, pods[target], s.engine, 26379, `SENTINEL failover ${s.masterName}`);
                await eventually(`${s.engine}: ${pods[target]} master`, 120_000, () => (converged(k, s) === target ? true : undefined));
                for (const i of [0, 1, 2]) redisCli(k, s.ns, pods[i], s.engine, 6379, "CONFIG SET replica-priority 100");
            }
        }
        await Promise.all(stacks.map((s) => startWriter(k, s, "w-node")));
        await new Promise((r) => setTimeout(r, 5000));
        const stale: number[] = stacks.map((s) => converged(k, s)!);
        nodeCommand(k, "stop", LOST_NODE);
        const stoppedAt = Date.now();
        const failover: Record<string, number> = {};
        await Promise.all(
            stacks.map(async (s, i) => {
                await eventually(`${s.engine}: a new master on the surviving nodes`, 120_000, () => {
                    const survivors = [0, 1, 2].filter((j) => j !== stale[i]);
                    try {
                        const named = survivors.map((j) => redisCli(k, s.ns, pods[j], s.engine, 26379, `SENTINEL get-master-addr-by-name ${s.masterName}`).split("\n")[0].trim());
                        const m = survivors.find((j) => hostOf(s, j) === named[0]);
                        return m !== undefined && named.every((n) => n === named[0]) && /^role:master/m.test(redisCli(k, s.ns, pods[m], s.engine, 6379, "INFO replication")) ? m : undefined;
                    } catch {
                        return undefined;
                    }
                });
                failover[s.engine] = Math.round((Date.now() - stoppedAt) / 100) / 10;
            }),
        );
        figures.nodeLossFailoverSeconds = failover;
        for (const s of stacks) expect(failover[s.engine], s.engine).to.be.lessThan(FAILOVER_BOUND);
        await new Promise((r) => setTimeout(r, 10_000));
        const results = await Promise.all(stacks.map((s) => stopWriter(k, s)));
        for (const [i, s] of stacks.entries()) {
            const at = (t: number) => [...results[i].timeline].reverse().find(([x]) => x <= t)?.[1] ?? 0;
            expect(at(Date.now() / 1000) - at(stoppedAt / 1000 + failover[s.engine]), `${s.engine}: acknowledged after the failover`).to.be.greaterThan(0);
        }
        (figures as any).staleMasters = stale;
    });

    it("b. every pod restarts at once while the old master is stale (its node returns as the others restart): the newest data wins, nothing acknowledged is lost", async function () {
        const restarts = await Promise.all(
            stacks.map((s, i) =>
                // The node returns right after the last stack's pods are deleted: the stale member
                // starts with the others, not after they have a master.
                fullRestart(k, s, { after: () => (i === stacks.length - 1 ? nodeCommand(k, "start", LOST_NODE) : undefined) }),
            ),
        );
        figures.fullRestartAfterFailoverSeconds = Object.fromEntries(stacks.map((s, i) => [s.engine, restarts[i].seconds]));
        for (const s of stacks) for (const pod of pods) expect(missingOn(k, s, pod), `${s.engine}: ${pod}`).to.deep.equal([]);
    });

    for (const ordinal of [0, 1, 2]) {
        it(`c. every pod restarts with ${STS}-${ordinal}'s volume empty: it resyncs, nothing acknowledged is lost`, async function () {
            await Promise.all(stacks.map((s) => startWriter(k, s, `w-empty-${ordinal}`)));
            await new Promise((r) => setTimeout(r, 8000));
            await Promise.all(stacks.map((s) => stopWriter(k, s)));
            const claims = stacks.map((s) => k.getJson(["get", "pvc", "-n", s.ns, `data-${STS}-${ordinal}`]).metadata.uid);
            const restarts = await Promise.all(stacks.map((s) => fullRestart(k, s, { before: () => k.kubectl(["delete", "pvc", "-n", s.ns, `data-${STS}-${ordinal}`, "--wait=false"]) })));
            (figures as any)[`fullRestartEmpty${ordinal}Seconds`] = Object.fromEntries(stacks.map((s, i) => [s.engine, restarts[i].seconds]));
            for (const [i, s] of stacks.entries()) {
                expect(k.getJson(["get", "pvc", "-n", s.ns, `data-${STS}-${ordinal}`]).metadata.uid, `${s.engine}: a new claim`).not.to.equal(claims[i]);
                // The emptied member may be master only through a sync it completed first (the
                // guard makes a member promotable once its link is up); what matters is the keys.
                (figures as any)[`mastersAfterEmpty${ordinal}`] = { ...((figures as any)[`mastersAfterEmpty${ordinal}`] ?? {}), [s.engine]: restarts[i].master };
                for (const pod of pods) expect(missingOn(k, s, pod), `${s.engine}: ${pod}`).to.deep.equal([]);
            }
        });
    }

    it("f. the password rotated as the README says (bump password.generation, pulumi up, restart every pod at once): every key kept, the new password works, the old one is refused", async function () {
        const old = stacks.map((s) => Buffer.from(k.getJson(["get", "secret", "-n", s.ns, `${STS}-password`]).data.password, "base64").toString());
        const ups = await Promise.all(
            stacks.map(async (s) => {
                await s.e.setConfig(stackConfig(s, { extraConfig: { hz: "11" }, password: { generation: 1 } }));
                return s.e.stack.up();
            }),
        );
        ups.forEach((u, i) => expect(u.summary.result, `${stacks[i].engine}: ${u.stderr}`).to.equal("succeeded"));
        await Promise.all(stacks.map((s) => fullRestart(k, s)));
        for (const [i, s] of stacks.entries()) {
            const now = Buffer.from(k.getJson(["get", "secret", "-n", s.ns, `${STS}-password`]).data.password, "base64").toString();
            expect(now, s.engine).not.to.equal(old[i]);
            const cli = s.engine === "valkey" ? "valkey-cli" : "redis-cli";
            const refused = exec(k, s.ns, pods[0], s.engine, ["sh", "-c", `REDISCLI_AUTH='${old[i]}' ${cli} --no-auth-warning PING`]);
            expect(refused.stdout + refused.stderr, s.engine).to.match(/WRONGPASS|invalid username-password/i);
        }
        await Promise.all(stacks.map((s) => startWriter(k, s, "w-rotated")));
        await new Promise((r) => setTimeout(r, 5000));
        await Promise.all(stacks.map((s) => stopWriter(k, s)));
    });

    it("every acknowledged write through all of the above is on every member", function () {
        const counts: Record<string, number> = {};
        for (const s of stacks) {
            counts[s.engine] = s.acked.size;
            for (const pod of pods) expect(missingOn(k, s, pod), `${s.engine}: ${pod}`).to.deep.equal([]);
        }
        figures.acknowledged = counts;
    });

    it("pulumi destroy succeeds for both stacks; cluster-down leaves the host as it was", async function () {
        const ds = await Promise.all(stacks.map((s) => s.e.stack.destroy()));
        ds.forEach((d, i) => expect(d.summary.result, `${stacks[i].engine}: ${d.stderr}`).to.equal("succeeded"));
        const r = k.stop();
        expect(r.status, r.stderr).to.equal(0);
        expect(hostStateDiff(hostBefore, hostState())).to.deep.equal({});
    });
});

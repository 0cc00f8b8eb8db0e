/**
 * Redis with Sentinel, run for real: the configuration and start scripts the components put in
 * the cluster's ConfigMap, the password from its Secret and the pod environment from the
 * StatefulSet, all taken from the real program under the unit-tier mocks, run by Debian's
 * `redis-server` and `redis-sentinel` (`apt-get install redis-server redis-sentinel`; `.ci/run`
 * installs them).
 *
 * Three "pods" share this machine's loopback, one address each (127.0.83.1–3), so every port
 * stays the profile's own (6379, 26379). What is substituted, and nothing else:
 * - each pod's DNS name (`rds-<i>.rds-headless.cache.svc.cluster.local`, from the naming module)
 *   by its loopback address, in every file and in `REDIS_ANNOUNCE_HOST` after the kubelet's
 *   `$(POD_NAME)` expansion (no resolver on this machine knows the pod names);
 * - the mount paths (ConfigMap, Secret, the memory-backed run directories, the data volume) by
 *   directories of a temporary tree, through the `REDIS_*_DIR` / `REDIS_AUTH_FILE` variables the
 *   scripts read, and the bind address (`REDIS_BIND`) by the pod's loopback address.
 * A container crash is a SIGKILL of its process; a pod stopped by the kubelet is a SIGTERM of
 * both; the kubelet's restart is running the container's command again with the same environment
 * and directories. An emptied volume is an emptied data directory.
 */
import { expect } from "chai";
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { kubernetesObjects, runProgram } from "../support/render";

const NS = "cache";
const NAME = "rds";
const REPLICAS = 3;
const IPS = ["127.0.83.1", "127.0.83.2", "127.0.83.3"];
const REDIS = 6379;
const SENTINEL = 26379;

interface Rendered {
    files: Record<string, string>;
    password: string;
    /** The data node's and the Sentinel's container command and env (`$(POD_NAME)` unexpanded). */
    containers: Record<"redis" | "sentinel", { command: string[]; env: Record<string, string> }>;
    hosts: string[];
    masterName: string;
}

async function render(): Promise<Rendered> {
    const run = await runProgram({
        namespace: NS,
        storage: { mode: "storageClass", className: "standard" },
        clusters: [{ name: NAME, engine: "redis", version: "7.0.15", replicas: REPLICAS }],
    });
    const objects = kubernetesObjects(run.resources);
    const sts = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === NAME)!;
    const spec = sts.spec.template.spec;
    const configVolume = spec.volumes.find((v: any) => v.name === "config");
    const authVolume = spec.volumes.find((v: any) => v.name === "auth");
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === configVolume.configMap.name)!;
    const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === authVolume.secret.secretName)!;
    const container = (name: string) => {
        const c = spec.containers.find((x: any) => x.name === name);
        const env: Record<string, string> = {};
        for (const e of c.env) if (typeof e.value === "string") env[e.name] = e.value;
        return { command: c.command as string[], env };
    };
    const summary = run.outputs.clusters;
    return {
        files: cm.data,
        password: secret.stringData[authVolume.secret.items[0].key],
        containers: { redis: container("redis"), sentinel: container("sentinel") },
        hosts: summary[NAME].nodeNames,
        masterName: summary[NAME].sentinels.masterName,
    };
}

function cli(ip: string, port: number, args: string[], auth?: string): Promise<string> {
    return new Promise((resolve) => {
        const env: Record<string, string | undefined> = { PATH: process.env.PATH };
        if (auth !== undefined) env.REDISCLI_AUTH = auth;
        execFile("redis-cli", ["--no-auth-warning", "-h", ip, "-p", String(port), ...args], { env, timeout: 5000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()));
    });
}

function field(info: string, key: string): string | undefined {
    return new RegExp(`^${key}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

function portFree(ip: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(port, ip, () => s.close(() => resolve(true)));
    });
}

describe("e2e: Redis with Sentinel as real processes (the rendered configuration, Debian's redis-server and redis-sentinel)", function () {
    let r: Rendered;
    let tmp: string;
    const procs: Record<string, ChildProcess> = {};
    const sub = (text: string) => r.hosts.reduce((t, host, i) => t.split(host).join(IPS[i]), text);

    /** Runs a pod's container command as the kubelet would, with the substitutions above. */
    function start(ordinal: number, container: "redis" | "sentinel"): ChildProcess {
        const pod = path.join(tmp, `pod-${ordinal}`);
        const { command, env } = r.containers[container];
        const podName = `${NAME}-${ordinal}`;
        const expanded = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, sub(v.split("$(POD_NAME)").join(podName))]));
        const script = path.join(tmp, "config", path.basename(command[1]));
        const log = fs.openSync(path.join(pod, `${container}.log`), "a");
        const child = spawn(command[0], [script], {
            env: {
                PATH: process.env.PATH,
                ...expanded,
                POD_NAME: podName,
                POD_NAMESPACE: NS,
                REDIS_CONF_DIR: path.join(tmp, "config"),
                REDIS_AUTH_FILE: path.join(tmp, "auth", "password"),
                REDIS_RUN_DIR: path.join(pod, `${container}-run`),
                REDIS_DATA_DIR: path.join(pod, "data"),
                REDIS_BIND: IPS[ordinal],
                REDIS_LOCAL_HOST: IPS[ordinal],
            },
            stdio: ["ignore", log, log],
        });
        procs[`${container}-${ordinal}`] = child;
        return child;
    }

    const info = (i: number) => cli(IPS[i], REDIS, ["INFO", "replication"], r.password);
    const masterOf = (i: number) => cli(IPS[i], SENTINEL, ["SENTINEL", "get-master-addr-by-name", r.masterName], r.password);

    before(async function () {
        this.timeout(60000);
        for (const bin of ["redis-server", "redis-sentinel", "redis-cli"]) {
            if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed: apt-get install -y redis-server redis-sentinel (.ci/run does)`);
        }
        for (const ip of IPS) {
            for (const port of [REDIS, SENTINEL]) {
                if (!(await portFree(ip, port))) throw new Error(`${ip}:${port} is taken; stop the local redis-server / redis-sentinel service first`);
            }
        }
        r = await render();
        expect(r.hosts).to.have.length(REPLICAS);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "redis-failover-"));
        fs.mkdirSync(path.join(tmp, "config"));
        for (const [file, text] of Object.entries(r.files)) fs.writeFileSync(path.join(tmp, "config", file), sub(text));
        fs.mkdirSync(path.join(tmp, "auth"));
        fs.writeFileSync(path.join(tmp, "auth", "password"), r.password, { mode: 0o400 });
        for (let i = 0; i < REPLICAS; i++) {
            for (const dir of ["data", "redis-run"]) fs.mkdirSync(path.join(tmp, `pod-${i}`, dir), { recursive: true });
        }
        // The pods start in parallel (podManagementPolicy: Parallel).
        for (let i = 0; i < REPLICAS; i++) {
            start(i, "redis");
            start(i, "sentinel");
        }
    });

    after(function () {
        for (const p of Object.values(procs)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
        if (tmp && !process.env.KEEP_REDIS_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the rendered files hold no password; the generated password is 48 letters and digits", function () {
        for (const [file, text] of Object.entries(r.files)) expect(text, file).not.to.contain(r.password);
        expect(r.password).to.match(/^[A-Za-z0-9]{48}$/);
    });

    it("a first start (nobody holds data) elects ordinal 0; the others replicate from it and announce their pod hostnames", async function () {
        const online = (out: string) => (out.match(/^slave\d:.*state=online/gm) ?? []).length;
        const master = await eventually("two replicas online", async () => {
            const out = await info(0);
            return online(out) === 2 ? out : undefined;
        });
        expect(field(master, "role")).to.equal("master");
        // The master knows its replicas by what they announce (`replica-announce-ip`).
        expect(master).to.match(new RegExp(`slave\\d:ip=${IPS[1].replace(/\./g, "\\.")},port=6379,state=online`));
        expect(master).to.match(new RegExp(`slave\\d:ip=${IPS[2].replace(/\./g, "\\.")},port=6379,state=online`));
        for (const i of [1, 2]) {
            const replica = await eventually(`replica ${i} linked`, async () => {
                const out = await info(i);
                return field(out, "master_link_status") === "up" ? out : undefined;
            });
            expect(field(replica, "role")).to.equal("slave");
            expect(field(replica, "master_host")).to.equal(IPS[0]);
        }
    });

    it("every Sentinel names ordinal 0 as master, with quorum 2 of 3 Sentinels and both replicas", async function () {
        for (let i = 0; i < REPLICAS; i++) {
            await eventually(`sentinel ${i} sees its peers and the replicas`, async () => {
                const out = await cli(IPS[i], SENTINEL, ["SENTINEL", "master", r.masterName], r.password);
                const lines = out.split("\n");
                const get = (k: string) => lines[lines.indexOf(k) + 1];
                return get("num-other-sentinels") === "2" && get("num-slaves") === "2" && get("quorum") === "2" ? true : undefined;
            });
            expect((await masterOf(i)).split("\n")).to.deep.equal([IPS[0], String(REDIS)]);
        }
    });

    it("every member's readiness script passes: the master serving, each replica in sync and listed by its Sentinel as a candidate", async function () {
        for (let i = 0; i < REPLICAS; i++) {
            await eventually(`pod ${i} ready`, async () => {
                const ready = spawnSync("sh", [path.join(tmp, "config", "ready-redis.sh")], {
                    env: { PATH: process.env.PATH, REDIS_ANNOUNCE_HOST: IPS[i], REDIS_LOCAL_HOST: IPS[i], REDIS_AUTH_FILE: path.join(tmp, "auth", "password") },
                    timeout: 10000,
                });
                return ready.status === 0 ? true : undefined;
            });
        }
    });

    it("a client with the generated password writes and reads through a replica; a wrong or missing password is refused", async function () {
        expect(await cli(IPS[0], REDIS, ["SET", "order:1", "created"], r.password)).to.equal("OK");
        expect(await cli(IPS[0], REDIS, ["WAIT", "2", "5000"], r.password)).to.equal("2");
        expect(await cli(IPS[1], REDIS, ["GET", "order:1"], r.password)).to.equal("created");
        expect(await cli(IPS[1], REDIS, ["SET", "x", "y"], r.password)).to.match(/READONLY/);
        expect(await cli(IPS[0], REDIS, ["GET", "order:1"], "wrong-password")).to.match(/WRONGPASS|invalid password/i);
        expect(await cli(IPS[0], REDIS, ["GET", "order:1"])).to.match(/NOAUTH/);
        expect(await cli(IPS[1], SENTINEL, ["SENTINEL", "get-master-addr-by-name", r.masterName])).to.match(/NOAUTH/);
        expect(await cli(IPS[1], SENTINEL, ["PING"], "wrong-password")).to.match(/WRONGPASS|invalid password/i);
    });

    let newMaster = -1;

    it("a SIGKILLed master is failed over: the Sentinels agree on a replica, which takes writes", async function () {
        const killed = procs["redis-0"];
        killed.kill("SIGKILL");
        await new Promise((res) => killed.once("exit", res));
        const elected = await eventually("the Sentinels elect a new master", async () => {
            const answers = await Promise.all([0, 1, 2].map((i) => masterOf(i)));
            const hosts = answers.map((a) => a.split("\n")[0]);
            return hosts.every((h) => h === hosts[0]) && hosts[0] !== IPS[0] && IPS.includes(hosts[0]) ? hosts[0] : undefined;
        });
        newMaster = IPS.indexOf(elected);
        await eventually("the new master reports role:master", async () => (field(await info(newMaster), "role") === "master" ? true : undefined));
        const other = newMaster === 1 ? 2 : 1;
        await eventually("the other replica follows the new master", async () => {
            const out = await info(other);
            return field(out, "master_host") === elected && field(out, "master_link_status") === "up" ? true : undefined;
        });
        expect(await cli(elected, REDIS, ["GET", "order:1"], r.password)).to.equal("created");
        // min-replicas-to-write 1: accepted because the other replica follows.
        expect(await cli(elected, REDIS, ["SET", "order:2", "after-failover"], r.password)).to.equal("OK");
    });

    it("the old master, restarted as the kubelet restarts its container, rejoins as a replica of the new master with every write", async function () {
        expect(newMaster).to.be.greaterThan(0);
        start(0, "redis");
        const rejoined = await eventually("ordinal 0 replicating from the new master", async () => {
            const out = await info(0);
            return field(out, "role") === "slave" && field(out, "master_link_status") === "up" ? out : undefined;
        });
        expect(field(rejoined, "master_host")).to.equal(IPS[newMaster]);
        expect(await cli(IPS[0], REDIS, ["GET", "order:1"], r.password)).to.equal("created");
        expect(await cli(IPS[0], REDIS, ["GET", "order:2"], r.password)).to.equal("after-failover");
        await eventually("the new master counts two replicas", async () => (field(await info(newMaster), "connected_slaves") === "2" ? true : undefined));
        for (let i = 0; i < REPLICAS; i++) expect((await masterOf(i)).split("\n")[0]).to.equal(IPS[newMaster]);
    });

    it("persistence lands on each ordinal's data volume; Sentinel's state beside it is owner-only", function () {
        for (let i = 0; i < REPLICAS; i++) {
            const data = path.join(tmp, `pod-${i}`, "data");
            expect(fs.readdirSync(data), `pod-${i} data`).to.include.members(["appendonlydir", "sentinel"]);
            for (const f of fs.readdirSync(data)) {
                const p = path.join(data, f);
                if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, "latin1"), p).not.to.contain(r.password);
            }
            const state = path.join(data, "sentinel", "sentinel.conf");
            expect(fs.statSync(state).mode & 0o077, state).to.equal(0);
            expect(fs.readFileSync(state, "utf8")).to.match(/^sentinel config-epoch \S+ \d+$/m);
        }
    });

    // ---- full restarts: what the README's own procedures do (rotation, destroy + up) ----

    const procOf = (key: string) => procs[key];
    async function stop(keys: string[], signal: NodeJS.Signals): Promise<void> {
        await Promise.all(
            keys.map((k) => {
                const p = procOf(k);
                if (!p || p.exitCode !== null || p.signalCode !== null) return undefined;
                p.kill(signal);
                return new Promise((res) => p.once("exit", res));
            }),
        );
    }
    const everyPod = () => [0, 1, 2].flatMap((i) => [`redis-${i}`, `sentinel-${i}`]);
    function startAll(): void {
        for (let i = 0; i < REPLICAS; i++) {
            start(i, "redis");
            start(i, "sentinel");
        }
    }
    /** One master with both replicas linked; its ordinal. */
    async function converged(): Promise<number> {
        return eventually(
            "one master, two replicas linked",
            async () => {
                const infos = await Promise.all([0, 1, 2].map(info));
                const masters = infos.map((o, i) => (field(o, "role") === "master" ? i : -1)).filter((i) => i >= 0);
                if (masters.length !== 1) return undefined;
                const linked = infos.filter((o) => field(o, "role") === "slave" && field(o, "master_host") === IPS[masters[0]] && field(o, "master_link_status") === "up");
                return linked.length === 2 ? masters[0] : undefined;
            },
            120000,
        );
    }
    /** Writes keys on the master, each acknowledged by `WAIT 1`; the keys acknowledged. */
    async function acknowledgedWrites(master: number, prefix: string, n: number): Promise<string[]> {
        const acked: string[] = [];
        for (let i = 0; i < n; i += 100) {
            const keys = Array.from({ length: Math.min(100, n - i) }, (_, j) => `${prefix}:${i + j}`);
            const out = await cli(IPS[master], REDIS, ["MSET", ...keys.flatMap((k) => [k, "v"])], r.password);
            if (out !== "OK") continue;
            if (Number(await cli(IPS[master], REDIS, ["WAIT", "1", "5000"], r.password)) >= 1) acked.push(...keys);
        }
        return acked;
    }
    async function missingOn(i: number, keys: string[]): Promise<number> {
        let missing = 0;
        for (let k = 0; k < keys.length; k += 200) {
            const out = (await cli(IPS[i], REDIS, ["MGET", ...keys.slice(k, k + 200)], r.password)).split("\n");
            missing += out.filter((v) => v !== "v").length;
        }
        return missing;
    }

    it("finding 1: the master's pod dies, the Sentinels fail over, writes go on, every pod restarts: every acknowledged write is on every member", async function () {
        this.timeout(300000);
        const before = await converged();
        await stop([`redis-${before}`, `sentinel-${before}`], "SIGKILL");
        const promoted = await eventually(
            "a failover without the old master's pod",
            async () => {
                const hosts = await Promise.all([0, 1, 2].filter((i) => i !== before).map(async (i) => (await masterOf(i)).split("\n")[0]));
                return hosts.every((h) => h === hosts[0]) && IPS.includes(hosts[0]) && hosts[0] !== IPS[before] && field(await info(IPS.indexOf(hosts[0])), "role") === "master" ? IPS.indexOf(hosts[0]) : undefined;
            },
            60000,
        );
        const acked = await acknowledgedWrites(promoted, "f1", 500);
        expect(acked).to.have.length(500);
        await stop(everyPod(), "SIGTERM");
        startAll();
        const master = await converged();
        expect(master, "the member promoted last, not the stale ordinal").to.equal(promoted);
        for (let i = 0; i < REPLICAS; i++) expect(await missingOn(i, acked), `member ${i}`).to.equal(0);
        for (let i = 0; i < REPLICAS; i++) await eventually(`sentinel ${i} names the master`, async () => ((await masterOf(i)).split("\n")[0] === IPS[master] ? true : undefined));
    });

    it("finding 3: the master's preStop fails over through another pod's Sentinel before it returns, the old master still running", async function () {
        this.timeout(120000);
        const before = await converged();
        const podName = `${NAME}-${before}`;
        const env = Object.fromEntries(Object.entries(r.containers.redis.env).map(([k, v]) => [k, sub(v.split("$(POD_NAME)").join(podName))]));
        const t = Date.now();
        const hook = spawnSync("sh", [path.join(tmp, "config", "prestop-redis.sh")], {
            env: { PATH: process.env.PATH, ...env, POD_NAME: podName, REDIS_AUTH_FILE: path.join(tmp, "auth", "password"), REDIS_LOCAL_HOST: IPS[before] },
            encoding: "utf8",
            timeout: 60000,
        });
        const seconds = (Date.now() - t) / 1000;
        expect(hook.status, `${hook.stdout}${hook.stderr}`).to.equal(0);
        expect(procs[`redis-${before}`].exitCode, "the old master's process is still running").to.equal(null);
        const named = (await masterOf((before + 1) % 3)).split("\n")[0];
        expect(named, "a Sentinel names another master when the hook returns").not.to.equal(IPS[before]);
        expect(field(await info(IPS.indexOf(named)), "role")).to.equal("master");
        expect(seconds, "the hook returned well before its budget").to.be.lessThan(20);
        // It refuses writes until it stops; here it keeps running, and the Sentinels make it a replica of the new master.
        expect(await cli(IPS[before], REDIS, ["SET", "after-hook", "x"], r.password)).to.match(/NOREPLICAS|READONLY/);
        expect(await converged()).to.equal(IPS.indexOf(named));
    });

    for (const which of ["the master", "ordinal 0"] as const) {
        it(`finding 2: every pod restarts with ${which}'s volume empty: no acknowledged write lost, the empty member resyncs`, async function () {
            this.timeout(300000);
            const before = await converged();
            const acked = await acknowledgedWrites(before, `f2-${which === "ordinal 0" ? "zero" : "master"}`, 1000);
            expect(acked).to.have.length(1000);
            await stop(everyPod(), "SIGTERM");
            const emptied = which === "ordinal 0" ? 0 : before;
            fs.rmSync(path.join(tmp, `pod-${emptied}`, "data"), { recursive: true, force: true });
            fs.mkdirSync(path.join(tmp, `pod-${emptied}`, "data"));
            startAll();
            const master = await converged();
            expect(master, "a member that held data").not.to.equal(emptied);
            for (let i = 0; i < REPLICAS; i++) expect(await missingOn(i, acked), `member ${i}`).to.equal(0);
            for (let i = 0; i < REPLICAS; i++) await eventually(`sentinel ${i} names the master`, async () => ((await masterOf(i)).split("\n")[0] === IPS[master] ? true : undefined), 60000);
        });
    }
});

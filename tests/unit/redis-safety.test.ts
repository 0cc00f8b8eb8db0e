import { expect } from "chai";
import { parseSettings, transitionProblems } from "../../components";
import { redisMemoryBudget } from "../../components/engines/redis";
import { configProblems as problems, kubernetesObjects, runProgram } from "../support/render";
import { baseConfig, find, redis } from "../support/fixtures";

const P = "broker-platform";
const MIB = 1024 * 1024;
const valkey = (overrides: Record<string, unknown> = {}) => redis({ name: "kv", engine: "valkey", version: "8.1.1", ...overrides });

async function rendered(cluster: Record<string, unknown>) {
    const run = await runProgram(baseConfig({ clusters: [cluster as any] }));
    const objects = kubernetesObjects(run.resources);
    const sts = find(objects, "StatefulSet", cluster.name as string);
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.data?.["start-redis.sh"])!;
    return { run, objects, pod: sts.spec.template.spec, files: cm.data as Record<string, string> };
}

describe("redis and valkey: what keeps acknowledged writes", () => {
    it("maxmemory leaves room for the server, the backlog, one buffer per replica and a snapshot's fork", async () => {
        // (1024 − 32 − 16 − 2 × 64) / 2 = 424 MiB for a 1Gi limit and 3 members.
        expect(redisMemoryBudget("1Gi", 3)).to.deep.equal({ limit: 1024 * MIB, replicaBuffer: 64 * MIB, maxmemory: 424 * MIB });
        expect(redisMemoryBudget("8Gi", 3).replicaBuffer).to.equal(256 * MIB);
        const { files } = await rendered(redis({ resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { memory: "1Gi" } } }));
        expect(files["redis.conf"]).to.match(new RegExp(`^maxmemory ${424 * MIB}$`, "m"));
        expect(files["redis.conf"]).to.match(new RegExp(`^client-output-buffer-limit replica ${64 * MIB} ${16 * MIB} 60$`, "m"));
        expect(files["redis.conf"]).to.match(/^min-replicas-to-write 1$/m);
        const small = problems(baseConfig({ clusters: [redis({ resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "64Mi" } } })] }));
        expect(small).to.match(/clusters\[0\]\.resources\.limits\.memory = "64Mi": 64Mi leaves 4 MiB for data .* 3 members need at least 96Mi/);
        expect(problems(baseConfig({ clusters: [redis({ extraConfig: { maxmemory: "900mb" } })] }))).to.match(/maxmemory is managed by this package \(derived from resources\.limits\.memory/);
    });

    it("a cold start elects from what members hold, never ordinal 0 by default; Sentinel state is kept on the data volume", async () => {
        const { pod, files } = await rendered(redis());
        // Every start is unpromotable until in sync; with no serving master, read-only of nobody; the guard runs beside.
        expect(files["start-redis.sh"]).to.include('echo "replica-priority 0"');
        expect(files["start-redis.sh"]).to.include('else echo "replicaof 127.0.0.1 1"; fi');
        expect(files["start-redis.sh"]).to.match(/\nguard <\/dev\/null 2>&1 &\nexec redis-server "\$conf"\n$/);
        expect(files["start-redis.sh"]).to.include("grep -q '^slave_priority:0'");
        expect(files["start-redis.sh"]).not.to.match(/echo "\$FIRST"/);
        // The Sentinel's file is on the data volume and resumes; only secrets and announce lines are rewritten.
        const sentinel = pod.containers.find((c: any) => c.name === "sentinel");
        expect(sentinel.volumeMounts).to.deep.include({ name: "data", mountPath: "/data" });
        expect(files["start-sentinel.sh"]).to.include('STATE_DIR="$DATA_DIR/sentinel"');
        expect(files["start-sentinel.sh"]).to.match(/grep -v -E '\^\(bind\|dir\|requirepass\|user\|sentinel \(announce-ip\|announce-port\|auth-pass\|sentinel-pass\)\) '/);
        expect(pod.volumes.map((v: any) => v.name)).not.to.include("sentinel-run");
    });

    it("the planned failover goes through another pod's Sentinel, writes refused meanwhile; the Sentinel outlives the hook", async () => {
        const { pod, files } = await rendered(redis());
        const prestop = files["prestop-redis.sh"];
        expect(prestop).to.include("CONFIG SET min-replicas-to-write 1000000");
        expect(prestop).not.to.match(/CLIENT PAUSE/);
        expect(prestop).to.include("deadline=$(($(date +%s) + 50))");
        expect(prestop).to.match(/for h in \$HOSTS; do\n {4}\[ "\$h" = "\$SELF" \] && continue\n {4}r=\$\(cli "\$h" 26379 SENTINEL failover "\$MASTER_NAME"\)/);
        expect(prestop).not.to.match(/-p 26379 SENTINEL failover/);
        const sentinel = pod.containers.find((c: any) => c.name === "sentinel");
        expect(sentinel.lifecycle.preStop.exec.command).to.deep.equal(["sh", "/etc/redis/prestop-sentinel.sh"]);
        expect(files["prestop-sentinel.sh"]).to.match(/while \[ "\$i" -lt 58 \] && timeout 2 redis-cli .* PING/);
    });

    it("ready means in sync: a loaded master, or a replica whose link is up and not resyncing", async () => {
        const { pod, files } = await rendered(redis());
        const data = pod.containers.find((c: any) => c.name === "redis");
        expect(data.readinessProbe.exec.command).to.deep.equal(["sh", "/etc/redis/ready-redis.sh"]);
        expect(files["ready-redis.sh"]).to.include("grep -q '^loading:0' || exit 1");
        expect(files["ready-redis.sh"]).to.include("grep -q '^master_link_status:up' && echo \"$info\" | grep -q '^master_sync_in_progress:0' || exit 1");
        // ... and this pod's Sentinel lists it as a candidate, so a planned failover has one.
        expect(files["ready-redis.sh"]).to.match(/-p 26379 SENTINEL replicas cache .*\n.*awk -v me="\$REDIS_ANNOUNCE_HOST:6379" .*exit !\(f == "slave" && p > 0\)/);
    });

    it("valkey: the official image and Valkey's own program names and password variable, the same design", async () => {
        const { pod, files, objects, run } = await rendered(valkey());
        expect(pod.containers.map((c: any) => c.image)).to.deep.equal(["valkey/valkey:8.1.1", "valkey/valkey:8.1.1"]);
        expect(files["start-redis.sh"]).to.match(/exec valkey-server "\$conf"/);
        expect(files["start-sentinel.sh"]).to.match(/exec valkey-sentinel "\$conf"/);
        for (const [name, text] of Object.entries(files)) {
            if (!name.endsWith(".sh")) continue;
            expect(text, name).not.to.match(/redis-(cli|server|sentinel)/);
            expect(text, name).to.match(/valkey-cli/);
        }
        expect(find(objects, "Service", "kv").spec.ports.map((p: any) => p.port)).to.deep.equal([26379]);
        expect(run.outputs.clusters.kv.sentinels.masterName).to.equal("kv");
        expect(problems(baseConfig({ clusters: [valkey({ version: "7.2.5" })] }))).to.match(/version = "7\.2\.5": valkey 7\.2\.5 is not supported; supported series: 8\.0, 8\.1/);
        expect(problems(baseConfig({ clusters: [valkey({ extraConfig: { primaryauth: "x" } })] }))).to.match(/primaryauth is managed by this package/);
    });

    it("a Redis → Valkey switch in place is refused, saying why and what to do", () => {
        const before = { kv: { engine: "redis", version: "7.2.5", replicas: 3, storageClass: "brokers-kv-static", claimTemplateSize: "1Gi", volumeSize: "1Gi" } };
        const [swap] = transitionProblems(parseSettings(baseConfig({ clusters: [valkey()] }), P), before, P);
        expect(swap).to.match(/^broker-platform:clusters\[0\]\.engine = "valkey": cluster kv runs redis 7\.2\.5; a switch in place is refused: Valkey cannot load the data files of Redis 7\.4 and later .* Run a new cluster name beside it/);
        const back = { kv: { ...before.kv, engine: "valkey", version: "8.1.1" } };
        expect(transitionProblems(parseSettings(baseConfig({ clusters: [redis({ name: "kv" })] }), P), back, P)[0]).to.match(/engine = "redis": cluster kv runs valkey 8\.1\.1; a switch in place is refused/);
    });
});

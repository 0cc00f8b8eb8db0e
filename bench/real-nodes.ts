/**
 * How long the brokers take on real nodes, against the floor measured in the same run: one small
 * pod from apply to Ready on the same kubelets (median of 3). Starts `cluster-up --real-nodes 3`
 * (timed too), then with the real engine `pulumi up` of a stack with two 3-member RabbitMQ
 * clusters (4.0.5, discovery through the API, and 4.3.6, seed = ordinal 0) and a 3-member Redis
 * (hostPath volumes pinned one per node): the update itself, and until the brokers say they are
 * clustered (every RabbitMQ member lists 3 running nodes; one Redis master with 2 replicas whose
 * link is up). Then a rolling restart of each StatefulSet: until `kubectl rollout
 * status` returns, and until the brokers are clustered again. Destroys the stack and always runs
 * cluster-down. The images are the stand-ins (Debian's packages), not the upstream images.
 *
 *   npm run bench:real-nodes [-- --dir <cluster dir>]     (default: .cache/e2e/bench-real)
 *
 * Needs root, the Debian packages .ci/run installs, and the Pulumi CLI on PATH. Only one
 * real-node cluster can run on a machine: not while `npm run test:e2e` runs.
 */
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { engineStack, requireEngine } from "../tests/e2e/support/engine";
import { E2E_DIR, eventually, LocalCluster, mustRun } from "../tests/e2e/support/local";
import { CLIENT_IMAGE, RABBITMQ_NEXT_VERSION, RABBITMQ_VERSION, rabbitmqClusterStatus, realNodeClusters, REDIS_VERSION, redisMembers } from "../tests/e2e/support/real-nodes";

const NS = "bench-real";
const DIR = process.argv.includes("--dir") ? path.resolve(process.argv[process.argv.indexOf("--dir") + 1]) : path.join(E2E_DIR, "bench-real");
const NODES = ["real-node-1", "real-node-2", "real-node-3"];
/** How long a broker may take to cluster (after `up`, after a rollout) before the bench fails. */
const SETTLE_MS = 15 * 60 * 1000;

const since = (t0: number) => (performance.now() - t0) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(", ");

/** The smallest pod the nodes can run: the client image already in containerd, a no-op probe. */
const FLOOR_POD = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "bench-floor", namespace: "default" },
    spec: {
        automountServiceAccountToken: false,
        containers: [
            {
                name: "sleep",
                image: CLIENT_IMAGE,
                imagePullPolicy: "Never",
                command: ["sleep", "infinity"],
                // As restricted as the brokers' own containers, so the floor pays the same sandboxing.
                securityContext: { runAsUser: 65534, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
                readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 },
            },
        ],
    },
};

/** Seconds from apply until the floor pod is Ready; deletes it (and waits) before returning. */
async function podStartSeconds(k: LocalCluster): Promise<number> {
    const t0 = performance.now();
    k.apply([FLOOR_POD]);
    for (;;) {
        const pod = k.getJson(["get", "pod", "-n", "default", FLOOR_POD.metadata.name]);
        if (pod.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")) break;
        // A pod that cannot start never gets Ready: fail now rather than after the timeout.
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? "";
        if (/Err|BackOff/.test(waiting)) throw new Error(`floor pod cannot start: ${waiting}`);
        if (since(t0) > 300) throw new Error("floor pod not Ready after 300 s");
        await sleep(250);
    }
    const seconds = since(t0);
    // `sleep` as PID 1 ignores SIGTERM: a short grace period spares the default 30 s.
    k.kubectl(["delete", "pod", "-n", "default", FLOOR_POD.metadata.name, "--grace-period=1", "--wait=true"]);
    return seconds;
}

/** True once every member of a RabbitMQ cluster lists 3 running nodes (undefined, for `eventually`, until then). */
function rabbitClustered(k: LocalCluster, sts: string): true | undefined {
    return rabbitmqClusterStatus(k, NS, sts, 3).every((s) => s.runningNodes.length === 3) || undefined;
}

/** The tier's clusters plus RabbitMQ on the >= 4.1 path, named `rabbit-next`. */
function benchClusters(): Array<Record<string, unknown>> {
    const clusters = realNodeClusters();
    const rabbit = clusters.find((c) => c.name === "rabbit")!;
    return [...clusters, { ...rabbit, name: "rabbit-next", version: RABBITMQ_NEXT_VERSION }];
}

/** True once Redis has one master and two replicas whose master_link_status is up. */
function redisReplicating(k: LocalCluster, masterName: string): true | undefined {
    const members = redisMembers(k, NS, "cache", 3, masterName);
    const masters = members.filter((m) => m.role === "master");
    const linked = members.filter((m) => m.role === "slave" && m.masterLinkStatus === "up");
    return (masters.length === 1 && linked.length === 2) || undefined;
}

/** `rollout restart`; seconds until `rollout status` returns, and until `healthy` holds again. */
async function rollingRestart(k: LocalCluster, sts: string, healthy: () => true | undefined): Promise<{ rollout: number; healthy: number }> {
    const t0 = performance.now();
    k.kubectl(["rollout", "restart", `statefulset/${sts}`, "-n", NS]);
    // Not k.kubectl: its runner stops a command after 10 minutes, and rollout status may take 20.
    mustRun("kubectl", ["--kubeconfig", k.kubeconfig, "rollout", "status", `statefulset/${sts}`, "-n", NS, "--timeout=20m"], { env: k.env, timeoutMs: 21 * 60 * 1000 });
    const rollout = since(t0);
    await eventually(`${sts} clustered again after its rolling restart`, SETTLE_MS, healthy);
    return { rollout, healthy: since(t0) };
}

async function main(): Promise<void> {
    console.log(`engine: ${requireEngine()}`);
    console.log(`stand-in images (Debian's RabbitMQ ${RABBITMQ_VERSION} and ${RABBITMQ_NEXT_VERSION} / Redis ${REDIS_VERSION}) on ${NODES.length} real kubelets on one ${os.cpus().length}-core host`);
    const loadAtStart = load();
    console.log(`load average at start: ${loadAtStart}; cluster directory: ${DIR}\n`);

    const figures: Array<{ what: string; seconds: number }> = [];
    const record = (what: string, seconds: number) => {
        figures.push({ what, seconds });
        console.log(`  ${what}: ${seconds.toFixed(1)} s`);
    };

    let t0 = performance.now();
    // Outside the try: a cluster-up that fails stops what it started itself, and one that refused
    // (another real-node cluster is running) must not lead to a cluster-down here.
    const k = LocalCluster.start("bench-real", NODES.length, DIR, { realNodes: true });
    try {
        record(`cluster-up --real-nodes ${NODES.length}`, since(t0));

        const floors: number[] = [];
        for (let i = 0; i < 3; i++) floors.push(await podStartSeconds(k));
        console.log(`  pod start runs: ${floors.map((x) => x.toFixed(2)).join(" / ")} s`);
        record("pod start floor (median of 3)", median(floors));

        const e = await engineStack(k, "bench-real", {
            config: {
                namespace: NS,
                // Under the cluster's directory, so cluster-down removes the data even if destroy is not reached.
                storage: { mode: "hostPath", basePath: path.join(k.dir, "bench-hostpath"), size: "1Gi", nodes: NODES },
                clusters: benchClusters(),
            },
        });
        t0 = performance.now();
        const up = await e.stack.up();
        record("pulumi up", since(t0));
        const masterName: string = up.outputs.clusters.value.cache.sentinels.masterName;
        // `up` returns when the StatefulSets are ready, which is not yet the brokers agreeing on a cluster.
        await eventually("RabbitMQ clustered and Redis replicating after up", SETTLE_MS, () => (rabbitClustered(k, "rabbit") && rabbitClustered(k, "rabbit-next") && redisReplicating(k, masterName)) || undefined);
        record("pulumi up start → brokers clustered", since(t0));

        for (const [sts, version] of [["rabbit", RABBITMQ_VERSION], ["rabbit-next", RABBITMQ_NEXT_VERSION]]) {
            const roll = await rollingRestart(k, sts, () => rabbitClustered(k, sts));
            record(`rolling restart ${sts} (${version}): rollout status done`, roll.rollout);
            record(`rolling restart ${sts} (${version}): 3 running nodes on every member`, roll.healthy);
        }
        const cache = await rollingRestart(k, "cache", () => redisReplicating(k, masterName));
        record("rolling restart cache: rollout status done", cache.rollout);
        record("rolling restart cache: 1 master + 2 replicas link up", cache.healthy);

        t0 = performance.now();
        await e.stack.destroy();
        record("pulumi destroy", since(t0));

        const floor = figures.find((f) => f.what.startsWith("pod start floor"))!.seconds;
        const rows = [["figure", "seconds", "× pod start floor"], ...figures.map((f) => [f.what, f.seconds.toFixed(1), (f.seconds / floor).toFixed(1)])];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        console.log(`\nstand-in images (Debian's RabbitMQ ${RABBITMQ_VERSION} and ${RABBITMQ_NEXT_VERSION} / Redis ${REDIS_VERSION}), not the upstream images, on real kubelets`);
        console.log(`${NODES.length} real nodes on one host with ${os.cpus().length} CPUs; broker figures poll every 1 s (plus the time of the CLIs asked)\n`);
        for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
        console.log(`\nload average at start: ${loadAtStart}; at end: ${load()}`);
    } finally {
        const r = k.stop();
        if (r.status !== 0) {
            console.error(`cluster-down exited ${r.status}:\n${r.stderr.trim()}`);
            process.exitCode = 1;
        }
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});

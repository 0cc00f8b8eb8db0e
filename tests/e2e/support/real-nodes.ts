/**
 * The real-node tier's helpers: what the brokers say about themselves (asked inside their own
 * containers with their own CLIs), a client pod that uses a stack's connection URL, local
 * volumes for a StorageClass, and a snapshot of the host state that `cluster:down` must restore.
 */
import * as fs from "fs";
import * as path from "path";
import { eventually, LocalCluster, REPO_ROOT, run } from "./local";

/** The client image the stand-in image script builds (python3 with pika and redis-py, redis-cli). */
export const CLIENT_IMAGE = "docker.io/broker-platform/e2e-client:1";
/** Versions the stand-in images carry (scripts/images.sh). */
export const RABBITMQ_VERSION = "4.0.5";
/** The >= 4.1 discovery path (seed = ordinal 0, no API access), on Khepri. */
export const RABBITMQ_NEXT_VERSION = "4.3.6";
export const REDIS_VERSION = "7.0.15";
/** The Valkey stand-in (Debian trixie's valkey-server). */
export const VALKEY_VERSION = "8.1.1";

/**
 * The clusters the real-node tier and bench deploy: 3-member RabbitMQ (peer discovery through the
 * API) and Redis with Sentinel, at the stand-in images' versions, with small requests (three
 * nodes share two CPUs).
 */
export function realNodeClusters(): Array<Record<string, unknown>> {
    return [
        {
            name: "rabbit",
            engine: "rabbitmq",
            version: RABBITMQ_VERSION,
            replicas: 3,
            resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
            terminationGracePeriodSeconds: 60,
            definitions: { vhosts: ["orders"], queues: [{ name: "orders.created", vhost: "orders" }] },
        },
        {
            name: "cache",
            engine: "redis",
            version: REDIS_VERSION,
            replicas: 3,
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        },
    ];
}

export function realNodeNames(k: LocalCluster): string[] {
    return k
        .getJson(["get", "nodes", "-l", "broker-platform.local/node-kind=real"])
        .items.map((n: any) => n.metadata.name as string)
        .sort();
}

/** `kubectl exec` in a pod's container; the status and output, never thrown. */
export function exec(k: LocalCluster, ns: string, pod: string, container: string, command: string[]): { status: number | null; stdout: string; stderr: string } {
    return k.tryKubectl(["exec", "-n", ns, pod, "-c", container, "--", ...command]);
}

export interface RabbitStatus {
    pod: string;
    runningNodes: string[];
    clusterName: string;
}

/**
 * The running nodes one member reports, or undefined while its CLI cannot reach it (not booted,
 * or a name that does not resolve).
 */
export function rabbitmqRunningNodes(k: LocalCluster, ns: string, pod: string): string[] | undefined {
    const r = exec(k, ns, pod, "rabbitmq", ["rabbitmqctl", "cluster_status", "--formatter", "json"]);
    if (r.status !== 0) return undefined;
    try {
        return [...(JSON.parse(r.stdout).running_nodes as string[])].sort();
    } catch {
        return undefined;
    }
}

/** `rabbitmqctl cluster_status` as each member answers it. */
export function rabbitmqClusterStatus(k: LocalCluster, ns: string, sts: string, replicas: number): RabbitStatus[] {
    return Array.from({ length: replicas }, (_, i) => {
        const pod = `${sts}-${i}`;
        const r = exec(k, ns, pod, "rabbitmq", ["rabbitmqctl", "cluster_status", "--formatter", "json"]);
        if (r.status !== 0) throw new Error(`rabbitmqctl cluster_status in ${pod} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
        const s = JSON.parse(r.stdout);
        return { pod, runningNodes: [...(s.running_nodes as string[])].sort(), clusterName: String(s.cluster_name) };
    });
}

export interface RedisMember {
    pod: string;
    role: string;
    connectedReplicas: number;
    masterHost?: string;
    masterLinkStatus?: string;
    /** What this pod's Sentinel names as the master (host). */
    sentinelMaster: string;
}

/**
 * A command through the pod's own client (`redis-cli` or `valkey-cli`, the data container is
 * named after the engine), with the mounted password; the data node on 6379, the Sentinel on 26379.
 */
export function redisCli(k: LocalCluster, ns: string, pod: string, container: string, port: number, command: string): string {
    const cli = container === "valkey" ? "valkey-cli" : "redis-cli";
    const r = exec(k, ns, pod, port === 26379 ? "sentinel" : container, ["sh", "-c", `REDISCLI_AUTH="$(cat /run/secrets/redis/password)" ${cli} --no-auth-warning -p ${port} ${command}`]);
    if (r.status !== 0) throw new Error(`redis-cli ${command} in ${pod}/${container} exited ${r.status}: ${r.stderr.trim()}`);
    return r.stdout;
}

function infoField(info: string, field: string): string | undefined {
    return new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

/** `INFO replication` of each data node and `SENTINEL get-master-addr-by-name` of each Sentinel. */
export function redisMembers(k: LocalCluster, ns: string, sts: string, replicas: number, masterName: string, engine: "redis" | "valkey" = "redis"): RedisMember[] {
    return Array.from({ length: replicas }, (_, i) => {
        const pod = `${sts}-${i}`;
        const info = redisCli(k, ns, pod, engine, 6379, "INFO replication");
        const sentinel = redisCli(k, ns, pod, engine, 26379, `SENTINEL get-master-addr-by-name ${masterName}`);
        return {
            pod,
            role: infoField(info, "role") ?? "",
            connectedReplicas: Number(infoField(info, "connected_slaves") ?? 0),
            masterHost: infoField(info, "master_host"),
            masterLinkStatus: infoField(info, "master_link_status"),
            sentinelMaster: sentinel.split("\n")[0].trim(),
        };
    });
}

const CLIENT_SCRIPT = fs.readFileSync(path.join(__dirname, "broker-client.py"), "utf8");

/**
 * Runs the client image as a pod of the namespace with one connection URL and returns what the
 * client printed (one JSON object). The URL reaches the pod through an environment variable of
 * a pod that is deleted right after.
 */
export type ClientMode = "amqp" | "redis-sentinel" | "k8s-get" | "amqp-publish" | "amqp-drain" | "http-get" | "redis-write";

/** Starts the client image as a pod of the namespace with one URL (through its environment) and one mode. */
export function startClient(
    k: LocalCluster,
    ns: string,
    name: string,
    mode: ClientMode,
    url: string,
    count: number,
    opts: { serviceAccount?: string; /** Nodes the pod must not run on (one a scenario will take away). */ avoidNodes?: string[] } = {},
): void {
    k.tryKubectl(["delete", "pod", "-n", ns, name, "--ignore-not-found", "--wait=true"]);
    k.apply([
        {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: ns, labels: { "broker-platform.e2e/client": "true" } },
            spec: {
                restartPolicy: "Never",
                ...(opts.avoidNodes?.length
                    ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: opts.avoidNodes }] }] } } } }
                    : {}),
                ...(opts.serviceAccount ? { serviceAccountName: opts.serviceAccount, automountServiceAccountToken: true } : { automountServiceAccountToken: false }),
                containers: [
                    {
                        name: "client",
                        image: CLIENT_IMAGE,
                        imagePullPolicy: "Never",
                        command: ["python3", "-c", CLIENT_SCRIPT, mode, String(count)],
                        env: [{ name: "BROKER_URL", value: url }],
                        securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
                    },
                ],
            },
        },
    ]);
}

/** Waits for a client pod to finish, deletes it, and returns the JSON line it printed last. */
export async function clientResult(k: LocalCluster, ns: string, name: string, timeoutMs = 180_000): Promise<Record<string, any>> {
    const phase = await eventually(`client pod ${ns}/${name} to finish`, timeoutMs, () => {
        const p = k.getJson(["get", "pod", "-n", ns, name]).status?.phase;
        return p === "Succeeded" || p === "Failed" ? p : undefined;
    });
    const logs = k.tryKubectl(["logs", "-n", ns, name]).stdout.trim();
    k.tryKubectl(["delete", "pod", "-n", ns, name, "--wait=false"]);
    if (phase !== "Succeeded") throw new Error(`client ${ns}/${name} failed:\n${logs}`);
    return JSON.parse(logs.split("\n").pop() ?? "{}");
}

/**
 * Runs the client image as a pod of the namespace with one connection URL and returns what the
 * client printed (one JSON object). The URL reaches the pod through an environment variable of
 * a pod that is deleted right after.
 */
export async function runClient(k: LocalCluster, ns: string, name: string, mode: ClientMode, url: string, count: number, opts: { serviceAccount?: string } = {}): Promise<Record<string, any>> {
    startClient(k, ns, name, mode, url, count, opts);
    return clientResult(k, ns, name);
}

/** Inclusive id ranges, as the client prints them. */
export type IdRanges = Array<[number, number]>;

export function idsOf(ranges: IdRanges): number[] {
    return ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
}

/** A publisher started with `startClient(..., "amqp-publish", url, run)`: tells it to stop and returns what it says the broker confirmed. */
export interface PublisherResult {
    run: number;
    attempts: number;
    failures: number;
    confirmed: IdRanges;
    /** [unix seconds, confirmed so far], once a second. */
    timeline: Array<[number, number]>;
}

export async function stopPublisher(k: LocalCluster, ns: string, name: string): Promise<PublisherResult> {
    exec(k, ns, name, "client", ["touch", "/tmp/stop"]);
    return (await clientResult(k, ns, name, 60_000)) as any;
}

/** `rabbitmq-queues quorum_status`: the members (node names) of a quorum queue, as one member reports them. */
export function rabbitmqQuorumMembers(k: LocalCluster, ns: string, pod: string, queue: string, vhost: string): string[] {
    const r = exec(k, ns, pod, "rabbitmq", ["rabbitmq-queues", "quorum_status", queue, "--vhost", vhost, "--formatter", "json"]);
    if (r.status !== 0) throw new Error(`rabbitmq-queues quorum_status ${queue} in ${pod} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
    return (JSON.parse(r.stdout) as Array<Record<string, unknown>>).map((m) => String(m["Node Name"] ?? m.node_name ?? m.node)).sort();
}

/** `rabbitmqctl list_feature_flags name state stability`, as one member reports them. */
export function rabbitmqFeatureFlags(k: LocalCluster, ns: string, pod: string): Array<{ name: string; state: string; stability: string }> {
    const r = exec(k, ns, pod, "rabbitmq", ["rabbitmqctl", "list_feature_flags", "name", "state", "stability", "--formatter", "json"]);
    if (r.status !== 0) throw new Error(`rabbitmqctl list_feature_flags in ${pod} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
    return JSON.parse(r.stdout);
}

/** `rabbitmqctl list_users`: name and tags of every user. */
export function rabbitmqUsers(k: LocalCluster, ns: string, pod: string): Array<{ user: string; tags: string[] }> {
    const r = exec(k, ns, pod, "rabbitmq", ["rabbitmqctl", "list_users", "--formatter", "json"]);
    if (r.status !== 0) throw new Error(`rabbitmqctl list_users in ${pod} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
    return JSON.parse(r.stdout);
}

/**
 * A StorageClass without a provisioner and one `local` volume per node under the cluster's
 * directory, pinned to its node: claims bind where the scheduler puts the pod
 * (WaitForFirstConsumer), as with a local-volume provisioner.
 */
export function provideLocalStorageClass(k: LocalCluster, className: string, perNode: number, size: string): void {
    const objects: Array<Record<string, any>> = [
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: className },
            provisioner: "kubernetes.io/no-provisioner",
            volumeBindingMode: "WaitForFirstConsumer",
            reclaimPolicy: "Retain",
        },
    ];
    for (const node of realNodeNames(k)) {
        for (let i = 0; i < perNode; i++) {
            const dir = path.join(k.dir, "local-volumes", node, String(i));
            fs.mkdirSync(dir, { recursive: true });
            objects.push({
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: { name: `${className}-${node}-${i}` },
                spec: {
                    capacity: { storage: size },
                    accessModes: ["ReadWriteOnce"],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: className,
                    volumeMode: "Filesystem",
                    local: { path: dir },
                    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
                },
            });
        }
    }
    k.apply(objects);
}

/** What a kubelet, containerd, CNI and kube-proxy could leave on the host, read from the host. */
export interface HostState {
    processes: string[];
    mounts: string[];
    iptables: string[];
    links: string[];
    addresses: string[];
    routes: string[];
    listeners: string[];
    paths: string[];
    cgroups: string[];
    sysctls: string[];
}

const WATCHED_PATHS = ["/var/lib/kubelet", "/var/log/pods", "/var/log/containers", "/run/containerd", "/var/lib/containerd", "/var/lib/cni", "/run/netns", "/etc/cni", "/opt/cni", "/opt/containerd", "/run/flannel", "/var/run/calico"];
const WATCHED_SYSCTLS = ["net.ipv4.ip_forward", "vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops", "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes", "net.ipv4.conf.all.route_localnet", "net.netfilter.nf_conntrack_max"];
/** Programs of the local cluster and of the brokers in it. */
const CLUSTER_PROGRAMS = /^(kubelet|containerd|containerd-shim.*|runc|coredns|kube-proxy|kube-apiserver|kube-controller|kube-scheduler|etcd|kwok|beam\.smp|epmd|erl_child_setup|inet_gethost|redis-server|redis-sentinel|redis-check-rdb|pause)$/;

function lines(cmd: string, args: string[]): string[] {
    const r = run(cmd, args);
    return r.status === 0 ? r.stdout.split("\n").map((l) => l.trim()).filter(Boolean) : [`${cmd} ${args.join(" ")}: exit ${r.status}`];
}

export function hostState(): HostState {
    const processes: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
            if (CLUSTER_PROGRAMS.test(comm)) processes.push(`${comm} (pid ${pid})`);
        } catch {
            // gone meanwhile
        }
    }
    const iptables = ["iptables-save", "ip6tables-save"].flatMap((tool) =>
        lines(tool, [])
            .filter((l) => !l.startsWith("#"))
            .map((l) => `${tool}: ${l.replace(/\[\d+:\d+\]/g, "")}`),
    );
    const cgroups = fs
        .readdirSync("/sys/fs/cgroup")
        .flatMap((h) => {
            try {
                return fs.readdirSync(path.join("/sys/fs/cgroup", h), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${h}/${d.name}`);
            } catch {
                return [];
            }
        })
        .filter((c) => !/\/(process_api|system\.slice|user\.slice|init\.scope)$/.test(c) || c.includes("broker-platform"));
    return {
        processes: processes.sort(),
        mounts: fs
            .readFileSync("/proc/1/mountinfo", "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split(" ").slice(4, 5).concat(l.split(" - ")[1]?.split(" ")[0] ?? "").join(" "))
            .sort(),
        iptables: iptables.sort(),
        links: lines("ip", ["-o", "link", "show"]).map((l) => l.split(":")[1].trim()).sort(),
        addresses: lines("ip", ["-o", "addr", "show"]).map((l) => l.split(/\s+/).slice(1, 4).join(" ")).sort(),
        routes: lines("ip", ["route", "show", "table", "all"]).sort(),
        listeners: lines("ss", ["-Hltnu"]).map((l) => `${l.split(/\s+/)[0]} ${l.split(/\s+/)[4]}`).sort(),
        paths: WATCHED_PATHS.filter((p) => fs.existsSync(p)),
        cgroups: cgroups.sort(),
        sysctls: WATCHED_SYSCTLS.map((s) => `${s}=${run("sysctl", ["-n", s]).stdout.trim()}`),
    };
}

/** What `after` has that `before` has not, per kind of state (empty when the host is as before). */
export function hostStateDiff(before: HostState, after: HostState): Record<string, { added: string[]; removed: string[] }> {
    const out: Record<string, { added: string[]; removed: string[] }> = {};
    for (const key of Object.keys(before) as Array<keyof HostState>) {
        const b = new Set(before[key]);
        const a = new Set(after[key]);
        const added = [...a].filter((x) => !b.has(x));
        // A process of the list that ended meanwhile is no trace; one that appeared is.
        const removed = key === "processes" ? [] : [...b].filter((x) => !a.has(x));
        if (added.length || removed.length) out[key] = { added, removed };
    }
    return out;
}

export { REPO_ROOT };

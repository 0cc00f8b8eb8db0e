import { expect } from "chai";
import { rabbitmqDiskFreeLimitBytes, rabbitmqMemoryBytes, rabbitmqSchedulers, rabbitmqStopBudget } from "../../components/engines/rabbitmq-sizing";
import { rabbitmqUpgradeSteps } from "../../components/engines/versions";
import { configProblems, kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, find, rabbit } from "../support/fixtures";

const GIB = 2 ** 30;
const limits = (memory: string, cpu?: string) => ({ resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { memory, ...(cpu ? { cpu } : {}) } } });

async function render(config: any, previous?: Record<string, unknown>) {
    return kubernetesObjects((await runProgram(config, previous ? { previousOutputs: { clusters: previous } } : {})).resources);
}

const conf = (objects: Array<Record<string, any>>): string => all(objects, "ConfigMap").find((c) => c.data?.["rabbitmq.conf"])!.data["rabbitmq.conf"];

describe("RabbitMQ sizing", () => {
    it("memory: the limit less a fifth, at most 2 GiB, in integer bytes (1.5Gi included, which RabbitMQ's parser refuses as written)", () => {
        expect(rabbitmqMemoryBytes(limits("1Gi") as any)).to.equal(Math.floor(0.8 * GIB));
        expect(rabbitmqMemoryBytes(limits("1.5Gi") as any)).to.equal(Math.floor(1.2 * GIB));
        expect(rabbitmqMemoryBytes(limits("64Gi") as any)).to.equal(62 * GIB);
        expect(rabbitmqMemoryBytes(limits("2G") as any)).to.equal(1.6e9);
        expect(Number.isInteger(rabbitmqMemoryBytes(limits("1.3Gi") as any))).to.equal(true);
    });

    it("disk: free space below the memory limit blocks publishers", () => {
        expect(rabbitmqDiskFreeLimitBytes(limits("4Gi") as any)).to.equal(4 * GIB);
    });

    it("schedulers: the CPU limit rounded up, none without a limit", () => {
        expect(rabbitmqSchedulers(limits("1Gi") as any)).to.equal(undefined);
        expect(rabbitmqSchedulers(limits("1Gi", "500m") as any)).to.equal(1);
        expect(rabbitmqSchedulers(limits("1Gi", "2") as any)).to.equal(2);
        expect(rabbitmqSchedulers(limits("1Gi", "2.5") as any)).to.equal(3);
    });

    it("the preStop budget and the broker's shutdown add up to less than the grace period", () => {
        for (const grace of [10, 30, 60, 120, 600, 3600, 604800]) {
            for (const [replicas, version] of [[3, "4.0.9"], [3, "3.13.7"], [2, "3.13.7"], [1, "4.2.1"]] as const) {
                const b = rabbitmqStopBudget({ replicas, version }, grace);
                expect(b.awaitQuorum + b.awaitMirrors + b.drain + b.shutdown, `${grace} s, ${replicas} × ${version}`).to.be.at.most(grace);
                expect(b.drain, `${grace}`).to.be.greaterThan(0);
                expect(b.shutdown, `${grace}`).to.be.greaterThan(0);
            }
        }
        expect(rabbitmqStopBudget({ replicas: 3, version: "4.0.9" }, 600)).to.deep.equal({ awaitQuorum: 480, awaitMirrors: 0, drain: 60, shutdown: 60 });
        expect(rabbitmqStopBudget({ replicas: 3, version: "3.13.7" }, 600)).to.deep.equal({ awaitQuorum: 240, awaitMirrors: 240, drain: 60, shutdown: 60 });
        expect(rabbitmqStopBudget({ replicas: 1, version: "4.0.9" }, 600)).to.deep.equal({ awaitQuorum: 0, awaitMirrors: 0, drain: 60, shutdown: 60 });
    });

    it("rabbitmq.conf carries the bytes, the size hint and membership reconciliation; the pod the schedulers and erlangArgs", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ replicas: 5, ...limits("1.5Gi", "1500m"), erlangArgs: "+sbwt none" })] }));
        const text = conf(objects);
        expect(text).to.include(`total_memory_available_override_value = ${Math.floor(1.2 * GIB)}\n`);
        expect(text).to.include(`disk_free_limit.absolute = ${1.5 * GIB}\n`);
        expect(text).to.include("cluster_formation.target_cluster_size_hint = 5\n");
        expect(text).to.include("quorum_queue.continuous_membership_reconciliation.enabled = true\n");
        expect(text).to.include("quorum_queue.continuous_membership_reconciliation.target_group_size = 5\n");
        expect(text).to.include("quorum_queue.continuous_membership_reconciliation.auto_remove = false\n");
        const env = find(objects, "StatefulSet").spec.template.spec.containers[0].env;
        expect(env.find((e: any) => e.name === "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS").value).to.equal("+S 2:2 +sbwt none");
    });

    it("with TLS distribution, erlangArgs still reach the broker, after the distribution flags", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit({ tls: { secretName: "tls", distribution: true }, erlangArgs: "+P 2000000" })] }));
        const env = find(objects, "StatefulSet").spec.template.spec.containers[0].env;
        expect(env.find((e: any) => e.name === "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS").value).to.match(/^-proto_dist inet_tls -ssl_dist_optfile \S+ \+P 2000000$/);
        expect(env.find((e: any) => e.name === "RABBITMQ_CTL_ERL_ARGS").value).not.to.include("+P");
    });

    it("refuses erlangArgs with shell characters, and on other engines, naming the key", () => {
        expect(configProblems(baseConfig({ clusters: [rabbit({ erlangArgs: "+P 1; rm -rf /" })] }))).to.match(/clusters\[0\]\.erlangArgs = "\+P 1; rm -rf \/": erlangArgs must be Erlang emulator flags/);
        expect(configProblems(baseConfig({ clusters: [rabbit({ erlangArgs: "$(id)" })] }))).to.match(/erlangArgs/);
        expect(configProblems(baseConfig({ clusters: [{ name: "c", engine: "redis", version: "7.0.15", erlangArgs: "+P 1" }] }))).to.match(/erlangArgs applies to RabbitMQ only/);
        expect(configProblems(baseConfig({ clusters: [{ name: "c", engine: "redis", version: "7.0.15", appCredentials: { generation: 1 } }] }))).to.match(/appCredentials applies to RabbitMQ only/);
    });
});

describe("RabbitMQ formation and members that lost their data", () => {
    it("the size hint stays what the cluster formed with, so a scale changes no member's configuration", async () => {
        const first = await render(baseConfig({ clusters: [rabbit({ replicas: 3 })] }));
        const scaled = await render(baseConfig({ clusters: [rabbit({ replicas: 5 })] }), { rmq: { engine: "rabbitmq", version: "4.0.9", replicas: 3, formationSize: 3 } });
        expect(conf(scaled)).to.equal(conf(first));
        const template = (o: Array<Record<string, any>>) => find(o, "StatefulSet").spec.template;
        expect(template(scaled)).to.deep.equal(template(first));
        // The record keeps it for the next update.
        const record = JSON.parse(find(scaled, "ConfigMap", "rmq-deployment").metadata.annotations["broker-platform/deployment"]);
        expect(record).to.include({ replicas: 5, formationSize: 3 });
    });

    it("the deployment record carries one constant data key, which every RabbitMQ pod mounts (optional) for its setup container", async () => {
        const objects = await render(baseConfig({ clusters: [rabbit()] }));
        const record = find(objects, "ConfigMap", "rmq-deployment");
        expect(Object.keys(record.data)).to.deep.equal(["cluster-formed"]);
        const pod = find(objects, "StatefulSet").spec.template.spec;
        const volume = pod.volumes.find((v: any) => v.name === "deployment-record");
        expect(volume.configMap).to.deep.equal({ name: "rmq-deployment", optional: true, items: [{ key: "cluster-formed", path: "cluster-formed" }] });
        const setup = pod.initContainers.find((c: any) => c.name === "setup");
        expect(setup.command).to.deep.equal(["sh", "/etc/rabbitmq/setup.sh"]);
        expect(setup.volumeMounts.map((m: any) => m.name)).to.include.members(["data", "deployment-record", "erlang-cookie", "config"]);
        // The broker reads the conf.d copy the setup container may add to.
        const env = pod.containers[0].env;
        expect(env.find((e: any) => e.name === "RABBITMQ_CONFIG_FILES").value).to.equal("/var/lib/rabbitmq/conf.d");
        const script = all(objects, "ConfigMap").find((c) => c.data?.["setup.sh"])!.data["setup.sh"];
        expect(script).to.include("/run/broker-platform/record/cluster-formed");
        expect(script).to.include("forget_cluster_node");
        expect(script).to.include("cluster_formation.peer_discovery_backend = classic_config");
        expect(script).to.include("rmq-$i.rmq-headless.brokers.svc.cluster.local");
    });
});

describe("RabbitMQ applications and feature flags", () => {
    it("a post-deploy Job enables the feature flags after the StatefulSet, named after the version; its pod is no member", async () => {
        const run = await runProgram(baseConfig({ clusters: [rabbit()] }));
        const objects = kubernetesObjects(run.resources);
        const job = find(objects, "Job");
        expect(job.metadata.name).to.match(/^rmq-post-deploy-[0-9a-f]{10}$/);
        expect(job.metadata.name.length).to.be.at.most(63);
        expect(job.spec.template.metadata.labels).not.to.have.property("app.kubernetes.io/name");
        const cmd = job.spec.template.spec.containers[0].command[2];
        expect(cmd).to.include("enable_feature_flag all");
        expect(cmd).to.include("rabbit@rmq-0.rmq-headless.brokers.svc.cluster.local");
        const registered = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
        expect(registered.name).to.equal("rmq-post-deploy");
        const other = find(await render(baseConfig({ clusters: [rabbit({ version: "4.2.1" })] })), "Job");
        expect(other.metadata.name).not.to.equal(job.metadata.name);
        expect(all(await render(baseConfig({ clusters: [{ name: "c", engine: "redis", version: "7.0.15" }] })), "Job")).to.deep.equal([]);
    });

    it("a long cluster name still gives a Job name of at most 63 characters", async () => {
        const name = "a".repeat(50);
        const job = find(await render(baseConfig({ clusters: [rabbit({ name })] })), "Job");
        expect(job.metadata.name.length).to.be.at.most(63);
    });

    it("the StatefulSet's await outlasts a healthy roll: 600 s plus 300 s per member", async () => {
        const sts = find(await render(baseConfig({ clusters: [rabbit({ replicas: 5 })] })), "StatefulSet");
        expect(sts.metadata.annotations["pulumi.com/timeoutSeconds"]).to.equal("2100");
    });
});

describe("RabbitMQ upgrade paths", () => {
    it("follows the upgrade guide: the series to go through, or none", () => {
        expect(rabbitmqUpgradeSteps("4.0.5", "4.3.6")).to.deep.equal(["4.2"]);
        expect(rabbitmqUpgradeSteps("3.13.7", "4.3.6")).to.deep.equal(["4.2"]);
        expect(rabbitmqUpgradeSteps("4.1.4", "4.3.6")).to.deep.equal(["4.2"]);
        expect(rabbitmqUpgradeSteps("4.2.1", "4.3.6")).to.deep.equal([]);
        expect(rabbitmqUpgradeSteps("3.13.7", "4.2.1")).to.deep.equal([]);
        expect(rabbitmqUpgradeSteps("4.3.1", "4.3.6")).to.deep.equal([]);
    });
});

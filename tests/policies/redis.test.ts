/**
 * Redis with Sentinel through the same rules as the Erlang brokers: detected as a `redis`
 * workload, checked by the shared rules (headless Service and announced names, credentials,
 * anti-affinity, PDB majority, per-replica storage), and skipped by the Erlang-only ones.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { lint } from "../../policies/engine";
import { buildModel } from "../../policies/lib/model";
import { credentials, erlangCookie, nodeNamesAgree, pdb, perReplicaStorage, podAntiAffinity } from "../../policies/rules";
import { distributionIsolation } from "../../policies/rules/distribution-isolation";
import { K8sObject } from "../../policies/lib/types";
import { kubernetesObjects, runProgram } from "../support/render";
import { clone, find, findings, mandatory } from "./support";

const REDIS_HA = path.join(__dirname, "..", "..", "..", "shared", "corpus", "charts", "stable-redis-ha-default.yaml");

async function ours(): Promise<K8sObject[]> {
    const run = await runProgram({
        namespace: "cache",
        storage: { mode: "hostPath", basePath: "/var/lib/cache", size: "1Gi" },
        clusters: [{ name: "rds", engine: "redis", version: "7.2.5", replicas: 3 }],
    });
    return kubernetesObjects(run.resources) as K8sObject[];
}

const redisConfig = (o: K8sObject[]) => o.find((x) => x.kind === "ConfigMap" && x.data?.["redis.conf"])!;

describe("policies: Redis with Sentinel", function () {
    this.timeout(60000);

    it("our Redis cluster is detected as redis (the data-node container) and has no violation, mandatory or advisory, from the shared rules", async () => {
        const o = await ours();
        const brokers = buildModel(o).brokers;
        expect(brokers.map((b) => [b.name, b.engine, b.erlang, (b.container as any).name])).to.deep.equal([["rds", "redis", false, "redis"]]);
        for (const rule of [credentials, nodeNamesAgree, podAntiAffinity, pdb, perReplicaStorage]) expect(findings(rule, o), rule.id).to.deep.equal([]);
        const r = lint(o);
        expect(r.violations.filter((v) => v.enforcement === "mandatory")).to.deep.equal([]);
    });

    it("the Erlang-only rules skip Redis: no cookie or distribution findings for a pod without either", async () => {
        const o = await ours();
        const sts = find(o, "StatefulSet");
        // Even with the PDB and the ConfigMaps gone, nothing Erlang is asked of a Redis pod.
        expect(findings(erlangCookie, [sts])).to.deep.equal([]);
        expect(findings(distributionIsolation, [sts])).to.deep.equal([]);
    });

    it("credentials: requirepass / masterauth / sentinel auth-pass written in a ConfigMap, and --requirepass on the command line", async () => {
        const o = clone(await ours());
        const cm = redisConfig(o);
        cm.data["redis.conf"] += "requirepass aaaaaa\nmasterauth aaaaaa\n";
        cm.data["sentinel.conf"] += "sentinel auth-pass rds aaaaaa\n";
        const found = mandatory(credentials, o).join("\n");
        expect(found).to.match(/line \d+ sets requirepass in clear text/);
        expect(found).to.match(/sets masterauth in clear text/);
        expect(found).to.match(/sets sentinel auth-pass rds in clear text/);
        const o2 = clone(await ours());
        find(o2, "StatefulSet").spec.template.spec.containers[1].args = ["--requirepass", "aaaaaa"];
        expect(mandatory(credentials, o2).join()).to.match(/container sentinel passes --requirepass a literal password/);
        // A value the start script fills in from the Secret is no literal.
        const o3 = clone(await ours());
        redisConfig(o3).data["redis.conf"] += 'requirepass "$PASS"\n';
        expect(mandatory(credentials, o3)).to.deep.equal([]);
    });

    it("node-names-agree: an announced host, or a member host in the start script, under another Service than the governing one", async () => {
        const o = clone(await ours());
        const redis = find(o, "StatefulSet").spec.template.spec.containers[0];
        redis.env.find((e: any) => e.name === "REDIS_ANNOUNCE_HOST").value = "$(POD_NAME).rds.cache.svc.cluster.local";
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/REDIS_ANNOUNCE_HOST=.* names rds as the DNS subdomain, but the pods' DNS records live under the headless Service rds-headless/);
        const o2 = clone(await ours());
        const cm = redisConfig(o2);
        cm.data["start-redis.sh"] = cm.data["start-redis.sh"].replace(/rds-1\.rds-headless/g, "rds-1.redis");
        expect(mandatory(nodeNamesAgree, o2).join()).to.match(/member host in start-redis\.sh=rds-1\.redis\.cache.* names redis as the DNS subdomain/);
        const o3 = clone(await ours());
        redisConfig(o3).data["redis.conf"] += "replica-announce-ip redis-node\n";
        expect(mandatory(nodeNamesAgree, o3).join()).to.match(/replica-announce-ip \(redis\.conf\)=redis-node: every replica claims the same host/);
    });

    it("pdb: a budget that lets a majority of the Sentinels go at once; anti-affinity and per-replica storage as for the brokers", async () => {
        const o = clone(await ours());
        find(o, "PodDisruptionBudget").spec.maxUnavailable = 2;
        expect(mandatory(pdb, o).join()).to.match(/the Sentinels left cannot authorise a failover/);
        const o2 = clone(await ours());
        delete find(o2, "StatefulSet").spec.template.spec.affinity;
        expect(mandatory(podAntiAffinity, o2).join()).to.match(/hostPath\/local volumes/);
        const o3 = clone(await ours());
        const sts = find(o3, "StatefulSet");
        delete sts.spec.volumeClaimTemplates;
        sts.spec.template.spec.containers[0].volumeMounts = sts.spec.template.spec.containers[0].volumeMounts.filter((m: any) => m.name !== "data");
        expect(findings(perReplicaStorage, o3).join()).to.match(/mounts no volume at the redis data directory/);
    });

    it("valkey: our Valkey cluster is the same family to every rule (clean), and a literal primaryauth in its valkey.conf or a --requirepass on valkey-server is flagged", async () => {
        const run = await runProgram({
            namespace: "cache",
            storage: { mode: "hostPath", basePath: "/var/lib/cache", size: "1Gi" },
            clusters: [{ name: "kv", engine: "valkey", version: "8.1.1", replicas: 3 }],
        });
        const o = kubernetesObjects(run.resources) as K8sObject[];
        expect(buildModel(o).brokers.map((b) => [b.name, b.engine, (b.container as any).name])).to.deep.equal([["kv", "redis", "valkey"]]);
        for (const rule of [credentials, nodeNamesAgree, podAntiAffinity, pdb, perReplicaStorage]) expect(findings(rule, o), rule.id).to.deep.equal([]);
        expect(lint(o).violations.filter((v) => v.enforcement === "mandatory")).to.deep.equal([]);
        // A hand-written Valkey StatefulSet: detected by its image alone, its secrets checked.
        const sts = clone(find(o, "StatefulSet"));
        sts.metadata.name = "other";
        const c = sts.spec.template.spec.containers[0];
        c.ports = [];
        c.command = ["valkey-server", "/etc/valkey/valkey.conf", "--requirepass", "aaaaaaaaaaaa"];
        expect(mandatory(credentials, [sts]).join("\n")).to.match(/--requirepass a literal password on its command line/);
        const withConf = clone(o);
        redisConfig(withConf).data["redis.conf"] += "primaryauth aaaaaaaaaaaa\n";
        expect(mandatory(credentials, withConf).join("\n")).to.match(/sets primaryauth in clear text/);
    });

    it("the stable/redis-ha chart's default render is detected as Redis and keeps its clean verdict", function () {
        if (!fs.existsSync(REDIS_HA)) this.skip(); // the chart corpus lives beside the repository (../shared), not in a user's clone
        const objects = parseAllDocuments(fs.readFileSync(REDIS_HA, "utf8")).map((d) => d.toJS()).filter((x) => x && x.kind) as K8sObject[];
        const brokers = buildModel(objects).brokers;
        // The data-node StatefulSet, and the chart's two test Pods, which run the Redis image too.
        expect(brokers.map((b) => `${b.kind}/${b.name}:${b.engine}`)).to.deep.equal([
            "StatefulSet/my-redis-redis-ha-server:redis",
            "Pod/my-redis-redis-ha-configmap-test:redis",
            "Pod/my-redis-redis-ha-service-test:redis",
        ]);
        const r = lint(objects);
        expect(r.violations.filter((v) => v.enforcement === "mandatory")).to.deep.equal([]);
    });
});

import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { sentinelQuorum } from "../../components";
import { configProblems as problems, kubernetesObjects, outputValue as value, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit, redis } from "../support/fixtures";



describe("redis (Sentinel)", () => {
    it("one StatefulSet: the data node and a Sentinel per pod, announcing the pod hostname from the naming module; no API token", async () => {
        const run = await runProgram(baseConfig({ clusters: [redis()] }));
        const objects = kubernetesObjects(run.resources);
        const sts = find(objects, "StatefulSet", "cache");
        const pod = sts.spec.template.spec;
        expect(sts.spec.serviceName).to.equal("cache-headless");
        expect(pod.containers.map((c: any) => c.name)).to.deep.equal(["redis", "sentinel"]);
        expect(pod.automountServiceAccountToken).to.equal(false);
        for (const c of pod.containers) {
            const announce = c.env.find((e: any) => e.name === "REDIS_ANNOUNCE_HOST");
            expect(announce.value, c.name).to.equal("$(POD_NAME).cache-headless.brokers.svc.cluster.local");
        }
        // Port names are unique in a pod: each container declares its own.
        expect(pod.containers.map((c: any) => c.ports.map((p: any) => p.name))).to.deep.equal([["redis"], ["sentinel"]]);
        const names = run.outputs.clusters.cache.nodeNames;
        expect(names).to.deep.equal([0, 1, 2].map((i) => `cache-${i}.cache-headless.brokers.svc.cluster.local`));
        // Clients ask a Sentinel (client Service or pod names) and write to the master by its pod
        // name: a Service balancing 6379 over every pod would send writes to read-only replicas.
        expect(find(objects, "Service", "cache-headless").spec.ports.map((p: any) => p.port)).to.deep.equal([6379, 26379]);
        expect(find(objects, "Service", "cache").spec.ports.map((p: any) => p.port)).to.deep.equal([26379]);
        expect(all(objects, "Role")).to.have.length(0);
        expect(find(objects, "PodDisruptionBudget").spec.maxUnavailable).to.equal(1);
        expect(sts.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).to.deep.equal(["data"]);
    });

    it("the quorum is a majority of the Sentinels; every pod's host is listed for discovery", async () => {
        expect([1, 2, 3, 4, 5, 7].map(sentinelQuorum)).to.deep.equal([1, 2, 2, 3, 3, 4]);
        const run = await runProgram(baseConfig({ clusters: [redis({ replicas: 5 })] }));
        const cm = kubernetesObjects(run.resources).find((o) => o.kind === "ConfigMap" && o.data?.["sentinel.conf"])!;
        expect(cm.data["sentinel.conf"]).to.match(/^sentinel monitor cache @MASTER_HOST@ 6379 3$/m);
        for (const host of run.outputs.clusters.cache.nodeNames) expect(cm.data["start-redis.sh"]).to.include(host);
        expect(cm.data["redis.conf"]).to.match(/^appendonly yes$/m);
    });

    it("the password is generated, kept in a Secret only, stable across generations of nothing else; outputs are secret", async () => {
        const run = await runProgram(baseConfig({ clusters: [redis(), rabbit()] }));
        const objects = kubernetesObjects(run.resources);
        const secret = find(objects, "Secret", "cache-password");
        const password = secret.stringData.password;
        expect(password).to.match(/^[A-Za-z0-9]{48}$/);
        expect(JSON.stringify(objects.filter((o) => o.kind !== "Secret"))).not.to.include(password);
        const generator = run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.startsWith("cache-password"))!;
        expect(generator.inputs.keepers).to.deep.equal({ generation: "0" });
        expect(run.resources.some((r) => r.name.startsWith("cache-erlang-cookie") || r.name.startsWith("cache-admin"))).to.equal(false);
        const c = run.outputs.clusters.cache;
        expect(await pulumi.isSecret(c.connectionUrl)).to.equal(true);
        const url = await value(c.connectionUrl as pulumi.Output<string>);
        const endpoints = [0, 1, 2].map((i) => `cache-${i}.cache-headless.brokers.svc.cluster.local:26379`);
        expect(url).to.equal(`redis-sentinel://:${password}@${endpoints.join(",")}/0#cache`);
        expect(c.sentinels).to.deep.equal({ endpoints, masterName: "cache" });
        expect(c.cookieSecret).to.equal(undefined);
        expect(c.managementUrl).to.equal(undefined);
    });

    it("an existing Secret is adopted: referenced by the pods, never generated or managed", async () => {
        const run = await runProgram(baseConfig({ clusters: [redis({ password: { existingSecret: { name: "redis-ha", key: "auth" } } })] }));
        const objects = kubernetesObjects(run.resources);
        expect(all(objects, "Secret")).to.have.length(0);
        const auth = find(objects, "StatefulSet").spec.template.spec.volumes.find((v: any) => v.name === "auth");
        expect(auth.secret).to.deep.include({ secretName: "redis-ha", items: [{ key: "auth", path: "password" }] });
        expect(await value(run.outputs.clusters.cache.connectionUrl as pulumi.Output<string>)).to.match(/^redis-sentinel:\/\/cache-0\./);
    });

    it("a NetworkPolicy admits the Redis and Sentinel ports from the cluster's own pods as well as the client peers", async () => {
        const peer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } } };
        const run = await runProgram(baseConfig({ clusters: [redis({ networkPolicy: { enabled: true, clientPeers: [peer] } })] }));
        const np = find(kubernetesObjects(run.resources), "NetworkPolicy");
        expect(np.spec.ingress).to.deep.equal([
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "cache" } } }, peer], ports: [{ protocol: "TCP", port: 6379 }, { protocol: "TCP", port: 26379 }] },
        ]);
    });

    it("refuses what does not apply to Redis, and extraConfig that would override what the package owns, naming key and value", () => {
        const cfg = (c: Record<string, unknown>) => baseConfig({ clusters: [redis(c)] });
        expect(problems(cfg({ version: "6.2.14" }))).to.match(/clusters\[0\]\.version = "6\.2\.14".*supported series: 7\.0, 7\.2, 7\.4/);
        expect(problems(cfg({ erlangCookie: { generation: 1 } }))).to.match(/erlangCookie.*does not apply to Redis.*password/);
        expect(problems(cfg({ tls: { secretName: "x" } }))).to.match(/tls/);
        expect(problems(cfg({ extraConfig: { requirepass: "aaaaaa" } }))).to.match(/requirepass is managed by this package/);
        expect(problems(cfg({ extraConfig: { "sentinel down-after-milliseconds": 1 } }))).to.match(/not a redis\.conf \/ valkey\.conf directive/);
        expect(problems(cfg({ extraConfig: { "maxmemory-policy": "allkeys-lru" } }))).to.equal("");
        expect(problems(baseConfig({ clusters: [rabbit({ password: { generation: 1 } })] }))).to.match(/password applies to Redis and Valkey only/);
        expect(problems(baseConfig({ clusters: [emqx({ name: "cache-password" }), redis()] }))).to.match(/collide|used twice|also uses/);
    });
});

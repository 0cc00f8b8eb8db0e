/**
 * The linter's clustering promises, shown on real nodes. For each mandatory rule about forming a
 * cluster, the program's own rendered objects (RabbitMQ 4.0.5, whose peer discovery asks the
 * Kubernetes API) are broken the way the rule describes; `lint` must report that rule for the
 * broken objects and not for the render; then the broken objects run on real kubelets with the
 * stand-in RabbitMQ image, and the servers show the failure the rule's message predicts:
 *   headless-service   no governing Service: the peers' names do not resolve, no cluster forms
 *   node-names-agree   node names under a Service with no DNS records: the same
 *   discovery-rbac     no RoleBinding: the API server answers 403, each node forms its own cluster
 *   erlang-cookie      a literal cookie, changed by a re-render: the restarted member is refused
 */
import { expect } from "chai";
import { K8sObject } from "../../policies/lib/types";
import { lint } from "../../policies/engine";
import { kubernetesObjects, runProgram } from "../support/render";
import { RECORD_ANNOTATION } from "../../components/naming";
import { eventually, LocalCluster } from "./support/local";
import { exec, rabbitmqRunningNodes, RABBITMQ_VERSION, runClient } from "./support/real-nodes";

const REPLICAS = 2;
const STS = "rabbit";
const HEADLESS = "rabbit-headless";
const domain = (ns: string) => `${ns}.svc.cluster.local`;
const nodeName = (ns: string, i: number) => `rabbit@${STS}-${i}.${HEADLESS}.${domain(ns)}`;

async function render(k: LocalCluster, ns: string, replicas = REPLICAS): Promise<Array<Record<string, any>>> {
    const run = await runProgram({
        namespace: ns,
        storage: { mode: "hostPath", basePath: `${k.dir}/promises`, size: "1Gi" },
        clusters: [
            {
                name: STS,
                engine: "rabbitmq",
                version: RABBITMQ_VERSION,
                replicas,
                resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
                terminationGracePeriodSeconds: 20,
            },
        ],
    });
    return JSON.parse(JSON.stringify(kubernetesObjects(run.resources)));
}

const mandatoryRules = (objects: Array<Record<string, any>>) =>
    [...new Set(lint(objects as K8sObject[]).violations.filter((v) => v.enforcement === "mandatory").map((v) => v.policy))].sort();

function statefulSet(objects: Array<Record<string, any>>): Record<string, any> {
    return objects.find((o) => o.kind === "StatefulSet")!;
}

/**
 * Applies a render at once, as a first deployment: without what the program registers only after
 * the StatefulSet has rolled out (the deployment record, whose presence tells a member with an
 * empty data directory to join a running member; the post-deploy Job).
 */
function apply(k: LocalCluster, objects: Array<Record<string, any>>): void {
    const afterRollout = (o: Record<string, any>) => o.kind === "Job" || (o.kind === "ConfigMap" && o.metadata?.annotations?.[RECORD_ANNOTATION] !== undefined);
    const first = objects.filter((o) => !afterRollout(o));
    k.apply([...first.filter((o) => o.kind === "Namespace"), ...first.filter((o) => o.kind !== "Namespace")]);
}

/** The broker container's status in a pod, or undefined while the pod is not there. */
function brokerStatus(k: LocalCluster, ns: string, pod: string): any {
    const r = k.tryKubectl(["get", "pod", "-n", ns, pod, "-o", "json"]);
    return r.status === 0 ? JSON.parse(r.stdout).status?.containerStatuses?.find((c: any) => c.name === "rabbitmq") : undefined;
}

/** Seconds since the broker container of a pod started, or undefined while it is not running. */
function runningFor(k: LocalCluster, ns: string, pod: string, status = brokerStatus(k, ns, pod)): number | undefined {
    const started = status?.state?.running?.startedAt;
    return started ? (Date.now() - Date.parse(started)) / 1000 : undefined;
}

/**
 * A member has had its chance: its broker container ran for 30 s, or it already ran and was
 * restarted (a node that cannot resolve its own name exits).
 */
function hadItsChance(k: LocalCluster, ns: string, pod: string): boolean {
    const status = brokerStatus(k, ns, pod);
    return (status?.restartCount ?? 0) > 0 || (runningFor(k, ns, pod, status) ?? 0) > 30;
}

/** Samples every member's view for `seconds`: the running nodes each reported, per sample. */
async function views(k: LocalCluster, ns: string, seconds: number): Promise<Array<Record<string, string[] | undefined>>> {
    const out: Array<Record<string, string[] | undefined>> = [];
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
        const v: Record<string, string[] | undefined> = {};
        for (let i = 0; i < REPLICAS; i++) v[`${STS}-${i}`] = rabbitmqRunningNodes(k, ns, `${STS}-${i}`);
        out.push(v);
        await new Promise((r) => setTimeout(r, 5000));
    }
    return out;
}

/** True when some member ever reported another member as running. */
const anyPeerSeen = (samples: Array<Record<string, string[] | undefined>>, ns: string) =>
    samples.some((v) => Object.entries(v).some(([pod, nodes]) => (nodes ?? []).some((n) => n !== nodeName(ns, Number(pod.split("-").pop())))));

describe("e2e: the linter's clustering rules, shown failing on real nodes", function () {
    this.timeout(30 * 60 * 1000);
    let k: LocalCluster;
    const broken: Record<string, Array<Record<string, any>>> = {};
    const observations: Record<"headless" | "names" | "rbac" | "cookie", Promise<Error | undefined>> = {
        headless: Promise.resolve(undefined),
        names: Promise.resolve(undefined),
        rbac: Promise.resolve(undefined),
        cookie: Promise.resolve(undefined),
    };
    const ns = {
        headless: "promise-headless",
        names: "promise-node-names",
        rbac: "promise-rbac",
        cookie: "promise-cookie",
    };

    before(async function () {
        k = LocalCluster.start("real-promises", 3, undefined, { realNodes: true });
        broken.headless = (await render(k, ns.headless)).filter((o) => !(o.kind === "Service" && o.spec?.clusterIP === "None"));
        broken.names = await render(k, ns.names);
        for (const env of statefulSet(broken.names).spec.template.spec.containers[0].env) {
            if (env.name === "RABBITMQ_NODENAME") env.value = String(env.value).replace(HEADLESS, "rabbit-peers");
        }
        broken.rbac = (await render(k, ns.rbac)).filter((o) => o.kind !== "RoleBinding");
        // Three members: when one is refused, the other two keep a majority and keep answering
        // (with two, pause_minority pauses the survivor too).
        broken.cookie = cookieRender(await render(k, ns.cookie, 3), "literal-cookie-of-the-first-render");
        // All four at once: each is its own namespace, and the nodes have room for all eight pods.
        for (const objects of Object.values(broken)) apply(k, objects);
        const started = (observe: () => Promise<void>) => observe().then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        observations.headless = started(() => observeUnresolvable("headless", HEADLESS));
        observations.names = started(() => observeUnresolvable("names", "rabbit-peers"));
        observations.rbac = started(observeRbac);
        observations.cookie = started(observeCookie);
    });

    after(function () {
        k?.stop();
    });

    function cookieRender(objects: Array<Record<string, any>>, literal: string): Array<Record<string, any>> {
        // The program's setup container copies the Secret's cookie (and conf.d); then the literal replaces it.
        const init = statefulSet(objects).spec.template.spec.initContainers.find((c: any) => c.name === "setup");
        init.command = ["sh", "-c", `sh ${init.command[1]} && rm -f /var/lib/rabbitmq/.erlang.cookie && echo ${literal} > /var/lib/rabbitmq/.erlang.cookie && chmod 400 /var/lib/rabbitmq/.erlang.cookie`];
        return objects;
    }

    it("lint reports each rule for its broken objects, and none of them for the program's render", async function () {
        const clean = mandatoryRules(await render(k, "promise-clean"));
        for (const rule of ["headless-service", "node-names-agree", "discovery-rbac", "erlang-cookie"]) expect(clean, "the render").to.not.include(rule);
        expect(mandatoryRules(broken.headless)).to.include("headless-service");
        expect(mandatoryRules(broken.names)).to.include("node-names-agree");
        expect(mandatoryRules(broken.rbac)).to.include("discovery-rbac");
        expect(mandatoryRules(broken.cookie)).to.include("erlang-cookie");
    });

    async function observeUnresolvable(key: "headless" | "names", peerHost: string): Promise<void> {
        const n = ns[key];
        await eventually(`both ${n} members ran for 30 s or restarted`, 300_000, () => ([0, 1].every((i) => hadItsChance(k, n, `${STS}-${i}`)) ? true : undefined));
        const lookup = exec(k, n, `${STS}-0`, "rabbitmq", ["getent", "hosts", `${STS}-1.${peerHost}.${domain(n)}`]);
        expect(lookup.status, `getent hosts ${STS}-1.${peerHost}: ${lookup.stdout}`).to.equal(2); // 2: not found
        const samples = await views(k, n, 60);
        expect(anyPeerSeen(samples, n), JSON.stringify(samples)).to.equal(false);
    }

    async function observeRbac(): Promise<void> {
        const n = ns.rbac;
        const sa = statefulSet(broken.rbac).spec.template.spec.serviceAccountName;
        const r = await runClient(k, n, "discovery-get", "k8s-get", `/api/v1/namespaces/${n}/endpoints/${HEADLESS}`, 0, { serviceAccount: sa });
        expect(r.status).to.equal(403);
        const alone = await eventually(`both ${n} members booted`, 420_000, () => {
            const v = [0, 1].map((i) => rabbitmqRunningNodes(k, n, `${STS}-${i}`));
            return v.every((x) => x !== undefined) ? v : undefined;
        });
        expect(alone).to.deep.equal([[nodeName(n, 0)], [nodeName(n, 1)]]);
    }

    async function observeCookie(): Promise<void> {
        const n = ns.cookie;
        const all = [0, 1, 2].map((i) => nodeName(n, i)).sort();
        await eventually(`${n} formed with the first cookie`, 420_000, () => ([0, 1, 2].every((i) => JSON.stringify(rabbitmqRunningNodes(k, n, `${STS}-${i}`)) === JSON.stringify(all)) ? true : undefined));
        const before = k.getJson(["get", "pod", "-n", n, `${STS}-2`]).metadata.uid;
        // The second render, as a chart upgrade would produce it; only ordinal 2 is rolled.
        const second = cookieRender(await render(k, n, 3), "literal-cookie-of-the-second-render");
        statefulSet(second).spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 2 } };
        apply(k, second);
        await eventually(`${STS}-2 replaced and running for 30 s`, 300_000, () => {
            const p = k.tryKubectl(["get", "pod", "-n", n, `${STS}-2`, "-o", "jsonpath={.metadata.uid}"]).stdout;
            return p && p !== before && (runningFor(k, n, `${STS}-2`) ?? 0) > 30 ? true : undefined;
        });
        // The servers' own word on the cookie: the first member answers the CLI of a member with
        // the first cookie; the restarted member's CLI (second cookie) is refused.
        const ping = (from: number) => exec(k, n, `${STS}-${from}`, "rabbitmq", ["rabbitmqctl", "-n", nodeName(n, 0), "ping"]).status;
        expect(ping(1), "ping from rabbit-1").to.equal(0);
        expect(ping(2), "ping from rabbit-2").to.not.equal(0);
        // And for 45 s the two members with the first cookie list each other, never the third.
        const majority = [nodeName(n, 0), nodeName(n, 1)].sort();
        const seen: Array<string[] | undefined> = [];
        const end = Date.now() + 45_000;
        while (Date.now() < end) {
            seen.push(rabbitmqRunningNodes(k, n, `${STS}-0`), rabbitmqRunningNodes(k, n, `${STS}-1`));
            await new Promise((r) => setTimeout(r, 5000));
        }
        expect(seen.every((nodes) => JSON.stringify(nodes) === JSON.stringify(majority)), JSON.stringify(seen)).to.equal(true);
    }

    // Each test reports the observation of its scenario, all of which started together (they
    // wait on brokers booting and sample for a minute each: in turn they would take four times
    // as long). kubectl calls are synchronous, so the observations interleave at their waits.
    const verdict = async (key: keyof typeof observations) => {
        const error = await observations[key];
        if (error) throw error;
    };
    it("headless-service: the peers' names do not resolve, and no member ever lists another as running", () => verdict("headless"));
    it("node-names-agree: the advertised names do not resolve, and no member ever lists another as running", () => verdict("names"));
    it("discovery-rbac: the API server answers 403 to the broker's ServiceAccount, and each member forms a cluster of its own", () => verdict("rbac"));
    it("erlang-cookie: after a re-render changes the literal cookie, the restarted member is refused by the others", () => verdict("cookie"));
});

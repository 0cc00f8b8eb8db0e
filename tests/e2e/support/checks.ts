/**
 * What the e2e tier asserts about a deployed stack, read back from the live API server.
 * Expectations come from the shipped stack files and the documented rules (which brokers need
 * API access for peer discovery), not from the objects the program produced, so a program that
 * forgets an object fails here instead of agreeing with itself.
 */
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { eventually, LocalCluster, REPO_ROOT } from "./local";

export const PROJECT = "broker-platform";

export interface ExpectedCluster {
    name: string;
    engine: "rabbitmq" | "emqx";
    replicas: number;
    /** Peer discovery asks the API for the headless Service's endpoints (needs RBAC). */
    needsApiAccess: boolean;
    /** Two members may never share a node: set, or the default with hostPath volumes. */
    requiredAntiAffinity?: boolean;
    /** `networkPolicy.enabled`: a NetworkPolicy named after the cluster. */
    networkPolicy?: boolean;
    /** `serviceMonitor.enabled`: a ServiceMonitor named after the cluster (needs the CRD). */
    serviceMonitor?: boolean;
}

export interface ExpectedStack {
    stack: string;
    namespace: string;
    storageMode: "hostPath" | "nfs" | "storageClass";
    storage: Record<string, any>;
    clusters: ExpectedCluster[];
}

/** Stacks shipped as `Pulumi.<stack>.yaml` in the repository root (one list for every tier). */
export { shippedStacks } from "../../support/render";

function versionBelow(version: string, major: number, minor: number): boolean {
    const [a, b] = version.split(".").map(Number);
    return a < major || (a === major && b < minor);
}

/** Reads what a shipped stack should produce from its stack file. */
export function expectedStack(stack: string): ExpectedStack {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    const cfg = (doc.config ?? {}) as Record<string, any>;
    const get = (k: string) => cfg[`${PROJECT}:${k}`] ?? cfg[k];
    const storage = get("storage") ?? {};
    const clusters = ((get("clusters") ?? []) as any[]).map((c) => ({
        name: String(c.name),
        engine: c.engine,
        replicas: Number(c.replicas ?? 3),
        // RabbitMQ's peer discovery lists the headless Service's endpoints before 4.1; EMQX
        // only with `discovery: k8s`.
        needsApiAccess: c.engine === "rabbitmq" ? versionBelow(String(c.version), 4, 1) : c.discovery === "k8s",
        requiredAntiAffinity: c.antiAffinity === "required" || (c.antiAffinity === undefined && storage.mode === "hostPath"),
        networkPolicy: c.networkPolicy?.enabled === true,
        serviceMonitor: c.serviceMonitor?.enabled === true,
    }));
    return { stack, namespace: String(get("namespace")), storageMode: storage.mode, storage, clusters };
}

export const isStatic = (s: ExpectedStack) => s.storageMode === "hostPath" || s.storageMode === "nfs";

interface Sts {
    metadata: { name: string };
    spec: { replicas: number; serviceName: string; selector: { matchLabels: Record<string, string> }; template: any; volumeClaimTemplates?: any[] };
    status: { readyReplicas?: number; currentReplicas?: number; availableReplicas?: number };
}

export function statefulSet(k: LocalCluster, ns: string, name: string): Sts {
    return k.getJson<Sts>(["get", "statefulset", name, "-n", ns]);
}

function selector(sts: Sts): string {
    return Object.entries(sts.spec.selector.matchLabels)
        .map(([a, b]) => `${a}=${b}`)
        .join(",");
}

export function pods(k: LocalCluster, ns: string, sts: Sts): any[] {
    return k.getJson(["get", "pods", "-n", ns, "-l", selector(sts)]).items;
}

const podReady = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");

/** 1. Every StatefulSet of the stack reaches its replica count, all pods Ready. */
export async function expectAllReady(k: LocalCluster, s: ExpectedStack, timeoutMs = 180_000): Promise<void> {
    for (const c of s.clusters) {
        await eventually(`StatefulSet ${s.namespace}/${c.name} to have ${c.replicas} ready replicas`, timeoutMs, () => {
            const sts = statefulSet(k, s.namespace, c.name);
            const ready = pods(k, s.namespace, sts).filter((p) => podReady(p) && !p.metadata.deletionTimestamp);
            return sts.status.readyReplicas === c.replicas && ready.length === c.replicas ? true : undefined;
        });
    }
}

/** 1. No two pods of one broker cluster share a node. */
export function expectSpreadAcrossNodes(k: LocalCluster, s: ExpectedStack): void {
    for (const c of s.clusters) {
        const sts = statefulSet(k, s.namespace, c.name);
        const nodes = pods(k, s.namespace, sts).map((p) => p.spec.nodeName);
        expect(nodes, `nodes of ${c.name} pods`).to.have.lengthOf(c.replicas);
        expect(new Set(nodes).size, `${c.name} pods on distinct nodes (${nodes.join(", ")})`).to.equal(c.replicas);
    }
}

/** 2. Static modes: the claim of ordinal i is Bound to the volume made for ordinal i. */
export function expectStaticBinding(k: LocalCluster, s: ExpectedStack): Array<{ pvc: string; pv: string }> {
    const bindings: Array<{ pvc: string; pv: string }> = [];
    for (const c of s.clusters) {
        const sts = statefulSet(k, s.namespace, c.name);
        const template = sts.spec.volumeClaimTemplates?.[0]?.metadata?.name;
        expect(template, `${c.name} has a volumeClaimTemplate`).to.be.a("string");
        for (let i = 0; i < c.replicas; i++) {
            const claim = `${template}-${c.name}-${i}`;
            const pvc = k.getJson(["get", "pvc", claim, "-n", s.namespace]);
            expect(pvc.status.phase, `${claim} phase`).to.equal("Bound");
            const pv = k.getJson(["get", "pv", pvc.spec.volumeName]);
            expect(pv.spec.claimRef?.name, `${pv.metadata.name} claimRef`).to.equal(claim);
            expect(pv.spec.claimRef?.namespace).to.equal(s.namespace);
            const ordinal = pv.metadata.labels?.["broker-platform/ordinal"] ?? /-(\d+)$/.exec(pv.metadata.name)?.[1];
            expect(ordinal, `ordinal of ${pv.metadata.name} bound to ${claim}`).to.equal(String(i));
            if (s.storageMode === "hostPath") expect(pv.spec.hostPath, `${pv.metadata.name} is a hostPath volume`).to.be.an("object");
            if (s.storageMode === "nfs") expect(pv.spec.nfs?.server, `${pv.metadata.name} NFS server`).to.equal(s.storage.server);
            bindings.push({ pvc: `${s.namespace}/${claim}`, pv: pv.metadata.name });
        }
    }
    return bindings;
}

/** Dynamic mode: every claim is Bound, to a volume of the configured StorageClass. */
export function expectClassBinding(k: LocalCluster, s: ExpectedStack): void {
    for (const c of s.clusters) {
        const sts = statefulSet(k, s.namespace, c.name);
        const template = sts.spec.volumeClaimTemplates?.[0]?.metadata?.name;
        for (let i = 0; i < c.replicas; i++) {
            const pvc = k.getJson(["get", "pvc", `${template}-${c.name}-${i}`, "-n", s.namespace]);
            expect(pvc.status.phase).to.equal("Bound");
            expect(pvc.spec.storageClassName).to.equal(s.storage.className);
        }
    }
}

/**
 * The StorageClass and volumes a production cluster's provisioner would supply; there is no
 * dynamic provisioner here, so the test creates unclaimed volumes of the class up front.
 */
export function provideStorageClass(k: LocalCluster, s: ExpectedStack): void {
    const replicas = s.clusters.reduce((n, c) => n + c.replicas, 0);
    const objects: Array<Record<string, any>> = [
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: s.storage.className },
            provisioner: "kubernetes.io/no-provisioner",
            volumeBindingMode: "WaitForFirstConsumer",
            reclaimPolicy: "Retain",
        },
    ];
    for (let i = 0; i < replicas; i++) {
        objects.push({
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `e2e-${s.storage.className}-${i}`, labels: { "broker-platform.e2e/provided": "true" } },
            spec: {
                capacity: { storage: s.storage.size ?? "50Gi" },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: s.storage.className,
                hostPath: { path: `/var/lib/e2e-volumes/${i}`, type: "DirectoryOrCreate" },
            },
        });
    }
    k.apply(objects);
}

/**
 * Plays the cloud's load-balancer controller while `pulumi up` runs: there is none here, and
 * the Kubernetes provider waits for a LoadBalancer Service to be given an address. Returns a
 * function that stops it.
 */
export function assignLoadBalancerAddresses(k: LocalCluster, ns: string): () => Promise<void> {
    let stopped = false;
    const kubectl = (args: string[]) =>
        new Promise<string>((resolve) => {
            execFile("kubectl", ["--kubeconfig", k.kubeconfig, ...args], { env: k.env }, (err, stdout) => resolve(err ? "" : stdout));
        });
    const loop = (async () => {
        while (!stopped) {
            const out = await kubectl(["get", "services", "-n", ns, "-o", "json"]);
            for (const svc of out ? JSON.parse(out).items : []) {
                if (svc.spec.type === "LoadBalancer" && !(svc.status?.loadBalancer?.ingress ?? []).length) {
                    const patch = JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } });
                    await kubectl(["patch", "service", svc.metadata.name, "-n", ns, "--subresource=status", "--type=merge", "-p", patch]);
                }
            }
            await new Promise((r) => setTimeout(r, 1000));
        }
    })();
    return async () => {
        stopped = true;
        await loop;
    };
}

function accessReview(k: LocalCluster, ns: string, sa: string, attrs: Record<string, string>): boolean {
    const review = {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
            user: `system:serviceaccount:${ns}:${sa}`,
            groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
            resourceAttributes: { namespace: ns, ...attrs },
        },
    };
    const out = JSON.parse(k.kubectl(["create", "-o", "json", "-f", "-"], JSON.stringify(review)));
    return out.status?.allowed === true;
}

/** 4. RBAC: the broker ServiceAccount may get endpoints where discovery needs it, never Secrets. */
export function expectRbac(k: LocalCluster, s: ExpectedStack): Array<{ cluster: string; endpoints: boolean; secrets: boolean }> {
    const seen = [];
    for (const c of s.clusters) {
        const sts = statefulSet(k, s.namespace, c.name);
        const sa = sts.spec.template.spec.serviceAccountName ?? "default";
        const endpoints = accessReview(k, s.namespace, sa, { verb: "get", resource: "endpoints", name: sts.spec.serviceName });
        const secrets = accessReview(k, s.namespace, sa, { verb: "get", resource: "secrets" });
        const listSecrets = accessReview(k, s.namespace, sa, { verb: "list", resource: "secrets" });
        if (c.needsApiAccess) {
            expect(endpoints, `${sa} may get endpoints/${sts.spec.serviceName} (peer discovery uses the API)`).to.equal(true);
        }
        expect(secrets, `${sa} may not get secrets`).to.equal(false);
        expect(listSecrets, `${sa} may not list secrets`).to.equal(false);
        seen.push({ cluster: c.name, endpoints, secrets });
    }
    return seen;
}

/** 6. A deleted broker pod comes back with the same name and the same claim. */
export async function expectPodComesBack(k: LocalCluster, s: ExpectedStack, cluster: string, ordinal = 1): Promise<void> {
    const name = `${cluster}-${ordinal}`;
    const before = k.getJson(["get", "pod", name, "-n", s.namespace]);
    const claimsBefore = (before.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName);
    expect(claimsBefore, `${name} mounts a claim`).to.have.length.greaterThan(0);
    const pvcUids = claimsBefore.map((c: string) => k.getJson(["get", "pvc", c, "-n", s.namespace]).metadata.uid);
    k.kubectl(["delete", "pod", name, "-n", s.namespace, "--wait=true", "--timeout=120s"]);
    const after = await eventually(`pod ${name} to come back Ready`, 120_000, () => {
        const p = k.getJson(["get", "pod", name, "-n", s.namespace]);
        return p.metadata.uid !== before.metadata.uid && podReady(p) ? p : undefined;
    });
    const claimsAfter = (after.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName);
    expect(claimsAfter).to.deep.equal(claimsBefore);
    expect(claimsAfter.map((c: string) => k.getJson(["get", "pvc", c, "-n", s.namespace]).metadata.uid), "same PVC objects").to.deep.equal(pvcUids);
}

/**
 * 2. Required anti-affinity is enforced by the scheduler: with one node taken away, the
 * replica that lived there cannot go to a node that already runs a replica, so it stays
 * Pending (Unschedulable); with the node back it is scheduled again.
 */
export async function expectAntiAffinityEnforced(k: LocalCluster, s: ExpectedStack, cluster: string): Promise<string> {
    const sts = statefulSet(k, s.namespace, cluster);
    const all = pods(k, s.namespace, sts);
    const victim = all.find((p) => p.metadata.name === `${cluster}-${all.length - 1}`) ?? all[all.length - 1];
    const node: string = victim.spec.nodeName;
    // Take the replica's node out of scheduling and delete the replica: the two nodes left
    // each run a replica already.
    k.kubectl(["cordon", node]);
    k.kubectl(["delete", "pod", victim.metadata.name, "-n", s.namespace, "--wait=true", "--timeout=120s"]);
    const reason = await eventually(`pod ${victim.metadata.name} to be reported Unschedulable`, 120_000, () => {
        const p = k.getJson(["get", "pod", victim.metadata.name, "-n", s.namespace]);
        const cond = (p.status?.conditions ?? []).find((c: any) => c.type === "PodScheduled");
        return p.status?.phase === "Pending" && cond?.status === "False" && cond?.reason === "Unschedulable" ? String(cond.message) : undefined;
    });
    // Still pending a few seconds later: no node accepted it.
    await new Promise((r) => setTimeout(r, 5000));
    const still = k.getJson(["get", "pod", victim.metadata.name, "-n", s.namespace]);
    expect(still.spec.nodeName, `${victim.metadata.name} stays unscheduled`).to.equal(undefined);
    k.kubectl(["uncordon", node]);
    await eventually(`pod ${victim.metadata.name} to be scheduled once the node is back`, 120_000, () => {
        const p = k.getJson(["get", "pod", victim.metadata.name, "-n", s.namespace]);
        return podReady(p) ? true : undefined;
    });
    return reason;
}

export function summary(k: LocalCluster, ns: string): string {
    const lines: string[] = [];
    const podList = k.getJson(["get", "pods", "-n", ns]).items;
    const byNode = new Map<string, string[]>();
    for (const p of podList) {
        const n = p.spec.nodeName ?? "(unscheduled)";
        const state = p.status?.phase === "Succeeded" ? " (completed)" : podReady(p) ? "" : " (not ready)";
        byNode.set(n, [...(byNode.get(n) ?? []), `${p.metadata.name}${state}`]);
    }
    lines.push("Pods per node:");
    for (const [n, ps] of [...byNode.entries()].sort()) lines.push(`  ${n}: ${ps.sort().join(", ")}`);
    lines.push("PVC -> PV:");
    for (const c of k.getJson(["get", "pvc", "-n", ns]).items) {
        lines.push(`  ${c.metadata.name} -> ${c.spec.volumeName ?? "-"} (${c.status.phase})`);
    }
    lines.push("Services:");
    for (const svc of k.getJson(["get", "services", "-n", ns]).items) {
        const ports = (svc.spec.ports ?? []).map((p: any) => `${p.name ?? ""}:${p.port}`).join(" ");
        lines.push(`  ${svc.metadata.name} ${svc.spec.type}${svc.spec.clusterIP === "None" ? " (headless)" : ""} ${ports}`);
    }
    return lines.join("\n");
}

/**
 * Advisory hygiene rules for broker workloads (each configurable like the others):
 * odd-replicas, resources, readiness-probe, image-tag, pod-management-policy, deprecated-api.
 */
import { allContainers } from "../lib/env";
import { buildModel, parseImage } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { Finding } from "../lib/types";
import { apiVersionOf, kindOf, nameOf, path, rec, str } from "../lib/util";

export const oddReplicas: Rule = {
    id: "odd-replicas",
    description: "Clustered brokers run an odd number of replicas, at least 3, so a majority survives one loss.",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        const out: Finding[] = [];
        for (const b of buildModel(objects).brokers) {
            if (b.kind === "Pod" || b.kind === "DaemonSet" || b.kind === "Job") continue;
            if (b.replicasInvalid) {
                out.push(finding(b.object, `spec.replicas ${JSON.stringify(rec(b.object.spec)?.replicas)} is not an integer`, false, fieldOf(b.object.spec, "replicas")));
            } else if (b.replicas === 2 || (b.replicas > 2 && b.replicas % 2 === 0)) {
                out.push(finding(b.object, `${b.name} runs ${b.replicas} replicas: an even cluster tolerates no more failures than ${b.replicas - 1} nodes and can split in half; use an odd number ≥ 3`, false, fieldOf(b.object.spec, "replicas")));
            }
        }
        return out;
    },
};

export const resources: Rule = {
    id: "resources",
    description: "The broker container sets CPU/memory requests and a memory limit (the VM sizes its memory watermark from it).",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        const out: Finding[] = [];
        for (const b of buildModel(objects).brokers) {
            const r = rec(b.container.resources) ?? {};
            const missing: string[] = [];
            if (path(r, "requests", "cpu") === undefined) missing.push("requests.cpu");
            if (path(r, "requests", "memory") === undefined) missing.push("requests.memory");
            if (path(r, "limits", "memory") === undefined) missing.push("limits.memory");
            if (missing.length > 0) out.push(finding(b.object, `broker container ${str(b.container.name) ?? "?"} sets no ${missing.join(", ")}`, false, fieldOf(b.container, "resources")));
        }
        return out;
    },
};

export const readinessProbe: Rule = {
    id: "readiness-probe",
    description: "The broker container has a readiness probe, so clients and rolling updates wait for a booted node.",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        return buildModel(objects)
            .brokers.filter((b) => !rec(b.container.readinessProbe))
            .map((b) => finding(b.object, `broker container ${str(b.container.name) ?? "?"} has no readinessProbe: rolling updates move on before the node has rejoined the cluster`, false, fieldOf(b.container, "name")));
    },
};

const FLOATING = /^(latest|stable|management|alpine|management-alpine|edge|main|master)$/;

export const imageTag: Rule = {
    id: "image-tag",
    description: "Every image in a broker pod is pinned to a version (no latest, no missing tag).",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        const out: Finding[] = [];
        for (const b of buildModel(objects).brokers) {
            for (const c of allContainers(b.podSpec)) {
                const image = str(c.image);
                if (!image) continue;
                const { tag, digest } = parseImage(image);
                if (digest) continue;
                if (!tag || FLOATING.test(tag)) {
                    out.push(finding(b.object, `container ${str(c.name) ?? "?"} uses image ${image} without a pinned version: nodes of one cluster may run different releases after a reschedule`, false, fieldOf(c, "image")));
                }
            }
        }
        return out;
    },
};

export const podManagementPolicy: Rule = {
    id: "pod-management-policy",
    description: "Broker StatefulSets use podManagementPolicy: Parallel, so a full restart does not deadlock waiting on the last node to stop.",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        return buildModel(objects)
            .brokers.filter((b) => b.kind === "StatefulSet" && b.replicas >= 2 && rec(b.object.spec)?.podManagementPolicy !== "Parallel")
            .map((b) =>
                finding(
                    b.object,
                    `${b.name} uses podManagementPolicy ${str(rec(b.object.spec)?.podManagementPolicy) ?? "OrderedReady (default)"}: after a full stop, node 0 waits for peers that are only started once it is ready; use Parallel`,
                    false,
                    fieldOf(b.object.spec, "podManagementPolicy"),
                ),
            );
    },
};

/** API versions no supported Kubernetes serves any more, by kind ("*" = every kind). */
const REMOVED: Array<{ apiVersion: string; kinds: string[] | "*"; replacement: string; removedIn: string }> = [
    { apiVersion: "apps/v1alpha1", kinds: "*", replacement: "apps/v1 StatefulSet", removedIn: "1.5 (PetSet)" },
    { apiVersion: "apps/v1beta1", kinds: "*", replacement: "apps/v1", removedIn: "1.16" },
    { apiVersion: "apps/v1beta2", kinds: "*", replacement: "apps/v1", removedIn: "1.16" },
    { apiVersion: "extensions/v1beta1", kinds: "*", replacement: "apps/v1 / networking.k8s.io/v1", removedIn: "1.16–1.22" },
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", kinds: "*", replacement: "rbac.authorization.k8s.io/v1", removedIn: "1.22" },
    { apiVersion: "rbac.authorization.k8s.io/v1alpha1", kinds: "*", replacement: "rbac.authorization.k8s.io/v1", removedIn: "1.22" },
    { apiVersion: "policy/v1beta1", kinds: "*", replacement: "policy/v1", removedIn: "1.25" },
    { apiVersion: "networking.k8s.io/v1beta1", kinds: "*", replacement: "networking.k8s.io/v1", removedIn: "1.22" },
    { apiVersion: "storage.k8s.io/v1beta1", kinds: ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"], replacement: "storage.k8s.io/v1", removedIn: "1.22" },
    { apiVersion: "batch/v1beta1", kinds: ["CronJob"], replacement: "batch/v1", removedIn: "1.25" },
    { apiVersion: "autoscaling/v2beta1", kinds: "*", replacement: "autoscaling/v2", removedIn: "1.25" },
    { apiVersion: "autoscaling/v2beta2", kinds: "*", replacement: "autoscaling/v2", removedIn: "1.26" },
];

export const deprecatedApi: Rule = {
    id: "deprecated-api",
    description: "Objects use API versions current Kubernetes still serves (no apps/v1beta1, PetSet, rbac v1beta1, policy/v1beta1, …).",
    defaultEnforcement: "advisory",
    options: noOptions,
    check(objects) {
        const out: Finding[] = [];
        for (const o of buildModel(objects).objects) {
            if (!rec(o)) continue;
            const av = apiVersionOf(o);
            const kind = kindOf(o);
            const hit = REMOVED.find((r) => r.apiVersion === av && (r.kinds === "*" || r.kinds.includes(kind)));
            if (hit) out.push(finding(o, `${kind} ${nameOf(o)} uses ${av}, removed in Kubernetes ${hit.removedIn}; use ${hit.replacement}`, false, fieldOf(o, "apiVersion")));
            else if (kind === "PetSet") out.push(finding(o, `PetSet ${nameOf(o)}: PetSet was renamed StatefulSet (apps/v1)`, false, fieldOf(o, "kind")));
        }
        return out;
    },
};

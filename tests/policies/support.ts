/** Shared helpers for the policy tests: good baseline clusters, rule runners, CrossGuard args. */
import * as path from "path";
import { PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { resolveConfig } from "../../policies/config";
import { lint } from "../../policies/engine";
import { loadPaths } from "../../policies/cli/load";
import { Rule } from "../../policies/lib/rule";
import { K8sObject } from "../../policies/lib/types";

export const SEEDS = path.join(__dirname, "..", "fixtures", "seeds");

export function clone<T>(x: T): T {
    return JSON.parse(JSON.stringify(x));
}

/** Findings of one rule (options filled with defaults). */
export function findings(rule: Rule<any>, objects: K8sObject[], opts: Record<string, unknown> = {}): string[] {
    const parsed = rule.options.parse(opts);
    return rule.check(objects, parsed).map((f) => `${f.advisory ? "advisory" : "rule"}: ${f.message}`);
}

export function mandatory(rule: Rule<any>, objects: K8sObject[], opts: Record<string, unknown> = {}): string[] {
    return findings(rule, objects, opts).filter((f) => f.startsWith("rule: "));
}

export function advisory(rule: Rule<any>, objects: K8sObject[], opts: Record<string, unknown> = {}): string[] {
    return findings(rule, objects, opts).filter((f) => f.startsWith("advisory: "));
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata?.name === name));
    if (!o) throw new Error(`no ${kind} ${name ?? ""}`);
    return o;
}

export function brokerContainer(objects: K8sObject[]): Record<string, any> {
    return find(objects, "StatefulSet").spec.template.spec.containers[0];
}

export function envOf(objects: K8sObject[]): Array<Record<string, any>> {
    return brokerContainer(objects).env;
}

export function setEnv(objects: K8sObject[], name: string, value: string | Record<string, unknown>): void {
    const env = envOf(objects);
    const entry = typeof value === "string" ? { name, value } : { name, valueFrom: value };
    const i = env.findIndex((e) => e.name === name);
    if (i >= 0) env[i] = entry;
    else env.push(entry);
}

/** Loads seed fixtures by file name. */
export function seed(...files: string[]) {
    return loadPaths(files.map((f) => path.join(SEEDS, f)));
}

/** Policy ids of mandatory (and all) violations for objects. */
export function policiesOf(objects: K8sObject[], config = resolveConfig({})) {
    const r = lint(objects, config);
    return {
        mandatory: [...new Set(r.violations.filter((v) => v.enforcement === "mandatory").map((v) => v.policy))].sort(),
        advisory: [...new Set(r.violations.filter((v) => v.enforcement === "advisory").map((v) => v.policy))].sort(),
        violations: r.violations,
        errors: r.errors,
    };
}

const LABELS = { "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": "rmq" };

/** A RabbitMQ 3.13 cluster (k8s peer discovery) that obeys every mandatory rule. */
export function goodRabbit(): K8sObject[] {
    return clone([
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "rmq-headless", namespace: "mq" },
            spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: LABELS, ports: [{ name: "epmd", port: 4369 }] },
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "rmq-config", namespace: "mq" },
            data: {
                "rabbitmq.conf": [
                    "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s",
                    "cluster_formation.k8s.host = kubernetes.default.svc.cluster.local",
                    "cluster_formation.k8s.address_type = hostname",
                    "cluster_formation.k8s.service_name = rmq-headless",
                    "cluster_formation.k8s.hostname_suffix = .rmq-headless.mq.svc.cluster.local",
                    "",
                ].join("\n"),
            },
        },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "rmq-erlang-cookie", namespace: "mq" }, stringData: { cookie: "x" } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "rmq", namespace: "mq" } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "rmq-peer-discovery", namespace: "mq" },
            rules: [{ apiGroups: [""], resources: ["endpoints"], verbs: ["get"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "rmq-peer-discovery", namespace: "mq" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rmq-peer-discovery" },
            subjects: [{ kind: "ServiceAccount", name: "rmq", namespace: "mq" }],
        },
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: "rmq", namespace: "mq" },
            spec: { maxUnavailable: 1, selector: { matchLabels: LABELS } },
        },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "rmq", namespace: "mq" },
            spec: {
                replicas: 3,
                serviceName: "rmq-headless",
                podManagementPolicy: "Parallel",
                selector: { matchLabels: LABELS },
                template: {
                    metadata: { labels: LABELS },
                    spec: {
                        serviceAccountName: "rmq",
                        affinity: {
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [
                                    { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: LABELS } },
                                ],
                            },
                        },
                        containers: [
                            {
                                name: "rabbitmq",
                                image: "rabbitmq:3.13.7-management",
                                env: [
                                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                    { name: "RABBITMQ_USE_LONGNAME", value: "true" },
                                    { name: "RABBITMQ_NODENAME", value: "rabbit@$(POD_NAME).rmq-headless.mq.svc.cluster.local" },
                                    { name: "RABBITMQ_ERLANG_COOKIE", valueFrom: { secretKeyRef: { name: "rmq-erlang-cookie", key: "cookie" } } },
                                ],
                                ports: [
                                    { name: "amqp", containerPort: 5672 },
                                    { name: "epmd", containerPort: 4369 },
                                ],
                                resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
                                readinessProbe: { exec: { command: ["rabbitmq-diagnostics", "ping"] } },
                                volumeMounts: [
                                    { name: "data", mountPath: "/var/lib/rabbitmq/mnesia" },
                                    { name: "config", mountPath: "/etc/rabbitmq" },
                                ],
                            },
                        ],
                        volumes: [{ name: "config", configMap: { name: "rmq-config" } }],
                    },
                },
                volumeClaimTemplates: [
                    { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "standard", resources: { requests: { storage: "10Gi" } } } },
                ],
            },
        },
    ]);
}

const ELABELS = { app: "emqx" };

/** An EMQX 5 cluster (DNS discovery) that obeys every mandatory rule. */
export function goodEmqx(): K8sObject[] {
    return clone([
        { apiVersion: "v1", kind: "Service", metadata: { name: "emqx-headless", namespace: "iot" }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: ELABELS } },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "emqx", namespace: "iot" },
            spec: {
                replicas: 3,
                serviceName: "emqx-headless",
                podManagementPolicy: "Parallel",
                selector: { matchLabels: ELABELS },
                template: {
                    metadata: { labels: ELABELS },
                    spec: {
                        affinity: {
                            podAntiAffinity: {
                                preferredDuringSchedulingIgnoredDuringExecution: [
                                    { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["emqx"] }] } } },
                                ],
                            },
                        },
                        containers: [
                            {
                                name: "emqx",
                                image: "emqx/emqx:5.8.6",
                                env: [
                                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                    { name: "EMQX_HOST", value: "$(POD_NAME).emqx-headless.iot.svc.cluster.local" },
                                    { name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: "emqx-cookie", key: "cookie" } } },
                                    { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "dns" },
                                    { name: "EMQX_CLUSTER__DNS__NAME", value: "emqx-headless.iot.svc.cluster.local" },
                                    { name: "EMQX_CLUSTER__DNS__RECORD_TYPE", value: "srv" },
                                ],
                                resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "2Gi" } },
                                readinessProbe: { httpGet: { path: "/status", port: 18083 } },
                                volumeMounts: [{ name: "data", mountPath: "/opt/emqx/data" }],
                            },
                        ],
                    },
                },
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } }],
            },
        },
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "emqx", namespace: "iot" }, spec: { minAvailable: 2, selector: { matchLabels: ELABELS } } },
    ]);
}

/** A Pulumi type token for a Kubernetes object (`kubernetes:apps/v1:StatefulSet`). */
export function pulumiType(o: K8sObject): string {
    const av: string = o.apiVersion;
    const gv = av.includes("/") ? av : `core/${av}`;
    return `kubernetes:${gv}:${o.kind}`;
}

/** Stack validation args the way the policy analyzer builds them (cf. pulumi-policy-aws test utils). */
export function stackValidationArgs(objects: K8sObject[], config: Record<string, unknown> = {}, opts: { dropNames?: boolean } = {}): StackValidationArgs {
    const resources: PolicyResource[] = objects.map((o, i) => {
        const props = clone(o);
        delete props.apiVersion;
        delete props.kind;
        if (opts.dropNames && props.metadata) delete props.metadata.name;
        const name = o.metadata?.name ?? `res-${i}`;
        const type = pulumiType(o);
        return {
            type,
            props,
            urn: `urn:pulumi:test::broker-platform::${type}::${name}`,
            name,
            opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        } as unknown as PolicyResource;
    });
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<Array<{ message: string; urn?: string }>> {
    const out: Array<{ message: string; urn?: string }> = [];
    await policy.validateStack(args, (message: string, urn?: string) => {
        out.push({ message, urn });
    });
    return out;
}

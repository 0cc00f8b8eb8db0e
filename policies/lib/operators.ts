/**
 * The custom resources of the two broker operators, and what each operator derives from them:
 * child object names, the labels it puts on the pods, the environment it gives the broker
 * container. One place, so the rules and the CLI's kind counts agree on what is linted.
 *
 * - RabbitMQ cluster-operator, `rabbitmq.com/v1beta1` `RabbitmqCluster`: StatefulSet `<name>-server`,
 *   headless Service `<name>-nodes`, client Service `<name>`, pods labelled
 *   `app.kubernetes.io/name: <name>`, `podManagementPolicy: Parallel`, no affinity and a per-zone
 *   topology spread (`ScheduleAnyway`) unless annotated off.
 * - EMQX operator, `apps.emqx.io/v2beta1` (and `v2alpha1`) `EMQX`: core StatefulSet `<name>-core`,
 *   replicant ReplicaSet `<name>-replicant`, headless Service `<name>-headless`, DNS (SRV) discovery,
 *   the cookie from Secret `<name>-node-cookie` (seeded from `node.cookie` in `spec.config.data`).
 */
import { K8sObject } from "./types";
import { apiVersionOf, groupOf, kindOf, labelsOf, nameOf, rec, recs, str, stringMap } from "./util";

export function isRabbitmqCluster(o: K8sObject): boolean {
    return kindOf(o) === "RabbitmqCluster" && groupOf(o) === "rabbitmq.com";
}

const EMQX_VERSIONS = new Set(["apps.emqx.io/v2beta1", "apps.emqx.io/v2alpha1"]);

export function isEmqxCluster(o: K8sObject): boolean {
    return kindOf(o) === "EMQX" && EMQX_VERSIONS.has(apiVersionOf(o));
}

/** A custom resource one of the operator rules reads. */
export function isOperatorResource(o: K8sObject): boolean {
    return isRabbitmqCluster(o) || isEmqxCluster(o);
}

export const rabbitNames = (name: string) => ({ statefulSet: `${name}-server`, headless: `${name}-nodes`, client: name });

/** The annotation that drops the cluster-operator's default per-zone topology spread. */
export const RABBIT_NO_DEFAULT_SPREAD = "rabbitmq.com/disable-default-topology-spread-constraints";

/** Labels of the cluster-operator's pods: its own, the custom resource's (not `app.kubernetes.io/*`), the override template's. */
export function rabbitPodLabels(cr: K8sObject, templateLabels: unknown): Record<string, string> {
    const name = nameOf(cr);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labelsOf(cr))) if (!k.startsWith("app.kubernetes.io")) out[k] = v;
    Object.assign(out, { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "rabbitmq", "app.kubernetes.io/part-of": "rabbitmq" });
    return { ...out, ...stringMap(templateLabels) };
}

/** The selector the cluster-operator gives the StatefulSet and both Services. */
export const rabbitSelector = (name: string) => ({ "app.kubernetes.io/name": name });

/** The RabbitMQ container's environment as the cluster-operator writes it, before any override. */
export function rabbitOperatorEnv(name: string): Array<Record<string, unknown>> {
    return [
        { name: "MY_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "MY_POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "K8S_SERVICE_NAME", value: rabbitNames(name).headless },
        { name: "RABBITMQ_ENABLED_PLUGINS_FILE", value: "/operator/enabled_plugins" },
        { name: "RABBITMQ_USE_LONGNAME", value: "true" },
        { name: "RABBITMQ_NODENAME", value: "rabbit@$(MY_POD_NAME).$(K8S_SERVICE_NAME).$(MY_POD_NAMESPACE)" },
        { name: "K8S_HOSTNAME_SUFFIX", value: ".$(K8S_SERVICE_NAME).$(MY_POD_NAMESPACE)" },
    ];
}

export const emqxNames = (name: string) => ({ core: `${name}-core`, replicant: `${name}-replicant`, headless: `${name}-headless`, cookie: `${name}-node-cookie` });

export type EmqxRole = "core" | "replicant";

/** Labels of the EMQX operator's pods of one role, with the template's labels merged over them. */
export function emqxPodLabels(cr: K8sObject, role: EmqxRole, template: unknown): Record<string, string> {
    return { "apps.emqx.io/instance": nameOf(cr), "apps.emqx.io/managed-by": "emqx-operator", "apps.emqx.io/db-role": role, ...labelsOf(template) };
}

/**
 * Environment the EMQX operator sets on every node: clustering, node identity, the cookie Secret.
 * A template `env` entry of the same name comes later in the container and wins.
 */
export const EMQX_OPERATOR_ENV = new Set([
    "EMQX_CLUSTER__DISCOVERY_STRATEGY",
    "EMQX_CLUSTER__DNS__RECORD_TYPE",
    "EMQX_CLUSTER__DNS__NAME",
    "EMQX_HOST",
    "EMQX_NODE__NAME",
    "EMQX_NODE__ROLE",
    "EMQX_NODE__DATA_DIR",
    "EMQX_NODE__COOKIE",
    "EMQX_API_KEY__BOOTSTRAP_FILE",
]);

/**
 * `base` with `override` entries merged in by `name`, the way a strategic merge patch treats
 * `env`: a named entry takes the place of the one it names, new names are appended.
 */
export function mergeByName(base: Array<Record<string, unknown>>, override: unknown): Array<Record<string, unknown>> {
    const out = [...base];
    for (const e of recs(override)) {
        const name = str(e.name);
        const i = name === undefined ? -1 : out.findIndex((b) => b.name === name);
        // The entry itself (not a merged copy), so findings can point at where it was written.
        if (i >= 0) out[i] = e;
        else out.push(e);
    }
    return out;
}

/** The entry of a list of containers named `name`. */
export function containerNamed(containers: unknown, name: string): Record<string, any> | undefined {
    return recs(containers).find((c) => str(c.name) === name);
}

/** A map field of `node`, or an empty map. */
export function mapAt(node: unknown, key: string): Record<string, any> {
    return rec(rec(node)?.[key]) ?? {};
}

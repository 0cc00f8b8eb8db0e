/**
 * Generated broker clusters for the lint benchmarks: each cluster is 10 objects (headless Service,
 * ConfigMap, Secret, Role, RoleBinding, PDB, StatefulSet, 3 PVs), a third of them broken on
 * purpose, spread over 50 namespaces.
 */
import { K8sObject } from "../policies/lib/types";

export const OBJECTS_PER_CLUSTER = 10;

export function cluster(i: number): K8sObject[] {
    const rabbit = i % 2 === 0;
    const broken = i % 3 === 0;
    const ns = `team-${i % 50}`;
    const name = `${rabbit ? "rmq" : "emqx"}-${i}`;
    const headless = broken && i % 2 === 0 ? `${name}-svc` : `${name}-headless`;
    const labels = { "app.kubernetes.io/name": rabbit ? "rabbitmq" : "emqx", "app.kubernetes.io/instance": name };
    const env = rabbit
        ? [
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "RABBITMQ_USE_LONGNAME", value: "true" },
              { name: "RABBITMQ_NODENAME", value: `rabbit@$(POD_NAME).${broken ? name : headless}.${ns}.svc.cluster.local` },
              broken ? { name: "RABBITMQ_ERLANG_COOKIE", value: "cookie" } : { name: "RABBITMQ_ERLANG_COOKIE", valueFrom: { secretKeyRef: { name: `${name}-cookie`, key: "cookie" } } },
          ]
        : [
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "EMQX_HOST", value: `$(POD_NAME).${headless}.${ns}.svc.cluster.local` },
              { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "k8s" },
              { name: "EMQX_CLUSTER__K8S__SERVICE_NAME", value: headless },
              { name: "EMQX_CLUSTER__K8S__ADDRESS_TYPE", value: "hostname" },
              { name: "EMQX_CLUSTER__K8S__SUFFIX", value: "svc.cluster.local" },
              ...(broken ? [] : [{ name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: `${name}-cookie`, key: "cookie" } } }]),
          ];
    const objects: K8sObject[] = [
        { apiVersion: "v1", kind: "Service", metadata: { name: headless, namespace: ns }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: labels } },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${name}-config`, namespace: ns },
            data: rabbit
                ? { "rabbitmq.conf": `cluster_formation.peer_discovery_backend = k8s\ncluster_formation.k8s.service_name = ${headless}\ncluster_formation.k8s.address_type = hostname\n${broken ? "default_pass = guest\n" : ""}` }
                : { "emqx.conf": "log.console.level = info\n" },
        },
        { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-cookie`, namespace: ns }, stringData: { cookie: "c" } },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns }, rules: [{ apiGroups: [""], resources: ["endpoints"], verbs: broken ? ["*"] : ["get"] }] },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name, namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
            subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
        },
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name, namespace: ns }, spec: { maxUnavailable: broken ? 0 : 1, selector: { matchLabels: labels } } },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name, namespace: ns },
            spec: {
                replicas: 3,
                serviceName: headless,
                podManagementPolicy: "Parallel",
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: name,
                        affinity: broken ? undefined : { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } }] } },
                        containers: [
                            {
                                name: "broker",
                                image: rabbit ? "rabbitmq:3.13.7-management" : "emqx/emqx:5.8.6",
                                env,
                                resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
                                readinessProbe: { tcpSocket: { port: rabbit ? 5672 : 1883 } },
                                volumeMounts: [
                                    { name: "data", mountPath: rabbit ? "/var/lib/rabbitmq/mnesia" : "/opt/emqx/data" },
                                    { name: "config", mountPath: rabbit ? "/etc/rabbitmq" : "/opt/emqx/etc/extra" },
                                ],
                            },
                        ],
                        volumes: [{ name: "config", configMap: { name: `${name}-config` } }],
                    },
                },
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: `static-${i}`, resources: { requests: { storage: "10Gi" } } } }],
            },
        },
    ];
    for (let r = 0; r < 3; r++) {
        objects.push({
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `${name}-pv-${r}` },
            spec: {
                storageClassName: `static-${i}`,
                capacity: { storage: "10Gi" },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: broken ? "Recycle" : "Retain",
                hostPath: { path: broken ? `/data/${name}` : `/data/${name}-${r}` },
                nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [`node-${r}`] }] }] } },
            },
        });
    }
    return objects;
}

export function generate(count: number): K8sObject[] {
    const out: K8sObject[] = [];
    for (let i = 0; out.length < count; i++) out.push(...cluster(i));
    return out.slice(0, count);
}

/**
 * One small manifest per defect the broker rules cover, each a copy of one clean RabbitMQ cluster
 * with exactly that defect, for comparing broker-lint with other Kubernetes linters
 * (bench/peers.ts) and for checking that each manifest carries the defect it claims
 * (tests/policies/peers-defects.test.ts).
 *
 * The baseline is also kept clear of what general-purpose linters ask for (probes, limits,
 * security context, a NetworkPolicy, a PDB), so that a check firing on a defect's manifest is
 * about that defect and not about the shape shared by all of them.
 */
import { stringify } from "yaml";
import { K8sObject } from "../policies/lib/types";

export interface Defect {
    /** Short id, used as the manifest's file name. */
    id: string;
    /** What is wrong, as the table's row label. */
    title: string;
    /** The broker-lint rule that reports it. */
    rule: string;
    /** Whether the rule reports it as advisory (hygiene) rather than mandatory. */
    advisory?: boolean;
    objects: () => K8sObject[];
}

const NS = "mq";
const LABELS = { "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": "rmq" };
const SUFFIX = `rmq-headless.${NS}.svc.cluster.local`;
const REPLICAS = 3;

function rabbitConf(suffix = SUFFIX, extra: string[] = []): string {
    return [
        "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s",
        "cluster_formation.k8s.host = kubernetes.default.svc.cluster.local",
        "cluster_formation.k8s.address_type = hostname",
        "cluster_formation.k8s.service_name = rmq-headless",
        `cluster_formation.k8s.hostname_suffix = .${suffix}`,
        ...extra,
        "",
    ].join("\n");
}

function pv(i: number): K8sObject {
    return {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `rmq-data-${i}` },
        spec: {
            storageClassName: "rmq-local",
            capacity: { storage: "10Gi" },
            accessModes: ["ReadWriteOnce"],
            persistentVolumeReclaimPolicy: "Retain",
            hostPath: { path: `/data/rmq-${i}` },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [`node-${i}`] }] }] } },
        },
    };
}

/** A RabbitMQ 3.13 cluster with Kubernetes peer discovery on static hostPath volumes: no broker-lint finding. */
export function baseline(): K8sObject[] {
    const probe = (command: string[], period: number) => ({ exec: { command }, periodSeconds: period, timeoutSeconds: 10 });
    return [
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "rmq-headless", namespace: NS, labels: LABELS },
            spec: {
                clusterIP: "None",
                publishNotReadyAddresses: true,
                selector: { ...LABELS },
                ports: [
                    { name: "epmd", port: 4369, targetPort: 4369 },
                    { name: "dist", port: 25672, targetPort: 25672 },
                ],
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "rmq", namespace: NS, labels: LABELS },
            spec: { type: "ClusterIP", selector: { ...LABELS }, ports: [{ name: "amqp", port: 5672, targetPort: 5672 }] },
        },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rmq-config", namespace: NS }, data: { "rabbitmq.conf": rabbitConf() } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "rmq", namespace: NS } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "rmq-peer-discovery", namespace: NS },
            rules: [{ apiGroups: [""], resources: ["endpoints"], verbs: ["get"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "rmq-peer-discovery", namespace: NS },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rmq-peer-discovery" },
            subjects: [{ kind: "ServiceAccount", name: "rmq", namespace: NS }],
        },
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "rmq", namespace: NS }, spec: { maxUnavailable: 1, selector: { matchLabels: { ...LABELS } } } },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "rmq", namespace: NS },
            spec: {
                podSelector: { matchLabels: { ...LABELS } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { ports: [{ port: 5672 }] },
                    { from: [{ podSelector: { matchLabels: { ...LABELS } } }], ports: [{ port: 4369 }, { port: 25672 }] },
                ],
                egress: [{}],
            },
        },
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: "rmq-local" },
            provisioner: "kubernetes.io/no-provisioner",
            volumeBindingMode: "WaitForFirstConsumer",
            reclaimPolicy: "Retain",
        },
        ...Array.from({ length: REPLICAS }, (_, i) => pv(i)),
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "rmq", namespace: NS, labels: LABELS },
            spec: {
                replicas: REPLICAS,
                serviceName: "rmq-headless",
                podManagementPolicy: "Parallel",
                selector: { matchLabels: { ...LABELS } },
                template: {
                    metadata: { labels: { ...LABELS } },
                    spec: {
                        serviceAccountName: "rmq",
                        securityContext: { runAsNonRoot: true, runAsUser: 10999, runAsGroup: 10999, fsGroup: 10999, seccompProfile: { type: "RuntimeDefault" } },
                        affinity: {
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { ...LABELS } } }],
                            },
                        },
                        containers: [
                            {
                                name: "rabbitmq",
                                image: "rabbitmq:3.13.7-management",
                                imagePullPolicy: "Always",
                                env: [
                                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                    { name: "RABBITMQ_USE_LONGNAME", value: "true" },
                                    { name: "RABBITMQ_NODENAME", value: `rabbit@$(POD_NAME).${SUFFIX}` },
                                    { name: "RABBITMQ_ERLANG_COOKIE", valueFrom: { secretKeyRef: { name: "rmq-erlang-cookie", key: "cookie" } } },
                                ],
                                ports: [
                                    { name: "amqp", containerPort: 5672 },
                                    { name: "epmd", containerPort: 4369 },
                                    { name: "dist", containerPort: 25672 },
                                ],
                                resources: {
                                    requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "1Gi" },
                                    limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": "1Gi" },
                                },
                                readinessProbe: probe(["rabbitmq-diagnostics", "check_port_connectivity"], 10),
                                livenessProbe: probe(["rabbitmq-diagnostics", "status"], 30),
                                securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                volumeMounts: [
                                    { name: "data", mountPath: "/var/lib/rabbitmq/mnesia" },
                                    { name: "config", mountPath: "/etc/rabbitmq" },
                                    { name: "tmp", mountPath: "/tmp" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: "rmq-config" } },
                            { name: "tmp", emptyDir: {} },
                        ],
                    },
                },
                volumeClaimTemplates: [
                    { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "rmq-local", resources: { requests: { storage: "10Gi" } } } },
                ],
            },
        },
    ];
}

// Accessors into a fresh baseline copy; each throws if the baseline changes shape under a defect.
function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
    const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    if (found.length !== 1) throw new Error(`baseline has ${found.length} ${kind}${name ? ` ${name}` : ""} objects, expected 1`);
    return found[0];
}
const sts = (o: K8sObject[]) => only(o, "StatefulSet");
const container = (o: K8sObject[]) => sts(o).spec.template.spec.containers[0];
const headless = (o: K8sObject[]) => only(o, "Service", "rmq-headless");
const env = (o: K8sObject[], name: string) => {
    const e = container(o).env.find((x: K8sObject) => x.name === name);
    if (!e) throw new Error(`baseline has no env ${name}`);
    return e;
};
const pvs = (o: K8sObject[]) => o.filter((x) => x.kind === "PersistentVolume");
const without = (o: K8sObject[], kind: string, name: string) => {
    only(o, kind, name);
    return o.filter((x) => !(x.kind === kind && x.metadata.name === name));
};

/** The objects as one multi-document YAML file, as a chart render or a kubectl folder holds them. */
export function manifest(objects: K8sObject[]): string {
    return objects.map((o) => stringify(o)).join("---\n");
}

/** A defect as a change to a fresh baseline (the change may return a new object list). */
function defect(id: string, rule: string, title: string, change: (objects: K8sObject[]) => K8sObject[] | void, advisory = false): Defect {
    return {
        id,
        rule,
        title,
        advisory,
        objects: () => {
            const o = baseline();
            return change(o) ?? o;
        },
    };
}

export const DEFECTS: Defect[] = [
    defect("service-missing", "headless-service", "StatefulSet serviceName names a Service that does not exist", (o) => without(o, "Service", "rmq-headless")),
    defect("no-service-name", "headless-service", "StatefulSet without serviceName", (o) => {
        delete sts(o).spec.serviceName;
    }),
    defect("service-not-headless", "headless-service", "governing Service is not headless (no clusterIP: None)", (o) => {
        delete headless(o).spec.clusterIP;
    }),
    defect("service-other-namespace", "headless-service", "governing Service in another namespace", (o) => {
        headless(o).metadata.namespace = "mq-dns";
    }),
    defect("service-selector-mismatch", "headless-service", "governing Service selector misses the pods", (o) => {
        headless(o).spec.selector["app.kubernetes.io/instance"] = "rmq-old";
    }),
    defect("service-no-selector", "headless-service", "headless Service without selector", (o) => {
        delete headless(o).spec.selector;
    }),
    defect("nodename-other-service", "node-names-agree", "RABBITMQ_NODENAME suffix names the client Service, not the headless one", (o) => {
        env(o, "RABBITMQ_NODENAME").value = `rabbit@$(POD_NAME).rmq.${NS}.svc.cluster.local`;
        only(o, "ConfigMap").data["rabbitmq.conf"] = rabbitConf(`rmq.${NS}.svc.cluster.local`);
    }),
    defect("hostname-suffix-other-service", "node-names-agree", "rabbitmq.conf hostname_suffix names another Service than the node names", (o) => {
        only(o, "ConfigMap").data["rabbitmq.conf"] = rabbitConf(`rmq-cluster.${NS}.svc.cluster.local`);
    }),
    defect("rbac-missing", "discovery-rbac", "peer-discovery ServiceAccount bound to no Role (HTTP 403)", (o) => without(o, "RoleBinding", "rmq-peer-discovery")),
    defect("rbac-no-endpoints-get", "discovery-rbac", "discovery Role does not grant get on endpoints", (o) => {
        only(o, "Role").rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }];
    }),
    defect("rbac-subject-namespace", "discovery-rbac", "RoleBinding subject in the wrong namespace", (o) => {
        only(o, "RoleBinding").subjects[0].namespace = "default";
    }),
    defect("rbac-wildcard", "discovery-rbac", "wildcard verbs in the discovery Role", (o) => {
        only(o, "Role").rules[0].verbs = ["*"];
    }),
    defect("cookie-literal", "erlang-cookie", "literal RABBITMQ_ERLANG_COOKIE in the pod spec", (o) => {
        const e = env(o, "RABBITMQ_ERLANG_COOKIE");
        delete e.valueFrom;
        e.value = "mycookie";
    }),
    defect("default-pass-literal", "credentials", "literal default_pass in the rabbitmq.conf ConfigMap", (o) => {
        only(o, "ConfigMap").data["rabbitmq.conf"] = rabbitConf(SUFFIX, ["default_user = admin", "default_pass = admin"]);
    }),
    defect("password-env-literal", "credentials", "literal RABBITMQ_DEFAULT_PASS env value", (o) => {
        container(o).env.push({ name: "RABBITMQ_DEFAULT_PASS", value: "s3cret" });
    }),
    defect("hostpath-shared", "pv-safety", "hostPath PVs share one directory, not pinned to distinct nodes", (o) => {
        for (const p of pvs(o)) {
            p.spec.hostPath.path = "/data/rmq";
            delete p.spec.nodeAffinity;
        }
    }),
    defect("pv-recycle", "pv-safety", "PV reclaim policy Recycle", (o) => {
        for (const p of pvs(o)) p.spec.persistentVolumeReclaimPolicy = "Recycle";
    }),
    defect("pv-too-few", "pv-safety", "fewer static PVs than replicas (no provisioner)", (o) => o.filter((x) => x.metadata.name !== `rmq-data-${REPLICAS - 1}` || x.kind !== "PersistentVolume")),
    defect("shared-pvc", "per-replica-storage", "one PVC mounted as the data volume of every replica", (o) => {
        const s = sts(o);
        delete s.spec.volumeClaimTemplates;
        s.spec.template.spec.volumes.push({ name: "data", persistentVolumeClaim: { claimName: "rmq-data" } });
        return [
            ...o,
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "rmq-data", namespace: NS },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: "rmq-local", resources: { requests: { storage: "10Gi" } } },
            },
        ];
    }),
    defect("anti-affinity-missing", "pod-anti-affinity", "3 replicas without podAntiAffinity", (o) => {
        delete sts(o).spec.template.spec.affinity;
    }),
    defect("pdb-max-unavailable-0", "pdb", "PDB maxUnavailable: 0 (blocks every eviction)", (o) => {
        only(o, "PodDisruptionBudget").spec.maxUnavailable = 0;
    }),
    defect("pdb-min-available-all", "pdb", "PDB minAvailable equal to the replicas (blocks every eviction)", (o) => {
        const spec = only(o, "PodDisruptionBudget").spec;
        delete spec.maxUnavailable;
        spec.minAvailable = REPLICAS;
    }),
    defect("pdb-loses-majority", "pdb", "PDB lets a majority go at once (minAvailable: 1 of 3)", (o) => {
        const spec = only(o, "PodDisruptionBudget").spec;
        delete spec.maxUnavailable;
        spec.minAvailable = 1;
    }),
    defect("pdb-overlapping", "pdb", "two PDBs select the same pods", (o) => [
        ...o,
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "rmq-extra", namespace: NS }, spec: { maxUnavailable: 1, selector: { matchLabels: { ...LABELS } } } },
    ]),
    defect("selector-mismatch", "selector-matches-template", "StatefulSet selector does not match its template labels", (o) => {
        sts(o).spec.selector.matchLabels["app.kubernetes.io/instance"] = "rmq-old";
    }),
    defect("pdb-missing", "pdb", "no PDB", (o) => without(o, "PodDisruptionBudget", "rmq"), true),
    defect("even-replicas", "odd-replicas", "4 replicas (even)", (o) => {
        sts(o).spec.replicas = REPLICAS + 1;
        return [...o, pv(REPLICAS)];
    }, true),
    defect("image-latest", "image-tag", "image tag latest", (o) => {
        container(o).image = "rabbitmq:latest";
    }, true),
    defect("no-resources", "resources", "no resource requests or limits", (o) => {
        delete container(o).resources;
    }, true),
    defect("no-readiness-probe", "readiness-probe", "no readiness probe", (o) => {
        delete container(o).readinessProbe;
    }, true),
    defect("ordered-ready", "pod-management-policy", "podManagementPolicy OrderedReady", (o) => {
        delete sts(o).spec.podManagementPolicy;
    }, true),
    defect("deprecated-api", "deprecated-api", "StatefulSet in apps/v1beta1", (o) => {
        sts(o).apiVersion = "apps/v1beta1";
    }, true),
    defect("distribution-open", "distribution-isolation", "NetworkPolicy admits epmd and Erlang distribution from every source", (o) => {
        only(o, "NetworkPolicy").spec.ingress = [{ ports: [{ port: 5672 }, { port: 4369 }, { port: 25672 }] }];
    }, true),
    defect("tls-cert-misses-pods", "tls-secret", "AMQPS certificate (cert-manager) without the pods' headless DNS names", (o) => {
        only(o, "ConfigMap").data["rabbitmq.conf"] = rabbitConf(SUFFIX, [
            "listeners.ssl.default = 5671",
            "ssl_options.certfile = /etc/rabbitmq-tls/tls.crt",
            "ssl_options.keyfile = /etc/rabbitmq-tls/tls.key",
        ]);
        const pod = sts(o).spec.template.spec;
        pod.volumes.push({ name: "tls", secret: { secretName: "rmq-tls" } });
        container(o).volumeMounts.push({ name: "tls", mountPath: "/etc/rabbitmq-tls", readOnly: true });
        return [
            ...o,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: "rmq-tls", namespace: NS },
                spec: { secretName: "rmq-tls", dnsNames: [`rmq.${NS}.svc.cluster.local`], issuerRef: { name: "internal-ca", kind: "ClusterIssuer" } },
            },
        ];
    }),
    defect("operator-servicename-override", "rabbitmqcluster-cr", "RabbitmqCluster override renames the governing Service", () => [
        {
            apiVersion: "rabbitmq.com/v1beta1",
            kind: "RabbitmqCluster",
            metadata: { name: "orders", namespace: NS },
            spec: {
                replicas: 3,
                persistence: { storageClassName: "ssd", storage: "50Gi" },
                affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } } }] } },
                override: { statefulSet: { spec: { serviceName: "orders-headless" } } },
            },
        },
    ]),
    defect("operator-emqx-cookie-in-config", "emqx-cr", "EMQX resource spells node.cookie in its config", () => [
        {
            apiVersion: "apps.emqx.io/v2beta1",
            kind: "EMQX",
            metadata: { name: "fleet", namespace: NS },
            spec: {
                image: "emqx/emqx:5.8.6",
                config: { data: 'node {\n  cookie = "fleet-cluster-cookie"\n}\n' },
                coreTemplate: {
                    spec: {
                        replicas: 3,
                        volumeClaimTemplates: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
                        affinity: {
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [
                                    { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "apps.emqx.io/instance": "fleet", "apps.emqx.io/db-role": "core" } } },
                                ],
                            },
                        },
                    },
                },
            },
        },
    ]),
];

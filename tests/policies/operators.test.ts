/**
 * The operator custom-resource rules (rabbitmqcluster-cr, emqx-cr): each check on a failing and a
 * passing resource, written after the shapes in the operators' documentation; the CLI counting
 * them as linted and pointing at the offending field; the CrossGuard adapter reading them.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { run } from "../../policies/cli/main";
import { policyFor } from "../../policies/crossguard";
import { K8sObject } from "../../policies/lib/types";
import { emqxCr, rabbitmqClusterCr } from "../../policies/rules";
import { advisory, clone, findings, mandatory, runStackPolicy, stackValidationArgs } from "./support";

/** The cluster-operator's hello-world: `spec: {}` gives one node with the operator's defaults. */
const helloWorld = (): K8sObject => ({ apiVersion: "rabbitmq.com/v1beta1", kind: "RabbitmqCluster", metadata: { name: "hello-world", namespace: "mq" }, spec: {} });

/** Three nodes kept on different machines, SSD storage: a production-shaped RabbitmqCluster. */
function rabbit(): K8sObject {
    return clone({
        apiVersion: "rabbitmq.com/v1beta1",
        kind: "RabbitmqCluster",
        metadata: { name: "orders", namespace: "mq" },
        spec: {
            replicas: 3,
            persistence: { storageClassName: "ssd", storage: "100Gi" },
            rabbitmq: { additionalConfig: "cluster_partition_handling = pause_minority\ndisk_free_limit.relative = 1.0\n" },
            affinity: {
                podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        { topologyKey: "kubernetes.io/hostname", labelSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["orders"] }] } },
                    ],
                },
            },
        },
    });
}

/** `spec.override.statefulSet.spec`, created on demand. */
function stsOverride(cr: K8sObject): Record<string, any> {
    cr.spec.override ??= {};
    cr.spec.override.statefulSet ??= { spec: {} };
    return cr.spec.override.statefulSet.spec;
}

function overrideEnv(cr: K8sObject, env: Array<Record<string, unknown>>): void {
    stsOverride(cr).template = { spec: { containers: [{ name: "rabbitmq", env }] } };
}

/** An EMQX 5 cluster of 3 core and 2 replicant nodes as the operator's guides write it. */
function emqx(): K8sObject {
    return clone({
        apiVersion: "apps.emqx.io/v2beta1",
        kind: "EMQX",
        metadata: { name: "emqx", namespace: "iot" },
        spec: {
            image: "emqx/emqx-enterprise:5.8.6",
            config: { data: "log.console.level = warning\n" },
            coreTemplate: {
                spec: {
                    replicas: 3,
                    volumeClaimTemplates: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Mi" } } },
                    affinity: {
                        podAntiAffinity: {
                            preferredDuringSchedulingIgnoredDuringExecution: [
                                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "apps.emqx.io/instance": "emqx", "apps.emqx.io/db-role": "core" } } } },
                            ],
                        },
                    },
                },
            },
            replicantTemplate: {
                spec: {
                    replicas: 2,
                    topologySpreadConstraints: [
                        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "apps.emqx.io/instance": "emqx", "apps.emqx.io/db-role": "replicant" } } },
                    ],
                },
            },
        },
    });
}

const core = (cr: K8sObject) => cr.spec.coreTemplate.spec;

describe("policies: rabbitmqcluster-cr", () => {
    it("passes the hello-world resource and a production-shaped one without any finding", () => {
        expect(findings(rabbitmqClusterCr, [helloWorld()])).to.deep.equal([]);
        expect(findings(rabbitmqClusterCr, [rabbit()])).to.deep.equal([]);
    });
    it("ignores kinds of the same name in another API group", () => {
        const o = rabbit();
        o.apiVersion = "example.com/v1";
        o.spec.replicas = "three";
        expect(findings(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("replicas: not a number is mandatory; 2 (pause_minority) and 4 are advisory; 1, 3, 5 pass", () => {
        const o = rabbit();
        o.spec.replicas = "three";
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/spec\.replicas "three" is not a whole number/);
        o.spec.replicas = 2;
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/runs 2 replicas: with cluster_partition_handling = pause_minority/);
        o.spec.rabbitmq.additionalConfig = "cluster_partition_handling = autoheal\n";
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/two-node cluster loses its majority/);
        o.spec.replicas = 4;
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/runs 4 replicas: an even cluster/);
        for (const n of [1, 3, 5]) {
            o.spec.replicas = n;
            expect(findings(rabbitmqClusterCr, [o]), String(n)).to.deep.equal([]);
        }
    });
    it("an override of the StatefulSet's replicas that differs from spec.replicas is advisory, and counts", () => {
        const o = rabbit();
        stsOverride(o).replicas = 4;
        const a = advisory(rabbitmqClusterCr, [o]).join("\n");
        expect(a).to.match(/override\.statefulSet\.spec\.replicas 4 differs from spec\.replicas 3/);
        expect(a).to.match(/runs 4 replicas/);
        stsOverride(o).replicas = 3;
        expect(findings(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("serviceName override: no such Service, or not headless, is mandatory; a headless Service plus K8S_SERVICE_NAME passes", () => {
        const o = rabbit();
        stsOverride(o).serviceName = "orders-headless";
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/serviceName orders-headless: the operator only creates the headless Service orders-nodes/);
        const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "orders-headless", namespace: "mq" }, spec: { clusterIP: "10.0.0.9", selector: { "app.kubernetes.io/name": "orders" } } };
        expect(mandatory(rabbitmqClusterCr, [o, svc]).join()).to.match(/is not headless/);
        svc.spec.clusterIP = "None";
        // The Service is right, but the node names still use the operator's K8S_SERVICE_NAME.
        expect(mandatory(rabbitmqClusterCr, [o, svc]).join()).to.match(/K8S_SERVICE_NAME is orders-nodes but the governing Service is orders-headless/);
        overrideEnv(o, [{ name: "K8S_SERVICE_NAME", value: "orders-headless" }]);
        expect(mandatory(rabbitmqClusterCr, [o, svc])).to.deep.equal([]);
    });
    it("K8S_SERVICE_NAME naming another Service than the governing one is mandatory", () => {
        const o = rabbit();
        overrideEnv(o, [{ name: "K8S_SERVICE_NAME", value: "orders" }]);
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/K8S_SERVICE_NAME is orders but the governing Service is orders-nodes/);
    });
    it("RABBITMQ_NODENAME overrides: one name for all pods, names discovery does not look for, short names with longname off", () => {
        const o = rabbit();
        overrideEnv(o, [{ name: "RABBITMQ_NODENAME", value: "rabbit@orders" }]);
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/RABBITMQ_NODENAME is rabbit@orders, the same for every pod/);
        overrideEnv(o, [{ name: "RABBITMQ_NODENAME", value: "rabbit@$(MY_POD_NAME).$(K8S_SERVICE_NAME).$(MY_POD_NAMESPACE).svc.cluster.local" }]);
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/peer discovery looks for rabbit@<pod>\.orders-nodes\./);
        // Moving both the node name and the discovery suffix together keeps them in agreement.
        overrideEnv(o, [
            { name: "RABBITMQ_NODENAME", value: "rabbit@$(MY_POD_NAME).$(K8S_SERVICE_NAME).$(MY_POD_NAMESPACE).svc.cluster.local" },
            { name: "K8S_HOSTNAME_SUFFIX", value: ".$(K8S_SERVICE_NAME).$(MY_POD_NAMESPACE).svc.cluster.local" },
        ]);
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        overrideEnv(o, [{ name: "MY_POD_NAME", value: "orders-0" }]);
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/the same for every pod/);
        overrideEnv(o, [{ name: "RABBITMQ_USE_LONGNAME", value: "false" }]);
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/RABBITMQ_USE_LONGNAME is false while the node names are fully qualified/);
    });
    it("a literal Erlang cookie in the container override or envConfig is mandatory; one from a Secret passes", () => {
        const o = rabbit();
        overrideEnv(o, [{ name: "RABBITMQ_ERLANG_COOKIE", value: "changeme-cookie" }]);
        const m = mandatory(rabbitmqClusterCr, [o]).join();
        expect(m).to.match(/sets RABBITMQ_ERLANG_COOKIE from a literal value/);
        expect(m).not.to.include("changeme-cookie");
        overrideEnv(o, [{ name: "RABBITMQ_ERLANG_COOKIE", valueFrom: { secretKeyRef: { name: "orders-cookie", key: "cookie" } } }]);
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        o.spec.rabbitmq.envConfig = "SERVER_ADDITIONAL_ERL_ARGS=\"-setcookie abcdef +S 2:2\"\n";
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/envConfig sets the Erlang cookie in clear text/);
        o.spec.rabbitmq.envConfig = "SERVER_ADDITIONAL_ERL_ARGS=\"+S 2:2\"\n";
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("a selector override that misses the pod labels is mandatory; one the template labels satisfy passes", () => {
        const o = rabbit();
        stsOverride(o).selector = { matchLabels: { app: "orders" } };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/selector does not match the pod labels/);
        stsOverride(o).template = { metadata: { labels: { app: "orders" } } };
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("claim template overrides: none named persistence, or an invalid class, are mandatory; ignored when storage is 0", () => {
        const o = rabbit();
        const vct = { metadata: { name: "data" }, spec: { storageClassName: "Fast_SSD", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } };
        stsOverride(o).volumeClaimTemplates = [vct];
        const m = mandatory(rabbitmqClusterCr, [o]).join("\n");
        expect(m).to.match(/no claim named persistence/);
        expect(m).to.match(/storageClassName "Fast_SSD", not a valid StorageClass name/);
        vct.metadata.name = "persistence";
        vct.spec.storageClassName = "fast-ssd";
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        vct.metadata.name = "data";
        o.spec.persistence.storage = "0Gi";
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("persistence: an invalid class or size is mandatory; storage 0 (emptyDir) is advisory", () => {
        const o = rabbit();
        o.spec.persistence.storageClassName = "rabbitmq-storageClass";
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/storageClassName "rabbitmq-storageClass" is not a valid StorageClass name/);
        o.spec.persistence = { storage: "lots" };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/storage "lots" is not a Kubernetes quantity/);
        o.spec.persistence = { storage: 0 };
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/emptyDir: every pod restart loses/);
    });
    it("a client Service override whose selector misses the pods is mandatory; type and annotations pass", () => {
        const o = rabbit();
        o.spec.override = { service: { metadata: { annotations: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" } }, spec: { type: "LoadBalancer" } } };
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        o.spec.override.service.spec.selector = { app: "rabbitmq" };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/override\.service\.spec\.selector does not select the cluster's pods/);
    });
    it("additionalConfig: operator-owned peer discovery and the default user are mandatory; tuning passes", () => {
        const o = rabbit();
        const cases: Array<[string, RegExp]> = [
            ["cluster_formation.peer_discovery_backend = classic_config\ncluster_formation.classic_config.nodes.1 = rabbit@a\n", /replaces the operator's Kubernetes peer discovery/],
            ["cluster_formation.classic_config.nodes.1 = rabbit@orders-server-0\n", /lists peers by hand/],
            ["cluster_formation.k8s.address_type = ip\n", /address_type = ip.*nodes by hostname/],
            ["cluster_formation.k8s.service_name = orders\n", /names a Service other than the governing one/],
            ["cluster_formation.k8s.hostname_suffix = .orders.mq.svc.cluster.local\n", /does not match the node names/],
            ["default_user = admin\ndefault_pass = s3cret\n", /sets default_user and default_pass \(a clear-text password.*orders-default-user then holds credentials that do not exist/],
            ["default_user = admin\n", /sets default_user, which override the operator's default user/],
        ];
        for (const [text, re] of cases) {
            o.spec.rabbitmq.additionalConfig = text;
            expect(mandatory(rabbitmqClusterCr, [o]).join("\n"), text).to.match(re);
        }
        o.spec.rabbitmq.additionalConfig = "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s\ncluster_formation.k8s.address_type = hostname\nqueue_master_locator = min-masters\n";
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
    it("TLS: TLS-only listeners without a certificate, or a Secret without its keys, are mandatory; a CA alone is advisory", () => {
        const o = rabbit();
        o.spec.tls = { disableNonTLSListeners: true };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/disableNonTLSListeners is true but no tls\.secretName/);
        o.spec.tls = { secretName: "orders-tls", caSecretName: "orders-ca", disableNonTLSListeners: true };
        // Secrets not among the inputs (cert-manager makes them) are not judged.
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        const tls = { apiVersion: "v1", kind: "Secret", metadata: { name: "orders-tls", namespace: "mq" }, data: { "tls.crt": "Y2VydA==" } as Record<string, string> };
        const ca = { apiVersion: "v1", kind: "Secret", metadata: { name: "orders-ca", namespace: "mq" }, stringData: { "ca.pem": "x" } as Record<string, string> };
        const m = mandatory(rabbitmqClusterCr, [o, tls, ca]).join("\n");
        expect(m).to.match(/tls\.secretName orders-tls has no tls\.key/);
        expect(m).to.match(/tls\.caSecretName orders-ca has no ca\.crt/);
        tls.data["tls.key"] = "a2V5";
        ca.stringData["ca.crt"] = "x";
        expect(mandatory(rabbitmqClusterCr, [o, tls, ca])).to.deep.equal([]);
        o.spec.tls = { caSecretName: "orders-ca" };
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/caSecretName without tls\.secretName is ignored/);
    });
    it("spreading: no affinity relies on the default zone spread (advisory); with that spread disabled it is mandatory", () => {
        const o = rabbit();
        delete o.spec.affinity;
        expect(mandatory(rabbitmqClusterCr, [o])).to.deep.equal([]);
        expect(advisory(rabbitmqClusterCr, [o]).join()).to.match(/only the operator's default per-zone topology spread/);
        o.metadata.annotations = { "rabbitmq.com/disable-default-topology-spread-constraints": "true" };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/default topology spread turned off/);
        // A hostname spread in the StatefulSet override is enough.
        stsOverride(o).template = {
            spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } } }] },
        };
        expect(findings(rabbitmqClusterCr, [o])).to.deep.equal([]);
        // A single node needs no spreading.
        const one = rabbit();
        delete one.spec.affinity;
        one.spec.replicas = 1;
        one.metadata.annotations = { "rabbitmq.com/disable-default-topology-spread-constraints": "true" };
        expect(findings(rabbitmqClusterCr, [one])).to.deep.equal([]);
    });
    it("spreading: a term selecting labels the operator does not set is mandatory", () => {
        const o = rabbit();
        o.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector = { matchLabels: { app: "rabbitmq" } };
        expect(mandatory(rabbitmqClusterCr, [o]).join()).to.match(/podAntiAffinity term on kubernetes\.io\/hostname selects no pod of this cluster/);
        // The override's pod labels count.
        stsOverride(o).template = { metadata: { labels: { app: "rabbitmq" } } };
        expect(findings(rabbitmqClusterCr, [o])).to.deep.equal([]);
    });
});

describe("policies: emqx-cr", () => {
    it("passes a 3 core + 2 replicant cluster, and the operator's minimal resource (one core node)", () => {
        expect(findings(emqxCr, [emqx()])).to.deep.equal([]);
        const minimal = { apiVersion: "apps.emqx.io/v2beta1", kind: "EMQX", metadata: { name: "emqx" }, spec: { image: "emqx/emqx:5.8.6" } };
        expect(mandatory(emqxCr, [minimal])).to.deep.equal([]);
    });
    it("core replicas: even is advisory (also the CRD's default of 2), not a number is mandatory", () => {
        const o = emqx();
        core(o).replicas = 2;
        expect(advisory(emqxCr, [o]).join()).to.match(/runs 2 core nodes: an even number of cores/);
        delete core(o).replicas;
        expect(advisory(emqxCr, [o]).join()).to.match(/the CRD defaults it to 2 once coreTemplate\.spec is written/);
        core(o).replicas = "3";
        expect(mandatory(emqxCr, [o]).join()).to.match(/coreTemplate\.spec\.replicas "3" is not a whole number/);
        o.spec.replicantTemplate.spec.replicas = -1;
        expect(mandatory(emqxCr, [o]).join()).to.match(/replicantTemplate\.spec\.replicas -1/);
        // v2alpha1 defaults a written template's replicas to 3.
        const old = emqx();
        old.apiVersion = "apps.emqx.io/v2alpha1";
        delete core(old).replicas;
        expect(advisory(emqxCr, [old])).to.deep.equal([]);
    });
    it("template env that takes clustering or identity from the operator is mandatory; the operator's own values pass", () => {
        const o = emqx();
        core(o).env = [{ name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "static" }];
        expect(mandatory(emqxCr, [o]).join()).to.match(/EMQX_CLUSTER__DISCOVERY_STRATEGY = static overrides what the operator sets \(dns\)/);
        o.spec.replicantTemplate.spec.env = [{ name: "EMQX_NODE__ROLE", value: "core" }];
        expect(mandatory(emqxCr, [o]).join()).to.match(/replicantTemplate env EMQX_NODE__ROLE = core/);
        core(o).env = [
            { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "dns" },
            { name: "EMQX_CLUSTER__DNS__NAME", value: "emqx-headless.iot.svc.cluster.local" },
            { name: "EMQX_LOG__CONSOLE__LEVEL", value: "debug" },
        ];
        o.spec.replicantTemplate.spec.env = [{ name: "EMQX_NODE__ROLE", value: "replicant" }];
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
        core(o).env = [{ name: "EMQX_HOST", value: "emqx.example.com" }];
        expect(mandatory(emqxCr, [o]).join()).to.match(/EMQX_HOST = emqx\.example\.com overrides/);
    });
    it("cookies: a literal is mandatory; a Secret for core and replicant alike passes, different ones are mandatory", () => {
        const o = emqx();
        core(o).env = [{ name: "EMQX_NODE__COOKIE", value: "emqxsecretcookie" }];
        const m = mandatory(emqxCr, [o]).join("\n");
        expect(m).to.match(/coreTemplate sets EMQX_NODE__COOKIE from a literal value/);
        expect(m).not.to.include("emqxsecretcookie");
        const fromSecret = { name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: "iot-cookie", key: "cookie" } } };
        core(o).env = [fromSecret];
        expect(mandatory(emqxCr, [o]).join()).to.match(/core nodes take the cookie from Secret iot-cookie key cookie but replicants from Secret emqx-node-cookie/);
        o.spec.replicantTemplate.spec.env = [clone(fromSecret)];
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
    });
    it("secrets in the resource: node.cookie and the dashboard password in the config, bootstrap API key secrets", () => {
        const o = emqx();
        o.spec.config.data = "node {\n  cookie = \"abcdefgh\"\n}\ndashboard.default_password = public\n";
        const m = mandatory(emqxCr, [o]).join("\n");
        expect(m).to.match(/spec\.config\.data line 2 sets node\.cookie in clear text/);
        expect(m).to.match(/line 4 sets dashboard\.default_password in clear text \(EMQX's published default\)/);
        o.spec.config.data = "dashboard.default_password = ${?DASHBOARD_PASSWORD}\n";
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
        o.spec.bootstrapAPIKeys = [{ key: "ci", secret: "ci-api-secret" }];
        expect(mandatory(emqxCr, [o]).join()).to.match(/bootstrapAPIKeys\[0\] \(ci\) gives its secret in clear text/);
        o.spec.bootstrapAPIKeys = [{ secretRef: { key: { secretName: "api", secretKey: "key" }, secret: { secretName: "api", secretKey: "secret" } } }];
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
        const old = emqx();
        old.apiVersion = "apps.emqx.io/v2alpha1";
        delete old.spec.config;
        old.spec.bootstrapConfig = "node.cookie = abcdefgh\n";
        expect(mandatory(emqxCr, [old]).join()).to.match(/spec\.bootstrapConfig line 1 sets node\.cookie/);
    });
    it("core storage: none is advisory (emptyDir); an invalid class or size is mandatory", () => {
        const o = emqx();
        delete core(o).volumeClaimTemplates;
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
        expect(advisory(emqxCr, [o]).join()).to.match(/volumeClaimTemplates is not set.*emptyDir/);
        core(o).volumeClaimTemplates = { storageClassName: "SSD", resources: { requests: { storage: "twenty" } } };
        const m = mandatory(emqxCr, [o]).join("\n");
        expect(m).to.match(/storageClassName "SSD" is not a valid StorageClass name/);
        expect(m).to.match(/storage "twenty" is not a Kubernetes quantity/);
    });
    it("spreading: core nodes without any term are mandatory, replicants advisory; a term missing the pods is flagged", () => {
        const o = emqx();
        delete core(o).affinity;
        delete o.spec.replicantTemplate.spec.topologySpreadConstraints;
        expect(mandatory(emqxCr, [o]).join()).to.match(/runs 3 core nodes with no podAntiAffinity term/);
        expect(advisory(emqxCr, [o]).join()).to.match(/runs 2 replicant nodes with no podAntiAffinity/);
        core(o).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "emqx" } } }] } };
        expect(mandatory(emqxCr, [o]).join()).to.match(/selects no core pod/);
        o.spec.coreTemplate = { metadata: { labels: { app: "emqx" } }, spec: core(o) };
        expect(mandatory(emqxCr, [o])).to.deep.equal([]);
    });
});

describe("policies: operator custom resources through the CLI and CrossGuard", function () {
    this.timeout(60000);
    const ROOT = path.resolve(__dirname, "..", "..");
    const BIN = path.join(ROOT, "node_modules", ".bin", "broker-lint");
    const CORPUS = path.join(ROOT, "tests", "fixtures", "corpus");
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
    /** The CLI's `run(args)` in this process (working directory: the repository root, as the bin's above). */
    const inProcess = (args: string[]) => {
        expect(process.cwd(), "working directory").to.equal(ROOT);
        let stdout = "";
        const code = run(args, { out: (s) => (stdout += s.endsWith("\n") ? s : s + "\n"), err: () => undefined });
        return { status: code, stdout };
    };
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-operators-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("counts RabbitmqCluster and EMQX as linted, not skipped, and exits 0 on clean resources", () => {
        const r = cli(["--format", "json", path.join(CORPUS, "clean", "operator-custom-resources.yaml")]);
        expect(r.status, r.stderr).to.equal(0);
        const out = JSON.parse(r.stdout);
        expect(out.summary).to.deep.equal({ files: 1, objects: 3, linted: 3, skipped: {} });
        expect(out.violations).to.deep.equal([]);
    });
    it("reports the offending field's line and column (text, JSON, SARIF)", () => {
        const f = path.join(dir, "crs.yaml");
        const text = [
            "apiVersion: rabbitmq.com/v1beta1",
            "kind: RabbitmqCluster",
            "metadata:",
            "  name: orders",
            "spec:",
            "  replicas: 3",
            "  persistence:",
            "    storageClassName: Fast_SSD",
            "---",
            "apiVersion: apps.emqx.io/v2beta1",
            "kind: EMQX",
            "metadata:",
            "  name: emqx",
            "spec:",
            "  image: emqx/emqx:5.8.6",
            "  coreTemplate:",
            "    spec:",
            "      replicas: 3",
            "      env:",
            "        - name: EMQX_NODE__COOKIE",
            "          value: plaincookie",
            "",
        ].join("\n");
        fs.writeFileSync(f, text);
        const r = cli(["--format", "json", f]);
        expect(r.status, r.stderr).to.equal(1);
        const out = JSON.parse(r.stdout);
        expect(out.summary).to.include({ objects: 2, linted: 2 });
        const cls = out.violations.find((v: any) => v.policy === "rabbitmqcluster-cr" && /storageClassName/.test(v.message));
        expect(cls).to.include({ enforcement: "mandatory", resource: "RabbitmqCluster/default/orders", line: 8, column: 23 });
        const cookie = out.violations.find((v: any) => v.policy === "emqx-cr" && /EMQX_NODE__COOKIE/.test(v.message));
        expect(cookie).to.include({ enforcement: "mandatory", resource: "EMQX/default/emqx", line: 21, column: 18 });
        const spread = out.violations.find((v: any) => v.policy === "rabbitmqcluster-cr" && /default per-zone topology spread/.test(v.message));
        // An absent field points at the map that should hold it (spec's first field).
        expect(spread).to.include({ enforcement: "advisory", line: 6, column: 3 });
        // JSON through the bin above; the text and SARIF formats of the same positions through run().
        const plain = inProcess([f]);
        expect(plain.stdout).to.match(/crs\.yaml:8:23: MANDATORY \[rabbitmqcluster-cr\] RabbitmqCluster\/default\/orders/);
        const sarif = JSON.parse(inProcess(["--format", "sarif", f]).stdout);
        const res = sarif.runs[0].results.find((x: any) => x.ruleId === "emqx-cr" && x.level === "error");
        expect(res.locations[0].physicalLocation.region).to.include({ startLine: 21, startColumn: 18 });
    });
    it("CrossGuard: the rule's stack policy reads the custom resources Pulumi registers", async () => {
        const o = rabbit();
        stsOverride(o).serviceName = "orders-headless";
        const args = stackValidationArgs([o, emqx()]);
        expect(args.resources[0].type).to.equal("kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster");
        const v = await runStackPolicy(policyFor(rabbitmqClusterCr), args);
        expect(v.map((x) => x.message).join()).to.match(/^RabbitmqCluster\/mq\/orders: .*serviceName orders-headless/);
        expect(v[0].urn).to.equal("urn:pulumi:test::broker-platform::kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster::orders");
        expect(await runStackPolicy(policyFor(emqxCr), args)).to.deep.equal([]);
    });
});

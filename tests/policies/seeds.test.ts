/**
 * The five seed blog posts' manifests (tests/fixtures/seeds) are real-world broken clusters:
 * each scenario must be flagged for its known defects.
 */
import { expect } from "chai";
import { lint } from "../../policies/engine";
import { seed } from "./support";

function run(...files: string[]) {
    const loaded = seed(...files);
    expect(loaded.errors, JSON.stringify(loaded.errors)).to.deep.equal([]);
    const r = lint(loaded.objects, undefined, loaded.sources);
    const has = (policy: string, re: RegExp, enforcement = "mandatory") =>
        expect(
            r.violations.some((v) => v.policy === policy && v.enforcement === enforcement && re.test(`${v.resource} ${v.message}`)),
            `${enforcement} ${policy} ${re}\n${r.violations.map((v) => `${v.enforcement} ${v.policy} ${v.resource} ${v.message}`).join("\n")}`,
        ).to.equal(true);
    return { r, has };
}

const SEED000 = [
    "000-pv-hostpath.yaml",
    "000-statefulset-shared-pvc.yaml",
    "000-pvc.yaml",
    "000-statefulset.yaml",
    "000-configmap.yaml",
    "000-secret.yaml",
    "000-headless-service.yaml",
    "000-dashboard-service.yaml",
];

describe("policies: seed manifests", () => {
    it("000 (RabbitMQ, hostPath PVs): same directory, Recycle, nxdomain suffix, literal cookie, shared PVC, no RBAC", () => {
        const { has, r } = run(...SEED000);
        has("pv-safety", /pv-rmq-1 .*uses directory \/opt\/dockerdata\/mq-system\/rabbitmq2\/data/);
        has("pv-safety", /pv-rmq-3 .*Recycle/);
        has("pv-safety", /pv-rmq-2 .*not pinned/, "advisory");
        has("pv-safety", /rabbitmq-data-claim .*rabbitmq-storageClass.*not a valid/);
        has("node-names-agree", /rmq-cluster .*hostname_suffix.*names rmq-cluster .*rabbitmq-headless/);
        has("headless-service", /StatefulSet\/public-service\/rmq-cluster .*naming convention/, "advisory");
        has("headless-service", /StatefulSet\/mq-system\/rabbitmq .*namespace public-service/);
        has("erlang-cookie", /StatefulSet\/mq-system\/rabbitmq .*literal/);
        has("per-replica-storage", /rabbitmq .*single PVC rabbitmq-data-claim/);
        has("discovery-rbac", /rmq-cluster .*public-service\/rmq-cluster/);
        has("discovery-rbac", /StatefulSet\/mq-system\/rabbitmq /);
        has("odd-replicas", /rmq-cluster/, "advisory");
        // The password is in a Secret (no ConfigMap or literal env), but it is the placeholder RABBITMQ_PASS.
        has("credentials", /Secret\/public-service\/rmq-cluster-secret .*key password.*RABBITMQ_DEFAULT_PASS.*guessable value \(13 characters\)/, "advisory");
        expect(r.violations.filter((v) => v.policy === "credentials" && v.enforcement === "mandatory")).to.deep.equal([]);
    });
    it("000 (RabbitMQ, NFS PVs): Recycle on every PV", () => {
        const { r } = run("000-pv-nfs.yaml", "000-statefulset.yaml", "000-headless-service.yaml");
        expect(r.violations.filter((v) => v.policy === "pv-safety" && /Recycle/.test(v.message))).to.have.length(3);
    });
    it("001 (rabbitmq-ha Helm release): `-discovery` naming, v1beta1 APIs, busybox:latest, no PDB; values file ignored", () => {
        const { has, r } = run("001-rabbitmq-ha-values.yaml", "001-rabbitmq-ha-release.yaml");
        has("headless-service", /my-rabbitmq-ha-discovery does not follow the naming convention/, "advisory");
        has("deprecated-api", /StatefulSet\/kube-system\/my-rabbitmq-ha .*apps\/v1beta1/, "advisory");
        has("deprecated-api", /RoleBinding.*v1beta1/, "advisory");
        has("image-tag", /busybox:latest/, "advisory");
        has("pdb", /no PodDisruptionBudget/, "advisory");
        has("pod-management-policy", /OrderedReady/, "advisory");
        expect(r.violations.filter((v) => v.policy === "discovery-rbac")).to.deep.equal([]);
    });
    it("001 (redis-ha Helm release with the post's values): the password aaaaaa, a deprecated zone key, no PDB; values file ignored", () => {
        const { has, r } = run("001-redis-ha-values.yaml", "001-redis-ha-release.yaml");
        has("credentials", /Secret\/default\/my-redis-redis-ha .*key auth.*AUTH.*guessable value \(6 characters\)/, "advisory");
        has("pod-anti-affinity", /my-redis-redis-ha-server .*failure-domain\.beta\.kubernetes\.io\/zone.*topology\.kubernetes\.io\/zone/, "advisory");
        has("pdb", /no PodDisruptionBudget selects my-redis-redis-ha-server/, "advisory");
        // The password is in a Secret, the required hostname term spreads the data nodes, the announce names agree.
        expect(r.violations.filter((v) => v.enforcement === "mandatory")).to.deep.equal([]);
        expect(r.violations.filter((v) => v.policy === "credentials")).to.have.length(1);
    });

    it("002 (RabbitMQ 3.8): literal cookie, default_pass in the ConfigMap, naming, no anti-affinity, not-ready peers", () => {
        const { has, r } = run("002-01-rabbitmq-configmap.yaml", "002-02-rabbitmq-service.yaml", "002-03-rabbitmq-rbac.yaml", "002-04-rabbitmq-cluster-sts.yaml");
        has("erlang-cookie", /RABBITMQ_ERLANG_COOKIE from a literal/);
        has("credentials", /rabbitmq-cluster-config .*default_pass/);
        has("headless-service", /rabbitmq-cluster does not follow the naming convention/, "advisory");
        has("pod-anti-affinity", /3 replicas without a podAntiAffinity/);
        has("headless-service", /publishNotReadyAddresses/, "advisory");
        has("deprecated-api", /Role\/default\/rabbitmq-cluster/, "advisory");
        // the names agree: rabbitmq-cluster everywhere
        expect(r.violations.filter((v) => v.policy === "node-names-agree" || v.policy === "discovery-rbac")).to.deep.equal([]);
    });
    it("003 (EMQX Deployment with k8s discovery): default ServiceAccount gets HTTP 403, default cookie", () => {
        const { has } = run("003-1-service.yaml", "003-2-deployment-k8s-discovery.yaml");
        has("discovery-rbac", /default\/default/);
        has("erlang-cookie", /published default cookie/);
        has("pod-anti-affinity", /emqx-deployment/);
    });
    it("003 (EMQX RBAC): wrong API group on Role and RoleBinding, `kubernetes` strategy", () => {
        const { has } = run("003-1-service.yaml", "003-3-rbac.yaml", "003-3-deployment-rbac.yaml");
        has("discovery-rbac", /rbac.authorization.kubernetes.io/);
        has("node-names-agree", /EMQX_CLUSTER__DISCOVERY=kubernetes is not an EMQX discovery strategy/);
    });
    it("003 (EMQX StatefulSet, final): shared PVC, k8s settings without discovery, naming, RBAC group, ignored alpha annotation", () => {
        const { has } = run("003-3-rbac.yaml", "003-5-configmap-hostname.yaml", "003-5-headless.yaml", "003-6-statefulset-pvc.yaml");
        has("per-replica-storage", /single PVC emqx-pvc.*emqx-pvc is not mounted/);
        has("node-names-agree", /discovery strategy is manual/);
        has("headless-service", /emqx-headless does not follow the naming convention/, "advisory");
        has("discovery-rbac", /rbac.authorization.kubernetes.io/);
        has("erlang-cookie", /published default cookie/);
        has("pv-safety", /volume.alpha.kubernetes.io\/storage-class/, "advisory");
    });
    it("004 (nginx StatefulSet, mongo PetSet): removed API versions, missing selectors; the MongoDB replica set without a keyFile or anti-affinity, on emptyDir", () => {
        const { has, r } = run("004-nginx-statefulset.yaml", "004-mongo-petset.yaml");
        has("deprecated-api", /StatefulSet\/default\/web .*apps\/v1beta1/, "advisory");
        has("deprecated-api", /PetSet/, "advisory");
        has("selector-matches-template", /web has no spec.selector/, "advisory");
        has("credentials", /mongo-petset runs a MongoDB replica set of 3 without --keyFile/);
        has("pod-anti-affinity", /mongo-petset runs 3 replicas without a podAntiAffinity term/);
        has("per-replica-storage", /\/data\/db is an emptyDir/, "advisory");
        has("pdb", /no PodDisruptionBudget selects mongo-petset/, "advisory");
        has("image-tag", /mongo:latest/, "advisory");
        // Those two, and nothing mandatory for the nginx StatefulSet, which is no cluster of anything.
        expect(r.violations.filter((v) => v.enforcement === "mandatory").map((v) => v.policy).sort()).to.deep.equal(["credentials", "pod-anti-affinity"]);
    });
});

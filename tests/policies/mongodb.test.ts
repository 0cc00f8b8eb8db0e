/** MongoDB through the shared rules: the keyFile as the shared secret, member hosts, spreading, PDB. */
import { expect } from "chai";
import { lint } from "../../policies/engine";
import { buildModel } from "../../policies/lib/model";
import { credentials, nodeNamesAgree, pdb } from "../../policies/rules";
import { K8sObject } from "../../policies/lib/types";
import { kubernetesObjects, runProgram } from "../support/render";
import { clone, find, mandatory } from "./support";

async function ours(): Promise<K8sObject[]> {
    const run = await runProgram({
        namespace: "db",
        storage: { mode: "storageClass", className: "standard" },
        clusters: [{ name: "docs", engine: "mongodb", version: "7.0.14", replicas: 3 }],
    });
    return kubernetesObjects(run.resources) as K8sObject[];
}

describe("policies: MongoDB replica set", function () {
    this.timeout(60000);

    it("our replica set is detected as mongodb and has no mandatory violation", async () => {
        const o = await ours();
        expect(buildModel(o).brokers.map((b) => [b.name, b.engine, b.erlang])).to.deep.equal([["docs", "mongodb", false]]);
        expect(lint(o).violations.filter((v) => v.enforcement === "mandatory")).to.deep.equal([]);
    });

    it("credentials: no keyFile at all, a keyFile from a ConfigMap, an emptyDir nobody fills from a Secret, a keyfile key in a ConfigMap", async () => {
        const none = clone(await ours());
        const c0 = find(none, "StatefulSet").spec.template.spec.containers[0];
        c0.command = c0.command.slice(0, c0.command.indexOf("--keyFile"));
        expect(mandatory(credentials, none).join()).to.match(/without --keyFile/);

        const fromCm = clone(await ours());
        const spec = find(fromCm, "StatefulSet").spec.template.spec;
        spec.containers[0].command = [...spec.containers[0].command.slice(0, -1), "/etc/mongo/keyfile"];
        expect(mandatory(credentials, fromCm).join()).to.match(/--keyFile \/etc\/mongo\/keyfile is read from ConfigMap docs-config-/);

        const unfilled = clone(await ours());
        delete find(unfilled, "StatefulSet").spec.template.spec.initContainers;
        expect(mandatory(credentials, unfilled).join()).to.match(/volume keyfile, which is no Secret and which no init container fills from one/);

        const cmKey = clone(await ours());
        cmKey.find((x) => x.kind === "ConfigMap" && x.data?.["replica-set.sh"])!.data["mongodb-keyfile"] = "c2VjcmV0LWtleWZpbGU=";
        expect(mandatory(credentials, cmKey).join()).to.match(/holds a keyFile in key mongodb-keyfile/);

        // x509 member authentication needs no keyFile.
        const x509 = clone(none);
        find(x509, "StatefulSet").spec.template.spec.containers[0].command.push("--clusterAuthMode", "x509");
        expect(mandatory(credentials, x509)).to.deep.equal([]);
    });

    it("node-names-agree: member hosts under another Service; pdb: a budget that loses the majority", async () => {
        const o = clone(await ours());
        const cm = o.find((x) => x.kind === "ConfigMap" && x.data?.["replica-set.sh"])!;
        cm.data["replica-set.sh"] = cm.data["replica-set.sh"].replace(/docs-2\.docs-headless/g, "docs-2.mongo-service");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/member host in replica-set\.sh=docs-2\.mongo-service\.db.* names mongo-service as the DNS subdomain/);
        const p = clone(await ours());
        find(p, "PodDisruptionBudget").spec.maxUnavailable = 2;
        expect(mandatory(pdb, p).join()).to.match(/can elect no primary/);
    });
});

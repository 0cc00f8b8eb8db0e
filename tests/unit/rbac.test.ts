import { expect } from "chai";
import { kubernetesObjects, runProgram } from "../support/render";
import { all, baseConfig, emqx, find, rabbit } from "../support/fixtures";

async function render(config: any) {
    return kubernetesObjects((await runProgram(config)).resources);
}

const cases: Array<{ what: string; cluster: any; needsApi: boolean }> = [
    { what: "RabbitMQ 3.13 (k8s plugin queries endpoints)", cluster: rabbit({ version: "3.13.7" }), needsApi: true },
    { what: "RabbitMQ 4.0", cluster: rabbit({ version: "4.0.9" }), needsApi: true },
    { what: "RabbitMQ 4.1 (seed from hostname)", cluster: rabbit({ version: "4.1.4" }), needsApi: false },
    { what: "RabbitMQ 4.2", cluster: rabbit({ version: "4.2.1" }), needsApi: false },
    { what: "EMQX dns", cluster: emqx(), needsApi: false },
    { what: "EMQX k8s", cluster: emqx({ discovery: "k8s" }), needsApi: true },
];

describe("peer-discovery RBAC", () => {
    for (const c of cases) {
        it(`${c.what}: ${c.needsApi ? "a minimal Role bound to the pods' ServiceAccount" : "no Role, no token"}`, async () => {
            const objects = await render(baseConfig({ storage: { mode: "storageClass", className: "ssd" }, clusters: [c.cluster] }));
            const sts = find(objects, "StatefulSet");
            const podSpec = sts.spec.template.spec;
            const sa = find(objects, "ServiceAccount", podSpec.serviceAccountName);
            expect(podSpec.automountServiceAccountToken).to.equal(c.needsApi);
            expect(sa.automountServiceAccountToken).to.equal(c.needsApi);
            if (!c.needsApi) {
                expect(all(objects, "Role")).to.have.length(0);
                expect(all(objects, "RoleBinding")).to.have.length(0);
                return;
            }
            const role = find(objects, "Role");
            expect(role.rules).to.deep.equal([
                { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create"] },
            ]);
            const binding = find(objects, "RoleBinding");
            expect(binding.roleRef).to.deep.equal({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
            expect(binding.subjects).to.deep.equal([{ kind: "ServiceAccount", name: sa.metadata.name, namespace: "brokers" }]);
            expect(binding.metadata.namespace).to.equal(role.metadata.namespace);
        });
    }
});

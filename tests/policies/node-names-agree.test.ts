import { expect } from "chai";
import { nodeNamesAgree } from "../../policies/rules";
import { find, goodEmqx, goodRabbit, mandatory, setEnv } from "./support";

describe("policies: node-names-agree", () => {
    it("passes the good clusters", () => {
        expect(mandatory(nodeNamesAgree, goodRabbit())).to.deep.equal([]);
        expect(mandatory(nodeNamesAgree, goodEmqx())).to.deep.equal([]);
    });
    it("flags RABBITMQ_NODENAME naming another service (nxdomain)", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_NODENAME", "rabbit@$(POD_NAME).rmq.mq.svc.cluster.local");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/names rmq as the DNS subdomain.*rmq-headless/);
    });
    it("resolves $(VAR) like the kubelet: only earlier variables", () => {
        const o = goodRabbit();
        setEnv(o, "K8S_SVC", "rmq-headless");
        setEnv(o, "RABBITMQ_NODENAME", "rabbit@$(POD_NAME).$(K8S_SVC).mq.svc.cluster.local");
        // K8S_SVC is defined after RABBITMQ_NODENAME: the reference stays unexpanded
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/\$\(K8S_SVC\).*not defined earlier/);
        const env = find(o, "StatefulSet").spec.template.spec.containers[0].env;
        const svc = env.pop();
        env.splice(1, 0, svc);
        expect(mandatory(nodeNamesAgree, o)).to.deep.equal([]);
        setEnv(o, "K8S_SVC", "wrong");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/names wrong/);
    });
    it("flags hostname_suffix and service_name in a mounted rabbitmq.conf", () => {
        const o = goodRabbit();
        const cm = find(o, "ConfigMap");
        cm.data["rabbitmq.conf"] = cm.data["rabbitmq.conf"].replace(".rmq-headless.mq.", ".rmq.mq.").replace("service_name = rmq-headless", "service_name = rmq");
        const m = mandatory(nodeNamesAgree, o).join("\n");
        expect(m).to.match(/hostname_suffix \(rabbitmq.conf\)/);
        expect(m).to.match(/service_name \(rabbitmq.conf\)=rmq/);
    });
    it("flags a namespace that differs from the StatefulSet's", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_NODENAME", "rabbit@$(POD_NAME).rmq-headless.default.svc.cluster.local");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/namespace default/);
    });
    it("flags a dotted node name without RABBITMQ_USE_LONGNAME", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_USE_LONGNAME", "false");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/RABBITMQ_USE_LONGNAME/);
    });
    it("flags a defaulted k8s service_name", () => {
        const o = goodRabbit();
        const cm = find(o, "ConfigMap");
        cm.data["rabbitmq.conf"] = cm.data["rabbitmq.conf"].replace(/.*service_name.*\n/, "");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/default Service rabbitmq/);
    });
    it("checks EMQX host, DNS name and k8s settings", () => {
        const o = goodEmqx();
        setEnv(o, "EMQX_CLUSTER__DNS__NAME", "emqx.iot.svc.cluster.local");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/EMQX_CLUSTER__DNS__NAME/);
        const k = goodEmqx();
        setEnv(k, "EMQX_CLUSTER__DISCOVERY_STRATEGY", "k8s");
        setEnv(k, "EMQX_CLUSTER__K8S__ADDRESS_TYPE", "hostname");
        setEnv(k, "EMQX_CLUSTER__K8S__SERVICE_NAME", "emqx");
        setEnv(k, "EMQX_CLUSTER__K8S__NAMESPACE", "default");
        setEnv(k, "EMQX_CLUSTER__K8S__SUFFIX", "emqx-headless.iot.svc.cluster.local");
        const m = mandatory(nodeNamesAgree, k).join("\n");
        expect(m).to.match(/EMQX_CLUSTER__K8S__SERVICE_NAME=emqx/);
        expect(m).to.match(/EMQX_CLUSTER__K8S__NAMESPACE=default/);
        expect(m).to.match(/SUFFIX.*svc.<cluster-domain>/);
    });
    it("flags k8s settings without a k8s strategy, and unknown strategies", () => {
        const o = goodEmqx();
        setEnv(o, "EMQX_CLUSTER__DISCOVERY_STRATEGY", "manual");
        setEnv(o, "EMQX_CLUSTER__K8S__SERVICE_NAME", "emqx-headless");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/discovery strategy is manual/);
        setEnv(o, "EMQX_CLUSTER__DISCOVERY_STRATEGY", "kubernetes");
        expect(mandatory(nodeNamesAgree, o).join()).to.match(/not an EMQX discovery strategy/);
    });
});

import { expect } from "chai";
import { erlangCookie } from "../../policies/rules";
import { envOf, find, goodEmqx, goodRabbit, mandatory, setEnv } from "./support";

describe("policies: erlang-cookie", () => {
    it("passes a cookie from a Secret", () => {
        expect(mandatory(erlangCookie, goodRabbit())).to.deep.equal([]);
        expect(mandatory(erlangCookie, goodEmqx())).to.deep.equal([]);
    });
    it("flags a literal cookie, without printing it", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_ERLANG_COOKIE", "supersecretcookie");
        const m = mandatory(erlangCookie, o).join();
        expect(m).to.match(/RABBITMQ_ERLANG_COOKIE from a literal value/);
        expect(m).not.to.include("supersecretcookie");
    });
    it("flags any *_COOKIE from a ConfigMap", () => {
        const o = goodEmqx();
        o.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "env", namespace: "iot" }, data: { EMQX_NODE__COOKIE: "abc" } });
        const env = envOf(o);
        env.splice(env.findIndex((e) => e.name === "EMQX_NODE__COOKIE"), 1);
        find(o, "StatefulSet").spec.template.spec.containers[0].envFrom = [{ configMapRef: { name: "env" } }];
        expect(mandatory(erlangCookie, o).join()).to.match(/ConfigMap env/);
    });
    it("flags EMQX without any cookie (image default)", () => {
        const o = goodEmqx();
        const env = envOf(o);
        env.splice(env.findIndex((e) => e.name === "EMQX_NODE__COOKIE"), 1);
        expect(mandatory(erlangCookie, o).join()).to.match(/published default cookie/);
    });
    it("flags RabbitMQ replicas without a shared cookie; accepts a cookie Secret volume", () => {
        const o = goodRabbit();
        const env = envOf(o);
        env.splice(env.findIndex((e) => e.name === "RABBITMQ_ERLANG_COOKIE"), 1);
        expect(mandatory(erlangCookie, o).join()).to.match(/cannot cluster/);
        find(o, "StatefulSet").spec.template.spec.volumes.push({ name: "cookie", secret: { secretName: "rmq-erlang-cookie" } });
        expect(mandatory(erlangCookie, o)).to.deep.equal([]);
    });
    it("flags a cookie passed inline with -setcookie or echoed into .erlang.cookie", () => {
        let o = goodRabbit();
        setEnv(o, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-setcookie abcdefgh +S 2:2");
        expect(mandatory(erlangCookie, o).join()).to.match(/inline in RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS/);
        setEnv(o, "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-setcookie $(RABBITMQ_ERLANG_COOKIE)");
        expect(mandatory(erlangCookie, o)).to.deep.equal([]);
        o = goodRabbit();
        find(o, "StatefulSet").spec.template.spec.initContainers = [
            { name: "cookie", image: "busybox:1.36", command: ["sh", "-c", "echo 'abcdefgh' > /var/lib/rabbitmq/.erlang.cookie"] },
        ];
        expect(mandatory(erlangCookie, o).join()).to.match(/writes the Erlang cookie inline/);
        find(o, "StatefulSet").spec.template.spec.initContainers[0].command[2] = 'echo "$COOKIE" > /var/lib/rabbitmq/.erlang.cookie';
        expect(mandatory(erlangCookie, o)).to.deep.equal([]);
    });
});

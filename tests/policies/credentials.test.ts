import { expect } from "chai";
import { credentials } from "../../policies/rules";
import { advisory, find, goodRabbit, mandatory, setEnv } from "./support";

describe("policies: credentials", () => {
    it("passes the good cluster", () => {
        expect(mandatory(credentials, goodRabbit())).to.deep.equal([]);
    });
    it("flags default_pass in a mounted rabbitmq.conf", () => {
        const o = goodRabbit();
        find(o, "ConfigMap").data["rabbitmq.conf"] += "default_user = admin\ndefault_pass = admin\n# default_pass = commented\n";
        const m = mandatory(credentials, o);
        expect(m).to.have.length(1);
        expect(m[0]).to.match(/default_pass/);
    });
    it("flags password keys and definitions in ConfigMaps", () => {
        const o = goodRabbit();
        find(o, "ConfigMap").data.RABBITMQ_DEFAULT_PASS = "guest";
        find(o, "ConfigMap").data["definitions.json"] = '{"users":[{"name":"a","password":"b"}]}';
        expect(mandatory(credentials, o)).to.have.length(2);
    });
    it("advises on a guessable password in a Secret the broker reads (short or repetitive), never on strong or absent ones", () => {
        const withPassword = (value: string | undefined) => {
            const o = goodRabbit();
            setEnv(o, "RABBITMQ_DEFAULT_PASS", { secretKeyRef: { name: "rmq-login", key: "password" } });
            if (value !== undefined) o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "rmq-login", namespace: find(o, "StatefulSet").metadata.namespace }, stringData: { password: value } });
            return o;
        };
        expect(advisory(credentials, withPassword("aaaaaa")).join()).to.match(/Secret rmq-login key password, which .* reads as RABBITMQ_DEFAULT_PASS .*guessable value \(6 characters\)/);
        expect(advisory(credentials, withPassword("abababababababababab")).join()).to.match(/20 characters of only 2 distinct/);
        expect(mandatory(credentials, withPassword("aaaaaa")), "advisory only").to.deep.equal([]);
        expect(advisory(credentials, withPassword("k3v9X2qaLp0wZr7TnB4e"))).to.deep.equal([]);
        expect(advisory(credentials, withPassword(undefined)), "a Secret outside the inputs is not judged").to.deep.equal([]);
    });
    it("flags literal password env values, not secret refs", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_DEFAULT_PASS", "guest");
        expect(mandatory(credentials, o).join()).to.match(/RABBITMQ_DEFAULT_PASS to a literal/);
        setEnv(o, "RABBITMQ_DEFAULT_PASS", { secretKeyRef: { name: "s", key: "p" } });
        expect(mandatory(credentials, o)).to.deep.equal([]);
    });
    it("ignores flags named like passwords (Bitnami RABBITMQ_SECURE_PASSWORD=yes) and file paths", () => {
        const o = goodRabbit();
        setEnv(o, "RABBITMQ_SECURE_PASSWORD", "yes");
        setEnv(o, "RABBITMQ_SSL_PASSWORD", "/etc/rabbitmq/tls/password");
        expect(mandatory(credentials, o)).to.deep.equal([]);
    });
    it("accepts Bitnami's CHANGEME placeholder only when the password env comes from a Secret", () => {
        const o = goodRabbit();
        find(o, "ConfigMap").data["rabbitmq.conf"] += "default_user = user\ndefault_pass = CHANGEME\n";
        expect(mandatory(credentials, o).join()).to.match(/default_pass/);
        setEnv(o, "RABBITMQ_PASSWORD", { secretKeyRef: { name: "s", key: "rabbitmq-password" } });
        expect(mandatory(credentials, o)).to.deep.equal([]);
    });
});

import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { kubeClusterReader } from "../../components";

describe("reading the cluster before registering anything", () => {
    it("a kubeconfig that cannot be loaded is a RunError naming where it was looked for", async () => {
        const err = await kubeClusterReader({ kubeconfig: "/nonexistent/kubeconfig" }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(pulumi.RunError.isInstance(err)).to.equal(true);
        expect(String((err as Error).message)).to.match(/^Cannot load the kubeconfig from kubernetes:kubeconfig: ENOENT/);
    });

    it("an unreachable API server is a RunError naming the object and the server", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "config");
        fs.writeFileSync(
            file,
            [
                "apiVersion: v1",
                "kind: Config",
                "clusters: [{name: x, cluster: {server: 'https://127.0.0.1:1'}}]",
                "users: [{name: u, user: {token: t}}]",
                "contexts: [{name: c, context: {cluster: x, user: u}}]",
                "current-context: c",
            ].join("\n"),
        );
        const reader = await kubeClusterReader({ kubeconfig: file });
        const err = await reader.namespace("brokers").then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(pulumi.RunError.isInstance(err)).to.equal(true);
        expect(String((err as Error).message)).to.match(/^Cannot read namespace brokers from the cluster at https:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/);
        expect((err as Error).stack, "no stack to format").to.equal((err as Error).message);
    });
});

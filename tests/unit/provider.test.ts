/**
 * The component provider under Pulumi mocks: its schema types exactly the stack config's keys,
 * its BrokerPlatform registers the objects the TypeScript program registers for the same settings,
 * and bad input stops it with the program's messages before anything registers.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError, parseSettings, platformSchema, setClusterReader } from "../../components";
import { BrokerPlatformProvider } from "../../components/provider/provider";
import { CLUSTER_OUTPUTS, CLUSTER_TYPE, packageSchema, PACKAGE_NAME, PLATFORM_TYPE } from "../../components/provider/schema";
import { fakeReader } from "../support/live";
import { RecordingMocks } from "../support/mocks";
import { kubernetesObjects, PROJECT, REPO_ROOT, runStack, stackConfig } from "../support/render";

type Schema = { resources: Record<string, any>; types: Record<string, { properties: Record<string, any>; required?: string[] }> };

/** The dev stack's settings, keys without the project prefix, as a YAML or Python program passes them. */
function devSettings(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(stackConfig("dev")).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v]));
}

/** Constructs one component through the provider under mocks; resolves with what it registered and its state. */
async function construct(type: string, inputs: Record<string, unknown>, stack = "provider") {
    const mocks = new RecordingMocks();
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, false, "organization");
    pulumi.runtime.setAllConfig({}, []);
    setClusterReader(fakeReader({}));
    try {
        const r = await new BrokerPlatformProvider("0.1.0").construct("brokers", type, inputs, {});
        const state = await resolve(r.state);
        await pulumi.runtime.disconnect();
        return { resources: mocks.resources, state };
    } finally {
        setClusterReader(undefined);
    }
}

/** Plain values of a state map; secrets as `{ secret: value }`. */
async function resolve(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as any;
        const v = await resolve(await o.promise());
        return (await o.isSecret) ? { secret: v } : v;
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (value && typeof value === "object") return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)])));
    return value;
}

async function refusal(p: Promise<unknown>): Promise<ConfigError> {
    const err = await p.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(err, "the provider must refuse").to.be.instanceOf(ConfigError);
    return err as ConfigError;
}

describe("component provider", () => {
    const schema = packageSchema("0.1.0") as unknown as Schema;

    describe("schema (derived from the stack-config schema)", () => {
        it("BrokerPlatform's inputs are exactly the stack config's keys; the required ones have no default", () => {
            const inputs = schema.resources[PLATFORM_TYPE].inputProperties;
            const json = z.toJSONSchema(platformSchema, { io: "input", unrepresentable: "any" }) as any;
            expect(Object.keys(inputs).sort()).to.deep.equal(Object.keys(json.properties).sort());
            expect(Object.keys(inputs)).to.include.members(["namespace", "createNamespace", "clusterDomain", "storage", "retainDataOnDelete", "clusters"]);
            expect(schema.resources[PLATFORM_TYPE].requiredInputs.sort()).to.deep.equal(["clusters", "namespace", "storage"]);
            expect(inputs.clusters).to.deep.equal({ type: "array", items: { $ref: `#/types/${PACKAGE_NAME}:index:Cluster` } });
        });

        it("storage is one object type with every mode's keys; only mode is required of all", () => {
            const storage = schema.types[`${PACKAGE_NAME}:index:Storage`];
            expect(Object.keys(storage.properties)).to.include.members(["mode", "basePath", "nodes", "server", "mountOptions", "className", "allowVolumeExpansion", "size", "reclaimPolicy"]);
            expect(storage.required).to.deep.equal(["mode"]);
            expect(storage.properties.mode.description).to.equal("One of: hostPath, nfs, storageClass.");
        });

        it("a cluster has every key of a clusters entry, with its engine and options typed", () => {
            const cluster = schema.types[`${PACKAGE_NAME}:index:Cluster`];
            const json = z.toJSONSchema(platformSchema, { io: "input", unrepresentable: "any" }) as any;
            expect(Object.keys(cluster.properties).sort()).to.deep.equal(Object.keys(json.properties.clusters.items.properties).sort());
            expect(cluster.required).to.have.members(["name", "engine", "version"]);
            expect(cluster.properties.replicas).to.deep.equal({ type: "integer" });
            expect(cluster.properties.extraConfig).to.deep.equal({ type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } });
            expect(cluster.properties.resources).to.deep.equal({ $ref: `#/types/${PACKAGE_NAME}:index:ClusterResources` });
        });

        it("every type reference resolves, and the connection URLs are secret outputs", () => {
            const refs = JSON.stringify(schema).match(/#\/types\/[^"]+/g) ?? [];
            for (const ref of refs) expect(schema.types, ref).to.have.property(ref.slice("#/types/".length));
            for (const key of ["connectionUrl", "clientConnectionUrl"]) expect(CLUSTER_OUTPUTS[key].secret, key).to.equal(true);
            expect(schema.resources[CLUSTER_TYPE].inputProperties.cluster).to.deep.equal({ $ref: `#/types/${PACKAGE_NAME}:index:Cluster` });
        });
    });

    it("the YAML and Python examples' dev stacks hold the root dev stack's settings, unchanged", () => {
        for (const example of ["yaml", "python"]) {
            const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "examples", example, "Pulumi.dev.yaml"), "utf8"));
            const project = `broker-platform-${example}`;
            const settings = Object.fromEntries(Object.entries(doc.config as Record<string, unknown>).map(([k, v]) => [k.replace(`${project}:`, ""), v]));
            expect(settings, example).to.deep.equal(devSettings());
            expect(doc.encryptionsalt, `${example}: no stack-specific salt is committed`).to.equal(undefined);
        }
    });

    describe("construct", () => {
        it("BrokerPlatform registers the same Kubernetes objects as the TypeScript program for the dev stack's settings", async () => {
            const program = kubernetesObjects((await runStack("dev")).resources);
            const { resources, state } = await construct(PLATFORM_TYPE, devSettings(), "dev");
            const viaProvider = kubernetesObjects(resources);
            // The owner annotation names the calling stack: the same stack here, so every object is equal.
            expect(viaProvider).to.deep.equal(program);
            const s = state as any;
            expect(s.namespace).to.equal("messaging-dev");
            expect(s.clusters.rabbit.headlessService).to.equal("rabbit-headless");
            expect(s.clusters.rabbit.clientService).to.equal("rabbit");
            expect(s.clusters.rabbit.nodeNames).to.deep.equal([0, 1, 2].map((i) => `rabbit@rabbit-${i}.rabbit-headless.messaging-dev.svc.cluster.local`));
            expect(s.connectionUrls).to.have.property("secret").that.has.property("rabbit").that.matches(/^amqp:\/\/.+@rabbit\.messaging-dev\.svc/);
            expect(s.clientConnectionUrls).to.deep.equal({ secret: {} });
            expect(Object.keys(s.clusters.rabbit).every((k) => k in CLUSTER_OUTPUTS)).to.equal(true);
            expect(s.clusters.rabbit, "no secret nested in clusters").to.not.have.any.keys("connectionUrl", "clientConnectionUrl");
        });

        it("bad input stops it with the TypeScript program's key-named problems, before anything registers", async () => {
            const bad = { ...devSettings(), storage: { mode: "hostpath", basePath: "/x" }, clusters: [{ name: "rabbit", engine: "rabbitmq", version: "4.1.4", replicas: 2 }] };
            let expected: string[] = [];
            try {
                parseSettings(bad, PROJECT);
            } catch (e) {
                expected = (e as ConfigError).problems;
            }
            expect(expected.join("\n")).to.match(/broker-platform:storage\.mode = "hostpath": must be one of hostPath, nfs, storageClass/);
            const mocks = new RecordingMocks();
            await pulumi.runtime.setMocks(mocks, "someone-elses-project", "x", false, "organization");
            const err = await refusal(new BrokerPlatformProvider("0.1.0").construct("brokers", PLATFORM_TYPE, bad, {}));
            expect(err.problems).to.deep.equal(expected);
            expect(mocks.resources).to.deep.equal([]);
        });

        it("BrokerCluster names the keys of its `cluster` input", async () => {
            const { storage, namespace } = devSettings();
            const err = await refusal(construct(CLUSTER_TYPE, { namespace, storage, cluster: { name: "rabbit", engine: "rabbitmq", version: "4.1.4", replicas: 0, colour: "red" } }));
            expect(err.problems.some((p) => p.startsWith("broker-platform:cluster.replicas = 0:"))).to.equal(true, err.problems.join("\n"));
            expect(err.problems.some((p) => p.startsWith("broker-platform:cluster.colour: unknown key"))).to.equal(true, err.problems.join("\n"));
        });

        it("BrokerCluster deploys one cluster into an existing namespace and exports its names", async () => {
            const { storage, namespace, clusters } = devSettings() as any;
            const { resources, state } = await construct(CLUSTER_TYPE, { namespace, storage, cluster: clusters[0] });
            expect(resources.map((r) => r.type)).to.not.include("kubernetes:core/v1:Namespace");
            const sts = kubernetesObjects(resources).find((o) => o.kind === "StatefulSet")!;
            expect(sts.spec.serviceName).to.equal((state as any).headlessService);
            expect((state as any).connectionUrl).to.have.property("secret");
        });
    });
});

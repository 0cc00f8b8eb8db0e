import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { expect } from "chai";
import { ConfigError, parseSettings, setClusterReader } from "../../components";
import { fakeReader, FakeCluster, recordsFrom } from "./live";
import { RecordingMocks, RegisteredResource } from "./mocks";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "broker-platform";

/** Stack names shipped as `Pulumi.<stack>.yaml` in the repository root. */
export function shippedStacks(): string[] {
    return fs
        .readdirSync(REPO_ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The `config:` map of a shipped stack file, keys as written (`broker-platform:clusters`, …). */
export function stackConfig(stack: string): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    return (doc.config ?? {}) as Record<string, unknown>;
}

/** Result of running the real program (`index.ts`) under mocks. */
export interface ProgramRun {
    resources: RegisteredResource[];
    /** The program module's exports (stack outputs). */
    outputs: Record<string, any>;
}

const runs = new Map<string, Promise<ProgramRun>>();

/**
 * Runs `index.ts` under Pulumi mocks with the given config (keys with or without the project
 * prefix; values as they would appear in a stack file) and waits for every registration. The
 * program is deterministic under these mocks, so runs with identical config are shared.
 */
/** How to run the program: stack name, preview mode, and the outputs of the stack's last update. */
export interface RunOptions {
    stack?: string;
    preview?: boolean;
    /**
     * The `clusters` output of this stack's previous update: the program finds the same facts in
     * the deployment records it left in the cluster.
     */
    previousOutputs?: Record<string, unknown>;
    /** Further objects in the cluster before the run (`<Kind>:<id>` → object). */
    cluster?: FakeCluster;
}

export function runProgram(config: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
    const key = JSON.stringify([config, opts]);
    let run = runs.get(key);
    if (!run) {
        // Runs share the process-wide Pulumi runtime, so they must not overlap.
        const previous = [...runs.values()].pop() ?? Promise.resolve(undefined);
        run = previous.catch(() => undefined).then(() => runProgramOnce(config, opts));
        runs.set(key, run);
    }
    return run;
}

async function runProgramOnce(config: Record<string, unknown>, opts: RunOptions): Promise<ProgramRun> {
    const mocks = new RecordingMocks();
    const stack = opts.stack ?? "test";
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, opts.preview ?? false, "organization");
    const namespace = String((config.namespace ?? config[`${PROJECT}:namespace`]) as string);
    const previous = (opts.previousOutputs?.clusters ?? {}) as Record<string, unknown>;
    setClusterReader(fakeReader({ ...recordsFrom(namespace, `organization/${PROJECT}/${stack}`, previous), ...opts.cluster }));
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        const full = key.includes(":") ? key : `${PROJECT}:${key}`;
        flat[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(flat, []);
    const entry = require.resolve(path.join(REPO_ROOT, "index.ts"));
    delete require.cache[entry];
    const program = require(entry);
    const outputs = (typeof program === "function" ? await program() : program) as Record<string, any>;
    await pulumi.runtime.disconnect();
    return { resources: mocks.resources, outputs };
}

/** Runs the program with a shipped stack's config. */
export function runStack(stack: string): Promise<ProgramRun> {
    return runProgram(stackConfig(stack), { stack });
}

/** Pulumi type token → apiVersion/kind, e.g. `kubernetes:apps/v1:StatefulSet` → apps/v1, StatefulSet. */
export function kubernetesKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):(.+)$/.exec(type);
    if (!m) return undefined;
    // Tokens spell the API group as Kubernetes does, except the core group's "core/".
    return { apiVersion: m[1].replace(/^core\//, ""), kind: m[2] };
}

/** The plain Kubernetes objects a run registered, as `kubectl apply` would receive them. */
export function kubernetesObjects(resources: RegisteredResource[]): Array<Record<string, any>> {
    const out: Array<Record<string, any>> = [];
    for (const r of resources) {
        const gvk = kubernetesKind(r.type);
        if (!gvk) continue;
        out.push({ ...r.inputs, apiVersion: gvk.apiVersion, kind: gvk.kind });
    }
    return out;
}

/** Plain Kubernetes objects our program produces for a shipped stack (`dev`, `staging`, `prod`). */
export async function renderStack(stack: string): Promise<Array<Record<string, any>>> {
    return kubernetesObjects((await runStack(stack)).resources);
}

/** The value an Output resolves to (under mocks every Output resolves). */
export const outputValue = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

/** The key-named problem lines `parseSettings` refuses a config with, or "" when it accepts it. */
export function configProblems(config: unknown): string {
    try {
        parseSettings(config as Record<string, unknown>, PROJECT);
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.join("\n");
    }
    return "";
}

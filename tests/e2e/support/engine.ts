/**
 * The real Pulumi engine, found the way a user's machine has it: the `pulumi` CLI on PATH and
 * the provider plugins installed for it ($PULUMI_HOME or ~/.pulumi). Every program runs from a
 * copy of its project directory through the CLI's own launcher (the nodejs language host reads
 * `Pulumi.yaml`'s `main`), never as an inline program of the test process; state lives in a
 * scratch file backend.
 */
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { LocalCluster, REPO_ROOT, run, tempDir } from "./local";

const PASSPHRASE = "broker-platform-e2e";

/** The policy pack, loaded from its directory as `pulumi preview --policy-pack policies` does. */
export const POLICY_PACK = path.join(REPO_ROOT, "policies");

/** uid of every claim in a namespace, with the volume it is bound to and that volume's uid. */
export function claimUids(k: LocalCluster, ns: string): Record<string, { uid: string; volume: string; volumeUid: string }> {
    const out: Record<string, { uid: string; volume: string; volumeUid: string }> = {};
    for (const c of k.getJson(["get", "pvc", "-n", ns]).items) {
        const pv = k.getJson(["get", "pv", c.spec.volumeName]);
        out[c.metadata.name] = { uid: c.metadata.uid, volume: c.spec.volumeName, volumeUid: pv.metadata.uid };
    }
    return out;
}

/** Fails with what to install when there is no `pulumi` CLI on PATH. */
export function requireEngine(): string {
    let version: string;
    try {
        version = run("pulumi", ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).stdout.trim();
    } catch {
        throw new Error("the engine tier needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/) with the kubernetes and random plugins of the lock file's versions");
    }
    return version;
}

/**
 * Copies a project directory (the files git tracks or would track, so uncommitted work is
 * tested too) to a scratch directory. `node_modules` is linked to the repository's unless the
 * copy is to install its own.
 */
export function projectCopy(from: string = REPO_ROOT, opts: { linkNodeModules?: boolean } = {}): string {
    const to = tempDir("e2e-project-");
    const files = run("git", ["ls-files", "-co", "--exclude-standard", "-z", "--", "."], { cwd: from }).stdout.split("\0").filter(Boolean);
    for (const f of files) {
        const src = path.join(from, f);
        if (!fs.existsSync(src) || fs.statSync(src).isDirectory()) continue;
        fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
        fs.copyFileSync(src, path.join(to, f));
    }
    if (opts.linkNodeModules ?? true) fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(to, "node_modules"));
    return to;
}

/** The environment every engine command of the tier runs with (the user's PATH and PULUMI_HOME). */
export function engineEnv(k: LocalCluster, backendDir: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    return {
        ...env,
        KUBECONFIG: k.kubeconfig,
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
    };
}

export interface EngineStack {
    stack: Stack;
    /** The project copy the stack runs in. */
    workDir: string;
    env: Record<string, string>;
    /** Replaces the stack's config file (project keys without the prefix) before the next operation. */
    setConfig(config: Record<string, unknown>): void;
}

/**
 * A stack of a copy of `projectDir`. With `config`, the stack file is written from it (keys
 * without the project prefix); otherwise the project's own `Pulumi.<stack>.yaml` is used.
 */
export async function engineStack(
    k: LocalCluster,
    stackName: string,
    opts: {
        projectDir?: string;
        backendDir?: string;
        config?: Record<string, unknown>;
        /** Link the repository's node_modules into the copy (default true; a nodejs program needs it). */
        linkNodeModules?: boolean;
        /** Runs in the copy before the stack is created (install a virtual environment, `pulumi package add`). */
        prepare?: (workDir: string, env: Record<string, string>) => void;
    } = {},
): Promise<EngineStack> {
    const workDir = projectCopy(opts.projectDir ?? REPO_ROOT, { linkNodeModules: opts.linkNodeModules });
    const backendDir = opts.backendDir ?? tempDir("e2e-state-");
    const env = engineEnv(k, backendDir);
    opts.prepare?.(workDir, env);
    const setConfig = (config: Record<string, unknown>) => writeStackConfig(workDir, stackName, config);
    if (opts.config) setConfig(opts.config);
    const pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { workDir, envVars: env, pulumiCommand });
    return { stack, workDir, env, setConfig };
}

/**
 * Writes `Pulumi.<stack>.yaml` in a project directory from config keys without the project
 * prefix, keeping the stack's encryption salt if it has one.
 */
export function writeStackConfig(dir: string, stackName: string, config: Record<string, unknown>): void {
    const project = projectName(dir);
    const prefixed = Object.fromEntries(Object.entries(config).map(([key, value]) => [`${project}:${key}`, value]));
    const file = path.join(dir, `Pulumi.${stackName}.yaml`);
    const salt = fs.existsSync(file) ? /^encryptionsalt:.*$/m.exec(fs.readFileSync(file, "utf8"))?.[0] : undefined;
    fs.writeFileSync(file, `${salt ? `${salt}\n` : ""}${stringify({ config: prefixed })}`);
}

function projectName(dir: string): string {
    const m = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    if (!m) throw new Error(`no project name in ${dir}/Pulumi.yaml`);
    return m[1];
}

/** The engine's summary of an update or preview without the unchanged count, e.g. "create 14, import 5". */
export function changes(summary: Record<string, number | undefined> | undefined): string {
    return Object.entries(summary ?? {})
        .filter(([op, n]) => op !== "same" && (n ?? 0) > 0)
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");
}

export interface PolicyViolation {
    policyName: string;
    enforcementLevel: string;
    resourceUrn?: string;
}

/** Policy violations among engine events (Automation API `onEvent`, or the CLI's streamed JSON). */
export function policyViolations(events: EngineEvent[]): PolicyViolation[] {
    return events.filter((e) => e.policyEvent).map((e) => ({ policyName: e.policyEvent!.policyName, enforcementLevel: e.policyEvent!.enforcementLevel, resourceUrn: e.policyEvent!.resourceUrn }));
}

/** Runs `pulumi <args>` in `cwd`; with `--json` and streaming, parses every engine event line. */
export function cli(args: string[], cwd: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string; events: EngineEvent[] } {
    const r = run("pulumi", args, { cwd, env: { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } });
    const events: EngineEvent[] = [];
    for (const line of r.stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
            events.push(JSON.parse(line) as EngineEvent);
        } catch {
            // not an event line
        }
    }
    return { ...r, events };
}

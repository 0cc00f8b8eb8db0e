/**
 * The real Pulumi engine, driven through the Automation API: the `pulumi` CLI built by
 * scripts/tools.sh runs the deployment (state in a local file backend, plugins from the
 * project-local PULUMI_HOME, no downloads), and the program is `index.ts` itself, run by the
 * SDK's own language runtime in this process (an inline program).
 */
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { LocalCluster, REPO_ROOT, tempDir, toolsEnv } from "./local";

/**
 * Runs the program module the way the nodejs language host does: a module that exports a
 * function (`export = async () => {...}`) is called and its result becomes the stack outputs;
 * otherwise the module's exports are the outputs. Every module of the program is forgotten
 * first, so each run registers its resources afresh.
 */
async function runProgram(entry: string): Promise<Record<string, unknown>> {
    const mod = freshRequire(entry) as any;
    const main = typeof mod === "function" ? mod : typeof mod?.default === "function" ? mod.default : undefined;
    return main ? ((await main()) ?? {}) : mod;
}

function freshRequire(entry: string): unknown {
    const roots = [path.join(REPO_ROOT, "index.ts"), path.join(REPO_ROOT, "components") + path.sep, path.dirname(entry) + path.sep];
    for (const key of Object.keys(require.cache)) {
        if (key.includes(`${path.sep}node_modules${path.sep}`)) continue;
        if (roots.some((r) => key === r || key.startsWith(r))) delete require.cache[key];
    }
    return require(entry);
}

function projectName(projectDir: string): string {
    const m = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
    if (!m) throw new Error(`no project name in ${projectDir}/Pulumi.yaml`);
    return m[1];
}

export interface EngineStack {
    stack: Stack;
    workDir: string;
    env: Record<string, string>;
}

/**
 * A stack of a Pulumi project, in a scratch work directory holding copies of the project and
 * stack files (stack init writes an encryption salt there; the tracked files stay untouched).
 *
 * @param projectDir directory with Pulumi.yaml and Pulumi.<stack>.yaml
 * @param entry the program module (default: <projectDir>/index.ts)
 */
export async function engineStack(
    k: LocalCluster,
    projectDir: string,
    stackName: string,
    opts: { entry?: string; backendUrl?: string } = {},
): Promise<EngineStack> {
    const entry = opts.entry ?? path.join(projectDir, "index.ts");
    const base = toolsEnv(k.dir, process.env.BROKER_PULUMI_DIR ?? path.join(REPO_ROOT, ".pulumi"));
    const pulumiBin = base.PATH!.split(path.delimiter).find((d) => fs.existsSync(path.join(d, "pulumi")));
    if (!pulumiBin) throw new Error("the pulumi CLI is not built: run npm run tools");
    const workDir = tempDir(`e2e-${stackName}-`);
    const backendUrl = opts.backendUrl ?? `file://${tempDir("e2e-state-")}`;
    for (const f of ["Pulumi.yaml", `Pulumi.${stackName}.yaml`]) {
        if (fs.existsSync(path.join(projectDir, f))) fs.copyFileSync(path.join(projectDir, f), path.join(workDir, f));
    }
    const env: Record<string, string> = {
        PULUMI_HOME: base.PULUMI_HOME!,
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE!,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        KUBECONFIG: k.kubeconfig,
        PATH: base.PATH!,
    };
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(pulumiBin), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: projectName(projectDir), program: () => runProgram(entry) },
        { workDir, pulumiHome: env.PULUMI_HOME, envVars: env, pulumiCommand },
    );
    return { stack, workDir, env };
}

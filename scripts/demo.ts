/**
 * See it work without a cluster: build (or reuse) the control-plane tools, start the local
 * control plane with kwok nodes, `pulumi up` the dev stack with your Pulumi CLI, and print
 * where the pods landed, which PV each claim is bound to, and the Services.
 *
 * Usage: npm run demo [-- --stack dev] [-- --nodes 3] [-- --objects]
 *   --objects  skip the engine: apply the objects the program registers (rendered under the
 *              unit tier's mocks) with kubectl, to watch the control plane's side alone.
 * The cluster keeps running afterwards (kubectl via `eval "$(npm run --silent env)"`);
 * `npm run cluster:down` stops it.
 */
import * as path from "path";
import { renderStack } from "../tests/support/render";
import { expectAllReady, expectedStack, provideStorageClass, summary } from "../tests/e2e/support/checks";
import { spawnSync } from "child_process";
import { requireEngine } from "../tests/e2e/support/engine";
import { ensureTools, LocalCluster, REPO_ROOT } from "../tests/e2e/support/local";

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
    const stackName = arg("stack") ?? "dev";
    const nodes = Number(arg("nodes") ?? 3);
    const objectsOnly = process.argv.includes("--objects");
    const t0 = Date.now();
    const step = (m: string) => console.log(`\n== ${m} (${Math.round((Date.now() - t0) / 1000)}s)`);

    step("tools");
    ensureTools(["cluster"]);
    if (!objectsOnly) requireEngine();
    step(`local control plane with ${nodes} kwok nodes`);
    const k = LocalCluster.start("demo", nodes, process.env.BROKER_CLUSTER_DIR ?? path.join(REPO_ROOT, ".cache", "cluster"));
    const s = expectedStack(stackName);
    if (s.storageMode === "storageClass") provideStorageClass(k, s);

    if (objectsOnly) {
        step(`kubectl apply of the objects stack ${stackName} registers`);
        const objects = await renderStack(stackName);
        k.apply([...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")]);
    } else {
        step(`pulumi up -s ${stackName}`);
        // What a user runs, in this repository, with `npm run env`'s backend and passphrase, so
        // `pulumi stack` and `pulumi destroy` work afterwards.
        const script = `eval "$(bash scripts/env.sh)" && pulumi stack select --create ${stackName} && pulumi up --yes --stack ${stackName}`;
        const r = spawnSync("bash", ["-c", script], { cwd: REPO_ROOT, stdio: "inherit", env: { ...process.env, BROKER_CLUSTER_DIR: k.dir } });
        if (r.status !== 0) throw new Error(`pulumi up -s ${stackName} exited ${r.status}`);
    }
    step("waiting for the StatefulSets");
    await expectAllReady(k, s);
    step("summary");
    console.log(summary(k, s.namespace));
    console.log(`\nThe cluster keeps running: eval "$(npm run --silent env)"; kubectl get pods -n ${s.namespace} -o wide`);
    console.log("Stop it with: npm run cluster:down");
}

main().catch((e) => {
    const message = e instanceof Error ? e.message : String(e);
    console.error(`\nERROR: ${message}`);
    if (/Pulumi CLI/.test(message)) console.error("\n`npm run demo -- --objects` shows the control plane's side without the engine.");
    process.exit(1);
});

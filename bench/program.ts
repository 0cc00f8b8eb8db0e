/**
 * Evaluates the real program under Pulumi mocks with 5 and 50 clusters and prints resources per
 * second and the 50/5 time ratio (target: <= 10, i.e. cost linear in the number of clusters).
 * Run with `npm run bench`.
 */
import { performance } from "perf_hooks";
import { runProgram } from "../tests/support/render";

function stackWith(clusters: number): Record<string, unknown> {
    return {
        namespace: "bench",
        storage: { mode: "hostPath", basePath: "/var/lib/brokers", size: "1Gi" },
        clusters: Array.from({ length: clusters }, (_, i) =>
            i % 2 === 0
                ? { name: `rabbit-${i}`, engine: "rabbitmq", version: i % 4 === 0 ? "4.0.9" : "4.1.4", replicas: 3, definitions: { vhosts: ["app"] } }
                : { name: `mqtt-${i}`, engine: "emqx", version: "5.8.6", replicas: 3, discovery: i % 3 === 0 ? "k8s" : "dns" },
        ),
    };
}

async function measure(clusters: number, repeats: number): Promise<{ ms: number; resources: number }> {
    const times: number[] = [];
    let resources = 0;
    for (let r = 0; r < repeats; r++) {
        // A distinct stack name per repeat defeats the run cache in the test support.
        const start = performance.now();
        const run = await runProgram(stackWith(clusters), { stack: `bench-${clusters}-${r}` });
        times.push(performance.now() - start);
        resources = run.resources.length;
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], resources };
}

async function main(): Promise<void> {
    await measure(2, 1); // warm-up: module loading and TypeScript compilation
    const small = await measure(5, 5);
    const large = await measure(50, 3);
    const rate = (m: { ms: number; resources: number }) => (m.resources / (m.ms / 1000)).toFixed(0);
    console.log(`clusters  resources  median ms  resources/s`);
    console.log(`${String(5).padStart(8)}  ${String(small.resources).padStart(9)}  ${small.ms.toFixed(0).padStart(9)}  ${rate(small).padStart(11)}`);
    console.log(`${String(50).padStart(8)}  ${String(large.resources).padStart(9)}  ${large.ms.toFixed(0).padStart(9)}  ${rate(large).padStart(11)}`);
    const ratio = large.ms / small.ms;
    console.log(`50/5 time ratio: ${ratio.toFixed(2)} (target <= 10: ${ratio <= 10 ? "met" : "NOT met"})`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

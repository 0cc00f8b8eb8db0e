/**
 * The config-injection property at scale: generates stack configs with adversarial text in every
 * free-text field, validates each, renders and reads back every accepted one (see
 * tests/support/injection.ts), and prints the number of cases, accepted/rejected, the time, and
 * the cost of a case against validation alone measured in the same run.
 *
 * Run: npm run bench:fuzz [-- <cases> [<seed>]]   (default 10,000 cases, a random seed)
 */
import fc from "fast-check";
import { performance } from "perf_hooks";
import { parseSettings } from "../components";
import { runInjectionProperty, stackConfigArb } from "../tests/support/injection";

function main(): void {
    const runs = Number(process.argv[2] ?? 10000);
    const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : Math.floor(Math.random() * 2 ** 31);
    runInjectionProperty(20, seed); // warm-up: module loading and compilation

    const start = performance.now();
    const { accepted, rejected } = runInjectionProperty(runs, seed);
    const ms = performance.now() - start;

    // Peer in the same run: validating the same generated configs without rendering or checks.
    const samples = fc.sample(stackConfigArb, { numRuns: Math.min(runs, 2000), seed });
    const vStart = performance.now();
    for (const raw of samples) {
        try {
            parseSettings(raw as Record<string, unknown>, "broker-platform");
        } catch {
            // rejected configs cost the same to find
        }
    }
    const validateMs = (performance.now() - vStart) / samples.length;

    console.log(`seed ${seed}`);
    console.log(`cases     accepted  rejected  time s  cases/s`);
    console.log(`${String(runs).padStart(5)}  ${String(accepted).padStart(11)}  ${String(rejected).padStart(8)}  ${(ms / 1000).toFixed(2).padStart(6)}  ${(runs / (ms / 1000)).toFixed(0).padStart(7)}`);
    const perCase = ms / runs;
    console.log(`per case: ${perCase.toFixed(3)} ms (generate + validate + render + read back); validation alone: ${validateMs.toFixed(3)} ms; ratio ${(perCase / validateMs).toFixed(1)}`);
    console.log(`property held for all ${runs} cases`);
}

main();

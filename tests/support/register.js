"use strict";
// Test-time TypeScript loader: ts-node without type checking (tsc --noEmit does that in CI),
// transpiling with SWC, which is several times faster than TypeScript's own transpiler. It is
// registered when the first TypeScript module loads, so a process that loads none (mocha's
// parallel main process, which only collects the workers' results) does not load it.
const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];
let registered = false;
function register() {
    if (registered) return;
    registered = true;
    for (const ext of TS_EXTENSIONS) delete require.extensions[ext];
    require("ts-node").register({ transpileOnly: true, swc: true });
    traceFormat();
}
for (const ext of TS_EXTENSIONS) {
    require.extensions[ext] = (module, filename) => {
        register();
        return require.extensions[ext](module, filename);
    };
}

// The Pulumi SDK records a stack trace for every promise it creates (`_debugStackTrace`, which it
// prints only with PULUMI_DEBUG_PROMISE_LEAKS set), and formatting each of those is most of a
// test run's time. Without that variable such a trace is left empty (nothing reads it); with it,
// it keeps V8's plain format. Every other trace, such as a failing test's, is still source-mapped.
function traceFormat() {
    const sourceMapped = Error.prepareStackTrace;
    const PULUMI_PROMISE_TRACKER = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
    const plain = (error, frames) => `${error}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    Error.prepareStackTrace = (error, frames) => {
        if (frames.length > 0 && PULUMI_PROMISE_TRACKER.test(frames[0].getFileName() || "")) {
            return process.env.PULUMI_DEBUG_PROMISE_LEAKS ? plain(error, frames) : "";
        }
        return sourceMapped ? sourceMapped(error, frames) : plain(error, frames);
    };
}

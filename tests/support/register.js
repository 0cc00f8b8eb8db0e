"use strict";
// Test-time TypeScript loader: ts-node without type checking (tsc --noEmit does that in CI),
// transpiling with SWC, which is several times faster than TypeScript's own transpiler.
require("ts-node").register({ transpileOnly: true, swc: true });

// The Pulumi SDK records a stack trace for every promise it creates (for its leak report), and
// source-mapping each of those is most of a test run's time. Those traces keep V8's plain
// format; every other trace, such as a failing test's, is still source-mapped.
const sourceMapped = Error.prepareStackTrace;
const PULUMI_PROMISE_TRACKER = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
Error.prepareStackTrace = (error, frames) => {
    if (frames.length > 0 && PULUMI_PROMISE_TRACKER.test(frames[0].getFileName() || "")) {
        return `${error}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    }
    return sourceMapped ? sourceMapped(error, frames) : `${error}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
};

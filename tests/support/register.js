"use strict";
// Test-time TypeScript loader: ts-node without type checking (tsc --noEmit does that in CI),
// transpiling with SWC, which is several times faster than TypeScript's own transpiler.
require("ts-node").register({ transpileOnly: true, swc: true });

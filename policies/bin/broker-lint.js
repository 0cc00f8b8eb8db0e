#!/usr/bin/env node
// Entry point of `broker-lint`. The CLI is TypeScript, loaded through the package's cached
// transpiler (no type check; see ./transpile.js), so later runs start fast.
"use strict";
require("./transpile").register();

try {
    const { run } = require("../cli/main.ts");
    process.exitCode = run(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`broker-lint: internal error: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
}

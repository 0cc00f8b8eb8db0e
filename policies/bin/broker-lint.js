#!/usr/bin/env node
// Entry point of `broker-lint`: runs the compiled CLI (see ./compiled.js for when the sources run).
"use strict";
try {
    const { run } = require("./compiled").load("cli/main");
    process.exitCode = run(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`broker-lint: internal error: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
}

#!/usr/bin/env node
// Entry point of `broker-lint`: loads the TypeScript CLI through ts-node (transpile only, no
// project tsconfig lookup, so it behaves the same from any working directory).
"use strict";
try {
    require("ts-node").register({
        transpileOnly: true,
        skipProject: true,
        compilerOptions: { module: "commonjs", target: "ES2022", esModuleInterop: true, sourceMap: false },
    });
    const { run } = require("../cli/main.ts");
    process.exitCode = run(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`broker-lint: internal error: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
}

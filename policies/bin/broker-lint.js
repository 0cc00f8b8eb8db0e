#!/usr/bin/env node
// Entry point of `broker-lint`. The CLI is TypeScript: each .ts module is transpiled once with the
// `typescript` package (no type check) and cached by content hash, so later runs start fast.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const cacheDir = path.join(os.tmpdir(), `broker-lint-cache-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
let ts;

function transpile(source, filename) {
    const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex").slice(0, 40);
    const cached = path.join(cacheDir, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // not cached yet
    }
    ts = ts || require("typescript");
    const out = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cached}.${process.pid}`;
        fs.writeFileSync(tmp, out);
        fs.renameSync(tmp, cached);
    } catch {
        // a read-only temp dir only costs speed
    }
    return out;
}

if (!require.extensions[".ts"]) {
    require.extensions[".ts"] = function (module, filename) {
        module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
    };
}

try {
    const { run } = require("../cli/main.ts");
    process.exitCode = run(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`broker-lint: internal error: ${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
}

// Loads the package's TypeScript modules without type checking (tsc --noEmit does that in CI):
// each .ts module is transpiled once with the `typescript` package and cached by content hash in
// the temp directory, so later runs read plain JavaScript.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const cacheDir = path.join(os.tmpdir(), `broker-policies-cache-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
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

/**
 * Handles `.ts` with the cached transpiler. `replace` takes over from a loader registered
 * already: the policy-pack runner registers ts-node with type checking, which costs seconds on
 * every `pulumi preview --policy-pack` for errors CI reports anyway.
 */
function register({ replace = false } = {}) {
    if (require.extensions[".ts"] && !replace) return;
    require.extensions[".ts"] = function (module, filename) {
        module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
    };
}

module.exports = { register, transpile };

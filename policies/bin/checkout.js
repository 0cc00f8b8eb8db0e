// In a checkout of the repository (this file is not in the package's tarball; ./compiled.js uses
// it when present): the compiled JavaScript in ../dist (built by `npm run build`, which `npm ci`
// runs through `prepare`), or, while that is missing or older than a source file (a checkout, an
// edit), the TypeScript sources through the cached transpiler, so a stale build never runs.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
/** Source folders of the package. */
const SOURCE_DIRS = [root, path.join(root, "cli"), path.join(root, "lib"), path.join(root, "rules")];

function mtime(file) {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
}

function newestSource() {
    let newest = 0;
    for (const dir of SOURCE_DIRS) {
        for (const name of fs.readdirSync(dir)) {
            if (name.endsWith(".ts") && !name.endsWith(".d.ts")) newest = Math.max(newest, mtime(path.join(dir, name)) ?? 0);
        }
    }
    return newest;
}

/** The file that runs for the package module `name` (e.g. "cli/main"). */
function entry(name) {
    const compiled = path.join(root, "dist", `${name}.js`);
    const built = mtime(compiled);
    return built !== undefined && built >= newestSource() ? compiled : path.join(root, `${name}.ts`);
}

/** Requires the package module `name`: compiled when up to date, else from source. */
function load(name) {
    const file = entry(name);
    if (file.endsWith(".ts")) require("./transpile").register({ replace: true });
    return require(file);
}

module.exports = { entry, load };

// In a checkout of the repository (this file is not in the package's tarball; ./compiled.js uses
// it when present): the compiled JavaScript in ../dist (built by `npm run build`, which `npm ci`
// runs through `prepare`), or, while that is missing or older than a source file (a checkout, an
// edit), the TypeScript sources through the cached transpiler, so a stale build never runs. The
// CLI's bundle (../dist/bundle, built from ../dist by ../build-bundle.js) runs while it is newer
// than both the sources and ../dist.
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

/** Newest modification time of the files in `dirs` whose names end with `ext` (not `.d.ts`). */
function newest(dirs, ext) {
    let t = 0;
    for (const dir of dirs) {
        let names;
        try {
            names = fs.readdirSync(dir);
        } catch {
            continue;
        }
        for (const name of names) {
            if (name.endsWith(ext) && !name.endsWith(".d.ts")) t = Math.max(t, mtime(path.join(dir, name)) ?? 0);
        }
    }
    return t;
}

const DIST_DIRS = SOURCE_DIRS.map((dir) => path.join(root, "dist", path.relative(root, dir)));

/** The file that runs for the package module `name` (e.g. "cli/main"). */
function entry(name) {
    const compiled = path.join(root, "dist", `${name}.js`);
    const built = mtime(compiled);
    const sources = newest(SOURCE_DIRS, ".ts");
    if (built === undefined || built < sources) return path.join(root, `${name}.ts`);
    const bundle = path.join(root, "dist", "bundle", `${name}.js`);
    const bundled = mtime(bundle);
    return bundled !== undefined && bundled >= sources && bundled >= newest(DIST_DIRS, ".js") ? bundle : compiled;
}

/** Requires the package module `name`: compiled when up to date, else from source. */
function load(name) {
    const file = entry(name);
    if (file.endsWith(".ts")) require("./transpile").register({ replace: true });
    return require(file);
}

module.exports = { entry, load };

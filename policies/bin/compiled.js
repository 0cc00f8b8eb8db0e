// Chooses what the CLI and the pack run. An installed package holds only the compiled JavaScript
// in ../dist, and that is what runs: nothing is compiled at run time. The CLI runs its bundle,
// ../dist/bundle/cli/main.js (built from ../dist by ../build-bundle.js); the pack and the
// package's exports run the modules in ../dist. A checkout of the repository also holds the
// TypeScript sources and ./checkout.js (neither is in the package's tarball), which runs the
// sources while the build is missing or older than a source file, so a stale build never runs
// there.
//
// The bundles load with V8's code cache: V8's compiled code of a bundle is kept in the temp
// directory after a run (keyed by the file's path, size and time, the Node version and the
// architecture, replacing the cache of an earlier build; V8 itself rejects a cache from another V8
// or other flags) and read back by later runs instead of compiling the bundle again. Without a
// usable cache the bundle compiles as any module does; a temp directory that cannot be written
// only costs speed.
"use strict";
const fs = require("fs");
const path = require("path");

const checkout = path.join(__dirname, "checkout.js");
const dist = (name) => path.join(__dirname, "..", "dist", `${name}.js`);
const bundleDir = path.join(__dirname, "..", "dist", "bundle") + path.sep;

/** The file that runs for `name` in an installed package: its bundle when there is one. */
function installed(name) {
    const bundle = dist(`bundle/${name}`);
    return fs.existsSync(bundle) ? bundle : dist(name);
}

/** The cache folder, when it is this user's own (another user's could hold anything). */
function cacheDir() {
    const os = require("os");
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    const dir = path.join(os.tmpdir(), `broker-lint-code-cache-${uid ?? "user"}`);
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const st = fs.lstatSync(dir);
        return st.isDirectory() && (uid === undefined || st.uid === uid) ? dir : undefined;
    } catch {
        return undefined;
    }
}

/** Two 32-bit FNV-1a hashes of `s` (not `crypto`: loading it costs about 10 ms of the start-up). */
function pathHash(s) {
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193) >>> 0;
        b = Math.imul(b ^ c, 0x811c9dc5) >>> 0;
    }
    return a.toString(16) + b.toString(16);
}

/** Runs the bundle `file` as a CommonJS module with V8's code cache; returns its exports. */
function loadBundle(file) {
    const Module = require("module");
    if (Module._cache[file]) return Module._cache[file].exports;
    const vm = require("vm");
    const source = fs.readFileSync(file, "utf8");
    const st = fs.statSync(file);
    const dir = cacheDir();
    const key = dir && path.join(dir, [path.basename(file), st.size, st.mtimeMs, process.version, process.arch, pathHash(file)].join("-"));
    let cachedData;
    try {
        cachedData = key ? fs.readFileSync(key) : undefined;
    } catch {
        // not cached yet
    }
    const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
    const m = new Module(file, module);
    m.filename = file;
    m.paths = Module._nodeModulePaths(path.dirname(file));
    Module._cache[file] = m;
    // A bundle requires Node's modules and, main.js, the linter's bundle beside it.
    const req = (id) => (id.startsWith("./") ? loadBundle(path.join(path.dirname(file), `${id.replace(/\.js$/, "")}.js`)) : m.require(id));
    try {
        script.runInThisContext().call(m.exports, m.exports, req, m, file, path.dirname(file));
    } catch (e) {
        delete Module._cache[file];
        throw e;
    }
    m.loaded = true;
    if (key && (cachedData === undefined || script.cachedDataRejected)) {
        // After the run, so the cache holds the functions it compiled, not only the top level.
        process.once("exit", () => {
            try {
                const tmp = `${key}.${process.pid}`;
                fs.writeFileSync(tmp, script.createCachedData());
                fs.renameSync(tmp, key);
                // The caches of earlier builds of the same file go.
                const [base, hash] = [`${path.basename(file)}-`, `-${pathHash(file)}`];
                for (const f of fs.readdirSync(dir)) if (f.startsWith(base) && f.endsWith(hash) && f !== path.basename(key)) fs.rmSync(path.join(dir, f), { force: true });
            } catch {
                // a read-only temp dir only costs speed
            }
        });
    }
    return m.exports;
}

const impl = fs.existsSync(checkout) ? require(checkout) : undefined;
/** The file that runs for the package module `name` (e.g. "cli/main"). */
const entry = impl ? impl.entry : installed;

module.exports = {
    entry,
    /** Requires the package module `name`: its bundle, the compiled module, or (a checkout) its source. */
    load(name) {
        const file = entry(name);
        if (file.startsWith(bundleDir)) return loadBundle(file);
        return impl ? impl.load(name) : require(file);
    },
};

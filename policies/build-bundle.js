// Bundles the compiled CLI (after `tsc -p tsconfig.build.json`) into two files for the
// `broker-lint` bin, so a run loads two files instead of about sixty modules plus commander, zod,
// js-yaml and yaml from node_modules (Node resolving, reading and compiling each one was most of
// the start-up):
//   dist/bundle/cli/main.js          argument parsing, --version, --help (commander)
//   dist/bundle/cli/lint-command.js  the linter: rules, config, readers, formats and their packages
// main.js still loads ./lint-command only when there is something to lint, so --version and
// --help start without the linter. zod's CommonJS index loads the error messages of all its ~50
// locales (`z.locales`, half of zod's code); the bundle holds the English ones only, the ones zod
// uses unless configured otherwise (nothing here does). Built from dist/, the same JavaScript tsc emits for the pack
// and the `./cli` export; nothing else imports the bundles. Each bundle ends with the licences of
// the packages it holds.
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const dist = path.join(__dirname, "dist");

/** `require("./lint-command")` in main.js stays a require of the sibling bundle. */
const lintCommandSibling = {
    name: "lint-command-sibling",
    setup(build) {
        build.onResolve({ filter: /^\.\/lint-command$/ }, (args) =>
            args.importer === path.join(dist, "cli", "main.js") ? { path: "./lint-command", external: true } : undefined,
        );
    },
};

/** zod's `locales/index.cjs` (the `z.locales` namespace): English only. */
const zodEnglishOnly = {
    name: "zod-english-only",
    setup(build) {
        build.onResolve({ filter: /^\.\.\/locales\/index\.cjs$/ }, (args) =>
            /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: path.join(args.resolveDir, "..", "locales", "index.cjs"), namespace: "zod-locales" } : undefined,
        );
        build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
            contents: 'exports.en = require("./en.cjs");',
            resolveDir: path.dirname(args.path),
            loader: "js",
        }));
    },
};

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", logLevel: "warning", legalComments: "eof", absWorkingDir: __dirname, metafile: true, write: false };

/** The licences of the packages a bundle holds (its inputs under node_modules), as a closing comment. */
function licences(metafile) {
    const packages = new Map();
    for (const input of Object.keys(metafile.inputs)) {
        const m = /^(.*?node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
        if (m) packages.set(m[2], path.resolve(__dirname, m[1]));
    }
    return [...packages.keys()].sort().map((name) => {
        const dir = packages.get(name);
        const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
        const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
        if (!file) throw new Error(`${name}: no licence file to carry into the bundle`);
        const text = fs.readFileSync(path.join(dir, file), "utf8").replace(/\*\//g, "* /").trimEnd();
        return `\n/*! ${name} ${version}, bundled; its licence:\n\n${text}\n*/\n`;
    }).join("");
}

async function bundle(entry, plugins) {
    const outfile = path.join(dist, "bundle", "cli", `${entry}.js`);
    const r = await esbuild.build({ ...common, entryPoints: [path.join(dist, "cli", `${entry}.js`)], outfile, plugins });
    fs.mkdirSync(path.dirname(outfile), { recursive: true });
    fs.writeFileSync(outfile, r.outputFiles.find((f) => f.path === outfile).text + licences(r.metafile));
}

Promise.all([bundle("main", [lintCommandSibling]), bundle("lint-command", [zodEnglishOnly])]).catch((e) => {
    process.stderr.write(`${e && e.message ? e.message : String(e)}\n`);
    process.exitCode = 1;
});

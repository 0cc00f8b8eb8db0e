// Chooses what the CLI and the pack run. An installed package holds only the compiled JavaScript
// in ../dist, and that is what runs: nothing is compiled at run time. The CLI runs its bundle,
// ../dist/bundle/cli/main.js (built from ../dist by ../build-bundle.js); the pack and the
// package's exports run the modules in ../dist. A checkout of the repository also holds the
// TypeScript sources and ./checkout.js (neither is in the package's tarball), which runs the
// sources while the build is missing or older than a source file, so a stale build never runs
// there.
"use strict";
const fs = require("fs");
const path = require("path");

const checkout = path.join(__dirname, "checkout.js");
const dist = (name) => path.join(__dirname, "..", "dist", `${name}.js`);
/** The file that runs for `name` in an installed package: its bundle when there is one. */
const installed = (name) => {
    const bundle = dist(`bundle/${name}`);
    return fs.existsSync(bundle) ? bundle : dist(name);
};

module.exports = fs.existsSync(checkout)
    ? require(checkout)
    : {
          /** The file that runs for the package module `name` (e.g. "cli/main"). */
          entry: installed,
          /** Requires the compiled package module `name`. */
          load: (name) => require(installed(name)),
      };

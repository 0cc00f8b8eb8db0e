// Chooses what the CLI and the pack run. An installed package holds only the compiled JavaScript
// in ../dist, and that is what runs: nothing is compiled at run time. A checkout of the
// repository also holds the TypeScript sources and ./checkout.js (neither is in the package's
// tarball), which runs the sources while the build is missing or older than a source file, so a
// stale build never runs there.
"use strict";
const fs = require("fs");
const path = require("path");

const checkout = path.join(__dirname, "checkout.js");
const dist = (name) => path.join(__dirname, "..", "dist", `${name}.js`);

module.exports = fs.existsSync(checkout)
    ? require(checkout)
    : {
          /** The file that runs for the package module `name` (e.g. "cli/main"). */
          entry: dist,
          /** Requires the compiled package module `name`. */
          load: (name) => require(dist(name)),
      };

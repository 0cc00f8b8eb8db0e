"use strict";
// `npm install` in this directory (what `pulumi package add` / `pulumi install` run for a nodejs
// plugin) installs nothing of its own: the provider runs on the repository's dependencies. In a
// checkout without them (the git form: Pulumi clones the repository), install them once with
// `npm ci` at the repository root, which also builds dist/ through `prepare`.
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
if (!fs.existsSync(path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"))) {
    process.stderr.write(`broker-platform provider: installing the package's dependencies in ${root} (npm ci)\n`);
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: ["ignore", process.stderr, process.stderr] });
}

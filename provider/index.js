"use strict";
// Entry point of the component provider plugin (PulumiPlugin.yaml). Thin: the schema and the
// components are ../components/provider, over the same components and validation as the
// TypeScript program. It runs from the repository's node_modules (`npm ci` at the root).
const path = require("path");
const root = path.join(__dirname, "..");
const built = path.join(root, "dist", "components", "provider", "provider.js");
const fs = require("fs");

// The compiled package (npm run build) when it is newer than every source file; otherwise the
// TypeScript sources, transpiled only (SWC), as `pulumi up` loads the TypeScript program.
function newestSource(dir) {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
        else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
    return newest;
}
let impl;
if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource(path.join(root, "components"))) {
    impl = require(built);
} else {
    require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(root, "tsconfig.pulumi.json") });
    impl = require(path.join(root, "components", "provider", "provider.ts"));
}
const { main } = require("@pulumi/pulumi/provider");
const { version } = require(path.join(root, "package.json"));

module.exports = () => main(new impl.BrokerPlatformProvider(version), process.argv.slice(2));

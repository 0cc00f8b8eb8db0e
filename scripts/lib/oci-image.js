#!/usr/bin/env node
// Packs a root file system tarball as a one-layer OCI image archive that `ctr images import`
// takes without a registry: oci-layout, index.json (with the reference containerd names the
// image by), the manifest, the image config and the layer, all content-addressed.
//
// Usage: node oci-image.js ROOTFS_TAR OUT_TAR REFERENCE CONFIG_JSON
//   REFERENCE    the full reference the pod spec resolves to, e.g. docker.io/library/redis:7.0.15
//   CONFIG_JSON  the image config's `config` object: {"User": "...", "Env": [...], "Cmd": [...]}
// The rootfs tarball is moved into the layout (not copied): it is large.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const [rootfsTar, outTar, reference, configJson] = process.argv.slice(2);
if (!rootfsTar || !outTar || !reference || !configJson) {
    process.stderr.write("usage: oci-image.js ROOTFS_TAR OUT_TAR REFERENCE CONFIG_JSON\n");
    process.exit(2);
}

function sha256File(file) {
    const hash = crypto.createHash("sha256");
    const fd = fs.openSync(file, "r");
    const buf = Buffer.alloc(1 << 20);
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
    fs.closeSync(fd);
    return hash.digest("hex");
}

const layout = fs.mkdtempSync(path.join(path.dirname(outTar), ".oci-"));
const blobs = path.join(layout, "blobs", "sha256");
fs.mkdirSync(blobs, { recursive: true });

function writeBlob(obj) {
    const data = Buffer.from(JSON.stringify(obj));
    const digest = crypto.createHash("sha256").update(data).digest("hex");
    fs.writeFileSync(path.join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
}

// An uncompressed layer: its digest is also its diff id.
const layerDigest = sha256File(rootfsTar);
const layerSize = fs.statSync(rootfsTar).size;
fs.renameSync(rootfsTar, path.join(blobs, layerDigest));

const config = writeBlob({
    architecture: "amd64",
    os: "linux",
    config: JSON.parse(configJson),
    rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
});
const manifest = writeBlob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerDigest}`, size: layerSize }],
});
const tag = reference.slice(reference.lastIndexOf(":") + 1);
fs.writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
fs.writeFileSync(
    path.join(layout, "index.json"),
    JSON.stringify({
        schemaVersion: 2,
        manifests: [
            {
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                ...manifest,
                platform: { architecture: "amd64", os: "linux" },
                annotations: { "io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag },
            },
        ],
    }),
);
execFileSync("tar", ["-C", layout, "-cf", `${outTar}.tmp`, "oci-layout", "index.json", "blobs"]);
fs.renameSync(`${outTar}.tmp`, outTar);
fs.rmSync(layout, { recursive: true, force: true });

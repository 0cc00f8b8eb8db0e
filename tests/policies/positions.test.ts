/**
 * Field positions of documents read on the fast path come from a scan of their block-YAML text
 * (policies/cli/block-positions); the `yaml` syntax tree is the reference. For every document of
 * the corpus charts, the rule fixtures, the seeds, generated clusters and hand-written edge cases,
 * the scan either declines (then `yaml` is used, recording nothing) or records exactly what the
 * `yaml` parse records: the same line and column for every map, list and field.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { LineCounter, Node, parseDocument, stringify } from "yaml";
import { generate } from "../../bench/lint-objects";
import { scanPositions } from "../../policies/cli/block-positions";
import { emptyLoaded, loadPaths, loadText } from "../../policies/cli/load";
import { indexPositions, NodePositions, PendingDocument } from "../../policies/cli/positions";
import { K8sObject } from "../../policies/lib/types";

const ROOT = path.resolve(__dirname, "..", "..");
const SHARED = path.resolve(ROOT, "..", "shared");

/** Positions of every map and list under the document's value, as [path, self, fields]. */
function table(doc: PendingDocument, positions: WeakMap<object, NodePositions>): unknown[] {
    const out: unknown[] = [];
    const walk = (x: unknown, at: string) => {
        if (x === null || typeof x !== "object") return;
        const p = positions.get(x);
        out.push([at, p?.self, p ? [...p.fields] : undefined]);
        for (const [k, v] of Object.entries(x)) walk(v, `${at}/${k}`);
    };
    walk(doc.value, "");
    return out;
}

function byYaml(doc: PendingDocument): WeakMap<object, NodePositions> {
    const into = new WeakMap<object, NodePositions>();
    const lc = new LineCounter();
    const parsed = parseDocument(doc.text.slice(doc.start, doc.end), { lineCounter: lc, prettyErrors: false });
    indexPositions(parsed.contents as Node | null, doc.value, doc.file, lc, into, doc.line - 1);
    return into;
}

/** Compares scan and parse over documents; how many the scan read and declined. */
function compare(docs: PendingDocument[]): { read: number; declined: number } {
    let read = 0;
    let declined = 0;
    for (const doc of docs) {
        const scanned = new WeakMap<object, NodePositions>();
        if (!scanPositions(doc, scanned)) {
            declined++;
            expect(table(doc, scanned).every((row) => (row as unknown[])[1] === undefined), `${doc.file}:${doc.line}: a declined scan records nothing`).to.equal(true);
            continue;
        }
        read++;
        expect(table(doc, scanned), `${doc.file}:${doc.line}`).to.deep.equal(table(doc, byYaml(doc)));
    }
    return { read, declined };
}

function docsOfText(text: string, file = "case.yaml"): PendingDocument[] {
    const into = emptyLoaded();
    loadText(text, file, into);
    return into.sources.pending;
}

/** Block YAML as people and tools write it, each written to be read by the scan. */
const CASES: string[] = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  empty:\n  spaced:   \n  commented: # why\n  next:\n    # a comment first\n    deeper: 1\n",
    "# Source: chart/templates/sts.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        args:\n        -\n        - - nested\n          - list\n        -   wide: 1\n            more: 2\n        env:\n          - name: A\n            value: \"quoted # not a comment\"\n          - name: B\n            value: 'it''s'\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata:\n  script: |\n    #!/bin/sh\n    key: not a key\n      - not a list\n\n    echo done\n  folded: >-\n    folded\n    text\n  plain: multi\n    line plain\n  dq: \"two\n    lines\"\n  url: http://example.com:8080/x#frag\n  \"quoted key\": 1\n  'single key': 2\n  spaced key  : 3\n  list: []\n  last: end\n",
    "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n  spec:\n    ports:\n    - port: 1\n    -    port: 2\n---  # a comment after the marker\n  apiVersion: v1\n  kind: Secret\n  metadata:\n    name: indented\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    a: 'x'   # trailing comment\n    b: \"y\"\nspec:\n  containers:\n  - name: c\n    image: x:1\n    command:\n    - sh\n",
];

/** Text the scan must leave to `yaml`. */
const DECLINED: string[] = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {a: 1}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: !!str 1\n",
    "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  ? a\n  : 1\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  0x1A: hex key\n",
    '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\n',
];

describe("policies: broker-lint field positions from the text scan", function () {
    this.timeout(120000);

    it("hand-written block YAML: the scan reads every case and agrees with the yaml parse", () => {
        for (const text of CASES) {
            const docs = docsOfText(text);
            expect(docs.length, text).to.be.greaterThan(0);
            expect(compare(docs), text).to.deep.equal({ read: docs.length, declined: 0 });
        }
    });

    it("flow collections, tags, CRLF, explicit and non-literal keys, JSON: the scan declines", () => {
        for (const text of DECLINED) {
            const docs = docsOfText(text);
            expect(docs.length, text).to.equal(1);
            expect(compare(docs), text).to.deep.equal({ read: 0, declined: 1 });
        }
    });

    it("generated clusters (the benchmark's documents): every one read, positions as yaml's", () => {
        const text = generate(400)
            .map((o: K8sObject) => stringify(o, { aliasDuplicateObjects: false }))
            .join("---\n");
        const docs = docsOfText(text, "generated.yaml");
        expect(docs.length).to.equal(400);
        expect(compare(docs)).to.deep.equal({ read: 400, declined: 0 });
    });

    it("rule fixtures and seeds: the scan agrees with the yaml parse wherever it reads", () => {
        const docs = loadPaths([path.join(ROOT, "tests", "fixtures")]).sources.pending;
        const r = compare(docs);
        expect(r.read, "documents read by the scan").to.be.greaterThan(docs.length / 2);
    });

    it("corpus chart renders: the scan agrees with the yaml parse wherever it reads", function () {
        const charts = path.join(SHARED, "corpus", "charts");
        if (!fs.existsSync(charts)) this.skip();
        const docs = loadPaths([charts]).sources.pending;
        const r = compare(docs);
        expect(r.read, "documents read by the scan").to.be.greaterThan(docs.length / 2);
    });
});

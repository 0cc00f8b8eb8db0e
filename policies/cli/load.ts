/**
 * Reads manifests: multi-document YAML and JSON files, `List` objects, directories (recursively
 * `*.yaml|*.yml|*.json`) and standard input (`-`). Every problem becomes a LoadError naming the
 * file and line, never a throw. Unrendered Helm templates (`{{` where YAML structure is expected)
 * are reported as errors; `{{ … }}` inside a value is data. Documents without apiVersion/kind
 * (e.g. Helm values) are ignored. Where each map, list and field was written is kept for reports.
 *
 * Most files take the fast path: js-yaml per document, without a syntax tree, and positions only
 * for what a report names (./positions). A file the fast path cannot read exactly as the `yaml`
 * package would (anchors and aliases, `{{`, directives, any parse error or non-object document)
 * is read with `yaml` in full, so errors, alias limits and Helm detection are those of one parser.
 */
import * as fs from "fs";
import * as path from "path";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import type { LineCounter, Node, Scalar } from "yaml";

/**
 * The `yaml` package, loaded on first use: the fast path never needs it. Kept once loaded: a
 * `require` from a directory that did not load the package first resolves it again on every call.
 */
let yamlModule: typeof import("yaml") | undefined;
const yaml = (): typeof import("yaml") => (yamlModule ??= require("yaml") as typeof import("yaml"));
import { FieldRef, K8sObject, Position } from "../lib/types";
import { indexPositions, PendingDocument, SourceIndex } from "./positions";

export interface LoadError {
    file: string;
    line?: number;
    message: string;
}

export interface Loaded {
    objects: K8sObject[];
    /** Where each object was written (resolved on first use for fast-path documents). */
    sources: SourceIndex;
    errors: LoadError[];
    files: string[];
}

export function emptyLoaded(): Loaded {
    return { objects: [], sources: new SourceIndex(), errors: [], files: [] };
}

/** The position of a field (or of the map/list holding it) among what `into` loaded. */
export function locator(into: Loaded): (at: FieldRef, owner?: K8sObject) => Position | undefined {
    return (at, owner) => into.sources.locate(at, owner);
}

const EXT = /\.(ya?ml|json)$/i;

function displayPath(p: string): string {
    const rel = path.relative(process.cwd(), p);
    return (rel && !rel.startsWith("..") ? rel : p).split(path.sep).join("/");
}

/** Expands files and directories (recursively, sorted) into manifest files. */
export function collectFiles(inputs: string[], errors: LoadError[]): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch (e) {
            errors.push({ file: displayPath(dir), message: `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
            return;
        }
        for (const ent of entries.sort((a, b) => a.name.localeCompare(b.name))) {
            if (ent.name === "node_modules" || ent.name.startsWith(".")) continue;
            const p = path.join(dir, ent.name);
            if (ent.isDirectory()) walk(p);
            else if (ent.isFile() && EXT.test(ent.name)) out.push(p);
        }
    };
    for (const input of inputs) {
        let st: fs.Stats;
        try {
            st = fs.statSync(input);
        } catch (e) {
            errors.push({ file: displayPath(input), message: (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : `cannot read: ${String(e)}` });
            continue;
        }
        if (st.isDirectory()) walk(path.resolve(input));
        else out.push(path.resolve(input));
    }
    return [...new Set(out)];
}

/** Offsets of text covered by quoted or block scalars, where `{{` is just data. */
function stringRanges(docs: ReturnType<typeof import("yaml").parseAllDocuments>): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const doc of docs) {
        yaml().visit(doc, {
            Scalar(_k, node: Scalar) {
                if (node.type && node.type !== "PLAIN" && node.range) ranges.push([node.range[0], node.range[1]]);
            },
        });
    }
    return ranges;
}

/**
 * Line of an unrendered Helm template, or undefined. `{{` inside a value is data (Prometheus alert
 * text such as `Instance {{ $labels.instance }} is down` is valid, fully rendered YAML); a template
 * is `{{` where YAML structure is expected: either the text does not parse and a `{{` outside
 * comments and strings is the reason, or it parses only as a flow mapping whose key is itself a
 * flow mapping (`name: {{ .Release.Name }}`), which no manifest means.
 */
function helmTemplateLine(text: string, docs: ReturnType<typeof import("yaml").parseAllDocuments>, lc: LineCounter): number | undefined {
    if (!text.includes("{{")) return undefined;
    for (const doc of docs) {
        let at: number | undefined;
        yaml().visit(doc, {
            Map(_k, node) {
                if (at === undefined && node.flow && node.items.some((pair) => yaml().isMap(pair.key) && (pair.key as { flow?: boolean }).flow)) {
                    at = node.range?.[0];
                    return yaml().visit.BREAK;
                }
                return undefined;
            },
        });
        if (at !== undefined) return lc.linePos(at).line;
    }
    if (!docs.some((d) => d.errors.length > 0)) return undefined;
    const ranges = stringRanges(docs);
    const re = /\{\{/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
        const at = m.index;
        const lineStart = text.lastIndexOf("\n", at) + 1;
        if (text.slice(lineStart, at).trimStart().startsWith("#")) continue;
        if (ranges.some(([s, e]) => at >= s && at < e)) continue;
        return lc.linePos(at).line;
    }
    return undefined;
}

function lineOf(node: Node | null | undefined, lc: LineCounter): number | undefined {
    const r = node?.range;
    return r ? lc.linePos(r[0]).line : undefined;
}

function describe(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    if (v === null) return "null";
    return `a ${typeof v}`;
}

/** Text the fast path leaves to the `yaml` package: `{{`, anchors, directives, document-end markers. */
const NEEDS_EXACT = /\{\{|(?:^|[\s[{,])&[^\s[\]{},]|^%|^\.\.\.(?:\s|$)/m;
/** A document marker at the start of a line ends any scalar, so documents can be split on it. */
const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;

/** Kubernetes objects in a value (into `out`); false where the exact path would report an error. */
function objectsIn(value: unknown, out: K8sObject[]): boolean {
    if (value === null || value === undefined) return true;
    if (Array.isArray(value)) return value.every((v) => objectsIn(v, out));
    if (typeof value !== "object") return false;
    const obj = value as K8sObject;
    const kind = typeof obj.kind === "string" ? obj.kind : undefined;
    if (kind && kind.endsWith("List") && Array.isArray(obj.items)) return obj.items.every((v: unknown) => objectsIn(v, out));
    if (typeof obj.apiVersion === "string" && kind) out.push(obj);
    return true;
}

function newlines(text: string, from: number, to: number): number {
    let n = 0;
    for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
    return n;
}

/**
 * Reads the text one document at a time with js-yaml (core schema, as `yaml` resolves scalars) and
 * records each document for positions on demand. False, with nothing added, where any document
 * needs the exact path.
 */
function loadFast(text: string, file: string, into: Loaded): boolean {
    if (NEEDS_EXACT.test(text)) return false;
    const starts = [0];
    DOCUMENT_START.lastIndex = 0;
    for (let m = DOCUMENT_START.exec(text); m !== null; m = DOCUMENT_START.exec(text)) if (m.index > 0) starts.push(m.index);
    const read: Array<[PendingDocument, K8sObject[]]> = [];
    let line = 1;
    for (let i = 0; i < starts.length; i++) {
        const start = starts[i];
        const end = i + 1 < starts.length ? starts[i + 1] : text.length;
        if (i > 0) line += newlines(text, starts[i - 1], start);
        let values: unknown[];
        try {
            values = loadAll(text.slice(start, end), undefined, { schema: CORE_SCHEMA });
        } catch {
            return false; // nesting past js-yaml's depth limit, duplicate keys, syntax: `yaml` reports it
        }
        if (values.length > 1) return false;
        const objects: K8sObject[] = [];
        if (!objectsIn(values[0], objects)) return false;
        if (objects.length > 0) read.push([{ file, text, start, end, line, value: values[0] }, objects]);
    }
    for (const [doc, objects] of read) {
        for (const o of objects) {
            into.objects.push(o);
            into.sources.defer(o, doc);
        }
    }
    return true;
}

export function loadText(text: string, file: string, into: Loaded): void {
    if (!loadFast(text, file, into)) loadExact(text, file, into);
}

/** Reads the whole text with `yaml`, positions included. */
function loadExact(text: string, file: string, into: Loaded): void {
    const lc = new (yaml().LineCounter)();
    let docs: ReturnType<typeof import("yaml").parseAllDocuments>;
    try {
        const parsed = yaml().parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
        docs = Array.isArray(parsed) ? parsed : [];
    } catch (e) {
        into.errors.push({ file, message: `cannot parse: ${e instanceof Error ? e.message : String(e)}` });
        return;
    }
    const tplLine = helmTemplateLine(text, docs, lc);
    if (tplLine !== undefined) {
        into.errors.push({ file, line: tplLine, message: "unrendered Helm template ({{ … }}); render it with `helm template` and lint the output" });
        return;
    }
    for (const doc of docs) {
        if (doc.errors.length > 0) {
            const err = doc.errors[0];
            const line = err.pos ? lc.linePos(err.pos[0]).line : undefined;
            into.errors.push({ file, line, message: `invalid YAML: ${err.message.split("\n")[0]}` });
            return;
        }
    }
    for (const doc of docs) {
        let value: unknown;
        try {
            value = doc.toJS({ maxAliasCount: 1000 });
        } catch (e) {
            into.errors.push({ file, line: lineOf(doc.contents as Node, lc), message: `cannot read document: ${e instanceof Error ? e.message : String(e)}` });
            continue;
        }
        indexPositions(doc.contents as Node | null, value, file, lc, into.sources.positions);
        addValue(value, doc.contents as Node | null, file, lc, into);
    }
}

function addValue(value: unknown, node: Node | null, file: string, lc: LineCounter, into: Loaded): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
        const items = yaml().isSeq(node) ? node.items : [];
        value.forEach((v, i) => addValue(v, (items[i] as Node) ?? null, file, lc, into));
        return;
    }
    if (typeof value !== "object") {
        into.errors.push({ file, line: lineOf(node, lc), message: `expected a Kubernetes object, found ${describe(value)}${yaml().isScalar(node) ? ` (${JSON.stringify(String(value)).slice(0, 40)})` : ""}` });
        return;
    }
    const obj = value as K8sObject;
    const kind = typeof obj.kind === "string" ? obj.kind : undefined;
    if (kind && kind.endsWith("List") && Array.isArray(obj.items)) {
        const itemsNode = yaml().isMap(node) ? (node.get("items", true) as Node | undefined) : undefined;
        const seq = yaml().isSeq(itemsNode) ? itemsNode.items : [];
        obj.items.forEach((v: unknown, i: number) => addValue(v, (seq[i] as Node) ?? null, file, lc, into));
        return;
    }
    if (typeof obj.apiVersion !== "string" || !kind) return; // not a Kubernetes object (values file, fragment): ignored
    into.objects.push(obj);
    const start = node?.range ? lc.linePos(node.range[0]) : undefined;
    into.sources.set(obj, start ? { file, line: start.line, column: start.col } : { file });
}

/** Name under which standard input (`-`) is reported. */
export const STDIN = "<stdin>";

/** Loads files and directories; `-` reads standard input (through `readStdin`, default fd 0). */
export function loadPaths(inputs: string[], readStdin: () => string = () => fs.readFileSync(0, "utf8")): Loaded {
    const into = emptyLoaded();
    if (inputs.includes("-")) {
        into.files.push(STDIN);
        let text = "";
        try {
            text = readStdin();
        } catch (e) {
            into.errors.push({ file: STDIN, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
        }
        loadText(text, STDIN, into);
    }
    for (const f of collectFiles(inputs.filter((i) => i !== "-"), into.errors)) {
        const shown = displayPath(f);
        into.files.push(shown);
        let text: string;
        try {
            text = fs.readFileSync(f, "utf8");
        } catch (e) {
            into.errors.push({ file: shown, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
            continue;
        }
        if (text.includes("\u0000")) {
            into.errors.push({ file: shown, line: 1, message: "binary file, not YAML or JSON" });
            continue;
        }
        loadText(text, shown, into);
    }
    return into;
}

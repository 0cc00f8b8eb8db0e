/**
 * Where loaded values were written. Positions cost a second read of the text, so documents read on
 * the fast path are indexed only when a report asks for one of their objects or fields: the
 * document's text is scanned (./block-positions; parsed again with `yaml` where the scanner
 * declines) and walked beside the values already loaded. Only the last few indexed documents keep
 * their positions.
 */
import type { LineCounter, Node } from "yaml";

/**
 * The `yaml` package, loaded on first use: the fast path never needs it. Kept once loaded: a
 * `require` from a directory that did not load the package first resolves it again on every call.
 */
let yamlModule: typeof import("yaml") | undefined;
const yaml = (): typeof import("yaml") => (yamlModule ??= require("yaml") as typeof import("yaml"));
import { FieldRef, K8sObject, Position, SourceLookup, SourceRef } from "../lib/types";
import { scanPositions } from "./block-positions";

/** Where the fields of one map (by key) or list (by index) start. */
export interface FieldPositions extends Iterable<[string | number, Position]> {
    get(key: string | number): Position | undefined;
}

/** Positions by map or list (the loaded value, by identity). */
export interface PositionTable {
    get(value: object): NodePositions | undefined;
    has(value: object): boolean;
    set(value: object, positions: NodePositions): unknown;
}

/** Where one map or list, and each of its fields, starts. */
export interface NodePositions {
    readonly self: Position;
    readonly fields: FieldPositions;
}

/** A document read without positions: where its text is, and the value it produced. */
export interface PendingDocument {
    file: string;
    text: string;
    start: number;
    end: number;
    /** 1-based line of `start`. */
    line: number;
    value: unknown;
}

/**
 * Records, for every map and list of `value` (by identity), where it and each of its fields start,
 * walking the syntax tree that produced it; `lineOffset` shifts lines of a document parsed alone.
 */
export function indexPositions(node: Node | null | undefined, value: unknown, file: string, lc: LineCounter, into: PositionTable, lineOffset = 0): void {
    if (!node || value === null || typeof value !== "object") return;
    const at = (n: Node | null | undefined): Position | undefined => {
        const r = n?.range;
        if (!r) return undefined;
        const { line, col } = lc.linePos(r[0]);
        return { file, line: line + lineOffset, column: col };
    };
    const self = at(node);
    if (!self || into.has(value)) return;
    const fields = new Map<string | number, Position>();
    into.set(value, { self, fields });
    if (yaml().isMap(node) && !Array.isArray(value)) {
        for (const pair of node.items) {
            const key = yaml().isScalar(pair.key) ? String(pair.key.value) : undefined;
            if (key === undefined) continue;
            const pos = at(pair.value as Node) ?? at(pair.key as Node);
            if (pos) fields.set(key, pos);
            indexPositions(pair.value as Node, (value as Record<string, unknown>)[key], file, lc, into, lineOffset);
        }
    } else if (yaml().isSeq(node) && Array.isArray(value)) {
        node.items.forEach((item, i) => {
            const pos = at(item as Node);
            if (pos) fields.set(i, pos);
            indexPositions(item as Node, value[i], file, lc, into, lineOffset);
        });
    }
}

/**
 * Where a document's root node starts, read off the text: the first character after the document
 * marker, blank lines and comments (as the full parse reports it). Undefined when that character
 * starts a tag, anchor or alias, which the full parse resolves.
 */
function rootStart(doc: PendingDocument): { line: number; column: number } | undefined {
    const { text, end } = doc;
    let line = doc.line;
    let i = doc.start;
    while (i < end) {
        let lineEnd = text.indexOf("\n", i);
        if (lineEnd === -1 || lineEnd > end) lineEnd = end;
        let j = i;
        if (text.startsWith("---", i) && i === doc.start) j += 3;
        while (j < lineEnd && (text[j] === " " || text[j] === "\t" || text[j] === "\r" || text[j] === "\uFEFF")) j++;
        if (j < lineEnd && text[j] !== "#") return "!&*".includes(text[j]) ? undefined : { line, column: j - i + 1 };
        i = lineEnd + 1;
        line++;
    }
    return undefined;
}

function holds(root: unknown, target: object): boolean {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
        const x = stack.pop();
        if (x === target) return true;
        if (x !== null && typeof x === "object") for (const v of Object.values(x)) if (v !== null && typeof v === "object") stack.push(v);
    }
    return false;
}

/** How many documents read without positions keep them once indexed. */
const RECENT_DOCUMENTS = 32;

export class SourceIndex implements SourceLookup {
    /** Positions of documents read with them (the exact path). */
    readonly positions = new WeakMap<object, NodePositions>();
    private readonly known = new Map<K8sObject, SourceRef>();
    private readonly pendingOf = new WeakMap<object, PendingDocument>();
    /** Documents read without positions, in input order. */
    readonly pending: PendingDocument[] = [];
    /** Positions of the documents indexed last, least recent first. */
    private readonly recent = new Map<PendingDocument, Map<object, NodePositions>>();
    /** Documents searched (in order) for fields outside their finding's object. */
    private searched = 0;
    private readonly holderOf = new WeakMap<object, PendingDocument>();

    /** An object whose position is known already (read with positions). */
    set(object: K8sObject, source: SourceRef): void {
        this.known.set(object, source);
    }

    /** An object of a document read without positions. */
    defer(object: K8sObject, doc: PendingDocument): void {
        if (this.pending[this.pending.length - 1] !== doc) this.pending.push(doc);
        this.pendingOf.set(object, doc);
    }

    get(object: K8sObject): SourceRef | undefined {
        const known = this.known.get(object);
        if (known) return known;
        const doc = this.pendingOf.get(object);
        if (!doc) return undefined;
        let self: { line: number; column?: number } | undefined = this.recent.get(doc)?.get(object)?.self;
        if (!self && object === doc.value) self = rootStart(doc);
        if (!self) self = this.index(doc).get(object)?.self;
        const source: SourceRef = self ? { file: doc.file, line: self.line, column: self.column } : { file: doc.file };
        this.known.set(object, source);
        return source;
    }

    /** The position of a field (or of the map/list holding it); `owner` is searched first. */
    locate(at: FieldRef, owner?: K8sObject): Position | undefined {
        let p = this.positions.get(at.node);
        if (!p) {
            const doc = this.documentHolding(at.node, owner);
            if (doc) p = this.index(doc).get(at.node);
        }
        return p ? ((at.key !== undefined ? p.fields.get(at.key) : undefined) ?? p.self) : undefined;
    }

    private documentHolding(node: object, owner?: K8sObject): PendingDocument | undefined {
        const ownDoc = owner ? this.pendingOf.get(owner) : undefined;
        if (ownDoc && (this.recent.get(ownDoc)?.has(node) || holds(owner, node))) return ownDoc;
        const found = this.holderOf.get(node);
        if (found) return found;
        // A field in another object (the ConfigMap a container reads): each document is walked at
        // most once over all lookups, remembering what it holds.
        while (this.searched < this.pending.length) {
            const doc = this.pending[this.searched++];
            let hit = false;
            const stack: unknown[] = [doc.value];
            while (stack.length > 0) {
                const x = stack.pop();
                if (x === null || typeof x !== "object") continue;
                this.holderOf.set(x, doc);
                if (x === node) hit = true;
                for (const v of Object.values(x)) if (v !== null && typeof v === "object") stack.push(v);
            }
            if (hit) return doc;
        }
        return undefined;
    }

    /**
     * The positions of a document read without them. Only the last few documents asked about keep
     * theirs (the engine asks object by object in input order), so memory does not grow with the input.
     */
    private index(doc: PendingDocument): Map<object, NodePositions> {
        let positions = this.recent.get(doc);
        if (positions) {
            this.recent.delete(doc);
            this.recent.set(doc, positions);
            return positions;
        }
        positions = new Map();
        if (!scanPositions(doc, positions)) {
            const lc = new (yaml().LineCounter)();
            const parsed = yaml().parseDocument(doc.text.slice(doc.start, doc.end), { lineCounter: lc, prettyErrors: false });
            indexPositions(parsed.contents as Node | null, doc.value, doc.file, lc, positions, doc.line - 1);
        }
        this.recent.set(doc, positions);
        if (this.recent.size > RECENT_DOCUMENTS) this.recent.delete(this.recent.keys().next().value!);
        return positions;
    }
}

/**
 * Positions of a document's maps, lists and fields read straight off its text, for the block YAML
 * that renders and generators write: block maps with plain or simple quoted keys, block lists,
 * scalars of every style, empty `{}` and `[]`. It only finds where each node starts (the value was
 * already loaded) and records what the `yaml` package's syntax tree would give: a map or list at
 * its first key or `-`, a field at its value, an empty value just after its indicator and spaces.
 *
 * Anything else (tabs or `\r` where structure is, tags, explicit keys, non-empty flow collections,
 * escaped or multi-line keys, keys that do not spell the loaded key) is declined, and so is any
 * disagreement with the loaded value's shape (a count of fields or items, a map where a list was
 * loaded): the caller then parses the document with `yaml`. Nothing is recorded unless the whole
 * document was read.
 */
import type { Position } from "../lib/types";
import type { FieldPositions, NodePositions, PendingDocument, PositionTable } from "./positions";

interface Scanned {
    kind: "map" | "seq" | "scalar";
    at: number;
    keys?: string[];
    children?: Scanned[];
}

const BAIL = new Error("declined");

const NL = 10;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const DQ = 34;
const SQ = 39;

/** A character that may not start a plain key (YAML indicators the scanner does not read). */
const KEY_INDICATORS = new Set("?:,[]{}#&*!|>%@`".split("").map((c) => c.charCodeAt(0)));

class Scanner {
    /** Start of the line after the node just read (a content line, or `end`). */
    next = 0;

    constructor(
        private readonly text: string,
        private readonly end: number,
    ) {}

    private code(i: number): number {
        return i < this.end ? this.text.charCodeAt(i) : NL;
    }

    private lineEnd(i: number): number {
        const e = this.text.indexOf("\n", i);
        return e === -1 || e > this.end ? this.end : e;
    }

    private lineAfter(i: number): number {
        return Math.min(this.lineEnd(i) + 1, this.end);
    }

    private indent(lineStart: number): number {
        let i = lineStart;
        while (this.code(i) === SPACE) i++;
        return i - lineStart;
    }

    /** True when `i` is followed by a separator (space, tab, end of line). */
    private sep(i: number): boolean {
        const c = this.code(i);
        return c === SPACE || c === TAB || c === NL;
    }

    private skipSpaces(i: number): number {
        while (i < this.end && (this.text.charCodeAt(i) === SPACE || this.text.charCodeAt(i) === TAB)) i++;
        return i;
    }

    /** The first line at or after `ls` holding more than spaces and a comment, or `end`. */
    contentLine(ls: number): number {
        while (ls < this.end) {
            const i = ls + this.indent(ls);
            const c = this.code(i);
            if (c === TAB) throw BAIL;
            if (c !== NL && c !== HASH) return ls;
            ls = this.lineAfter(i);
        }
        return this.end;
    }

    /** Skips the rest of a scalar: lines more indented than `parent`, blank lines, then comments. */
    private skipScalar(from: number, parent: number): void {
        let ls = this.lineAfter(from);
        while (ls < this.end) {
            const ind = this.indent(ls);
            const c = this.code(ls + ind);
            if (ind <= parent && c !== NL) break;
            ls = this.lineAfter(ls + ind);
        }
        this.next = this.contentLine(ls);
    }

    /** The rest of a line after a token must be spaces and an optional comment. */
    private restIsEmpty(i: number): void {
        const j = this.skipSpaces(i);
        const c = this.code(j);
        if (c !== NL && !(c === HASH && j > i)) throw BAIL;
    }

    /** End (exclusive) of the quoted scalar opening at `p`. */
    private quotedEnd(p: number): number {
        const q = this.text.charCodeAt(p);
        for (let i = p + 1; i < this.end; i++) {
            const c = this.text.charCodeAt(i);
            if (q === DQ && c === 92) i++;
            else if (c === q) {
                if (q === SQ && this.code(i + 1) === SQ) i++;
                else return i + 1;
            }
        }
        throw BAIL;
    }

    /** A quoted scalar's continuation lines must sit deeper than `parent`. */
    private checkQuotedLines(p: number, e: number, parent: number): void {
        for (let nl = this.text.indexOf("\n", p); nl !== -1 && nl < e; nl = this.text.indexOf("\n", nl + 1)) {
            const ind = this.indent(nl + 1);
            if (ind <= parent && this.code(nl + 1 + ind) !== NL) throw BAIL;
        }
    }

    /** The colon ending a plain implicit key that starts at `p`, or -1 when the line is no key. */
    private plainKeyColon(p: number): number {
        const e = this.lineEnd(p);
        for (let i = p; i < e; i++) {
            const c = this.text.charCodeAt(i);
            if (c === COLON && this.sep(i + 1)) return i;
            if ((c === SPACE || c === TAB) && this.code(i + 1) === HASH) return -1;
        }
        return -1;
    }

    /** The key at `p` and where its value starts (just after the colon); throws when `p` holds no key. */
    private key(p: number): [string, number] {
        const c = this.text.charCodeAt(p);
        if (c === DQ || c === SQ) {
            const e = this.quotedEnd(p);
            const raw = this.text.slice(p + 1, e - 1);
            if (raw.includes("\n") || (c === DQ && raw.includes("\\"))) throw BAIL;
            const k = this.skipSpaces(e);
            if (this.code(k) !== COLON || !this.sep(k + 1)) throw BAIL;
            return [c === SQ ? raw.replace(/''/g, "'") : raw, k + 1];
        }
        if (KEY_INDICATORS.has(c) || (c === DASH && this.sep(p + 1))) throw BAIL;
        const colon = this.plainKeyColon(p);
        if (colon === -1) throw BAIL;
        return [this.text.slice(p, colon).trimEnd(), colon + 1];
    }

    private isKey(p: number): boolean {
        const c = this.text.charCodeAt(p);
        if (c === DQ || c === SQ) {
            const e = this.quotedEnd(p);
            const k = this.skipSpaces(e);
            return this.code(k) === COLON && this.sep(k + 1);
        }
        return this.plainKeyColon(p) !== -1;
    }

    private isSeqStart(i: number): boolean {
        return this.code(i) === DASH && this.sep(i + 1);
    }

    /** A node starting at `p` (not a space) on the line starting at `ls`, inside a block at `parent`. */
    node(p: number, ls: number, parent: number): Scanned {
        const c = this.text.charCodeAt(p);
        if (c === DASH && this.sep(p + 1)) return this.seq(p, p - ls);
        if (c === 123 || c === 91) return this.emptyFlow(p);
        if (c === 124 || c === 62) {
            this.skipScalar(p, parent);
            return { kind: "scalar", at: p };
        }
        if (c === DQ || c === SQ) {
            if (this.isKey(p)) return this.map(p, p - ls);
            return this.quoted(p, parent);
        }
        if (KEY_INDICATORS.has(c)) throw BAIL;
        if (this.isKey(p)) return this.map(p, p - ls);
        this.skipScalar(p, parent);
        return { kind: "scalar", at: p };
    }

    private quoted(p: number, parent: number): Scanned {
        const e = this.quotedEnd(p);
        this.checkQuotedLines(p, e, parent);
        this.restIsEmpty(e);
        this.skipScalar(e, parent);
        return { kind: "scalar", at: p };
    }

    private emptyFlow(p: number): Scanned {
        const open = this.text.charCodeAt(p);
        if (this.code(p + 1) !== (open === 123 ? 125 : 93)) throw BAIL;
        this.restIsEmpty(p + 2);
        this.next = this.contentLine(this.lineAfter(p));
        return open === 123 ? { kind: "map", at: p, keys: [], children: [] } : { kind: "seq", at: p, children: [] };
    }

    /** A value after a key's colon (`q`), the map's keys at column `col`. */
    private value(q: number, col: number): Scanned {
        const v = this.skipSpaces(q);
        const c = this.code(v);
        if (c === NL || c === HASH) {
            const n = this.contentLine(this.lineAfter(v));
            if (n < this.end) {
                const ind = this.indent(n);
                if (ind > col) return this.node(n + ind, n, col);
                if (ind === col && this.isSeqStart(n + ind)) return this.seq(n + ind, col);
            }
            this.next = n;
            return { kind: "scalar", at: v };
        }
        if (c === DASH && this.sep(v + 1)) throw BAIL;
        if (c === 123 || c === 91) return this.emptyFlow(v);
        if (c === DQ || c === SQ) return this.quoted(v, col);
        if (c === 124 || c === 62) {
            this.skipScalar(v, col);
            return { kind: "scalar", at: v };
        }
        if (KEY_INDICATORS.has(c)) throw BAIL;
        this.skipScalar(v, col);
        return { kind: "scalar", at: v };
    }

    private map(p: number, col: number): Scanned {
        const keys: string[] = [];
        const children: Scanned[] = [];
        let cur = p;
        for (;;) {
            const [k, after] = this.key(cur);
            keys.push(k);
            children.push(this.value(after, col));
            const n = this.next;
            if (n >= this.end) break;
            const ind = this.indent(n);
            if (ind < col) break;
            if (ind > col || this.isSeqStart(n + ind)) throw BAIL;
            cur = n + ind;
        }
        return { kind: "map", at: p, keys, children };
    }

    private seq(p: number, col: number): Scanned {
        const children: Scanned[] = [];
        let cur = p;
        for (;;) {
            const v = this.skipSpaces(cur + 1);
            const c = this.code(v);
            if (c === NL || c === HASH) {
                const n = this.contentLine(this.lineAfter(v));
                const ind = n < this.end ? this.indent(n) : -1;
                if (ind > col) children.push(this.node(n + ind, n, col));
                else {
                    this.next = n;
                    children.push({ kind: "scalar", at: v });
                }
            } else {
                if (this.text.charCodeAt(cur + 1) === TAB) throw BAIL;
                children.push(this.node(v, cur - col, col));
            }
            const n = this.next;
            if (n >= this.end) break;
            const ind = this.indent(n);
            if (ind < col || (ind === col && !this.isSeqStart(n + ind))) break;
            if (ind > col) throw BAIL;
            cur = n + ind;
        }
        return { kind: "seq", at: p, children };
    }
}

/** Positions of one scanned map or list, turned into lines and columns only when asked for. */
class ScannedPositions implements NodePositions {
    readonly fields: FieldPositions;

    constructor(
        private readonly node: Scanned,
        private readonly where: (offset: number) => Position,
    ) {
        this.fields = new ScannedFields(node, where);
    }

    get self(): Position {
        return this.where(this.node.at);
    }
}

class ScannedFields implements FieldPositions {
    constructor(
        private readonly node: Scanned,
        private readonly where: (offset: number) => Position,
    ) {}

    private index(key: string | number): number {
        if (this.node.kind === "map") return typeof key === "string" ? this.node.keys!.indexOf(key) : -1;
        return typeof key === "number" && Number.isInteger(key) && key >= 0 && key < this.node.children!.length ? key : -1;
    }

    get(key: string | number): Position | undefined {
        const i = this.index(key);
        return i === -1 ? undefined : this.where(this.node.children![i].at);
    }

    *[Symbol.iterator](): IterableIterator<[string | number, Position]> {
        const children = this.node.children!;
        for (let i = 0; i < children.length; i++) yield [this.node.kind === "map" ? this.node.keys![i] : i, this.where(children[i].at)];
    }
}

/** Line starts of `text[start, end)`, for offset → line and column. */
function lineStarts(text: string, start: number, end: number): number[] {
    const out = [start];
    for (let i = text.indexOf("\n", start); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) out.push(i + 1);
    return out;
}

/**
 * Records positions for `doc` into `into` as `indexPositions` would from a `yaml` parse of the
 * document's text; false, with nothing recorded, when the text is not one the scanner reads.
 */
export function scanPositions(doc: PendingDocument, into: PositionTable): boolean {
    const { text, start, end, file } = doc;
    const slice = text.slice(start, end);
    if (slice.includes("\r") || slice.includes("\uFEFF")) return false;
    const s = new Scanner(text, end);
    let root: Scanned | undefined;
    try {
        let ls = start;
        if (text.startsWith("---", start)) {
            const c = start + 3 < end ? text.charCodeAt(start + 3) : NL;
            if (c !== NL && c !== SPACE && c !== TAB) return false;
            let k = start + 3;
            while (k < end && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k++;
            if (k < end && text.charCodeAt(k) !== NL && text.charCodeAt(k) !== HASH) return false;
            const nl = text.indexOf("\n", start);
            ls = nl === -1 || nl >= end ? end : nl + 1;
        }
        const n = s.contentLine(ls);
        if (n < end) {
            let ind = 0;
            while (text.charCodeAt(n + ind) === SPACE) ind++;
            root = s.node(n + ind, n, -1);
            if (s.next < end) return false;
        }
    } catch (e) {
        if (e === BAIL) return false;
        throw e;
    }
    if (!root) return true;
    const lines = lineStarts(text, start, end);
    const where = (offset: number): Position => {
        let lo = 0;
        let hi = lines.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (lines[mid] <= offset) lo = mid;
            else hi = mid - 1;
        }
        return { file, line: doc.line + lo, column: offset - lines[lo] + 1 };
    };
    const found: Array<[object, NodePositions]> = [];
    const walk = (node: Scanned, value: unknown): boolean => {
        if (value === null || typeof value !== "object") return node.kind === "scalar";
        if (node.kind === "scalar") return false;
        found.push([value, new ScannedPositions(node, where)]);
        const children = node.children!;
        if (node.kind === "map") {
            if (Array.isArray(value)) return false;
            const keys = node.keys!;
            if (keys.length !== Object.keys(value).length) return false;
            for (let i = 0; i < keys.length; i++) {
                if (!Object.prototype.hasOwnProperty.call(value, keys[i])) return false;
                if (!walk(children[i], (value as Record<string, unknown>)[keys[i]])) return false;
            }
            return true;
        }
        if (!Array.isArray(value) || value.length !== children.length) return false;
        for (let i = 0; i < children.length; i++) if (!walk(children[i], value[i])) return false;
        return true;
    };
    if (!walk(root, doc.value)) return false;
    for (const [v, p] of found) if (!into.has(v)) into.set(v, p);
    return true;
}

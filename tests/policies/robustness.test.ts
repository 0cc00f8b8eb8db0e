/** Wrongly-typed fields and garbage never crash the rules or the loader. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lint } from "../../policies/engine";
import { emptyLoaded, loadPaths, loadText } from "../../policies/cli/load";
import { K8sObject } from "../../policies/lib/types";
import { goodEmqx, goodRabbit } from "./support";

const WEIRD: unknown[] = [null, "three", 3, -1, true, [], {}, [null], [1, "x"], { a: null }, "{{ .Values.x }}"];

/** Every object with each field (up to a depth) replaced by each weird value, one at a time. */
function* mutations(objects: K8sObject[], maxDepth = 5): Generator<K8sObject[]> {
    const paths: string[][] = [];
    const walk = (x: unknown, p: string[]) => {
        if (p.length > maxDepth || x === null || typeof x !== "object") return;
        for (const k of Object.keys(x as object)) {
            paths.push([...p, k]);
            walk((x as Record<string, unknown>)[k], [...p, k]);
        }
    };
    objects.forEach((o, i) => walk(o, [String(i)]));
    for (const p of paths) {
        for (const w of [WEIRD[0], WEIRD[1], WEIRD[5], WEIRD[6]]) {
            const copy = JSON.parse(JSON.stringify(objects));
            let cur = copy;
            for (const k of p.slice(0, -1)) cur = cur[k];
            cur[p[p.length - 1]] = w;
            yield copy;
        }
    }
}

describe("policies: robustness", function () {
    this.timeout(60000);
    it("no rule throws on wrongly-typed fields anywhere in a broker cluster", () => {
        let n = 0;
        for (const base of [goodRabbit(), goodEmqx()]) {
            for (const objs of mutations(base)) {
                const r = lint(objs);
                expect(r.errors, JSON.stringify(objs).slice(0, 300)).to.deep.equal([]);
                n++;
            }
        }
        expect(n).to.be.greaterThan(500);
    });
    it("no rule throws on wrongly-typed fields anywhere in the operators' custom resources", () => {
        const crs = loadPaths([path.join(__dirname, "..", "fixtures", "corpus", "clean", "operator-custom-resources.yaml")]).objects;
        expect(crs.map((o) => o.kind)).to.include.members(["RabbitmqCluster", "EMQX"]);
        let n = 0;
        for (const objs of mutations(crs, 8)) {
            const r = lint(objs);
            expect(r.errors, JSON.stringify(objs).slice(0, 300)).to.deep.equal([]);
            n++;
        }
        expect(n).to.be.greaterThan(300);
    });
    it("replicas: \"three\" and containers: {} are handled", () => {
        const o = goodRabbit();
        const sts = o.find((x) => x.kind === "StatefulSet")!;
        sts.spec.replicas = "three";
        sts.spec.template.spec.containers = {};
        expect(lint(o).errors).to.deep.equal([]);
        expect(lint([null as any, 3 as any, "x" as any, [] as any, { kind: 5 }]).errors).to.deep.equal([]);
    });
    it("the loader reports garbage as errors with lines, never throws", () => {
        const inputs = [
            "\u0001\u0002garbage: [",
            "just a string",
            "a: b: c",
            "- 1\n- 2",
            "apiVersion: v1\nkind: List\nitems: {}",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n",
            "key: &a [*a]",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}",
            "---\n---\n",
            "x: {{ .Values.x }}",
            "data:\n  tpl: \"{{ .Values.x }}\"\n  block: |\n    {{ range . }}\n",
        ];
        const results = inputs.map((t) => {
            const l = emptyLoaded();
            expect(() => loadText(t, "f.yaml", l)).not.to.throw();
            return l;
        });
        expect(results[0].errors[0].message).to.be.a("string");
        expect(results[1].errors[0].message).to.match(/expected a Kubernetes object/);
        expect(results[2].errors[0].line).to.equal(1);
        expect(results[5].objects).to.have.length(1);
        expect(results[5].sources.get(results[5].objects[0])?.line).to.equal(4);
        expect(results[7].objects).to.have.length(1);
        expect(results[8].errors).to.deep.equal([]);
        expect(results[9].errors[0].message).to.match(/Helm template/);
        expect(results[10].errors).to.deep.equal([]);
    });
});

const BIN = path.resolve(__dirname, "..", "..", "node_modules", ".bin", "broker-lint");
/** Peak memory a hostile file may cost the CLI: well above a normal run, far below an expansion. */
const PEAK_BOUND_KB = 256 * 1024;

/** Runs the CLI as a child process; the child reports its own peak RSS (kB) on its last stderr line. */
function cliWithPeak(args: string[]): { code: number | null; stdout: string; stderr: string; peakKb: number } {
    const wrapper = `process.on("exit", () => process.stderr.write("\\npeak-rss-kb " + process.resourceUsage().maxRSS + "\\n")); process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...process.argv.slice(1)]; require(${JSON.stringify(BIN)});`;
    const r = spawnSync(process.execPath, ["-e", wrapper, "--", ...args], { encoding: "utf8", timeout: 30000 });
    const m = /peak-rss-kb (\d+)\s*$/.exec(r.stderr ?? "");
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, peakKb: m ? Number(m[1]) : Infinity };
}

describe("policies: robustness of the CLI on hostile files", function () {
    this.timeout(60000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-hostile-"));
        // Billion laughs: nine levels of nine aliases each, 9^9 strings if expanded.
        const levels = ["  l0: &l0 [" + Array(9).fill('"lol"').join(", ") + "]"];
        for (let i = 1; i < 9; i++) levels.push(`  l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(", ")}]`);
        fs.writeFileSync(path.join(dir, "alias-bomb.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.join("\n")}\n`);
        const depth = 5000;
        fs.writeFileSync(path.join(dir, "deep-flow.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
        const block = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: deep", "data:"];
        for (let i = 1; i <= depth; i++) block.push(`${"  ".repeat(i)}k:${i === depth ? " v" : ""}`);
        fs.writeFileSync(path.join(dir, "deep-block.yaml"), block.join("\n") + "\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const [file, message] of [
        ["alias-bomb.yaml", /alias-bomb\.yaml:\d+: .*alias/i],
        ["deep-flow.yaml", /deep-flow\.yaml:\d+: invalid YAML/],
        ["deep-block.yaml", /deep-block\.yaml:\d+: invalid YAML/],
    ] as const) {
        it(`${file}: exit 2 with a message naming the file, within ${PEAK_BOUND_KB / 1024} MB`, () => {
            const r = cliWithPeak(["--format", "json", path.join(dir, file)]);
            expect(r.code, r.stderr).to.equal(2);
            expect(JSON.parse(r.stdout).errors).to.have.length(1);
            expect(r.stderr).to.match(message);
            expect(r.peakKb, "peak RSS in kB").to.be.below(PEAK_BOUND_KB);
        });
    }
});

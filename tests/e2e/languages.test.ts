/**
 * The component provider for real: the Pulumi YAML and Python examples `pulumi package add` the
 * provider directory and deploy the dev stack's settings to a local control plane, one after
 * the other with the TypeScript program, in the same cluster and namespace. Each deployment's
 * live objects are read back and compared with the TypeScript program's (names, labels,
 * selectors, the StatefulSet's serviceName, specs); its `pulumi stack export` is searched for
 * every secret it holds; the policy pack runs against it; the day-2 guards and the config
 * validation stop the YAML program as they stop the TypeScript one. A broken raw-Kubernetes YAML
 * program fails the policy pack with the named rules.
 */
import { expect } from "chai";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError, OWNER_ANNOTATION, parseSettings } from "../../components";
import { packageSchema } from "../../components/provider/schema";
import { expectAllReady, expectedStack, expectStaticBinding } from "./support/checks";
import { changes, claimUids, cli, EngineStack, engineEnv, engineStack, POLICY_PACK, policyViolations, projectCopy, requireEngine } from "./support/engine";
import { eventually, LocalCluster, mustRun, REPO_ROOT, tempDir } from "./support/local";
import { deployedSecrets, leaks } from "./support/secrets";

const PROVIDER_DIR = path.join(REPO_ROOT, "provider");
const LANGUAGES = ["typescript", "yaml", "python"] as const;
type Language = (typeof LANGUAGES)[number];

/** The dev stack's settings (keys without the project prefix): every language deploys exactly these. */
function devSettings(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
    return Object.fromEntries(Object.entries(doc.config as Record<string, unknown>).map(([k, v]) => [k.replace(/^broker-platform:/, ""), v]));
}

/** The example's own setup, as its README gives it: a virtual environment for Python, then `pulumi package add`. */
function prepare(language: Language) {
    return (dir: string, env: Record<string, string>) => {
        if (language === "python") {
            mustRun("python3", ["-m", "venv", "venv"], { cwd: dir, env });
            // requirements.txt also lists the SDK `pulumi package add` generates (sdks/…): the SDK comes next.
            const sdk = fs.readFileSync(path.join(dir, "requirements.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("sdks/"));
            mustRun(path.join(dir, "venv", "bin", "pip"), ["install", "-q", ...sdk], { cwd: dir, env, timeoutMs: 15 * 60 * 1000 });
        }
        // The copy lives elsewhere: drop the committed relative `packages:` entry, which `package add` writes again.
        const project = path.join(dir, "Pulumi.yaml");
        fs.writeFileSync(project, fs.readFileSync(project, "utf8").replace(/^packages:\n(?:[ \t]+.*\n?)*/m, ""));
        mustRun("pulumi", ["package", "add", PROVIDER_DIR], { cwd: dir, env, timeoutMs: 15 * 60 * 1000 });
        expect(parse(fs.readFileSync(project, "utf8")).packages).to.deep.equal({ "broker-platform": PROVIDER_DIR });
    };
}

async function languageStack(k: LocalCluster, language: Language): Promise<EngineStack> {
    if (language === "typescript") return engineStack(k, "dev", { config: devSettings() });
    return engineStack(k, "dev", { projectDir: path.join(REPO_ROOT, "examples", language), linkNodeModules: false, config: devSettings(), prepare: prepare(language) });
}

const NAMESPACED = ["statefulsets", "services", "configmaps", "secrets", "serviceaccounts", "roles", "rolebindings", "poddisruptionbudgets", "networkpolicies", "persistentvolumeclaims"];

/**
 * The objects a deployment made, as the API server has them, without what differs between any
 * two deployments of the same settings: server-set metadata, status, allocated addresses, the
 * owner annotation (it names the stack), and Secret values (generated: only their keys count).
 */
function liveObjects(k: LocalCluster, ns: string): Array<Record<string, any>> {
    const items: any[] = [
        ...k.getJson(["get", NAMESPACED.join(","), "-n", ns]).items,
        ...k.getJson(["get", "persistentvolumes,storageclasses", "-l", "app.kubernetes.io/managed-by=broker-platform"]).items,
        k.getJson(["get", "namespace", ns]),
    ];
    const out = items
        .filter((o) => o.metadata.name !== "kube-root-ca.crt" && o.metadata.name !== "default")
        .map((o) => {
            const m = { ...o.metadata };
            for (const key of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"]) delete m[key];
            if (m.ownerReferences) m.ownerReferences = m.ownerReferences.map((r: any) => ({ kind: r.kind, name: r.name }));
            if (m.annotations) {
                m.annotations = { ...m.annotations };
                if (m.annotations[OWNER_ANNOTATION]) m.annotations[OWNER_ANNOTATION] = "<stack>";
                delete m.annotations["kubectl.kubernetes.io/last-applied-configuration"];
            }
            const obj: Record<string, any> = { ...o, metadata: m };
            delete obj.status;
            if (obj.kind === "Service") obj.spec = { ...obj.spec, clusterIP: undefined, clusterIPs: undefined };
            if (obj.kind === "PersistentVolume" && obj.spec.claimRef) obj.spec = { ...obj.spec, claimRef: { kind: obj.spec.claimRef.kind, namespace: obj.spec.claimRef.namespace, name: obj.spec.claimRef.name } };
            if (obj.kind === "Namespace") obj.spec = undefined;
            if (obj.kind === "Secret") obj.data = Object.keys(obj.data ?? {}).sort();
            return JSON.parse(JSON.stringify(obj));
        });
    return out.sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** Removes what a destroy keeps (namespace, volumes, deployment records) so the next language starts from an empty cluster. */
async function removeRetained(k: LocalCluster, ns: string): Promise<void> {
    k.tryKubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    await eventually(`namespace ${ns} gone`, 300_000, () => (k.tryKubectl(["get", "namespace", ns]).status !== 0 ? true : undefined));
    k.tryKubectl(["delete", "persistentvolumes", "-l", "app.kubernetes.io/managed-by=broker-platform", "--ignore-not-found", "--wait=true", "--timeout=180s"]);
    await eventually("retained volumes gone", 180_000, () => (k.getJson(["get", "persistentvolumes", "-l", "app.kubernetes.io/managed-by=broker-platform"]).items.length === 0 ? true : undefined));
}

/**
 * The CLI caches a package's schema per name and version ($PULUMI_HOME/schemas), and Pulumi YAML
 * type-checks against that copy: a provider changed under the same version would be checked
 * against its old schema.
 */
function dropCachedSchema(): void {
    const dir = path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "schemas");
    if (!fs.existsSync(dir)) return;
    for (const f of fs.readdirSync(dir)) if (/^broker-platform-.*\.json$/.test(f)) fs.rmSync(path.join(dir, f));
}

function camelKeys(v: any): any {
    if (Array.isArray(v)) return v.map(camelKeys);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), camelKeys(x)]));
    return v;
}

interface Deployed {
    objects: Array<Record<string, any>>;
    outputs: Record<string, any>;
}

describe("e2e: YAML and Python programs through the component provider (the real engine)", function () {
    this.timeout(90 * 60 * 1000);
    const s = expectedStack("dev");
    const deployed: Partial<Record<Language, Deployed>> = {};
    let k: LocalCluster;

    before(function () {
        requireEngine();
        dropCachedSchema();
        k = LocalCluster.start("languages", 3);
    });

    after(function () {
        k?.stop();
    });

    // Mocha runs a suite's own tests before its nested suites: every step is a suite, in order.
    describe("the package", function () {
        it("pulumi package get-schema gives the package schema derived from the stack-config schema", function () {
        const env = engineEnv(k, tempDir("e2e-state-"));
        const schema = JSON.parse(mustRun("pulumi", ["package", "get-schema", PROVIDER_DIR], { env, timeoutMs: 5 * 60 * 1000 }));
        const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version;
        const expected = packageSchema(version) as Record<string, any>;
        expect(schema.resources).to.deep.equal(expected.resources);
        expect(schema.types).to.deep.equal(expected.types);
        });
    });

    for (const language of LANGUAGES) {
        describe(`${language} program, dev settings`, function () {
            let e: EngineStack;

            before(async function () {
                e = await languageStack(k, language);
            });

            after(async function () {
                await e?.stack.destroy().catch(() => undefined);
                await removeRetained(k, s.namespace);
            });

            it("pulumi up deploys the platform; every StatefulSet becomes ready on its own volumes", async function () {
                const r = await e.stack.up();
                expect(r.summary.result, r.stderr).to.equal("succeeded");
                expect(r.summary.resourceChanges?.create ?? 0, changes(r.summary.resourceChanges)).to.be.greaterThan(10);
                await expectAllReady(k, s);
                expectStaticBinding(k, s);
                // Python's typed outputs export with Python's names (client_host); compare by the schema's.
                const outputs = camelKeys(Object.fromEntries(Object.entries(r.outputs).map(([key, o]) => [key, o.value])));
                deployed[language] = { objects: liveObjects(k, s.namespace), outputs };
                expect(outputs.namespace).to.equal(s.namespace);
                expect(Object.keys(outputs.clusters)).to.deep.equal(s.clusters.map((c) => c.name));
            });

            it("a second run changes nothing (preview --expect-no-changes)", async function () {
                const r = await e.stack.preview({ expectNoChanges: true });
                expect(changes(r.changeSummary)).to.equal("");
            });

            it("pulumi stack export holds no cookie, password, username, hash or connection URL outside ciphertext", async function () {
                const secrets = await deployedSecrets(k, s.namespace, e.stack);
                // The provider's programs export the URLs as one secret map (see SECRET_OUTPUTS).
                const urls = (await e.stack.outputs()).connectionUrls?.value ?? {};
                for (const [name, url] of Object.entries(urls as Record<string, string>)) secrets.set(url, `output connectionUrls.${name} connectionUrl`);
                const kinds = [...secrets.values()].join("\n");
                expect(kinds).to.match(/erlang-cookie cookie/).and.match(/admin password/).and.match(/definitions-[0-9a-f]+ password_hash/).and.match(/connectionUrl/);
                const exported = mustRun("pulumi", ["stack", "export", "--stack", "dev"], { cwd: e.workDir, env: e.env });
                expect(JSON.parse(exported).deployment.resources.length).to.be.greaterThan(10);
                expect(leaks(exported, secrets)).to.deep.equal([]);
                // Control: the same search finds them in a decrypted export.
                const decrypted = leaks(JSON.stringify(await e.stack.exportStack()), secrets).join("\n");
                expect(decrypted).to.match(/erlang-cookie cookie \(plain\)/).and.match(/connectionUrl \(plain\)/);
            });

            if (language !== "typescript") {
                it("the connection URLs are a secret output of the component; the rest is plain", async function () {
                    const out = await e.stack.outputs();
                    expect(out.connectionUrls.secret, "connectionUrls is secret").to.equal(true);
                    expect(out.clusters.secret, "clusters holds no secret").to.equal(false);
                    const masked = JSON.parse(mustRun("pulumi", ["stack", "output", "--json", "--stack", "dev"], { cwd: e.workDir, env: e.env }));
                    expect(masked.connectionUrls).to.equal("[secret]");
                    expect(Object.keys(masked.clusters)).to.deep.equal(s.clusters.map((c) => c.name));
                });

                it("preview with the policy pack reports no mandatory violation", async function () {
                    const events: EngineEvent[] = [];
                    await e.stack.preview({ policyPacks: [POLICY_PACK], onEvent: (ev) => events.push(ev) });
                    const violations = policyViolations(events);
                    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
                    // The pack saw the component's children: they are what it checks.
                    expect(events.some((ev) => ev.resourcePreEvent?.metadata.type === "kubernetes:apps/v1:StatefulSet")).to.equal(true);
                });
            }

            if (language === "yaml") {
                it("the day-2 guards work through the provider: an unsafe scale-down is refused and nothing changes", async function () {
                    const settings = devSettings() as any;
                    const scaled = { ...settings, clusters: [{ ...settings.clusters[0], replicas: 1 }] };
                    e.setConfig(scaled);
                    try {
                        const r = cli(["preview", "--stack", "dev", "--non-interactive"], e.workDir, e.env);
                        expect(r.status, r.stdout).to.not.equal(0);
                        expect(r.stdout + r.stderr).to.include("broker-platform:clusters[0].replicas = 1");
                    } finally {
                        e.setConfig(settings);
                    }
                    expect(k.getJson(["get", "statefulset", "rabbit", "-n", s.namespace]).spec.replicas).to.equal(3);
                });
            }

            it("destroy succeeds and keeps the claims (the next language starts from an empty cluster)", async function () {
                const kept = claimUids(k, s.namespace);
                const d = await e.stack.destroy();
                expect(d.summary.result).to.equal("succeeded");
                expect(claimUids(k, s.namespace)).to.deep.equal(kept);
            });
        });
    }

    describe("compared with the TypeScript program", function () {
        for (const language of ["yaml", "python"] as const) {
            it(`the ${language} program made the same Kubernetes objects as the TypeScript program, and the same outputs`, function () {
                const ts = deployed.typescript;
                const other = deployed[language];
                expect(ts, "the TypeScript deployment").to.not.equal(undefined);
                expect(other, `the ${language} deployment`).to.not.equal(undefined);
                const key = (o: any) => `${o.kind}/${o.metadata.name}`;
                expect(other!.objects.map(key)).to.deep.equal(ts!.objects.map(key));
                const sts = other!.objects.find((o) => o.kind === "StatefulSet")!;
                expect(sts.spec.serviceName).to.equal("rabbit-headless");
                expect(other!.objects).to.deep.equal(ts!.objects);
                expect(other!.outputs.namespace).to.equal(ts!.outputs.namespace);
                for (const [name, c] of Object.entries(ts!.outputs.clusters as Record<string, any>)) {
                    const o = other!.outputs.clusters[name];
                    for (const field of ["engine", "version", "replicas", "clientHost", "nodeNames", "managementUrl", "storageClass", "claimTemplateSize", "volumeSize", "cookieSecret", "adminSecret"]) {
                        expect(o[field], `${name}.${field}`).to.deep.equal(c[field]);
                    }
                    expect(o.headlessService).to.equal(sts.spec.serviceName);
                    expect(other!.outputs.connectionUrls[name]).to.match(/^amqp:\/\/[^:]+:[^@]+@rabbit\.messaging-dev\.svc\.cluster\.local:5672/);
                }
            });
        }
    });

    describe("refusals", function () {
        it("bad settings stop the YAML program with the TypeScript program's key-named problems, before anything registers", async function () {
            const settings = devSettings() as any;
            const bad = { ...settings, storage: { ...settings.storage, mode: "hostpath" }, clusters: [{ ...settings.clusters[0], replicas: 2, colour: "red" }] };
            let problems: string[] = [];
            try {
                parseSettings(bad, "broker-platform");
            } catch (err) {
                problems = (err as ConfigError).problems;
            }
            expect(problems.length).to.be.greaterThan(1);
            const ts = await engineStack(k, "bad", { config: bad });
            const yaml = await engineStack(k, "bad", { projectDir: path.join(REPO_ROOT, "examples", "yaml"), linkNodeModules: false, config: bad, prepare: prepare("yaml") });
            for (const [what, e] of [["typescript", ts], ["yaml", yaml]] as const) {
                const r = cli(["preview", "--stack", "bad", "--non-interactive"], e.workDir, e.env);
                expect(r.status, `${what}: ${r.stdout}`).to.not.equal(0);
                for (const p of problems) expect(r.stdout + r.stderr, what).to.include(p);
            }
            expect(k.tryKubectl(["get", "namespace", s.namespace]).status, "nothing was created").to.not.equal(0);
        });

        it("a broken raw-Kubernetes YAML program fails the policy pack with erlang-cookie and headless-service", function () {
            const dir = projectCopy(path.join(__dirname, "fixtures", "broken-yaml"), { linkNodeModules: false });
            const env = engineEnv(k, tempDir("e2e-state-"));
            expect(cli(["stack", "init", "broken"], dir, env).status).to.equal(0);
            const r = cli(["preview", "--json", "--policy-pack", POLICY_PACK], dir, env);
            expect(r.status, r.stderr).to.not.equal(0);
            const mandatory = policyViolations(r.events).filter((v) => v.enforcementLevel === "mandatory");
            expect(mandatory.map((v) => v.policyName)).to.include.members(["erlang-cookie", "headless-service"]);
            expect(mandatory.every((v) => v.resourceUrn?.includes("broken-yaml::kubernetes:"))).to.equal(true);
        });
    });
});

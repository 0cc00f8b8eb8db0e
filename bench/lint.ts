/**
 * Benchmark of the broker rule engine: generates 5,000 Kubernetes objects (broker StatefulSets,
 * headless Services, ConfigMaps, Secrets, Roles, RoleBindings, PDBs, PVs; a third of the clusters
 * broken on purpose), lints them all together and prints objects per second.
 *
 * If kube-score and kube-linter are installed (the cache `npm run peers` fills, PATH, $GOBIN,
 * $(go env GOPATH)/bin), they run on the same files and on the seed fixtures; the script prints
 * the time ratio and which seed defects each tool reports. Which defects each peer flags, by a
 * documented check mapping, is bench/peers.ts.
 *
 * Run: npm run bench:lint
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { lint } from "../policies/engine";
import { loadPaths } from "../policies/cli/load";
import { K8sObject } from "../policies/lib/types";

const TARGET = 5000;
const SEEDS = path.resolve(__dirname, "..", "tests", "fixtures", "seeds");

function cluster(i: number): K8sObject[] {
    const rabbit = i % 2 === 0;
    const broken = i % 3 === 0;
    const ns = `team-${i % 50}`;
    const name = `${rabbit ? "rmq" : "emqx"}-${i}`;
    const headless = broken && i % 2 === 0 ? `${name}-svc` : `${name}-headless`;
    const labels = { "app.kubernetes.io/name": rabbit ? "rabbitmq" : "emqx", "app.kubernetes.io/instance": name };
    const env = rabbit
        ? [
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "RABBITMQ_USE_LONGNAME", value: "true" },
              { name: "RABBITMQ_NODENAME", value: `rabbit@$(POD_NAME).${broken ? name : headless}.${ns}.svc.cluster.local` },
              broken ? { name: "RABBITMQ_ERLANG_COOKIE", value: "cookie" } : { name: "RABBITMQ_ERLANG_COOKIE", valueFrom: { secretKeyRef: { name: `${name}-cookie`, key: "cookie" } } },
          ]
        : [
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "EMQX_HOST", value: `$(POD_NAME).${headless}.${ns}.svc.cluster.local` },
              { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "k8s" },
              { name: "EMQX_CLUSTER__K8S__SERVICE_NAME", value: headless },
              { name: "EMQX_CLUSTER__K8S__ADDRESS_TYPE", value: "hostname" },
              { name: "EMQX_CLUSTER__K8S__SUFFIX", value: "svc.cluster.local" },
              ...(broken ? [] : [{ name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: `${name}-cookie`, key: "cookie" } } }]),
          ];
    const objects: K8sObject[] = [
        { apiVersion: "v1", kind: "Service", metadata: { name: headless, namespace: ns }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: labels } },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${name}-config`, namespace: ns },
            data: rabbit
                ? { "rabbitmq.conf": `cluster_formation.peer_discovery_backend = k8s\ncluster_formation.k8s.service_name = ${headless}\ncluster_formation.k8s.address_type = hostname\n${broken ? "default_pass = guest\n" : ""}` }
                : { "emqx.conf": "log.console.level = info\n" },
        },
        { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-cookie`, namespace: ns }, stringData: { cookie: "c" } },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns }, rules: [{ apiGroups: [""], resources: ["endpoints"], verbs: broken ? ["*"] : ["get"] }] },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name, namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
            subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
        },
        { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name, namespace: ns }, spec: { maxUnavailable: broken ? 0 : 1, selector: { matchLabels: labels } } },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name, namespace: ns },
            spec: {
                replicas: 3,
                serviceName: headless,
                podManagementPolicy: "Parallel",
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: name,
                        affinity: broken ? undefined : { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } }] } },
                        containers: [
                            {
                                name: "broker",
                                image: rabbit ? "rabbitmq:3.13.7-management" : "emqx/emqx:5.8.6",
                                env,
                                resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
                                readinessProbe: { tcpSocket: { port: rabbit ? 5672 : 1883 } },
                                volumeMounts: [
                                    { name: "data", mountPath: rabbit ? "/var/lib/rabbitmq/mnesia" : "/opt/emqx/data" },
                                    { name: "config", mountPath: rabbit ? "/etc/rabbitmq" : "/opt/emqx/etc/extra" },
                                ],
                            },
                        ],
                        volumes: [{ name: "config", configMap: { name: `${name}-config` } }],
                    },
                },
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: `static-${i}`, resources: { requests: { storage: "10Gi" } } } }],
            },
        },
    ];
    for (let r = 0; r < 3; r++) {
        objects.push({
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `${name}-pv-${r}` },
            spec: {
                storageClassName: `static-${i}`,
                capacity: { storage: "10Gi" },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: broken ? "Recycle" : "Retain",
                hostPath: { path: broken ? `/data/${name}` : `/data/${name}-${r}` },
                nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [`node-${r}`] }] }] } },
            },
        });
    }
    return objects;
}

function generate(): K8sObject[] {
    const out: K8sObject[] = [];
    for (let i = 0; out.length < TARGET; i++) out.push(...cluster(i));
    return out.slice(0, TARGET);
}

function which(tool: string): string | undefined {
    const peers = process.env.BROKER_PEERS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "broker-platform", "peers");
    const dirs = [path.join(peers, "bin"), ...(process.env.PATH ?? "").split(path.delimiter)];
    if (process.env.GOBIN) dirs.push(process.env.GOBIN);
    try {
        dirs.push(path.join(execFileSync("go", ["env", "GOPATH"], { encoding: "utf8" }).trim(), "bin"));
    } catch {
        // no Go toolchain
    }
    dirs.push(path.join(os.tmpdir(), "gobin"));
    for (const d of dirs) {
        const p = path.join(d, tool);
        if (d && fs.existsSync(p)) return p;
    }
    return undefined;
}

interface Tool {
    name: string;
    bin?: string;
    args: (files: string[]) => string[];
    /** Check ids from the tool's JSON output. */
    checks: (stdout: string) => string[];
}

const TOOLS: Tool[] = [
    {
        name: "kube-score",
        bin: which("kube-score"),
        args: (files) => ["score", "--output-format", "json", ...files],
        checks: (out) => {
            const ids = new Set<string>();
            try {
                for (const obj of JSON.parse(out) ?? []) for (const c of obj.checks ?? []) if (c.grade < 10 && !c.skipped) ids.add(c.check?.id ?? c.check?.name);
            } catch {
                // not JSON
            }
            return [...ids];
        },
    },
    {
        name: "kube-linter",
        bin: which("kube-linter"),
        args: (files) => ["lint", "--format", "json", ...files],
        checks: (out) => {
            try {
                return [...new Set<string>((JSON.parse(out).Reports ?? []).map((r: { Check: string }) => r.Check))];
            } catch {
                return [];
            }
        },
    },
];

/** Seed scenarios and the defect classes they contain, with the checks of each tool that cover a class. */
const SEED_SETS: Record<string, string[]> = {
    "000": ["000-pv-hostpath.yaml", "000-statefulset-shared-pvc.yaml", "000-pvc.yaml", "000-statefulset.yaml", "000-configmap.yaml", "000-secret.yaml", "000-headless-service.yaml", "000-dashboard-service.yaml"],
    "001": ["001-rabbitmq-ha-release.yaml"],
    "002": ["002-01-rabbitmq-configmap.yaml", "002-02-rabbitmq-service.yaml", "002-03-rabbitmq-rbac.yaml", "002-04-rabbitmq-cluster-sts.yaml"],
    "003": ["003-3-rbac.yaml", "003-5-configmap-hostname.yaml", "003-5-headless.yaml", "003-6-statefulset-pvc.yaml"],
    "004": ["004-nginx-statefulset.yaml", "004-mongo-petset.yaml"],
};
/** Our rule id → checks of other tools that report the same defect class. */
const EQUIVALENT: Record<string, RegExp> = {
    "headless-service": /servicename|dangling-service|headless/i,
    "pod-anti-affinity": /anti-?affinity/i,
    "erlang-cookie": /env-var-secret|secret/i,
    credentials: /env-var-secret|secret/i,
    pdb: /disruption/i,
    "deprecated-api": /stable-version|deprecated/i,
    "image-tag": /image-tag|latest-tag/i,
    resources: /container-resources|requirements/i,
    "readiness-probe": /probe/i,
    "selector-matches-template": /selector/i,
};

function runTool(t: Tool, files: string[]): { ms: number; checks: string[] } {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(t.bin!, t.args(files), { encoding: "utf8", maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, checks: t.checks(r.stdout ?? "") };
}

function main(): void {
    const objects = generate();
    const kinds = new Map<string, number>();
    for (const o of objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    console.log(`generated ${objects.length} objects: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}`);

    lint(objects.slice(0, 200)); // warm-up
    const runs = 3;
    let best = Infinity;
    let result = lint(objects);
    for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        result = lint(objects);
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const mandatory = result.violations.filter((v) => v.enforcement === "mandatory").length;
    console.log(`rule engine: ${best.toFixed(0)} ms for ${objects.length} objects (best of ${runs}) = ${Math.round((objects.length / best) * 1000)} objects/s; ${mandatory} mandatory, ${result.violations.length - mandatory} advisory violations`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broker-lint-bench-"));
    try {
        const files: string[] = [];
        for (let i = 0; i < objects.length; i += 100) {
            const f = path.join(dir, `objects-${String(i / 100).padStart(3, "0")}.yaml`);
            fs.writeFileSync(f, objects.slice(i, i + 100).map((o) => stringify(o)).join("---\n"));
            files.push(f);
        }
        const t0 = process.hrtime.bigint();
        const loaded = loadPaths([dir]);
        const ours = lint(loaded.objects, undefined, loaded.sources);
        const oursMs = Number(process.hrtime.bigint() - t0) / 1e6;
        console.log(`broker-lint on ${files.length} files (parse + lint): ${oursMs.toFixed(0)} ms, ${ours.violations.length} violations`);

        for (const t of TOOLS) {
            if (!t.bin) {
                console.log(`${t.name}: not installed`);
                continue;
            }
            const r = runTool(t, files);
            console.log(`${t.name}: ${r.ms.toFixed(0)} ms on the same files (${(r.ms / oursMs).toFixed(1)}x broker-lint)`);
        }

        console.log("\nseed defects reported (our rules with mandatory findings; other tools: checks covering the same defect class):");
        for (const [id, set] of Object.entries(SEED_SETS)) {
            const seedFiles = set.map((f) => path.join(SEEDS, f));
            const l = loadPaths(seedFiles);
            const found = lint(l.objects, undefined, l.sources).violations;
            const rules = [...new Set(found.map((v) => v.policy))];
            console.log(`  seed ${id}: broker-lint: ${[...new Set(found.filter((v) => v.enforcement === "mandatory").map((v) => v.policy))].join(", ") || "(no mandatory)"}`);
            for (const t of TOOLS) {
                if (!t.bin) continue;
                const checks = runTool(t, seedFiles).checks;
                const covered = rules.filter((r) => EQUIVALENT[r] && checks.some((c) => EQUIVALENT[r].test(c)));
                console.log(`    ${t.name}: ${checks.length} checks fired; covers our ${covered.join(", ") || "none"}; misses ${rules.filter((r) => !covered.includes(r)).join(", ") || "none"}`);
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();

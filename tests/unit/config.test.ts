import { expect } from "chai";
import { ConfigError, parseSettings, resolveCluster } from "../../components";
import { baseConfig, emqx, rabbit } from "../support/fixtures";

const PROJECT = "broker-platform";

/** Every message must name the key, show the bad value and say what is allowed. */
const badInputs: Array<{ what: string; config: any; key: string; says: RegExp }> = [
    { what: "replicas 0", config: baseConfig({ clusters: [rabbit({ replicas: 0 })] }), key: "clusters[0].replicas = 0", says: /at least 1/ },
    { what: "negative replicas", config: baseConfig({ clusters: [rabbit({ replicas: -3 })] }), key: "clusters[0].replicas = -3", says: /at least 1/ },
    { what: "fractional replicas", config: baseConfig({ clusters: [rabbit({ replicas: 2.5 })] }), key: "clusters[0].replicas = 2.5", says: /whole number/ },
    { what: "replicas as text", config: baseConfig({ clusters: [rabbit({ replicas: "three" })] }), key: "clusters[0].replicas = \"three\"", says: /whole number/ },
    { what: "too many replicas", config: baseConfig({ clusters: [rabbit({ replicas: 40 })] }), key: "clusters[0].replicas = 40", says: /at most 15/ },
    { what: "unknown engine", config: baseConfig({ clusters: [rabbit({ engine: "kafka" })] }), key: "clusters[0].engine = \"kafka\"", says: /rabbitmq, emqx, redis, valkey or mongodb/ },
    { what: "unknown storage mode", config: baseConfig({ storage: { mode: "s3" } as any }), key: "storage.mode = \"s3\"", says: /hostPath, nfs, storageClass/ },
    { what: "hostPath without basePath", config: baseConfig({ storage: { mode: "hostPath" } as any }), key: "storage.basePath", says: /required/ },
    { what: "hostPath relative path", config: baseConfig({ storage: { mode: "hostPath", basePath: "data/brokers" } }), key: "storage.basePath = \"data/brokers\"", says: /absolute path/ },
    { what: "hostPath with ..", config: baseConfig({ storage: { mode: "hostPath", basePath: "/data/../etc" } }), key: "storage.basePath = \"/data/../etc\"", says: /'\.\.'/ },
    { what: "nfs without server", config: baseConfig({ storage: { mode: "nfs", basePath: "/exports" } as any }), key: "storage.server", says: /required/ },
    { what: "nfs with empty server", config: baseConfig({ storage: { mode: "nfs", server: "", basePath: "/exports" } }), key: "storage.server = \"\"", says: /must not be empty/ },
    { what: "storageClass without className", config: baseConfig({ storage: { mode: "storageClass" } as any }), key: "storage.className", says: /required/ },
    { what: "10GB instead of 10Gi", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", size: "10GB" } }), key: "storage.size = \"10GB\"", says: /10Gi/ },
    { what: "size without number", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", size: "Gi" } }), key: "storage.size = \"Gi\"", says: /quantity/ },
    { what: "Recycle reclaim policy", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", reclaimPolicy: "Recycle" } as any }), key: "storage.reclaimPolicy = \"Recycle\"", says: /Recycle wipes/ },
    { what: "bad access mode", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", accessModes: ["ReadWriteAll"] } as any }), key: "storage.accessModes[0] = \"ReadWriteAll\"", says: /ReadWriteOnce/ },
    { what: "upper-case cluster name", config: baseConfig({ clusters: [rabbit({ name: "RabbitMQ" })] }), key: "clusters[0].name = \"RabbitMQ\"", says: /DNS-1123/ },
    { what: "underscore in cluster name", config: baseConfig({ clusters: [rabbit({ name: "my_rabbit" })] }), key: "clusters[0].name = \"my_rabbit\"", says: /DNS-1123/ },
    { what: "name too long for pod hostnames", config: baseConfig({ clusters: [rabbit({ name: "r".repeat(55) })] }), key: "clusters[0].name", says: /at most 52/ },
    { what: "namespace not DNS-1123", config: baseConfig({ namespace: "Messaging_Prod" }), key: "namespace = \"Messaging_Prod\"", says: /DNS-1123/ },
    { what: "missing namespace", config: { storage: { mode: "hostPath", basePath: "/d" }, clusters: [rabbit()] }, key: "namespace", says: /required/ },
    { what: "duplicate cluster names", config: baseConfig({ clusters: [rabbit(), rabbit()] }), key: "clusters[1].name = \"rmq\"", says: /used twice/ },
    { what: "names that collide after derivation", config: baseConfig({ clusters: [rabbit({ name: "a" }), rabbit({ name: "a-headless" })] }), key: "clusters[1].name = \"a-headless\"", says: /also uses/ },
    { what: "unsupported RabbitMQ version", config: baseConfig({ clusters: [rabbit({ version: "3.12.14" })] }), key: "clusters[0].version = \"3.12.14\"", says: /supported series: 3\.13/ },
    { what: "unsupported EMQX version", config: baseConfig({ clusters: [emqx({ version: "4.4.19" })] }), key: "clusters[0].version = \"4.4.19\"", says: /5\.8/ },
    { what: "version latest", config: baseConfig({ clusters: [rabbit({ version: "latest" })] }), key: "clusters[0].version = \"latest\"", says: /exact version/ },
    { what: "version range", config: baseConfig({ clusters: [rabbit({ version: "4.1" })] }), key: "clusters[0].version = \"4.1\"", says: /exact version/ },
    { what: "node pinning with fewer nodes than replicas", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", nodes: ["n1", "n2"] } }), key: "storage.nodes = [\"n1\",\"n2\"]", says: /only 2 nodes/ },
    { what: "node pinning with repeated nodes", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", nodes: ["n1", "n1", "n2"] } }), key: "storage.nodes", says: /distinct/ },
    { what: "preferred anti-affinity on hostPath", config: baseConfig({ clusters: [rabbit({ antiAffinity: "preferred" })] }), key: "clusters[0].antiAffinity = \"preferred\"", says: /must be required/ },
    { what: "unknown anti-affinity", config: baseConfig({ clusters: [rabbit({ antiAffinity: "soft" })] }), key: "clusters[0].antiAffinity = \"soft\"", says: /required or preferred/ },
    { what: "typo at top level", config: { ...baseConfig(), namesapce: "x" }, key: "namesapce", says: /unknown key.*namespace/ },
    { what: "typo in a cluster", config: baseConfig({ clusters: [rabbit({ replica: 3 })] }), key: "clusters[0].replica", says: /unknown key.*replicas/ },
    { what: "typo in storage", config: baseConfig({ storage: { mode: "hostPath", basePath: "/d", bathPath: "/x" } as any }), key: "storage.bathPath", says: /unknown key.*basePath/ },
    { what: "discovery on RabbitMQ", config: baseConfig({ clusters: [rabbit({ discovery: "dns" })] }), key: "clusters[0].discovery = \"dns\"", says: /EMQX only/ },
    { what: "unknown EMQX discovery", config: baseConfig({ clusters: [emqx({ discovery: "etcd" })] }), key: "clusters[0].discovery = \"etcd\"", says: /dns or k8s/ },
    { what: "plugins on EMQX", config: baseConfig({ clusters: [emqx({ plugins: ["rabbitmq_shovel"] })] }), key: "clusters[0].plugins", says: /RabbitMQ only/ },
    { what: "bad plugin name", config: baseConfig({ clusters: [rabbit({ plugins: ["shovel"] })] }), key: "clusters[0].plugins[0] = \"shovel\"", says: /rabbitmq_shovel/ },
    { what: "ha-mode policy on RabbitMQ 4", config: baseConfig({ clusters: [rabbit({ definitions: { policies: [{ name: "ha-all", pattern: ".*", definition: { "ha-mode": "all" } }] } })] }), key: "clusters[0].definitions.policies[0].definition", says: /quorum queues/ },
    { what: "cookie set through extraConfig", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_NODE__COOKIE: "secret" } })] }), key: "clusters[0].extraConfig", says: /managed by this package/ },
    { what: "clientAuth on RabbitMQ", config: baseConfig({ clusters: [rabbit({ clientAuth: { allowAnonymous: false } })] }), key: "clusters[0].clientAuth", says: /EMQX only/ },
    { what: "client authentication on EMQX before 5.7.2", config: baseConfig({ clusters: [emqx({ version: "5.7.1" })] }), key: "clusters[0].clientAuth.allowAnonymous = false", says: /5\.7\.2 or later, or set clientAuth\.allowAnonymous: true/ },
    { what: "negative clientAuth generation", config: baseConfig({ clusters: [emqx({ clientAuth: { generation: -1 } })] }), key: "clusters[0].clientAuth.generation = -1", says: /whole number >= 0/ },
    { what: "allowAnonymous as text", config: baseConfig({ clusters: [emqx({ clientAuth: { allowAnonymous: "no" } })] }), key: "clusters[0].clientAuth.allowAnonymous = \"no\"", says: /true or false/ },
    { what: "typo in clientAuth", config: baseConfig({ clusters: [emqx({ clientAuth: { allowAnonymus: true } })] }), key: "clusters[0].clientAuth.allowAnonymus", says: /unknown key.*allowAnonymous/ },
    { what: "extraConfig overriding the managed authenticator", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_AUTHENTICATION__1__BACKEND: "mysql" } })] }), key: "clusters[0].extraConfig", says: /EMQX_AUTHENTICATION__1__BACKEND would change the client authenticator.*index 2/ },
    { what: "extraConfig replacing the authentication list", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_AUTHENTICATION: "[]" } })] }), key: "clusters[0].extraConfig", says: /EMQX_AUTHENTICATION would change/ },
    { what: "cluster_formation through extraConfig", config: baseConfig({ clusters: [rabbit({ extraConfig: { "cluster_formation.k8s.service_name": "x" } })] }), key: "clusters[0].extraConfig", says: /managed by this package/ },
    { what: "EMQX extraConfig key that is not an EMQX_ variable", config: baseConfig({ clusters: [emqx({ extraConfig: { "mqtt.max_packet_size": "1MB" } })] }), key: "clusters[0].extraConfig", says: /EMQX_\* environment variables/ },
    { what: "image with a tag", config: baseConfig({ clusters: [rabbit({ image: "rabbitmq:latest" })] }), key: "clusters[0].image = \"rabbitmq:latest\"", says: /set version instead/ },
    { what: "memory limit not a quantity", config: baseConfig({ clusters: [rabbit({ resources: { limits: { memory: "2 gigs" } } })] }), key: "clusters[0].resources.limits.memory = \"2 gigs\"", says: /quantity/ },
    { what: "cpu not a quantity", config: baseConfig({ clusters: [rabbit({ resources: { requests: { cpu: "half" } } })] }), key: "clusters[0].resources.requests.cpu = \"half\"", says: /250m/ },
    { what: "unknown service type", config: baseConfig({ clusters: [rabbit({ service: { type: "External" } })] }), key: "clusters[0].service.type = \"External\"", says: /ClusterIP, NodePort or LoadBalancer/ },
    { what: "no clusters", config: baseConfig({ clusters: [] }), key: "clusters = []", says: /at least one cluster/ },
    { what: "clusters not a list", config: baseConfig({ clusters: "rmq" as any }), key: "clusters = \"rmq\"", says: /list of clusters/ },
    { what: "createNamespace not boolean", config: baseConfig({ createNamespace: "yes" as any }), key: "createNamespace = \"yes\"", says: /true or false/ },
    { what: "newline in a rabbitmq.conf value (adds default_pass and a peer discovery backend)", config: baseConfig({ clusters: [rabbit({ extraConfig: { "log.console.level": "info\ndefault_pass = hacked\ncluster_formation.peer_discovery_backend = classic_config" } })] }), key: 'clusters[0].extraConfig["log.console.level"] = "info\\ndefault_pass = hacked', says: /U\+000A.*one line of printable text/ },
    { what: "newline in a rabbitmq.conf key", config: baseConfig({ clusters: [rabbit({ extraConfig: { "a = b\ndefault_user_tags.administrator": "true" } })] }), key: 'clusters[0].extraConfig["a = b\\ndefault_user_tags.administrator"] = "true"', says: /not a rabbitmq\.conf key; .*dot-separated words/ },
    { what: "carriage return in a rabbitmq.conf value", config: baseConfig({ clusters: [rabbit({ extraConfig: { heartbeat: "30\r" } })] }), key: 'clusters[0].extraConfig.heartbeat = "30\\r"', says: /U\+000D/ },
    { what: "U+2028 in a rabbitmq.conf value", config: baseConfig({ clusters: [rabbit({ extraConfig: { heartbeat: "30\u2028default_pass = x" } })] }), key: 'clusters[0].extraConfig.heartbeat = "30\\u2028default_pass', says: /U\+2028/ },
    { what: "'#' in a rabbitmq.conf value", config: baseConfig({ clusters: [rabbit({ extraConfig: { "management.path_prefix": "/a#b" } })] }), key: 'clusters[0].extraConfig["management.path_prefix"] = "/a#b"', says: /starts a comment/ },
    { what: "non-Latin-1 rabbitmq.conf value", config: baseConfig({ clusters: [rabbit({ extraConfig: { cluster_tags: "zone€" } })] }), key: "clusters[0].extraConfig.cluster_tags", says: /U\+20AC.*Latin-1/ },
    { what: "$(…) in a rabbitmq.conf value (RabbitMQ interpolates the environment)", config: baseConfig({ clusters: [rabbit({ extraConfig: { cluster_tags: "zone-$(POD_NAME)" } })] }), key: 'clusters[0].extraConfig.cluster_tags = "zone-$(POD_NAME)"', says: /'\$\(' at position 5.*environment variable/ },
    { what: "empty rabbitmq.conf value", config: baseConfig({ clusters: [rabbit({ extraConfig: { heartbeat: "" } })] }), key: 'clusters[0].extraConfig.heartbeat = ""', says: /needs a value/ },
    { what: "definitions.local.path through extraConfig", config: baseConfig({ clusters: [rabbit({ extraConfig: { "definitions.local.path": "/tmp/other.json" } })] }), key: 'clusters[0].extraConfig["definitions.local.path"]', says: /managed by this package \(the definitions import/ },
    { what: "a default user through extraConfig", config: baseConfig({ clusters: [rabbit({ extraConfig: { "default_users.ops.password": "x" } })] }), key: 'clusters[0].extraConfig["default_users.ops.password"]', says: /managed by this package \(the default user/ },
    { what: "AMQP port through extraConfig", config: baseConfig({ clusters: [rabbit({ extraConfig: { "listeners.tcp.default": 5673 } })] }), key: 'clusters[0].extraConfig["listeners.tcp.default"] = 5673', says: /port the Services, probes/ },
    { what: "NUL in an EMQX value", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_LOG__CONSOLE__LEVEL: "info\u0000" } })] }), key: 'clusters[0].extraConfig.EMQX_LOG__CONSOLE__LEVEL = "info\\u0000"', says: /U\+0000/ },
    { what: "newline in an EMQX value", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_LOG__CONSOLE__LEVEL: "info\nEMQX_NODE__COOKIE=x" } })] }), key: 'clusters[0].extraConfig.EMQX_LOG__CONSOLE__LEVEL = "info\\nEMQX_NODE__COOKIE=x"', says: /U\+000A/ },
    { what: "EMQX parent of the node settings (HOCON object)", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_NODE: "{cookie = hacked}" } })] }), key: "clusters[0].extraConfig.EMQX_NODE", says: /parent of node\.name/ },
    { what: "EMQX HOCON substitution", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_LOG__FILE__PATH: "/tmp/${node.cookie}" } })] }), key: "clusters[0].extraConfig.EMQX_LOG__FILE__PATH", says: /HOCON substitution/ },
    { what: "EMQX start-script node name", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_NODE_NAME: "x@y" } })] }), key: "clusters[0].extraConfig.EMQX_NODE_NAME", says: /managed by this package/ },
    { what: "EMQX key with a lower-case path", config: baseConfig({ clusters: [emqx({ extraConfig: { EMQX_mqtt__max: "1" } })] }), key: "clusters[0].extraConfig.EMQX_mqtt__max", says: /A-Z, 0-9 and single '_'/ },
    { what: "annotation key with a blank", config: baseConfig({ clusters: [rabbit({ service: { annotations: { "my annotation": "x" } } })] }), key: 'clusters[0].service.annotations["my annotation"]', says: /not a Kubernetes annotation key/ },
    { what: "newline in an annotation value", config: baseConfig({ clusters: [rabbit({ service: { annotations: { "example.com/owner": "team\nx" } } })] }), key: 'clusters[0].service.annotations["example.com/owner"] = "team\\nx"', says: /U\+000A/ },
    { what: "ingress class with a blank", config: baseConfig({ clusters: [rabbit({ ingress: { host: "mq.example.com", className: "my class" } })] }), key: 'clusters[0].ingress.className = "my class"', says: /DNS-1123 subdomain/ },
    { what: "NFS mount option with a comma", config: baseConfig({ storage: { mode: "nfs", server: "nfs", basePath: "/exports", mountOptions: ["hard,exec"] } }), key: 'storage.mountOptions[0] = "hard,exec"', says: /a ',' would add an option/ },
    { what: "storage path with a blank", config: baseConfig({ storage: { mode: "hostPath", basePath: "/data/my brokers" } }), key: 'storage.basePath = "/data/my brokers"', says: /no blanks/ },
    { what: "queue named amq.*", config: baseConfig({ clusters: [rabbit({ definitions: { queues: [{ name: "amq.orders" }] } })] }), key: 'clusters[0].definitions.queues[0].name = "amq.orders"', says: /RabbitMQ reserves/ },
    { what: "newline in a vhost", config: baseConfig({ clusters: [rabbit({ definitions: { vhosts: ["a\nb"] } })] }), key: 'clusters[0].definitions.vhosts[0] = "a\\nb"', says: /U\+000A/ },
    { what: "routing key over 255 bytes", config: baseConfig({ clusters: [rabbit({ definitions: { bindings: [{ source: "ex", destination: "q", routing_key: "é".repeat(128) }] } })] }), key: "clusters[0].definitions.bindings[0].routing_key", says: /256 bytes/ },
    { what: "policy definition that is not JSON", config: baseConfig({ clusters: [rabbit({ definitions: { policies: [{ name: "ttl", pattern: ".*", definition: { "message-ttl": NaN } }] } })] }), key: "clusters[0].definitions.policies[0].definition.message-ttl = NaN", says: /JSON values/ },
    { what: "grace period too short", config: baseConfig({ clusters: [rabbit({ terminationGracePeriodSeconds: 1 })] }), key: "clusters[0].terminationGracePeriodSeconds = 1", says: />=10/ },
];

describe("stack config validation", () => {
    it("accepts a minimal config and fills safe defaults", () => {
        const s = parseSettings(baseConfig(), PROJECT);
        expect(s.createNamespace).to.equal(true);
        expect(s.clusterDomain).to.equal("cluster.local");
        expect(s.retainDataOnDelete).to.equal(true);
        expect(s.storage).to.include({ mode: "hostPath", reclaimPolicy: "Retain", size: "1Gi" });
        expect(s.storage.accessModes).to.deep.equal(["ReadWriteOnce"]);
        expect(s.clusters[0]).to.include({ replicas: 3, allowScaleDown: false });
    });

    it(`has at least 30 distinct bad inputs under test (${badInputs.length})`, () => {
        expect(new Set(badInputs.map((b) => b.what)).size).to.be.at.least(30);
    });

    for (const bad of badInputs) {
        it(`rejects ${bad.what}, naming ${PROJECT}:${bad.key}`, () => {
            let error: unknown;
            try {
                parseSettings(bad.config, PROJECT);
            } catch (e) {
                error = e;
            }
            expect(error, "expected a ConfigError").to.be.instanceOf(ConfigError);
            const problems = (error as ConfigError).problems.join("\n");
            expect(problems).to.include(`${PROJECT}:${bad.key}`);
            expect(problems).to.match(bad.says);
        });
    }

    it("accepts rabbitmq.conf values with '=', quotes and shell characters, and writes each as one line", () => {
        const value = `a = b; $id \`x\` 'q' "r" é`;
        const s = parseSettings(baseConfig({ clusters: [rabbit({ extraConfig: { "management.path_prefix": value, heartbeat: 30 } })] }), PROJECT);
        const conf = resolveCluster(s, s.clusters[0]).profile.configFiles["rabbitmq.conf"].split("\n");
        expect(conf.slice(-3)).to.deep.equal([`management.path_prefix = ${value}`, "heartbeat = 30", ""]);
    });

    it("passes EMQX values on literally: '$' is doubled so Kubernetes does not expand $(VAR)", () => {
        const s = parseSettings(baseConfig({ clusters: [emqx({ extraConfig: { EMQX_LOG__CONSOLE__FORMATTER: "text", EMQX_API_KEY__BOOTSTRAP_FILE: "/etc/$(POD_NAME)" } })] }), PROJECT);
        const model = resolveCluster(s, s.clusters[0]);
        const env = model.profile.env(model.names, model.secrets);
        expect(env.slice(-2)).to.deep.equal([
            { name: "EMQX_LOG__CONSOLE__FORMATTER", value: "text" },
            { name: "EMQX_API_KEY__BOOTSTRAP_FILE", value: "/etc/$$(POD_NAME)" },
        ]);
    });

    it("reports every problem at once, one line each", () => {
        try {
            parseSettings(baseConfig({ namespace: "Bad", clusters: [rabbit({ replicas: 0, engine: "kafka" })] }), PROJECT);
            expect.fail("should have thrown");
        } catch (e) {
            expect((e as ConfigError).problems).to.have.length(3);
            expect((e as Error).message).to.match(/^Invalid stack configuration \(3 problems\)/);
        }
    });
});

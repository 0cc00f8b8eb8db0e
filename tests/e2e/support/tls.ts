/**
 * The TLS stack both TLS tiers deploy: RabbitMQ with a cert-manager Certificate and inter-node TLS,
 * EMQX with a user-named Secret and a ServiceMonitor (needs the reduced CRD). Only the namespace and the RabbitMQ cluster's name differ.
 */
import { ExpectedStack } from "./checks";

export function tlsStack(namespace: string, rabbitName: string) {
    const config = {
        namespace,
        storage: { mode: "hostPath", basePath: "/var/lib/broker-platform", size: "1Gi" },
        clusters: [
            { name: rabbitName, engine: "rabbitmq", version: "4.1.4", replicas: 3, tls: { certManager: { issuerName: "internal-ca", issuerKind: "ClusterIssuer" }, distribution: true } },
            // Its metrics are on the HTTPS dashboard listener: the ServiceMonitor scrapes them over TLS.
            { name: "mqtt", engine: "emqx", version: "5.8.6", replicas: 3, tls: { secretName: "mqtt-cert" }, serviceMonitor: { enabled: true } },
        ],
    };
    const expected: ExpectedStack = {
        stack: "tls",
        namespace,
        storageMode: "hostPath",
        storage: config.storage,
        clusters: config.clusters.map((c) => ({ name: c.name, engine: c.engine as "rabbitmq" | "emqx", replicas: c.replicas, needsApiAccess: false, requiredAntiAffinity: true })),
    };
    return { config, expected };
}

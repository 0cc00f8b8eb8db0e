import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

export const SERVICE_MONITOR_API_VERSION = "monitoring.coreos.com/v1";
export const SERVICE_MONITOR_KIND = "ServiceMonitor";

/** CA key of the cluster's TLS Secret: cert-manager writes it; a user's own Secret must carry it for scrapes to verify. */
export const SCRAPE_CA_KEY = "ca.crt";

/**
 * An HTTPS endpoint verified as a client would: Prometheus dials the pod IP, which no certificate
 * names, so it checks the certificate against the client Service's name (always a SAN, see
 * `certificateDnsNames`) and the CA in the cluster's own TLS Secret, never `insecureSkipVerify`.
 */
function httpsScrape(model: ClusterModel) {
    if (model.profile.metrics?.scheme !== "https") return {};
    const secret = model.secrets.tls;
    if (!secret) throw new Error(`cluster ${model.cluster.name}: an HTTPS metrics endpoint needs the cluster's TLS Secret`);
    return { scheme: "https", tlsConfig: { serverName: model.names.clientServiceHost, ca: { secret: { name: secret.name, key: SCRAPE_CA_KEY } } } };
}

/**
 * A prometheus-operator ServiceMonitor for the broker's metrics, scraped through the client
 * Service's metrics port (the headless Service carries only distribution ports, so its endpoints
 * never match). With RabbitMQ's per-object endpoint beside the aggregated one, both export the
 * same metric names; a `metrics_path` label keeps their series apart, so sums do not count twice.
 */
export function serviceMonitorArgs(model: ClusterModel): k8s.apiextensions.CustomResourceArgs | undefined {
    const sm = model.cluster.serviceMonitor;
    const { names, profile } = model;
    const metrics = profile.metrics;
    if (!sm?.enabled || !metrics) return undefined;
    const paths = [metrics.path];
    if (metrics.perObjectPath && (sm.perObjectMetrics ?? true)) paths.push(metrics.perObjectPath);
    const keepPath = paths.length > 1 ? { relabelings: [{ sourceLabels: ["__metrics_path__"], targetLabel: "metrics_path" }] } : {};
    const meta = objectMeta(model, names.serviceMonitor);
    return {
        apiVersion: SERVICE_MONITOR_API_VERSION,
        kind: SERVICE_MONITOR_KIND,
        metadata: { ...meta, labels: { ...sm.labels, ...names.commonLabels } },
        spec: {
            selector: { matchLabels: names.selectorLabels },
            namespaceSelector: { matchNames: [model.namespace] },
            endpoints: paths.map((path) => ({ port: metrics.portName, path, interval: sm.interval, ...httpsScrape(model), ...keepPath })),
        },
    };
}

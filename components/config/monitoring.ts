import { z } from "zod";
import { labelMap } from "./labels";

/** Prometheus durations as the ServiceMonitor CRD accepts them: units y w d h m s ms, largest first. */
const DURATION = /^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$/;

/**
 * The per-cluster `serviceMonitor` settings: a prometheus-operator ServiceMonitor for the broker's
 * metrics endpoint(s). The pods' `prometheus.io/*` annotations stay either way.
 */
export const serviceMonitorSchema = z.strictObject({
    /** Required, so that settings written without it never leave a cluster silently unscraped. */
    enabled: z.boolean({ error: "serviceMonitor.enabled must be true (create the ServiceMonitor; needs the prometheus-operator CRDs) or false" }),
    /** Scrape interval. */
    interval: z
        .string({ error: "serviceMonitor.interval must be a duration string such as \"30s\"" })
        .regex(DURATION, { error: "serviceMonitor.interval must be a Prometheus duration such as \"15s\", \"1m\" or \"1m30s\"" })
        .refine((d) => d !== "0", { error: "serviceMonitor.interval must be longer than 0" })
        .default("30s"),
    /** Labels on the ServiceMonitor, for the Prometheus resource's `serviceMonitorSelector` (e.g. `release: kube-prometheus-stack`). */
    labels: labelMap("serviceMonitor.labels").default({}),
    /** RabbitMQ only: also scrape `/metrics/per-object` (one series per queue, exchange, connection…); default true. */
    perObjectMetrics: z.boolean().optional(),
});

export type ServiceMonitorSettings = z.output<typeof serviceMonitorSchema>;

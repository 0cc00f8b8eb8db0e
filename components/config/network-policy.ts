import { z } from "zod";
import { labelKey, labelMap, labelValue } from "./labels";

/**
 * The per-cluster `networkPolicy` settings: who may reach the client, management and metrics
 * ports. Erlang distribution is never configurable here: it is open to the cluster's own pods only.
 */

const labelSelector = z
    .strictObject({
        matchLabels: labelMap("matchLabels").optional(),
        matchExpressions: z
            .array(
                z
                    .strictObject({
                        key: labelKey("matchExpressions"),
                        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"], { error: "operator must be In, NotIn, Exists or DoesNotExist" }),
                        values: z.array(labelValue("matchExpressions")).optional(),
                    })
                    .superRefine((e, ctx) => {
                        const wantsValues = e.operator === "In" || e.operator === "NotIn";
                        const has = (e.values ?? []).length > 0;
                        if (wantsValues && !has) ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${e.operator} needs a non-empty values list`, input: e.values });
                        if (!wantsValues && e.values !== undefined) ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${e.operator} takes no values`, input: e.values });
                    }),
            )
            .optional(),
    });

/** Canonical form of an IPv4 or IPv6 CIDR (host bits zero), or undefined when `cidr` is not one. */
export function canonicalCidr(cidr: string): string | undefined {
    const v4 = z.cidrv4().safeParse(cidr).success;
    if (!v4 && !z.cidrv6().safeParse(cidr).success) return undefined;
    const [address, bitsText] = cidr.split("/");
    const bits = Number(bitsText);
    const width = v4 ? 32 : 128;
    const value = v4 ? ipv4Value(address) : ipv6Value(address);
    const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
    const network = value & mask;
    return `${v4 ? ipv4Text(network) : ipv6Text(network)}/${bits}`;
}

function ipv4Value(a: string): bigint {
    return a.split(".").reduce((n, octet) => (n << 8n) + BigInt(Number(octet)), 0n);
}

function ipv4Text(n: bigint): string {
    return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
}

function ipv6Value(a: string): bigint {
    const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
    const left = head ? head.split(":") : [];
    const right = tail ? tail.split(":") : [];
    const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
    return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function ipv6Text(n: bigint): string {
    const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
    // The longest run of zero groups (two or more) becomes "::", as RFC 5952 writes it.
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8; ) {
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
        i = j === i ? i + 1 : j;
    }
    if (best.at < 0) return groups.join(":");
    return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

function contains(outer: string, inner: string): boolean {
    const [oa, ob] = outer.split("/");
    const [ia, ib] = inner.split("/");
    const v4 = !oa.includes(":");
    if (v4 !== !ia.includes(":") || Number(ib) <= Number(ob)) return false;
    return canonicalCidr(`${ia}/${ob}`) === canonicalCidr(outer);
}

const cidr = (what: string) =>
    z.string({ error: `${what} must be a CIDR such as "10.20.0.0/16"` }).superRefine((value, ctx) => {
        const canonical = canonicalCidr(value);
        if (canonical === undefined) ctx.addIssue({ code: "custom", message: `${what} must be an IPv4 or IPv6 CIDR such as "10.20.0.0/16" or "fd00::/8"`, input: value });
        else if (canonical !== value) ctx.addIssue({ code: "custom", message: `${what} has host bits set or is not written canonically; write ${canonical}`, input: value });
    });

/**
 * One allowed source, as a NetworkPolicy `from` entry: pods (by pod and/or namespace labels) or
 * addresses. `podSelector` alone means pods of the brokers' namespace.
 */
const peer = z
    .strictObject({
        namespaceSelector: labelSelector.optional(),
        podSelector: labelSelector.optional(),
        ipBlock: z.strictObject({ cidr: cidr("ipBlock.cidr"), except: z.array(cidr("ipBlock.except[]")).optional() }).optional(),
    })
    .superRefine((p, ctx) => {
        const selectors = p.namespaceSelector !== undefined || p.podSelector !== undefined;
        if (p.ipBlock && selectors) {
            ctx.addIssue({ code: "custom", path: ["ipBlock"], message: "a peer is either pods (namespaceSelector/podSelector) or addresses (ipBlock), not both; list them as two peers", input: "{...}" });
        }
        if (!p.ipBlock && !selectors) {
            ctx.addIssue({ code: "custom", message: "a peer needs namespaceSelector, podSelector or ipBlock; to allow every source, leave the peer list out", input: p });
        }
        (p.ipBlock?.except ?? []).forEach((e, i) => {
            if (p.ipBlock && canonicalCidr(e) === e && canonicalCidr(p.ipBlock.cidr) === p.ipBlock.cidr && !contains(p.ipBlock.cidr, e)) {
                ctx.addIssue({ code: "custom", path: ["ipBlock", "except", i], message: `except entries must lie strictly inside ipBlock.cidr ${p.ipBlock.cidr}`, input: e });
            }
        });
    });

const peers = (what: string) =>
    z
        .array(peer, { error: `${what} must be a list of peers ({namespaceSelector, podSelector} or {ipBlock})` })
        .min(1, { error: `${what} is empty, which would admit nobody; leave it out to allow every source, or list the peers` })
        .optional();

export const networkPolicySchema = z.strictObject({
    /** Required, so that peers written without it never leave a cluster silently open. */
    enabled: z.boolean({ error: "networkPolicy.enabled must be true (create the NetworkPolicy) or false (keep these settings without one)" }),
    /** Who may use the client protocols (AMQP; MQTT, MQTT/TLS, WebSocket); every source when left out. */
    clientPeers: peers("clientPeers"),
    /** Who may reach the management UI / dashboard (and its HTTP API); every source when left out. */
    managementPeers: peers("managementPeers"),
    /** Who may scrape metrics (RabbitMQ's Prometheus port; EMQX serves them on the dashboard port); every source when left out. */
    metricsPeers: peers("metricsPeers"),
});

export type NetworkPolicySettings = z.output<typeof networkPolicySchema>;
export type PeerSettings = NonNullable<NetworkPolicySettings["clientPeers"]>[number];

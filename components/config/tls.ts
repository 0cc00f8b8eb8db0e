import { z } from "zod";

/**
 * Per-cluster TLS: the certificate comes either from a Secret the user manages or from a
 * cert-manager Certificate this package creates. Either way the Secret holds `tls.crt` and
 * `tls.key` (and `ca.crt`, which inter-node TLS needs to verify peers).
 */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const tlsSchema = z
    .strictObject({
        /** An existing Secret in the cluster's namespace (type kubernetes.io/tls, or with the same keys). */
        secretName: z
            .string({ error: "tls.secretName must be a string" })
            .max(253, { error: "tls.secretName must be at most 253 characters" })
            .regex(SECRET_NAME, { error: "tls.secretName must be a Secret name: a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')" })
            .optional(),
        /** Let cert-manager issue the certificate (Certificate `<name>-tls`, Secret `<name>-tls`). */
        certManager: z
            .strictObject({
                issuerName: z.string({ error: "tls.certManager.issuerName must be the name of a cert-manager Issuer or ClusterIssuer" }).regex(SECRET_NAME, {
                    error: "tls.certManager.issuerName must be a DNS-1123 subdomain (the name of an Issuer or ClusterIssuer)",
                }),
                issuerKind: z.enum(["Issuer", "ClusterIssuer"], { error: "tls.certManager.issuerKind must be Issuer (in the cluster's namespace) or ClusterIssuer" }).default("Issuer"),
            })
            .optional(),
        /** Erlang distribution (and EMQX cluster RPC) over TLS with mutual peer verification; needs `ca.crt`. */
        distribution: z.boolean({ error: "tls.distribution must be true or false" }).default(false),
    })
    .superRefine((tls, ctx) => {
        const both = tls.secretName !== undefined && tls.certManager !== undefined;
        const neither = tls.secretName === undefined && tls.certManager === undefined;
        if (both || neither) {
            ctx.addIssue({
                code: "custom",
                path: [],
                input: both ? { secretName: tls.secretName, certManager: "{...}" } : {},
                message: `tls needs exactly one certificate source: secretName (a Secret you manage) or certManager (a Certificate this package creates); ${both ? "both are set" : "neither is set"}`,
            });
        }
    });

export type TlsSettings = z.output<typeof tlsSchema>;

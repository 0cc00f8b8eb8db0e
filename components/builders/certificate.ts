import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

export const CERT_MANAGER_API = "cert-manager.io/v1";

/** A cert-manager `Certificate` as plain arguments of a `CustomResource`. */
export interface CertificateArgs {
    apiVersion: string;
    kind: "Certificate";
    metadata: ReturnType<typeof objectMeta>;
    spec: Record<string, unknown>;
}

/**
 * The broker certificate, when the cluster asks cert-manager for one: every client Service name
 * and every pod's name (from the naming module), valid for both ends of a TLS connection, since
 * nodes present it to each other when distribution runs over TLS.
 */
export function certificateArgs(model: ClusterModel): CertificateArgs | undefined {
    const certManager = model.cluster.tls?.certManager;
    if (!certManager) return undefined;
    const { names } = model;
    return {
        apiVersion: CERT_MANAGER_API,
        kind: "Certificate",
        metadata: objectMeta(model, names.tlsCertificate),
        spec: {
            secretName: names.tlsSecret,
            // The Secret carries the cluster's labels, so it is found and cleaned up with the rest.
            secretTemplate: { labels: { ...names.commonLabels } },
            commonName: names.clientServiceHost,
            dnsNames: [...names.certificateDnsNames],
            usages: ["server auth", "client auth", "digital signature", "key encipherment"],
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
            issuerRef: { name: certManager.issuerName, kind: certManager.issuerKind, group: "cert-manager.io" },
        },
    };
}

import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

/** Ingress for the management UI / dashboard, when the cluster asks for one. */
export function managementIngressArgs(model: ClusterModel): k8s.networking.v1.IngressArgs | undefined {
    const ingress = model.cluster.ingress;
    const port = model.profile.managementPort;
    if (!ingress || !port) return undefined;
    return {
        metadata: objectMeta(model, model.names.ingress),
        spec: {
            ...(ingress.className ? { ingressClassName: ingress.className } : {}),
            rules: [
                {
                    host: ingress.host,
                    http: {
                        paths: [
                            {
                                path: "/",
                                pathType: "Prefix",
                                backend: { service: { name: model.names.clientService, port: { name: port } } },
                            },
                        ],
                    },
                },
            ],
            ...(ingress.tlsSecretName ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
        },
    };
}

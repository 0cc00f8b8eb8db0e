import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

type ServiceArgs = k8s.core.v1.ServiceArgs;

/**
 * The governing Service of the StatefulSet: gives every pod its stable DNS name. Not-ready pods
 * are published so that booting nodes can find each other before any of them is ready.
 */
export function headlessServiceArgs(model: ClusterModel): ServiceArgs {
    return {
        metadata: objectMeta(model, model.names.headlessService),
        spec: {
            clusterIP: "None",
            publishNotReadyAddresses: true,
            selector: model.names.selectorLabels,
            ports: model.profile.ports.filter((p) => p.audience !== "client").map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
        },
    };
}

/** The Service clients and the management UI use; only ready pods receive traffic. */
export function clientServiceArgs(model: ClusterModel): ServiceArgs {
    const { service } = model.cluster;
    return {
        metadata: objectMeta(model, model.names.clientService, Object.keys(service.annotations).length > 0 ? { annotations: service.annotations } : undefined),
        spec: {
            type: service.type,
            selector: model.names.selectorLabels,
            ports: model.profile.ports.filter((p) => p.audience !== "peer" && p.clientService !== false).map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
        },
    };
}

import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

/**
 * The brokers' ServiceAccount. Without API-based discovery the pod gets no token at all: a broker
 * that never talks to the API should not hold credentials for it.
 */
export function serviceAccountArgs(model: ClusterModel): k8s.core.v1.ServiceAccountArgs {
    return { metadata: objectMeta(model, model.names.serviceAccount), automountServiceAccountToken: model.needsApiAccess };
}

/** Least privilege for peer discovery: read the headless Service's endpoints, record events. */
export function peerDiscoveryRoleArgs(model: ClusterModel): k8s.rbac.v1.RoleArgs {
    return {
        metadata: objectMeta(model, model.names.role),
        rules: [
            { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] },
            { apiGroups: [""], resources: ["events"], verbs: ["create"] },
        ],
    };
}

export function peerDiscoveryRoleBindingArgs(model: ClusterModel): k8s.rbac.v1.RoleBindingArgs {
    return {
        metadata: objectMeta(model, model.names.roleBinding),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: model.names.role },
        subjects: [{ kind: "ServiceAccount", name: model.names.serviceAccount, namespace: model.namespace }],
    };
}

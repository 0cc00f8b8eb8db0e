import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

/**
 * One voluntary eviction at a time: a drain never takes two Erlang nodes at once, so a cluster of
 * three or more keeps its majority (and quorum queues their quorum) through node maintenance.
 */
export function podDisruptionBudgetArgs(model: ClusterModel): k8s.policy.v1.PodDisruptionBudgetArgs {
    return {
        metadata: objectMeta(model, model.names.podDisruptionBudget),
        spec: { maxUnavailable: 1, selector: { matchLabels: model.names.selectorLabels } },
    };
}

import * as k8s from "@pulumi/kubernetes";
import { PreviousCluster } from "../day2/previous";
import { ClusterModel } from "../model";
import { RECORD_ANNOTATION } from "../naming";
import { CLUSTER_FORMED_KEY, CLUSTER_FORMED_VALUE } from "../engines/rabbitmq-setup";
import { objectMeta } from "./meta";
import { retainedAnnotations } from "./retained";
import { claimStorageClass } from "./storage";

/** What the next update's day-2 guards compare against: the deployed engine, version, members and storage. */
export function deploymentRecord(model: ClusterModel): PreviousCluster {
    return {
        engine: model.cluster.engine,
        version: model.cluster.version,
        replicas: model.cluster.replicas,
        storageClass: claimStorageClass(model),
        claimTemplateSize: model.claimTemplateSize,
        volumeSize: model.volumeSize,
        formationSize: model.formationSize,
    };
}

/**
 * The deployment record: a ConfigMap kept with the data (its content lives in an annotation, so
 * a change is an in-place update; the provider replaces ConfigMaps whose data changes). Its one
 * data key never changes: RabbitMQ pods mount it to learn that the cluster has formed, and a
 * member with an empty data directory then joins a running member instead of forming a cluster.
 */
export function deploymentRecordArgs(model: ClusterModel, owner: string): k8s.core.v1.ConfigMapArgs {
    return {
        metadata: objectMeta(model, model.names.deploymentRecord, {
            annotations: { ...retainedAnnotations(owner), [RECORD_ANNOTATION]: JSON.stringify(deploymentRecord(model)) },
        }),
        data: { [CLUSTER_FORMED_KEY]: CLUSTER_FORMED_VALUE },
    };
}

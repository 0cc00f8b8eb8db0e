import * as k8s from "@pulumi/kubernetes";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

/**
 * The engine's post-deploy step as a Job, or undefined. Registered after the StatefulSet, whose
 * await ends when every member runs the new template; Pulumi then waits for the Job to complete.
 * Its pod carries the post-deploy labels, never the members' selector labels.
 */
export function postDeployJobArgs(model: ClusterModel): k8s.batch.v1.JobArgs | undefined {
    const { names, profile } = model;
    const step = profile.postDeploy?.(names, model.secrets);
    if (!step) return undefined;
    return {
        metadata: objectMeta(model, names.postDeployJob(step.trigger)),
        spec: {
            backoffLimit: 4,
            activeDeadlineSeconds: step.deadlineSeconds,
            template: {
                metadata: { labels: names.postDeployLabels },
                spec: {
                    restartPolicy: "Never",
                    automountServiceAccountToken: false,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: profile.uid,
                        runAsGroup: profile.uid,
                        fsGroup: profile.uid,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [step.container],
                    volumes: step.volumes,
                },
            },
        },
    };
}

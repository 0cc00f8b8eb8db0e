import * as k8s from "@pulumi/kubernetes";
import { createHash } from "crypto";
import { ClusterModel } from "../model";
import { DATA_VOLUME, LABEL_VERSION } from "../naming";
import { portNamed, restrictedContainerSecurity } from "../engines/profile";
import { dataClaimTemplate, volumePermissionsInitContainer } from "./storage";

/** Pod annotation whose change rolls the pods when the broker configuration changes. */
export const CONFIG_CHECKSUM_ANNOTATION = "broker-platform/config-checksum";

/**
 * Checksum of what a broker reads only at boot: its config files, the declared definitions and
 * the admin credentials' generation. Not the cookie's generation: a rolling restart across two
 * cookies would split the cluster (see Day-2 operations).
 */
export function configChecksum(model: ClusterModel): string {
    const files = model.profile.configFiles;
    const canonical = JSON.stringify({
        files: Object.keys(files).sort().map((k) => [k, files[k]]),
        definitions: model.cluster.definitions ?? null,
        adminGeneration: model.cluster.adminCredentials.generation,
        // Absent for the default (0), so this package's upgrade does not roll existing pods.
        ...(model.cluster.appCredentials.generation !== 0 ? { appGeneration: model.cluster.appCredentials.generation } : {}),
    });
    return createHash("sha256").update(canonical).digest("hex");
}

/** How long the Kubernetes provider waits for the StatefulSet to be ready (create and update). */
export const AWAIT_TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds";

/**
 * Seconds `pulumi up` waits for a roll-out: five minutes per member (stop with the preStop's
 * waits, start, rejoin, sync) on top of ten, so a healthy roll of any size ends inside it, where
 * the provider's default of ten minutes in all fails a healthy five-member roll.
 */
export function rolloutAwaitSeconds(model: ClusterModel): number {
    return 600 + 300 * model.cluster.replicas;
}

/** Spread brokers over nodes; `required` when losing a node would lose more than one member's data. */
export function podAntiAffinity(model: ClusterModel): k8s.types.input.core.v1.PodAntiAffinity {
    const term = { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: model.names.selectorLabels } };
    return model.antiAffinity === "required"
        ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
}

export function statefulSetArgs(model: ClusterModel): k8s.apps.v1.StatefulSetArgs {
    const { names, profile, cluster, namespace } = model;
    const { volumes, mounts, initContainers, sidecars = [] } = profile.volumes(names, model.secrets);
    // A port a sidecar declares is that container's (port names are unique within a pod).
    const sidecarPorts = new Set(sidecars.flatMap((c) => (c.ports as Array<{ name?: string }> | undefined) ?? []).map((p) => p.name));
    const metrics = profile.metrics;
    const permissions = volumePermissionsInitContainer(model, profile.image);
    const podLabels = { ...names.commonLabels, [LABEL_VERSION]: cluster.version };
    return {
        metadata: { name: names.statefulSet, namespace, labels: podLabels, annotations: { [AWAIT_TIMEOUT_ANNOTATION]: String(rolloutAwaitSeconds(model)) } },
        spec: {
            serviceName: names.headlessService,
            replicas: cluster.replicas,
            // Erlang nodes must boot together to find each other; ordered start would deadlock
            // a node waiting for peers behind a readiness gate.
            podManagementPolicy: "Parallel",
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
            selector: { matchLabels: names.selectorLabels },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
                metadata: {
                    labels: podLabels,
                    annotations: {
                        [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(model),
                        ...(metrics
                            ? {
                                  "prometheus.io/scrape": "true",
                                  "prometheus.io/port": String(portNamed(profile, metrics.portName).port),
                                  "prometheus.io/path": metrics.path,
                                  ...(metrics.scheme === "https" ? { "prometheus.io/scheme": "https" } : {}),
                              }
                            : {}),
                    },
                },
                spec: {
                    serviceAccountName: names.serviceAccount,
                    automountServiceAccountToken: model.needsApiAccess,
                    terminationGracePeriodSeconds: profile.terminationGracePeriodSeconds,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: profile.uid,
                        runAsGroup: profile.uid,
                        fsGroup: profile.uid,
                        fsGroupChangePolicy: "OnRootMismatch",
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    affinity: { podAntiAffinity: podAntiAffinity(model) },
                    initContainers: [...(permissions ? [permissions] : []), ...initContainers],
                    containers: [
                        {
                            name: cluster.engine,
                            image: profile.image,
                            imagePullPolicy: "IfNotPresent",
                            ...(profile.command ? { command: profile.command } : {}),
                            env: profile.env(names, model.secrets),
                            ports: profile.ports.filter((p) => !sidecarPorts.has(p.name)).map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
                            readinessProbe: profile.readinessProbe,
                            lifecycle: {
                                ...(profile.postStart ? { postStart: { exec: { command: profile.postStart } } } : {}),
                                preStop: { exec: { command: profile.preStop } },
                            },
                            resources: {
                                requests: { ...cluster.resources.requests },
                                limits: { ...cluster.resources.limits },
                            },
                            securityContext: restrictedContainerSecurity(profile.uid),
                            volumeMounts: [{ name: DATA_VOLUME, mountPath: profile.dataMountPath }, ...mounts],
                        },
                        ...sidecars,
                    ],
                    volumes,
                },
            },
            volumeClaimTemplates: [dataClaimTemplate(model)],
        },
    };
}

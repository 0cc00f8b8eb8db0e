import * as k8s from "@pulumi/kubernetes";
import { ClusterSettings } from "../config/schema";
import { ClusterNames } from "../naming";
import { EngineProfile, podIdentityEnv, SecretRefs } from "./profile";
import { literalEnvValue } from "../config/text";

type EnvVar = k8s.types.input.core.v1.EnvVar;

const UID = 1000;

/** EMQX cluster discovery settings; every name comes from the naming module. */
export function emqxDiscoveryEnv(cluster: ClusterSettings, names: ClusterNames, namespace: string, clusterDomain: string): EnvVar[] {
    const common = [{ name: "EMQX_CLUSTER__NAME", value: cluster.name }];
    if ((cluster.discovery ?? "dns") === "k8s") {
        return [
            ...common,
            { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "k8s" },
            { name: "EMQX_CLUSTER__K8S__APISERVER", value: `https://kubernetes.default.svc.${clusterDomain}:443` },
            { name: "EMQX_CLUSTER__K8S__SERVICE_NAME", value: names.headlessService },
            { name: "EMQX_CLUSTER__K8S__ADDRESS_TYPE", value: "hostname" },
            { name: "EMQX_CLUSTER__K8S__NAMESPACE", value: namespace },
            { name: "EMQX_CLUSTER__K8S__SUFFIX", value: `svc.${clusterDomain}` },
        ];
    }
    return [
        ...common,
        { name: "EMQX_CLUSTER__DISCOVERY_STRATEGY", value: "dns" },
        { name: "EMQX_CLUSTER__DNS__NAME", value: names.headlessDomain },
        // SRV answers carry each pod's hostname, which is what the node names are built from.
        { name: "EMQX_CLUSTER__DNS__RECORD_TYPE", value: "srv" },
    ];
}

export function emqxProfile(cluster: ClusterSettings, names: ClusterNames, namespace: string, clusterDomain: string): EngineProfile {
    const image = `${cluster.image ?? "emqx/emqx"}:${cluster.version}`;
    // Passed on as written: Kubernetes would otherwise expand `$(VAR)` inside the value.
    const extraEnv = Object.entries(cluster.extraConfig).map(([name, value]) => ({ name, value: literalEnvValue(String(value)) }));
    return {
        image,
        uid: UID,
        dataMountPath: "/opt/emqx/data",
        ports: [
            { name: "mqtt", port: 1883, audience: "client" },
            { name: "mqtts", port: 8883, audience: "client" },
            { name: "ws", port: 8083, audience: "client" },
            { name: "wss", port: 8084, audience: "client" },
            { name: "dashboard", port: 18083, audience: "client" },
            // Erlang distribution: EMQX listens on a fixed port instead of registering with epmd.
            { name: "ekka", port: 4370, audience: "peer" },
            // Cluster RPC: the official image fixes it at 5369 (outside containers it is 5370 + node suffix).
            { name: "gen-rpc", port: 5369, audience: "peer" },
        ],
        // EMQX takes its settings from the environment; nothing to put in a ConfigMap file.
        configFiles: {},
        env: (n: ClusterNames, secrets: SecretRefs) => [
            ...podIdentityEnv(),
            { name: "EMQX_HOST", value: `$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__NAME", value: `${n.nodePrefix}@$(POD_NAME).${n.headlessDomain}` },
            { name: "EMQX_NODE__COOKIE", valueFrom: { secretKeyRef: { name: secrets.cookie.name, key: secrets.cookie.key } } },
            ...emqxDiscoveryEnv(cluster, n, namespace, clusterDomain),
            { name: "EMQX_DASHBOARD__DEFAULT_USERNAME", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "username" } } },
            { name: "EMQX_DASHBOARD__DEFAULT_PASSWORD", valueFrom: { secretKeyRef: { name: secrets.admin.name, key: "password" } } },
            ...extraEnv,
        ],
        volumes: () => ({ volumes: [], mounts: [], initContainers: [] }),
        readinessProbe: { httpGet: { path: "/status", port: "dashboard" }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 6 },
        // Give load balancers time to drop the endpoint before MQTT listeners close.
        preStop: ["sh", "-c", "sleep 15"],
        terminationGracePeriodSeconds: cluster.terminationGracePeriodSeconds ?? 120,
        // The dashboard listener serves the Prometheus endpoint; there is no separate metrics port.
        metrics: { portName: "dashboard", path: "/api/v5/prometheus/stats" },
        managementPort: "dashboard",
        connection: { scheme: "mqtt", portName: "mqtt", path: "" },
    };
}

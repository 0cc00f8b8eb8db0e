import * as k8s from "@pulumi/kubernetes";
import { PeerSettings } from "../config/network-policy";
import { BrokerPort } from "../engines/profile";
import { ClusterModel } from "../model";
import { objectMeta } from "./meta";

type Rule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/**
 * Who may reach each client port: the union of the peer lists of every role the port plays (the
 * EMQX dashboard port is also its metrics port), or undefined (every source) when any of those
 * roles is left open, so enabling the policy never closes a port nobody asked to close.
 */
function clientPortPeers(model: ClusterModel, port: BrokerPort): PeerSettings[] | undefined {
    const np = model.cluster.networkPolicy;
    const { profile } = model;
    const roles: Array<PeerSettings[] | undefined> = [];
    if (profile.managementPort !== undefined && port.name === profile.managementPort) roles.push(np?.managementPeers);
    if (profile.metrics && port.name === profile.metrics.portName) roles.push(np?.metricsPeers);
    if (roles.length === 0) roles.push(np?.clientPeers);
    if (roles.some((r) => r === undefined)) return undefined;
    return roles.flatMap((r) => r ?? []);
}

function tcp(ports: BrokerPort[]) {
    return ports.map((p) => ({ protocol: "TCP", port: p.port }));
}

/**
 * Ingress isolation of one cluster's pods. epmd, Erlang distribution and cluster RPC admit only
 * the cluster's own pods (and its post-deploy Job): anyone who reaches them with the cookie runs code on every node. The
 * client, management and metrics ports admit the configured peers, or every source. Ingress only:
 * egress goes to DNS, the API server (discovery) and whatever shovels, bridges or webhooks the
 * broker is configured with, none of which this package can know.
 */
export function networkPolicyArgs(model: ClusterModel): k8s.networking.v1.NetworkPolicyArgs | undefined {
    if (!model.cluster.networkPolicy?.enabled) return undefined;
    const { names, profile } = model;
    const ownPods: Peer = { podSelector: { matchLabels: names.selectorLabels } };
    // A rule without ports admits every port: the peer-only rule exists only when there are peer-only ports.
    const peerOnly = profile.ports.filter((p) => p.audience === "peer");
    // The post-deploy Job (RabbitMQ's feature flags) speaks Erlang distribution to the members too.
    const postDeploy: Peer[] = profile.postDeploy ? [{ podSelector: { matchLabels: names.postDeployLabels } }] : [];
    const ingress: Rule[] = peerOnly.length > 0 ? [{ from: [ownPods, ...postDeploy], ports: tcp(peerOnly) }] : [];
    // One rule per distinct peer set, in the profile's port order. Ports members use as well as
    // clients (Redis, Sentinel) admit the cluster's own pods besides the client peers.
    const groups = new Map<string, { peers?: Peer[]; ports: BrokerPort[] }>();
    for (const port of profile.ports.filter((p) => p.audience !== "peer")) {
        const listed: Peer[] | undefined = clientPortPeers(model, port);
        const peers = listed && port.audience === "both" ? [ownPods, ...listed] : listed;
        const key = JSON.stringify(peers ?? null);
        const group = groups.get(key) ?? { peers, ports: [] };
        group.ports.push(port);
        groups.set(key, group);
    }
    for (const { peers, ports } of groups.values()) ingress.push({ ...(peers ? { from: peers } : {}), ports: tcp(ports) });
    return {
        metadata: objectMeta(model, names.networkPolicy),
        spec: { podSelector: { matchLabels: names.selectorLabels }, policyTypes: ["Ingress"], ingress },
    };
}

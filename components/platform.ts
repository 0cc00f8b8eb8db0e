import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BrokerCluster } from "./broker-cluster";
import { PlatformSettings } from "./config/schema";
import { resolveCluster } from "./model";
import { BrokerNamespace } from "./namespace";
import { claimStorageClass } from "./builders/storage";
import { adoptableIds, LiveState, previousDeployment, stackOwner } from "./live/state";

export interface BrokerPlatformArgs {
    /** Validated settings (see `parseSettings` / `loadStackSettings`). */
    settings: PlatformSettings;
    /**
     * The retained objects as found in the cluster (`loadLiveState`): what this stack made and
     * retained is adopted, and what its deployment records say ran last sizes the claim template
     * and the claims to expand. Without it, the platform deploys as if into an empty cluster.
     */
    live?: LiveState;
    /** Kubernetes provider; defaults to the ambient one. */
    provider?: k8s.Provider;
}

/** Per-cluster facts a stack exports (the day-2 guards read the deployment records instead). */
export interface ClusterSummary {
    engine: string;
    version: string;
    replicas: number;
    storageClass: string;
    claimTemplateSize: string;
    volumeSize: string;
    clientHost: string;
    nodeNames: string[];
    /** RabbitMQ, EMQX. */
    managementUrl?: string;
    /** RabbitMQ, EMQX. */
    cookieSecret?: pulumi.Output<string>;
    /** RabbitMQ, EMQX: the administrator, for operators. */
    adminSecret?: pulumi.Output<string>;
    /** RabbitMQ: the application user's Secret (what `connectionUrl` carries). */
    appSecret?: pulumi.Output<string>;
    /** Redis: the Secret of the shared password. */
    passwordSecret?: pulumi.Output<string>;
    /** MongoDB: the Secret of the keyFile. */
    keyFileSecret?: pulumi.Output<string>;
    /** Redis: the Sentinels (`host:port`) and the master name to ask them for. */
    sentinels?: { endpoints: string[]; masterName: string };
    /** Secret Output. */
    connectionUrl: pulumi.Output<string>;
    /** EMQX only; secret Output. */
    clientConnectionUrl?: pulumi.Output<string>;
    /** EMQX with client authentication: name of the client user's Secret. */
    clientSecret?: pulumi.Output<string>;
}

/** A stack's brokers: the namespace and every configured cluster in it. */
export class BrokerPlatform extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly clusters: Record<string, BrokerCluster>;

    constructor(name: string, args: BrokerPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:BrokerPlatform", name, {}, opts);
        const { settings, provider } = args;
        const retention = { owner: args.live?.owner ?? stackOwner(), retainOnDelete: settings.retainDataOnDelete, adoptable: adoptableIds(args.live) };
        const previous = previousDeployment(args.live);
        const ns = new BrokerNamespace(settings.namespace, { name: settings.namespace, create: settings.createNamespace, retention, provider }, { parent: this });
        this.namespace = ns.name;
        this.clusters = {};
        for (const cluster of settings.clusters) {
            this.clusters[cluster.name] = new BrokerCluster(
                cluster.name,
                { model: resolveCluster(settings, cluster, previous?.[cluster.name]), retention, provider, dependsOn: [ns] },
                { parent: this },
            );
        }
        this.registerOutputs({ namespace: this.namespace });
    }

    /** Stack outputs per cluster; connection URLs stay secret. */
    summary(): Record<string, ClusterSummary> {
        return Object.fromEntries(Object.entries(this.clusters).map(([name, c]) => [name, clusterSummary(c)]));
    }
}

/** What a stack exports for one cluster; connection URLs stay secret. */
export function clusterSummary(c: BrokerCluster): ClusterSummary {
    const { cluster } = c.model;
    return {
        engine: cluster.engine,
        version: cluster.version,
        replicas: cluster.replicas,
        storageClass: claimStorageClass(c.model),
        claimTemplateSize: c.model.claimTemplateSize,
        volumeSize: c.model.volumeSize,
        clientHost: c.clientHost,
        nodeNames: c.nodeNames,
        ...(c.managementUrl ? { managementUrl: c.managementUrl } : {}),
        ...(c.cookieSecretName ? { cookieSecret: c.cookieSecretName } : {}),
        ...(c.adminSecretName ? { adminSecret: c.adminSecretName } : {}),
        ...(c.appSecretName ? { appSecret: c.appSecretName } : {}),
        ...(c.passwordSecretName ? (cluster.engine === "mongodb" ? { keyFileSecret: c.passwordSecretName } : { passwordSecret: c.passwordSecretName }) : {}),
        ...(c.sentinels ? { sentinels: c.sentinels } : {}),
        connectionUrl: c.connectionUrl,
        ...(c.clientConnectionUrl ? { clientConnectionUrl: c.clientConnectionUrl } : {}),
        ...(c.clientSecretName ? { clientSecret: c.clientSecretName } : {}),
    };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AdminCredentials } from "./admin-credentials";
import { BrokerStorage } from "./broker-storage";
import { childOptions, defaultRetention, Retention, retainedOptions } from "./common";
import { importId, stackOwner } from "./live/state";
import { deploymentRecordArgs } from "./builders/record";
import { AppCredentials } from "./app-credentials";
import { applicationVhosts, configMapArgs, DEFAULT_DEFINITIONS, definitionsSecretArgs, rabbitPasswordHash, renderDefinitions } from "./builders/config";
import { certificateArgs } from "./builders/certificate";
import { managementIngressArgs } from "./builders/ingress";
import { networkPolicyArgs } from "./builders/networkpolicy";
import { podDisruptionBudgetArgs } from "./builders/pdb";
import { postDeployJobArgs } from "./builders/post-deploy";
import { serviceMonitorArgs } from "./builders/servicemonitor";
import { clientServiceArgs, headlessServiceArgs } from "./builders/services";
import { statefulSetArgs } from "./builders/statefulset";
import { portNamed } from "./engines/profile";
import { isRedisFamily } from "./engines/redis-flavor";
import { ErlangCookie } from "./erlang-cookie";
import { ClusterModel, hasClientUser } from "./model";
import { MqttClientCredentials } from "./mqtt-client-credentials";
import { PeerDiscoveryRbac } from "./peer-discovery-rbac";
import { SharedPassword } from "./shared-password";

export interface BrokerClusterArgs {
    /** The resolved cluster (see `resolveCluster`). */
    model: ClusterModel;
    /**
     * How the data volumes and the deployment record outlive destroy and are adopted again;
     * default: kept on delete, annotated with this stack, nothing adopted.
     */
    retention?: Retention;
    /** Kubernetes provider; defaults to the ambient one. */
    provider?: k8s.Provider;
    /** Resources to create first, typically the namespace. */
    dependsOn?: pulumi.Resource[];
}

/** One clustered broker: secrets, RBAC, storage, Services, configuration, StatefulSet and PDB; a NetworkPolicy and a ServiceMonitor when asked for. */
export class BrokerCluster extends pulumi.ComponentResource {
    /** DNS name of the client Service. */
    readonly clientHost: string;
    /** Erlang node names, by ordinal. */
    readonly nodeNames: string[];
    /** URL of the management UI / dashboard through the client Service; none for Redis. */
    readonly managementUrl?: string;
    /** RabbitMQ, EMQX: the Secret of the Erlang cookie. */
    readonly cookieSecretName?: pulumi.Output<string>;
    /** RabbitMQ, EMQX: the Secret of the admin login. */
    readonly adminSecretName?: pulumi.Output<string>;
    /** RabbitMQ: the Secret of the application user the connection URL carries (`username`, `password`). */
    readonly appSecretName?: pulumi.Output<string>;
    /** Redis: the Secret of the shared password; MongoDB: the Secret of the keyFile. */
    readonly passwordSecretName?: pulumi.Output<string>;
    /** Redis: `host:port` of every Sentinel (the pods' hostnames), and the master name they monitor. */
    readonly sentinels?: { endpoints: string[]; masterName: string };
    /**
     * A URL that connects; a secret Output. RabbitMQ: AMQP(S) with the application user (publish and
     * consume on the declared vhosts, no management), on the first declared vhost. EMQX: the
     * same as `clientConnectionUrl` (the dashboard admin is no MQTT user once an authenticator exists).
     */
    readonly connectionUrl: pulumi.Output<string>;
    /**
     * EMQX only: MQTT URL of the generated client user, or without credentials when the cluster
     * allows anonymous clients; a secret Output.
     */
    readonly clientConnectionUrl?: pulumi.Output<string>;
    /** EMQX with client authentication: the Secret holding the client user's `username` and `password`. */
    readonly clientSecretName?: pulumi.Output<string>;
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly model: ClusterModel;

    constructor(name: string, args: BrokerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("broker-platform:index:BrokerCluster", name, {}, opts);
        const { model } = args;
        const retention = args.retention ?? defaultRetention(stackOwner());
        this.model = model;
        const { names, profile, cluster } = model;
        const part = { model, provider: args.provider, dependsOn: args.dependsOn };

        // The secret the members share: the Erlang cookie, or (Redis) the password.
        const cookie = profile.sharedSecret === "erlang-cookie" ? new ErlangCookie(`${name}-erlang-cookie`, part, { parent: this }) : undefined;
        const password =
            profile.sharedSecret === "password" ? new SharedPassword(`${name}-password`, part, { parent: this })
            : profile.sharedSecret === "keyfile" ? new SharedPassword(`${name}-keyfile`, part, { parent: this })
            : undefined;
        const admin = profile.adminUser ? new AdminCredentials(`${name}-admin`, part, { parent: this }) : undefined;
        const app = cluster.engine === "rabbitmq" ? new AppCredentials(`${name}-app`, part, { parent: this }) : undefined;
        const rbac = new PeerDiscoveryRbac(`${name}-rbac`, part, { parent: this });
        const storage = new BrokerStorage(`${name}-data`, { ...part, retention }, { parent: this });

        const podInputs = [cookie, password, admin, app, rbac, storage].filter((r): r is NonNullable<typeof r> => r !== undefined) as pulumi.Resource[];
        const client = hasClientUser(model) ? new MqttClientCredentials(`${name}-mqtt-client`, part, { parent: this }) : undefined;
        if (client) podInputs.push(client);
        if (Object.keys(profile.configFiles).length > 0) {
            podInputs.push(new k8s.core.v1.ConfigMap(`${name}-config`, configMapArgs(model), childOptions(this, args)));
        }
        if (cluster.engine === "rabbitmq" && admin && app) {
            const definitions = cluster.definitions ?? DEFAULT_DEFINITIONS;
            const salt = new random.RandomBytes(`${name}-password-salt`, { length: 4 }, { parent: this });
            const json = pulumi.all([admin.username, admin.password, app.username, app.password, salt.base64]).apply(([adminUser, adminPassword, appUser, appPassword, saltB64]) => {
                const hash = (password: string) => rabbitPasswordHash(password, Buffer.from(saltB64, "base64"));
                return renderDefinitions(definitions, { admin: { name: adminUser, passwordHash: hash(adminPassword) }, app: { name: appUser, passwordHash: hash(appPassword) } });
            });
            podInputs.push(new k8s.core.v1.Secret(`${name}-definitions`, definitionsSecretArgs(model, pulumi.secret(json)), childOptions(this, args)));
        }

        const certificate = certificateArgs(model);
        if (certificate) {
            // Registered only when configured: without cert-manager the cluster has no such kind.
            podInputs.push(new k8s.apiextensions.CustomResource(`${name}-tls`, certificate, childOptions(this, args)));
        }

        const headless = new k8s.core.v1.Service(`${name}-headless`, headlessServiceArgs(model), childOptions(this, args));
        new k8s.core.v1.Service(`${name}-client`, clientServiceArgs(model), childOptions(this, args));
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            statefulSetArgs(model),
            childOptions(this, args, {
                dependsOn: [...(args.dependsOn ?? []), headless, ...podInputs],
                // The claim template is immutable; the model keeps it at its creation-time value
                // and grows claims in place, and this keeps any drift from replacing the set.
                ignoreChanges: ["spec.volumeClaimTemplates"],
            }),
        );
        const postDeploy = postDeployJobArgs(model);
        if (postDeploy) {
            new k8s.batch.v1.Job(`${name}-post-deploy`, postDeploy, childOptions(this, args, { dependsOn: [...(args.dependsOn ?? []), this.statefulSet], deleteBeforeReplace: true }));
        }
        // Written after the StatefulSet has rolled out, so it never describes a change that failed.
        new k8s.core.v1.ConfigMap(
            `${name}-deployment`,
            deploymentRecordArgs(model, retention.owner),
            childOptions(this, args, {
                dependsOn: [...(args.dependsOn ?? []), this.statefulSet],
                ...retainedOptions(retention, "ConfigMap", importId(names.deploymentRecord, model.namespace)),
                // The data key is constant; a record written before it existed keeps its empty data
                // rather than being replaced (a replacement of a retained object would orphan it).
                ignoreChanges: ["data"],
            }),
        );
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, podDisruptionBudgetArgs(model), childOptions(this, args));
        const ingress = managementIngressArgs(model);
        if (ingress) new k8s.networking.v1.Ingress(`${name}-management`, ingress, childOptions(this, args));
        const networkPolicy = networkPolicyArgs(model);
        if (networkPolicy) new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, networkPolicy, childOptions(this, args));
        // A custom resource: registered only when asked for, since it needs the operator's CRD.
        const serviceMonitor = serviceMonitorArgs(model);
        if (serviceMonitor) new k8s.apiextensions.CustomResource(`${name}-service-monitor`, serviceMonitor, childOptions(this, args));

        const port = (portName: string) => portNamed(profile, portName).port;
        this.clientHost = names.clientServiceHost;
        this.nodeNames = Array.from({ length: cluster.replicas }, (_, i) => names.nodeName(i));
        if (cluster.ingress) this.managementUrl = `${cluster.ingress.tlsSecretName ? "https" : "http"}://${cluster.ingress.host}/`;
        else if (profile.managementPort) this.managementUrl = `${profile.managementScheme}://${names.clientServiceHost}:${port(profile.managementPort)}/`;
        this.cookieSecretName = cookie?.secretName;
        this.adminSecretName = admin?.secretName;
        this.passwordSecretName = password?.secretName;
        const { scheme, portName, path } = profile.connection;
        const url = (credentials?: [pulumi.Output<string>, pulumi.Output<string>]) =>
            pulumi.secret(
                credentials
                    ? pulumi.all(credentials).apply(([u, p]) => `${scheme}://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${names.clientServiceHost}:${port(portName)}${path}`)
                    : pulumi.output(`${scheme}://${names.clientServiceHost}:${port(portName)}${path}`),
            );
        if (isRedisFamily(cluster.engine)) {
            // Sentinel discovery in the URL form Lettuce and others read:
            // redis-sentinel://:<password>@<sentinel>,<sentinel>/0#<master>.
            const endpoints = this.nodeNames.map((host) => `${host}:${port(portName)}`);
            this.sentinels = { endpoints, masterName: names.sentinelMaster };
            const tail = `${endpoints.join(",")}/0#${names.sentinelMaster}`;
            this.connectionUrl = pulumi.secret(password?.password ? password.password.apply((p) => `${scheme}://:${encodeURIComponent(p)}@${tail}`) : pulumi.output(`${scheme}://${tail}`));
        } else if (cluster.engine === "mongodb") {
            // Every member by its pod hostname, so a driver finds the primary after any election.
            const seeds = this.nodeNames.map((host) => `${host}:${port(portName)}`).join(",");
            const query = `?replicaSet=${names.replicaSet}&authSource=admin`;
            this.connectionUrl = pulumi.secret(
                admin ? pulumi.all([admin.username, admin.password]).apply(([u, p]) => `${scheme}://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${seeds}/${query}`) : pulumi.output(`${scheme}://${seeds}/${query}`),
            );
        } else if (cluster.engine === "emqx") {
            this.clientConnectionUrl = url(client ? [client.username, client.password] : undefined);
            this.clientSecretName = client?.secretName;
            this.connectionUrl = this.clientConnectionUrl;
        } else {
            // RabbitMQ: the application user, on the first declared vhost; the admin stays in its Secret for operators.
            this.appSecretName = app?.secretName;
            const vhost = encodeURIComponent(applicationVhosts(cluster.definitions ?? DEFAULT_DEFINITIONS)[0]);
            this.connectionUrl = pulumi.secret(
                app
                    ? pulumi.all([app.username, app.password]).apply(([u, p]) => `${scheme}://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${names.clientServiceHost}:${port(portName)}/${vhost}`)
                    : pulumi.output(`${scheme}://${names.clientServiceHost}:${port(portName)}/${vhost}`),
            );
        }
        this.registerOutputs({
            clientHost: this.clientHost,
            nodeNames: this.nodeNames,
            ...(this.managementUrl ? { managementUrl: this.managementUrl } : {}),
            ...(this.cookieSecretName ? { cookieSecretName: this.cookieSecretName } : {}),
            ...(this.adminSecretName ? { adminSecretName: this.adminSecretName } : {}),
            ...(this.appSecretName ? { appSecretName: this.appSecretName } : {}),
            ...(this.passwordSecretName ? { passwordSecretName: this.passwordSecretName } : {}),
            ...(this.sentinels ? { sentinels: this.sentinels } : {}),
            connectionUrl: this.connectionUrl,
            ...(this.clientConnectionUrl ? { clientConnectionUrl: this.clientConnectionUrl } : {}),
            ...(this.clientSecretName ? { clientSecretName: this.clientSecretName } : {}),
        });
    }
}

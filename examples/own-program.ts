import * as pulumi from "@pulumi/pulumi";
import { BrokerCluster, parseSettings, resolveCluster } from "../components";

// One RabbitMQ cluster inside an existing namespace, configured in code instead of stack config.
// The same validation applies: a bad value fails here, before anything is registered.
const settings = parseSettings(
    {
        namespace: "payments",
        createNamespace: false,
        storage: { mode: "storageClass", className: "standard", size: "20Gi" },
        clusters: [{ name: "ledger-mq", engine: "rabbitmq", version: "4.1.4", replicas: 3 }],
    },
    "payments",
);

const mq = new BrokerCluster("ledger-mq", {
    model: resolveCluster(settings, settings.clusters[0]),
});

export const nodeNames = mq.nodeNames;
export const amqpUrl = pulumi.secret(mq.connectionUrl);

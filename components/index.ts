/**
 * Components for clustered Erlang brokers (RabbitMQ, EMQX) on Kubernetes. Import these into any
 * Pulumi program; `BrokerPlatform` builds a whole stack from validated settings, and the smaller
 * components and builders can be composed on their own.
 */
export * from "./naming";
export * from "./model";
export * from "./config/schema";
export * from "./config/load";
export * from "./config/stack";
export * from "./engines/versions";
export type { EngineProfile, BrokerPort, SecretRefs } from "./engines/profile";
export * from "./builders/services";
export * from "./builders/statefulset";
export * from "./builders/storage";
export * from "./builders/rbac";
export * from "./builders/pdb";
export * from "./builders/config";
export * from "./builders/ingress";
export * from "./builders/networkpolicy";
export * from "./builders/servicemonitor";
export * from "./config/network-policy";
export * from "./config/monitoring";
export * from "./builders/certificate";
export * from "./config/tls";
export * from "./builders/mqtt-auth";
export * from "./namespace";
export * from "./erlang-cookie";
export * from "./shared-password";
export { redisProfile, sentinelQuorum, REDIS_PORT, SENTINEL_PORT } from "./engines/redis";
export { mongodbProfile, MONGO_PORT, KEYFILE_PATH } from "./engines/mongodb";
export * from "./admin-credentials";
export * from "./mqtt-client-credentials";
export * from "./peer-discovery-rbac";
export * from "./broker-storage";
export * from "./broker-cluster";
export * from "./platform";
export * from "./day2/previous";
export * from "./day2/transitions";
export * from "./live";
export * from "./builders/record";

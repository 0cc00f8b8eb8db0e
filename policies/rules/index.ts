/** Every rule of the pack, in report order. */
import { Rule } from "../lib/rule";
import { credentials } from "./credentials";
import { deprecatedApi, imageTag, oddReplicas, podManagementPolicy, readinessProbe, resources } from "./advisories";
import { discoveryRbac } from "./discovery-rbac";
import { emqxCr } from "./emqx-cr";
import { distributionIsolation } from "./distribution-isolation";
import { erlangCookie } from "./erlang-cookie";
import { headlessService } from "./headless-service";
import { nodeNamesAgree } from "./node-names-agree";
import { pdb } from "./pdb";
import { perReplicaStorage } from "./per-replica-storage";
import { podAntiAffinity } from "./pod-anti-affinity";
import { pvSafety } from "./pv-safety";
import { rabbitmqClusterCr } from "./rabbitmqcluster-cr";
import { selectorMatchesTemplate } from "./selector-matches-template";
import { tlsSecret } from "./tls-secret";

export const RULES: Rule<any>[] = [
    headlessService,
    nodeNamesAgree,
    podAntiAffinity,
    erlangCookie,
    credentials,
    perReplicaStorage,
    pvSafety,
    discoveryRbac,
    pdb,
    selectorMatchesTemplate,
    rabbitmqClusterCr,
    emqxCr,
    distributionIsolation,
    tlsSecret,
    oddReplicas,
    resources,
    readinessProbe,
    imageTag,
    podManagementPolicy,
    deprecatedApi,
];

export const RULE_IDS = RULES.map((r) => r.id);

export {
    credentials,
    deprecatedApi,
    discoveryRbac,
    emqxCr,
    erlangCookie,
    headlessService,
    imageTag,
    nodeNamesAgree,
    oddReplicas,
    pdb,
    perReplicaStorage,
    podAntiAffinity,
    podManagementPolicy,
    pvSafety,
    rabbitmqClusterCr,
    readinessProbe,
    resources,
    selectorMatchesTemplate,
};

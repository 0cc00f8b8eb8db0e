/** Every rule of the pack, in report order. */
import { Rule } from "../lib/rule";
import { credentials } from "./credentials";
import { deprecatedApi, imageTag, oddReplicas, podManagementPolicy, readinessProbe, resources } from "./advisories";
import { discoveryRbac } from "./discovery-rbac";
import { erlangCookie } from "./erlang-cookie";
import { headlessService } from "./headless-service";
import { nodeNamesAgree } from "./node-names-agree";
import { pdb } from "./pdb";
import { perReplicaStorage } from "./per-replica-storage";
import { podAntiAffinity } from "./pod-anti-affinity";
import { pvSafety } from "./pv-safety";
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
    readinessProbe,
    resources,
    selectorMatchesTemplate,
};

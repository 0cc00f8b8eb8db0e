/** A Kubernetes object as written in a manifest: nothing about its shape is trusted. */
export type K8sObject = Record<string, any>;

/** How a finding is enforced. `disabled` switches a rule off. */
export type Enforcement = "mandatory" | "advisory" | "disabled";

/** What a rule reports: the object at fault and why. */
export interface Finding {
    object: K8sObject;
    message: string;
    /** An advisory sub-check of a mandatory rule (e.g. `publishNotReadyAddresses`). */
    advisory?: boolean;
}

/** Where an object came from, for messages and SARIF. */
export interface SourceRef {
    file?: string;
    line?: number;
    urn?: string;
}

/** A finding after enforcement levels have been applied. */
export interface Violation {
    policy: string;
    enforcement: "mandatory" | "advisory";
    /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds. */
    resource: string;
    message: string;
    file?: string;
    line?: number;
    urn?: string;
}

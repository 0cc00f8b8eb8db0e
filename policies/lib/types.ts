/** A Kubernetes object as written in a manifest: nothing about its shape is trusted. */
export type K8sObject = Record<string, any>;

/** How a finding is enforced. `disabled` switches a rule off. */
export type Enforcement = "mandatory" | "advisory" | "disabled";

/**
 * A field inside the objects a rule was given: the map or list that holds it (by identity) and
 * its key. Lets the CLI report the field's own line, which may be in another object than the one
 * at fault (a literal cookie in a ConfigMap that a StatefulSet reads).
 */
export interface FieldRef {
    node: object;
    key?: string | number;
}

/** What a rule reports: the object at fault and why. */
export interface Finding {
    object: K8sObject;
    message: string;
    /** An advisory sub-check of a mandatory rule (e.g. `publishNotReadyAddresses`). */
    advisory?: boolean;
    /** The offending field, when the rule knows it. */
    at?: FieldRef;
}

/** A position in a manifest file (1-based). */
export interface Position {
    file: string;
    line: number;
    column?: number;
}

/** Where an object came from, for messages and SARIF. */
export interface SourceRef {
    file?: string;
    line?: number;
    column?: number;
    urn?: string;
}

/** Where each object came from; the CLI resolves these lazily, CrossGuard passes a Map. */
export interface SourceLookup {
    get(object: K8sObject): SourceRef | undefined;
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
    column?: number;
    urn?: string;
}

import * as pulumi from "@pulumi/pulumi";
import { PlatformSettings } from "../config/schema";
import { clusterNames, OWNER_ANNOTATION, RECORD_ANNOTATION } from "../naming";
import { PreviousCluster, PreviousDeployment } from "../day2/previous";

/** What the program needs to know of a live object: that it exists, who made it, what it records. */
export interface LiveObject {
    uid: string;
    annotations: Record<string, string>;
}

/**
 * Reads single objects from the Kubernetes API; `undefined` when the object does not exist.
 * `kubeClusterReader` talks to the cluster the stack deploys to; tests pass their own.
 */
export interface ClusterReader {
    namespace(name: string): Promise<LiveObject | undefined>;
    persistentVolume(name: string): Promise<LiveObject | undefined>;
    configMap(namespace: string, name: string): Promise<LiveObject | undefined>;
}

/** The kinds of object that outlive `pulumi destroy`, and so may be found in place on an update. */
export type RetainedKind = "Namespace" | "PersistentVolume" | "ConfigMap";

/** One retained object the stack is about to register, as found in the cluster. */
export interface RetainedObject {
    kind: RetainedKind;
    name: string;
    /** For namespaced kinds (the deployment records). */
    namespace?: string;
    /** `name`, or `namespace/name` for namespaced objects (`importId`): also the provider's import id. */
    id: string;
    /** The cluster a deployment record belongs to. */
    recordOf?: string;
    live?: LiveObject;
}

/**
 * The cluster as this stack finds it before registering anything: every retained object it is
 * about to register (namespace, data volumes, deployment records), whether it exists and which
 * stack made it.
 */
export interface LiveState {
    /** This stack's identity, `<org>/<project>/<stack>`; written to every retained object. */
    owner: string;
    objects: RetainedObject[];
}

/** `<org>/<project>/<stack>` of the running program. */
export function stackOwner(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** The id the Kubernetes provider imports an object by: `name`, or `namespace/name`. */
export function importId(name: string, namespace?: string): string {
    return namespace ? `${namespace}/${name}` : name;
}

/** The retained objects a stack with these settings registers. */
export function retainedObjects(settings: PlatformSettings): Array<Omit<RetainedObject, "live">> {
    const out: Array<Omit<RetainedObject, "live">> = [];
    const add = (o: Omit<RetainedObject, "live" | "id">) => out.push({ ...o, id: importId(o.name, o.namespace) });
    if (settings.createNamespace) add({ kind: "Namespace", name: settings.namespace });
    for (const c of settings.clusters) {
        const names = clusterNames({ namespace: settings.namespace, name: c.name, engine: c.engine, clusterDomain: settings.clusterDomain });
        add({ kind: "ConfigMap", name: names.deploymentRecord, namespace: settings.namespace, recordOf: c.name });
        if (settings.storage.mode !== "storageClass") {
            for (let i = 0; i < c.replicas; i++) add({ kind: "PersistentVolume", name: names.dataVolume(i) });
        }
    }
    return out;
}

/** Looks up every retained object the settings would register (in parallel). */
export async function readLiveState(settings: PlatformSettings, reader: ClusterReader, owner: string = stackOwner()): Promise<LiveState> {
    const read = (o: Omit<RetainedObject, "live">) =>
        o.kind === "Namespace" ? reader.namespace(o.name) : o.kind === "PersistentVolume" ? reader.persistentVolume(o.name) : reader.configMap(o.namespace!, o.name);
    const objects = await Promise.all(
        retainedObjects(settings).map(async (o) => {
            const live = await read(o);
            return { ...o, ...(live ? { live } : {}) };
        }),
    );
    return { owner, objects };
}

/**
 * Objects that exist but were not made by this stack. Registering them would take them over
 * (and a later destroy or replacement would act on someone else's object), so the program stops.
 */
export function foreignObjectProblems(state: LiveState): string[] {
    return state.objects
        .filter((o) => o.live && o.live.annotations[OWNER_ANNOTATION] !== state.owner)
        .map((o) => {
            const owner = o.live!.annotations[OWNER_ANNOTATION];
            const whose = owner ? `it belongs to stack ${owner}` : `it was not created by this package (no ${OWNER_ANNOTATION} annotation)`;
            const fix =
                o.kind === "Namespace"
                    ? "choose another namespace, or set createNamespace: false to deploy into it without managing it"
                    : o.kind === "PersistentVolume"
                      ? "it may hold another deployment's data: choose another cluster name or namespace, or delete the volume once its data is safe"
                      : "choose another cluster name or namespace";
            return `${o.kind} ${o.id} already exists in the cluster and ${whose}; this stack will not take it over: ${fix}.`;
        });
}

/** Import id of each retained object this stack made earlier and finds in place (kind → ids). */
export function adoptableIds(state: LiveState | undefined): Set<string> {
    const ids = new Set<string>();
    for (const o of state?.objects ?? []) {
        if (o.live && o.live.annotations[OWNER_ANNOTATION] === state!.owner) ids.add(`${o.kind}:${o.id}`);
    }
    return ids;
}

/**
 * What the stack's deployment records say ran last: the day-2 guards compare against this. The
 * records are retained with the data, so after `pulumi destroy` they still describe the volumes.
 */
export function previousDeployment(state: LiveState | undefined): PreviousDeployment | undefined {
    if (!state) return undefined;
    const out: PreviousDeployment = {};
    for (const o of state.objects) {
        if (!o.recordOf || o.live?.annotations[OWNER_ANNOTATION] !== state.owner) continue;
        const parsed = parseRecord(o.live.annotations[RECORD_ANNOTATION]);
        if (parsed) out[o.recordOf] = parsed;
    }
    return Object.keys(out).length > 0 ? out : undefined;
}

function parseRecord(json: string | undefined): PreviousCluster | undefined {
    if (!json) return undefined;
    let c: Record<string, unknown>;
    try {
        c = JSON.parse(json);
    } catch {
        return undefined;
    }
    if (typeof c.replicas !== "number" || typeof c.version !== "string" || typeof c.engine !== "string") return undefined;
    const text = (k: string) => (typeof c[k] === "string" ? { [k]: c[k] as string } : {});
    const formation = Number.isInteger(c.formationSize) && (c.formationSize as number) > 0 ? { formationSize: c.formationSize as number } : {};
    return { engine: c.engine, version: c.version, replicas: c.replicas, ...text("storageClass"), ...text("claimTemplateSize"), ...text("volumeSize"), ...formation };
}

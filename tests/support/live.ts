import { ClusterReader, LiveObject, OWNER_ANNOTATION, RECORD_ANNOTATION } from "../../components";

/** Objects a test puts "in the cluster", keyed `<Kind>:<id>` (`Namespace:mq`, `ConfigMap:mq/rmq-deployment`). */
export type FakeCluster = Record<string, LiveObject>;

/** A ClusterReader over a fixed set of objects: what `loadLiveState` finds before registering. */
export function fakeReader(objects: FakeCluster = {}): ClusterReader {
    const get = (key: string) => Promise.resolve(objects[key]);
    return {
        namespace: (name) => get(`Namespace:${name}`),
        persistentVolume: (name) => get(`PersistentVolume:${name}`),
        configMap: (ns, name) => get(`ConfigMap:${ns}/${name}`),
    };
}

/** The deployment records a stack leaves behind, as the `clusters` output of its last update describes them. */
export function recordsFrom(namespace: string, owner: string, clusters: Record<string, unknown>): FakeCluster {
    const out: FakeCluster = {};
    for (const [name, c] of Object.entries(clusters)) {
        out[`ConfigMap:${namespace}/${name}-deployment`] = { uid: `uid-record-${name}`, annotations: { [OWNER_ANNOTATION]: owner, [RECORD_ANNOTATION]: JSON.stringify(c) } };
    }
    return out;
}

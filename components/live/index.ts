import { ConfigError } from "../config/load";
import { PlatformSettings } from "../config/schema";
import { kubeClusterReader, KubeReaderOptions } from "./kube-reader";
import { ClusterReader, foreignObjectProblems, LiveState, readLiveState, stackOwner } from "./state";

export * from "./state";
export * from "./kube-reader";

let readerOverride: ClusterReader | undefined;

/**
 * Makes `loadLiveState` read through `reader` instead of the Kubernetes API (tests; programs that
 * reach the cluster their own way). `undefined` restores the default.
 */
export function setClusterReader(reader: ClusterReader | undefined): void {
    readerOverride = reader;
}

/**
 * Reads, before any resource is registered, the retained objects this stack is about to register
 * (namespace, data volumes, deployment records). Stops the program when one exists that this
 * stack did not make; otherwise the result tells `BrokerPlatform` what to adopt and the day-2
 * guards what ran last (`previousDeployment`).
 */
export async function loadLiveState(settings: PlatformSettings, opts: KubeReaderOptions & { owner?: string } = {}): Promise<LiveState> {
    const reader = readerOverride ?? (await kubeClusterReader(opts));
    const state = await readLiveState(settings, reader, opts.owner ?? stackOwner());
    const foreign = foreignObjectProblems(state);
    if (foreign.length > 0) throw new ConfigError(foreign, "Objects in the way");
    return state;
}

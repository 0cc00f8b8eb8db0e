import * as pulumi from "@pulumi/pulumi";
import type { KubeConfig } from "@kubernetes/client-node";
import { runError } from "../config/load";
import { ClusterReader, LiveObject } from "./state";

/** Where to find the cluster: by default what the ambient Kubernetes provider uses. */
export interface KubeReaderOptions {
    /** Kubeconfig contents or path; default: `kubernetes:kubeconfig` config, then $KUBECONFIG or ~/.kube/config. */
    kubeconfig?: string;
    /** Context to use; default: `kubernetes:context` config, then the kubeconfig's current context. */
    context?: string;
}

/**
 * A reader for the cluster the stack deploys to, with the same kubeconfig resolution as the
 * ambient Kubernetes provider. It makes three kinds of GET (namespace, PV, ConfigMap), nothing else.
 */
export async function kubeClusterReader(opts: KubeReaderOptions = {}): Promise<ClusterReader> {
    // Loaded on first use: programs under test pass their own reader and never pay for it.
    const k8s = await import("@kubernetes/client-node");
    const providerConfig = new pulumi.Config("kubernetes");
    const kc = new k8s.KubeConfig();
    const source = opts.kubeconfig ?? providerConfig.get("kubeconfig");
    const context = opts.context ?? providerConfig.get("context");
    try {
        if (source === undefined) kc.loadFromDefault();
        else if (/^\s*(apiVersion|kind|clusters|\{)/m.test(source)) kc.loadFromString(source);
        else kc.loadFromFile(source);
        if (context) kc.setCurrentContext(context);
    } catch (e) {
        const from = source === undefined ? `$KUBECONFIG (${process.env.KUBECONFIG ?? "unset"}) or ~/.kube/config` : "kubernetes:kubeconfig";
        throw runError(`Cannot load the kubeconfig from ${from}${context ? ` with context ${context}` : ""}: ${describe(e)}`);
    }
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const read = async (what: string, get: () => Promise<{ metadata?: { uid?: string; annotations?: Record<string, string> } }>): Promise<LiveObject | undefined> => {
        try {
            const o = await get();
            return { uid: o.metadata?.uid ?? "", annotations: o.metadata?.annotations ?? {} };
        } catch (e) {
            if ((e as { code?: unknown }).code === 404) return undefined;
            throw runError(`Cannot read ${what} from the cluster at ${server(kc)} (needed to adopt what this stack retained and to compare with what runs): ${describe(e)}`);
        }
    };
    return {
        namespace: (name) => read(`namespace ${name}`, () => core.readNamespace({ name })),
        persistentVolume: (name) => read(`PersistentVolume ${name}`, () => core.readPersistentVolume({ name })),
        configMap: (namespace, name) => read(`ConfigMap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ namespace, name })),
    };
}

function server(kc: KubeConfig): string {
    return kc.getCurrentCluster()?.server ?? "(no current cluster in the kubeconfig)";
}

function describe(e: unknown): string {
    const err = e as { code?: unknown; body?: unknown; message?: string; cause?: { message?: string } };
    if (typeof err.code === "number") return `HTTP ${err.code}${typeof err.body === "string" ? `: ${err.body.slice(0, 300)}` : ""}`;
    return err.cause?.message ?? err.message ?? String(e);
}

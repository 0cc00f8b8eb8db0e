/**
 * The component provider: what Pulumi YAML, Python, Go and C# programs call through `pulumi
 * package add`. A thin layer over the same pieces the TypeScript program uses (index.ts): the
 * inputs are validated by `parseSettings`, the live state is read and the day-2 guards run
 * before anything registers, and the components are `BrokerPlatform` and `BrokerCluster`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { BrokerCluster } from "../broker-cluster";
import { ConfigError, parseSettings } from "../config/load";
import { PlatformSettings } from "../config/schema";
import { assertSafeTransitions } from "../day2/transitions";
import { loadLiveState } from "../live";
import { adoptableIds, previousDeployment } from "../live/state";
import { resolveCluster } from "../model";
import { BrokerPlatform, clusterSummary, ClusterSummary } from "../platform";
import { CLUSTER_OUTPUTS, CLUSTER_TYPE, PACKAGE_NAME, packageSchema, PLATFORM_TYPE, SECRET_OUTPUTS } from "./schema";

/**
 * Error messages name keys as the TypeScript program's do (`broker-platform:clusters[0].replicas
 * = 2: ...`), so a problem reads the same whichever language set the value.
 */
const MESSAGE_PREFIX = PACKAGE_NAME;

/** Waits for every Output inside a value (a secret or dependent input) and returns the plain value. */
async function plain(value: unknown, key: string): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as pulumi.Output<unknown> & { isKnown: Promise<boolean>; promise(): Promise<unknown> };
        if (!(await o.isKnown)) {
            throw new ConfigError([`${MESSAGE_PREFIX}:${key}: is not known until the update runs; the platform needs its settings before it registers anything`]);
        }
        return plain(await o.promise(), key);
    }
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => plain(v, `${key}[${i}]`)));
    if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await plain(v, key ? `${key}.${k}` : k);
        return out;
    }
    return value;
}

/** One cluster's outputs: the platform's summary plus the Service names; without the secret URLs for the platform's `clusters` map. */
export function clusterOutputs(c: BrokerCluster, summary: ClusterSummary, opts: { secrets: boolean } = { secrets: true }): Record<string, unknown> {
    const out: Record<string, unknown> = { ...summary, clientService: c.model.names.clientService, headlessService: c.model.names.headlessService };
    for (const key of Object.keys(out)) if (!(key in CLUSTER_OUTPUTS) || (!opts.secrets && SECRET_OUTPUTS.includes(key))) delete out[key];
    return out;
}

/**
 * Validates platform inputs, reads the live state and applies the day-2 guards: what `index.ts`
 * does with stack config, here with a component's inputs.
 */
async function checkedPlatform(raw: Record<string, unknown>) {
    const settings = parseSettings(raw, MESSAGE_PREFIX);
    const live = await loadLiveState(settings);
    assertSafeTransitions(settings, previousDeployment(live), MESSAGE_PREFIX);
    return { settings, live };
}

/** `BrokerCluster` inputs as a one-cluster platform in an existing namespace; messages name `cluster.<key>`. */
async function checkedCluster(raw: Record<string, unknown>) {
    const { cluster, ...platform } = raw;
    const asPlatform = { ...platform, createNamespace: false, clusters: cluster === undefined ? undefined : [cluster] };
    try {
        return await checkedPlatform(asPlatform);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const rename = (p: string) => p.split(`${MESSAGE_PREFIX}:clusters[0]`).join(`${MESSAGE_PREFIX}:cluster`).split(`${MESSAGE_PREFIX}:clusters`).join(`${MESSAGE_PREFIX}:cluster`);
        throw new ConfigError(e.problems.map(rename), e.message.split("\n")[0].replace(/ \(\d+ problems?\):$/, ""));
    }
}

export class BrokerPlatformProvider implements provider.Provider {
    constructor(readonly version: string) {}

    async getSchema(): Promise<string> {
        return JSON.stringify(packageSchema(this.version));
    }

    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        const raw = (await plain(inputs, "")) as Record<string, unknown>;
        if (type === PLATFORM_TYPE) {
            const { settings, live } = await checkedPlatform(raw);
            const platform = new BrokerPlatform(name, { settings, live }, options);
            const entries = Object.entries(platform.clusters);
            const clusters = Object.fromEntries(entries.map(([n, c]) => [n, clusterOutputs(c, clusterSummary(c), { secrets: false })]));
            // Whole secret maps, cluster name → URL (see SECRET_OUTPUTS).
            const urls = (pick: (c: BrokerCluster) => pulumi.Output<string> | undefined) =>
                pulumi.secret(pulumi.output(Object.fromEntries(entries.flatMap(([n, c]) => (pick(c) ? [[n, pick(c)!]] : [])))));
            return {
                urn: platform.urn,
                state: { namespace: platform.namespace, clusters, connectionUrls: urls((c) => c.connectionUrl), clientConnectionUrls: urls((c) => c.clientConnectionUrl) },
            };
        }
        if (type === CLUSTER_TYPE) {
            const { settings, live } = await checkedCluster(raw);
            const c = settings.clusters[0];
            const cluster = new BrokerCluster(
                name,
                { model: resolveCluster(settings, c, previousDeployment(live)?.[c.name]), retention: retentionOf(settings, live) },
                options,
            );
            return { urn: cluster.urn, state: clusterOutputs(cluster, clusterSummary(cluster)) };
        }
        throw new Error(`unknown resource type ${type}; this package has ${PLATFORM_TYPE} and ${CLUSTER_TYPE}`);
    }
}

function retentionOf(settings: PlatformSettings, live: Awaited<ReturnType<typeof loadLiveState>>) {
    return { owner: live.owner, retainOnDelete: settings.retainDataOnDelete, adoptable: adoptableIds(live) };
}

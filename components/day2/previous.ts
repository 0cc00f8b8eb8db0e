import * as pulumi from "@pulumi/pulumi";

/** What the last successful update of this stack recorded about each cluster (its outputs). */
export interface PreviousCluster {
    engine: string;
    version: string;
    replicas: number;
    /** Storage class the claims were created with. */
    storageClass?: string;
    /** Size in the StatefulSet's claim template, fixed when the StatefulSet was created. */
    claimTemplateSize?: string;
    /** Size the volumes were last set to (grows through claim expansion). */
    volumeSize?: string;
}

export type PreviousDeployment = Record<string, PreviousCluster>;

/**
 * Reads the `clusters` output of this very stack's last update, so that changes which are only
 * dangerous relative to what runs (scale-down, downgrade) can be refused before anything is
 * registered. Undefined on a stack's first update.
 */
export async function readPreviousDeployment(): Promise<PreviousDeployment | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const details = await self.getOutputDetails("clusters");
    const value = (details.value ?? details.secretValue) as Record<string, Partial<PreviousCluster>> | undefined;
    if (!value || typeof value !== "object") return undefined;
    const out: PreviousDeployment = {};
    for (const [name, c] of Object.entries(value)) {
        if (c && typeof c.replicas === "number" && typeof c.version === "string" && typeof c.engine === "string") {
            out[name] = {
                engine: c.engine,
                version: c.version,
                replicas: c.replicas,
                ...(typeof c.storageClass === "string" ? { storageClass: c.storageClass } : {}),
                ...(typeof c.claimTemplateSize === "string" ? { claimTemplateSize: c.claimTemplateSize } : {}),
                ...(typeof c.volumeSize === "string" ? { volumeSize: c.volumeSize } : {}),
            };
        }
    }
    return out;
}

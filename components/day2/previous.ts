/** What a stack last deployed of one cluster, as its deployment record says (see `previousDeployment`). */
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
    /** Members the cluster first formed with (RabbitMQ's target cluster size); kept through scaling. */
    formationSize?: number;
}

export type PreviousDeployment = Record<string, PreviousCluster>;

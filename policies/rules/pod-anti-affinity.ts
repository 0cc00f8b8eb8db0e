/**
 * pod-anti-affinity: a broker with 2+ replicas carries a podAntiAffinity term on
 * `kubernetes.io/hostname` (or a zone/region key, whose domains hold whole nodes) whose selector
 * matches its own pods; a topology spread constraint counts as a preferred term. The term must be `required…` when
 * the data lives on hostPath/local volumes (two replicas on one node would share or lose a disk);
 * `preferred…` is enough otherwise unless `alwaysRequire` is set.
 */
import { z } from "zod";
import { dataMounts, templateNames } from "../lib/data";
import { Broker, buildModel, Model } from "../lib/model";
import { fieldOf, finding, Rule } from "../lib/rule";
import { HOSTNAME, spreadingOf } from "../lib/spreading";
import { brokerClaims, candidatePVs, isHostLocalPV } from "../lib/storage";
import { Finding } from "../lib/types";
import { rec, recs, str } from "../lib/util";

/**
 * Topology labels Kubernetes deprecated in 1.17 for `topology.kubernetes.io/zone` / `region`.
 * Nodes of clusters that dropped them carry neither, so a term on them spreads nothing.
 */
const DEPRECATED_TOPOLOGY_KEYS: Record<string, string> = {
    "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
};

/** Advisory: anti-affinity terms and spread constraints keyed on a deprecated topology label. */
function deprecatedTopologyKeys(b: Broker): Finding[] {
    const anti = rec(rec(b.podSpec.affinity)?.podAntiAffinity);
    const terms = [
        ...recs(anti?.requiredDuringSchedulingIgnoredDuringExecution),
        ...recs(anti?.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w.podAffinityTerm) ?? {}),
        ...recs(b.podSpec.topologySpreadConstraints),
    ];
    return terms.flatMap((term) => {
        const key = str(term.topologyKey);
        const current = key ? DEPRECATED_TOPOLOGY_KEYS[key] : undefined;
        if (!current) return [];
        return [finding(b.object, `${b.name} spreads its pods by ${key}, deprecated since Kubernetes 1.17: nodes are labelled ${current}, and on clusters that dropped the old label the term spreads nothing; use ${current}`, true, fieldOf(term, "topologyKey"))];
    });
}

const options = z.strictObject({
    /** Demand a `required…` term even when the data is on network storage. */
    alwaysRequire: z.boolean().default(false),
});
export type PodAntiAffinityOptions = z.infer<typeof options>;

/** Whether the broker's data sits on node-local storage (hostPath volume or hostPath/local PVs). */
export function dataOnNodeLocalStorage(b: Broker, model: Model): boolean {
    if (dataMounts(b).some((m) => m.volume && rec(m.volume.hostPath) && !templateNames(b).has(m.volumeName))) return true;
    for (const claim of brokerClaims(b, model)) {
        if (candidatePVs(claim, model).some(isHostLocalPV)) return true;
    }
    return false;
}

function check(b: Broker, model: Model, opts: PodAntiAffinityOptions): Finding[] {
    if (b.replicas < 2 || b.kind === "DaemonSet" || b.kind === "Pod") return [];
    return [...deprecatedTopologyKeys(b), ...spreadFindings(b, model, opts)];
}

function spreadFindings(b: Broker, model: Model, opts: PodAntiAffinityOptions): Finding[] {
    const { required, preferred, spread } = spreadingOf(b.podSpec, b.podLabels, b.namespace);
    const local = dataOnNodeLocalStorage(b, model);
    const mustRequire = opts.alwaysRequire || local;
    if (required) return [];
    if (mustRequire) {
        const why = local ? "its data lives on hostPath/local volumes, so two replicas on one node share or lose a disk" : "the pack is configured to always require it";
        return [
            finding(
                b.object,
                `${b.name} runs ${b.replicas} replicas without a requiredDuringSchedulingIgnoredDuringExecution podAntiAffinity term on ${HOSTNAME} matching its own pod labels; ${why}${preferred ? " (a preferred term is not enough)" : ""}`,
                false,
                fieldOf(b.podSpec, "affinity"),
            ),
        ];
    }
    if (preferred || spread) return [];
    return [
        finding(
            b.object,
            `${b.name} runs ${b.replicas} replicas without a podAntiAffinity term on ${HOSTNAME} matching its own pod labels: the scheduler may put several nodes of the cluster on one machine, and losing it loses the majority`,
            false,
            fieldOf(b.podSpec, "affinity"),
        ),
    ];
}

export const podAntiAffinity: Rule<PodAntiAffinityOptions> = {
    id: "pod-anti-affinity",
    description: "Brokers with 2+ replicas spread over nodes with podAntiAffinity on kubernetes.io/hostname (required on hostPath/local storage).",
    defaultEnforcement: "mandatory",
    options,
    check(objects, opts) {
        const model = buildModel(objects);
        return model.brokers.flatMap((b) => check(b, model, opts));
    },
};

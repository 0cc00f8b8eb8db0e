/**
 * pdb: a PodDisruptionBudget selecting broker pods must allow at least one eviction (or node drains
 * hang forever) and keep a majority of the replicas (or a drain can take the cluster below quorum).
 * Two PDBs selecting the same pods make every eviction fail. A broker without a PDB is advisory.
 */
import { Broker, buildModel, Model } from "../lib/model";
import { fieldOf, finding, noOptions, Rule } from "../lib/rule";
import { matchesSelector, parseLabelSelector, ParsedSelector } from "../lib/selectors";
import { Finding, K8sObject } from "../lib/types";
import { int, nameOf, rec, str } from "../lib/util";

/** An IntOrString budget scaled to `n` replicas (percentages round up, as the disruption controller does). */
function scaled(x: unknown, n: number): number | undefined {
    const i = int(x);
    if (i !== undefined && typeof x === "number") return i;
    const s = str(x);
    if (s === undefined) return i;
    const m = /^(\d+)%$/.exec(s.trim());
    if (m) return Math.ceil((parseInt(m[1], 10) * n) / 100);
    return int(s);
}

/** What an engine loses with its majority. */
const MAJORITY_LOSS: Record<Broker["engine"], string> = {
    rabbitmq: "quorum queues and Raft-based metadata stop",
    emqx: "quorum queues and Raft-based metadata stop",
    redis: "the Sentinels left cannot authorise a failover",
    mongodb: "the replica set can elect no primary and takes no writes",
};
interface Budget {
    pdb: K8sObject;
    order: number;
    selector: ParsedSelector;
}

/** A namespace's PDBs with their selectors read once: by one of their `matchLabels` pairs, or always tried. */
interface Budgets {
    byLabel: Map<string, Budget[]>;
    always: Budget[];
}

const budgetIndexes = new WeakMap<Model, Map<string, Budgets>>();

function budgetsIn(model: Model, ns: string): Budgets {
    let perNs = budgetIndexes.get(model);
    if (!perNs) budgetIndexes.set(model, (perNs = new Map()));
    let budgets = perNs.get(ns);
    if (budgets) return budgets;
    budgets = { byLabel: new Map(), always: [] };
    const read: Budget[] = [];
    const uses = new Map<string, number>();
    model.ofKindIn("PodDisruptionBudget", ns).forEach((pdb, order) => {
        const selector = parseLabelSelector(rec(pdb.spec)?.selector);
        if (!selector || selector.invalid) return; // selects nothing
        read.push({ pdb, order, selector });
        for (const [k, v] of Object.entries(selector.matchLabels)) uses.set(`${k}\u0000${v}`, (uses.get(`${k}\u0000${v}`) ?? 0) + 1);
    });
    for (const budget of read) {
        // Filed under its rarest pair (the instance label, usually), which any pods it selects carry.
        let key: string | undefined;
        for (const [k, v] of Object.entries(budget.selector.matchLabels)) {
            const candidate = `${k}\u0000${v}`;
            if (key === undefined || uses.get(candidate)! < uses.get(key)!) key = candidate;
        }
        if (key === undefined) budgets.always.push(budget);
        else {
            const list = budgets.byLabel.get(key);
            if (list) list.push(budget);
            else budgets.byLabel.set(key, [budget]);
        }
    }
    perNs.set(ns, budgets);
    return budgets;
}

/** The PDBs of the broker's namespace selecting its pods, in input order. */
function selecting(model: Model, b: Broker): K8sObject[] {
    const budgets = budgetsIn(model, b.namespace);
    const candidates = [...budgets.always];
    for (const [k, v] of Object.entries(b.podLabels)) candidates.push(...(budgets.byLabel.get(`${k}\u0000${v}`) ?? []));
    return candidates
        .filter((c) => matchesSelector(c.selector, b.podLabels))
        .sort((x, y) => x.order - y.order)
        .map((c) => c.pdb);
}

function check(b: Broker, model: Model): Finding[] {
    if (b.kind === "Pod" || b.kind === "Job") return [];
    const pdbs = selecting(model, b);
    const out: Finding[] = [];
    const n = b.replicas;
    if (pdbs.length === 0) {
        if (n >= 2) out.push(finding(b.object, `no PodDisruptionBudget selects ${b.name}'s pods: a node drain may evict several broker nodes at once`, true));
        return out;
    }
    if (pdbs.length > 1) {
        out.push(finding(b.object, `PodDisruptionBudgets ${pdbs.map(nameOf).join(", ")} all select ${b.name}'s pods: the eviction API refuses to evict pods covered by more than one budget`));
    }
    const majority = Math.floor(n / 2) + 1;
    for (const p of pdbs) {
        const spec = rec(p.spec) ?? {};
        const minAvailable = spec.minAvailable !== undefined ? scaled(spec.minAvailable, n) : undefined;
        const maxUnavailable = spec.maxUnavailable !== undefined ? scaled(spec.maxUnavailable, n) : undefined;
        let allowed: number | undefined;
        if (minAvailable !== undefined) allowed = n - minAvailable;
        else if (maxUnavailable !== undefined) allowed = maxUnavailable;
        if (allowed === undefined) continue;
        const name = nameOf(p);
        const budget = minAvailable !== undefined ? `minAvailable ${String(spec.minAvailable)}` : `maxUnavailable ${String(spec.maxUnavailable)}`;
        if (allowed < 1) {
            out.push(finding(p, `PodDisruptionBudget ${name} (${budget}) allows no eviction of ${b.name}'s ${n} pod${n === 1 ? "" : "s"}: node drains and upgrades block forever`, false, fieldOf(spec, minAvailable !== undefined ? "minAvailable" : "maxUnavailable")));
        } else if (n >= 3 && n - allowed < majority) {
            out.push(finding(p, `PodDisruptionBudget ${name} (${budget}) lets ${allowed} of ${b.name}'s ${n} nodes go at once, leaving ${n - allowed}, less than the majority of ${majority}: ${MAJORITY_LOSS[b.engine]}`, false, fieldOf(spec, minAvailable !== undefined ? "minAvailable" : "maxUnavailable")));
        }
    }
    return out;
}

export const pdb: Rule = {
    id: "pdb",
    description: "A PDB over broker pods allows at least one eviction and keeps a majority; a broker without one is advisory.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.brokers.flatMap((b) => check(b, model));
    },
};



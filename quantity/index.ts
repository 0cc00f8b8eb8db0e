/**
 * @broker-platform/quantity: Kubernetes resource quantities in base units. The one parser the
 * components (day-2 size checks) and the policy pack (storage rules) share, so both agree on sizes.
 */
/** Multipliers of Kubernetes quantity suffixes. */
const SUFFIX: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** Kubernetes resource quantities (`4Gi`, `500M`, `1.5Gi`, `100m`) in base units; undefined if unparsable. */
export function parseQuantity(x: unknown): number | undefined {
    if (typeof x === "number" && Number.isFinite(x)) return x;
    if (typeof x !== "string") return undefined;
    const m = /^\s*([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(?:[eE]([+-]?\d+))?\s*(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?\s*$/.exec(x);
    if (!m) return undefined;
    const base = parseFloat(m[1]) * (m[2] ? 10 ** parseInt(m[2], 10) : 1);
    return base * SUFFIX[m[3] ?? ""];
}

/**
 * Every secret value a deployed stack holds, read back from the cluster and the stack's own
 * outputs, so a state file can be searched for each of them (plain and base64).
 */
import { Stack } from "@pulumi/pulumi/automation";
import { LocalCluster } from "./local";

/** Secret strings of a deployed stack: every value of its Secrets, the password hashes in them, the secret outputs. */
export async function deployedSecrets(k: LocalCluster, namespace: string, stack: Stack): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const add = (what: string, value: unknown) => {
        if (typeof value === "string" && value.length >= 6) found.set(value, what);
    };
    for (const s of k.getJson(["get", "secrets", "-n", namespace, "-l", "app.kubernetes.io/managed-by=broker-platform"]).items) {
        for (const [key, b64] of Object.entries((s.data ?? {}) as Record<string, string>)) {
            const value = Buffer.from(b64, "base64").toString("utf8");
            add(`Secret ${s.metadata.name} ${key}`, value);
            if (key === "username") add(`Secret ${s.metadata.name} username suffix`, value.replace(/^(admin|client)-/, ""));
            if (key.endsWith(".json")) {
                // RabbitMQ definitions ({users: [...]}) or EMQX's bootstrap users ([...]).
                const parsed = JSON.parse(value);
                for (const u of (Array.isArray(parsed) ? parsed : parsed.users) ?? []) {
                    add(`Secret ${s.metadata.name} password_hash`, u.password_hash);
                    add(`Secret ${s.metadata.name} salt`, u.salt);
                }
            }
        }
    }
    const collect = (what: string, v: unknown): void => {
        // The credentials in the outputs (the rest of them, names and hosts, is plain on purpose).
        if (typeof v === "string" && /[.](c|clientC)onnectionUrl$/.test(what) && v.includes("@")) add(what, v);
        else if (v && typeof v === "object") for (const [key, inner] of Object.entries(v)) collect(`${what}.${key}`, inner);
    };
    for (const [name, out] of Object.entries(await stack.outputs())) collect(`output ${name}`, out.value);
    return found;
}

/** Where in `text` any of the secrets appears, in plain text or base64. */
export function leaks(text: string, secrets: Map<string, string>): string[] {
    const out: string[] = [];
    for (const [value, what] of secrets) {
        for (const form of [value, Buffer.from(value).toString("base64"), encodeURIComponent(value)]) {
            if (text.includes(form)) out.push(`${what} (${form === value ? "plain" : "encoded"})`);
        }
    }
    return [...new Set(out)];
}

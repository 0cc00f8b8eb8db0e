/**
 * Readers that the injection property checks rendered output with, written from the formats'
 * own grammars and independent of the package's validation.
 */

export interface ConfSetting {
    key: string[];
    value: string;
}

/**
 * rabbitmq.conf as RabbitMQ's config parser reads it: lines end at LF (an optional CR before it
 * is dropped); a line is blank, a `#` comment, or `key = value` with blanks around the key, the
 * '=' and the value ignored; a key is '.'-separated words of [A-Za-z0-9_-] (a word may hold a
 * backslash-escaped dot); a value runs to the end of the line or to a '#' and must be Latin-1.
 * RabbitMQ replaces `$(NAME)` with an environment variable before parsing, so such a value is not
 * what the file says. Throws where the broker would report a syntax error or interpolate.
 */
export function parseRabbitmqConf(text: string): ConfSetting[] {
    const settings: ConfSetting[] = [];
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    lines.forEach((raw, i) => {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (/^[ \t]*$/.test(line) || /^[ \t]*#/.test(line)) return;
        const m = /^[ \t]*((?:\\\.|[A-Za-z0-9_-])+(?:\.(?:\\\.|[A-Za-z0-9_-])+)*)[ \t]*=[ \t]*([^#]*?)[ \t]*(#.*)?$/.exec(line);
        if (!m || m[2] === "") throw new Error(`rabbitmq.conf line ${i + 1} is not a setting: ${JSON.stringify(raw)}`);
        if (/[^\u0000-\u00ff]/u.test(m[2])) throw new Error(`rabbitmq.conf line ${i + 1}: value is not Latin-1`);
        if (m[2].includes("$(")) throw new Error(`rabbitmq.conf line ${i + 1}: value is interpolated from the environment: ${JSON.stringify(m[2])}`);
        const key = m[1].split(/(?<!\\)\./).map((w) => w.replace(/\\\./g, "."));
        settings.push({ key, value: m[2] });
    });
    return settings;
}

/** The effective setting per key: later lines replace earlier ones, as in RabbitMQ. */
export function effectiveConf(settings: ConfSetting[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of settings) out.set(s.key.join("."), s.value);
    return out;
}

/** `enabled_plugins`: an Erlang list of atoms, `[a,b].` */
export function parseEnabledPlugins(text: string): string[] {
    const m = /^\[([a-z][a-z0-9_]*(?:,[a-z][a-z0-9_]*)*)\]\.\n$/.exec(text);
    if (!m) throw new Error(`enabled_plugins is not a list of plain atoms: ${JSON.stringify(text)}`);
    return m[1].split(",");
}

/**
 * What a container sees for each env entry after Kubernetes' expansion: `$$` becomes `$`, and
 * `$(NAME)` becomes the value of an earlier entry (entries from a Secret or field stand as
 * `<NAME>`); anything else is kept as written.
 */
export function expandEnv(env: Array<{ name: string; value?: string }>): Map<string, string> {
    const seen = new Map<string, string>();
    for (const e of env) {
        if (e.value === undefined) {
            seen.set(e.name, `<${e.name}>`);
            continue;
        }
        const value = e.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name?: string) => {
            if (whole === "$$") return "$";
            return name !== undefined && seen.has(name) ? (seen.get(name) as string) : whole;
        });
        seen.set(e.name, value);
    }
    return seen;
}

/**
 * Words of a `sh -c` script, if it is only plain words joined by `;` and `&&`: no quoting, no
 * expansion, no redirection, no globbing. Throws otherwise, naming what it found.
 */
export function plainShellWords(script: string): string[] {
    const words: string[] = [];
    for (const token of script.split(/[ \t]+|(;|&&)/).filter((t) => t !== undefined && t !== "")) {
        if (token === ";" || token === "&&") continue;
        if (!/^[A-Za-z0-9_./:=+-]+$/.test(token)) throw new Error(`shell word ${JSON.stringify(token)} in ${JSON.stringify(script)} is not a plain word`);
        words.push(token);
    }
    return words;
}

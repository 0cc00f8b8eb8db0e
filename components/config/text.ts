/**
 * Grammars for free text that the package writes into files, environment variables and object
 * fields. Each check returns what is wrong (for the error message) or undefined; the schema turns
 * that into a key-named error. A value that fits its grammar can end up only where it was put:
 * it cannot start a line, a setting or a shell word of its own.
 */

/**
 * Characters that end a line for some reader (C0/C1 controls, DEL, U+2028/U+2029), or make a
 * line show something other than what it holds (bidirectional controls, lone surrogates).
 */
const UNSAFE_IN_LINE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202A-\u202E\u2066-\u2069]/u;

/** `U+000A`-style name of a character, so a message shows what it is even when it is invisible. */
export function codePointName(ch: string): string {
    return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A problem if the text cannot stay on one line: a line break, a control or bidirectional character. */
export function singleLineProblem(text: string): string | undefined {
    const hit = UNSAFE_IN_LINE.exec(text);
    if (!hit) return undefined;
    return `contains ${codePointName(hit[0])} (a line break, control or bidirectional character) at position ${hit.index}; one line of printable text is allowed`;
}

/**
 * JSON of a value for an error message, with every character that JSON leaves raw but that
 * could break or disguise the message line escaped as well.
 */
export function escapedJson(value: unknown): string | undefined {
    const text = JSON.stringify(value);
    return text?.replace(/[\u007f-\u009f\u2028\u2029\u202A-\u202E\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// --- rabbitmq.conf -------------------------------------------------------------------------

/**
 * A rabbitmq.conf key: dot-separated words of letters, digits, '_' and '-' (the config parser's
 * grammar, without its backslash-escaped dots, which no RabbitMQ setting needs).
 */
export const RABBITMQ_CONF_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const RABBITMQ_KEY_RULE = "a rabbitmq.conf key is dot-separated words of letters, digits, '_' and '-', e.g. log.console.level";

/**
 * A problem if the value would not parse back as itself from `key = value`: the parser ends a
 * value at a line break or a '#', drops surrounding blanks, and refuses text outside Latin-1;
 * before parsing, RabbitMQ 3.13 and 4.x interpolate `$(NAME)` from the environment.
 */
export function rabbitmqConfValueProblem(value: string): string | undefined {
    if (value.length === 0) return "is empty; a rabbitmq.conf setting needs a value";
    const line = singleLineProblem(value);
    if (line) return line;
    const hash = value.indexOf("#");
    if (hash >= 0) return `contains '#' at position ${hash}, which starts a comment in rabbitmq.conf (the rest of the value would be dropped)`;
    const interpolated = value.indexOf("$(");
    if (interpolated >= 0) {
        return `contains '$(' at position ${interpolated}: RabbitMQ replaces $(NAME) in rabbitmq.conf with the container's environment variable before it parses the file, so the setting would not be the value written here; write the value itself`;
    }
    const wide = /[^\u0000-\u00ff]/u.exec(value);
    if (wide) return `contains ${codePointName(wide[0])}; rabbitmq.conf values must be Latin-1 text (RabbitMQ refuses other characters)`;
    if (/^[ \t]|[ \t]$/.test(value)) return "starts or ends with a blank, which rabbitmq.conf drops; remove it";
    return undefined;
}

/**
 * Why a rabbitmq.conf key belongs to this package, or undefined if extraConfig may set it.
 * Later lines win in rabbitmq.conf, so an extraConfig line would silently replace these.
 */
export function rabbitmqOwnedKey(key: string): string | undefined {
    const [head] = key.split(".");
    if (head === "cluster_formation") return "peer discovery (cluster formation)";
    if (head === "definitions" || key === "load_definitions") return "the definitions import, which carries the admin user";
    if (head.startsWith("default_")) return "the default user; the admin user comes from the definitions and its Secret";
    if (head === "loopback_users") return "the users allowed to log in";
    if (key === "cluster_name") return "the cluster name, taken from `name`";
    if (key === "listeners.tcp.default" || key === "management.tcp.port" || key === "prometheus.tcp.port") {
        return "a port the Services, probes and scrape annotations point at";
    }
    return undefined;
}

// --- EMQX environment ----------------------------------------------------------------------

/** `EMQX_` then config path segments joined by `__` (e.g. EMQX_MQTT__MAX_PACKET_SIZE for mqtt.max_packet_size). */
export const EMQX_ENV_KEY = /^EMQX_[A-Z0-9]+(_[A-Z0-9]+)*(__[A-Z0-9]+(_[A-Z0-9]+)*)*$/;

export const EMQX_KEY_RULE =
    "for EMQX, extraConfig keys are EMQX_* environment variables: config path segments of A-Z, 0-9 and single '_', joined by '__' (e.g. EMQX_MQTT__MAX_PACKET_SIZE)";

/** Config paths this package sets for EMQX, and start-script variables that feed them. */
const EMQX_OWNED_PATHS = ["node.name", "node.cookie", "cluster", "dashboard.default_username", "dashboard.default_password"];
const EMQX_OWNED_VARIABLES = ["EMQX_HOST", "EMQX_NAME", "EMQX_NODE_NAME", "EMQX_NODE_COOKIE"];

/**
 * Why an EMQX variable belongs to this package, or undefined. EMQX reads each value as HOCON,
 * so a variable for a parent path (EMQX_NODE = {cookie = ...}) sets the children too.
 */
export function emqxOwnedKey(key: string): string | undefined {
    if (EMQX_OWNED_VARIABLES.includes(key)) return "the node name and cookie, which the start script derives from it";
    const path = key.slice("EMQX_".length).toLowerCase().split("__").join(".");
    const owned = EMQX_OWNED_PATHS.find((p) => path === p || path.startsWith(`${p}.`));
    if (owned) return `it sets ${owned}`;
    const child = EMQX_OWNED_PATHS.find((p) => p.startsWith(`${path}.`));
    if (child) return `a parent of ${child}: a HOCON value here would replace it`;
    return undefined;
}

/** A problem if the value cannot be passed as one environment value that EMQX reads as given. */
export function emqxEnvValueProblem(value: string): string | undefined {
    const line = singleLineProblem(value);
    if (line) return line;
    const sub = value.indexOf("${");
    if (sub >= 0) return `contains a HOCON substitution '\${' at position ${sub}; substitutions could copy settings this package owns (the cookie) elsewhere`;
    return undefined;
}

/**
 * The literal value Kubernetes passes on: it expands `$(VAR)` in env values and turns `$$`
 * into `$`, so every '$' is doubled.
 */
export function literalEnvValue(value: string): string {
    return value.replace(/\$/g, "$$$$");
}

// --- Kubernetes and RabbitMQ names ---------------------------------------------------------

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes label or annotation key: optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export function qualifiedNameProblem(key: string): string | undefined {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
        return "is not a Kubernetes annotation key: the prefix before '/' must be a DNS subdomain (lower-case letters, digits, '-' and '.')";
    }
    if (!QUALIFIED_NAME.test(name)) {
        return "is not a Kubernetes annotation key: the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
    }
    return undefined;
}

/** RabbitMQ names (queues, exchanges, routing keys) are AMQP short strings: at most 255 bytes of UTF-8. */
export function shortStringProblem(text: string): string | undefined {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > 255) return `is ${bytes} bytes of UTF-8; RabbitMQ names are at most 255`;
    return singleLineProblem(text);
}

/** A storage path: absolute, segments of letters, digits and . _ + - (nothing a shell or a mount table would split). */
export const STORAGE_PATH = /^\/([A-Za-z0-9._+-]+\/?)*$/;

/** One NFS mount option; the kubelet joins them with ',', so a ',' would add an option of its own. */
export const MOUNT_OPTION = /^[A-Za-z0-9][A-Za-z0-9_.=:/+-]*$/;

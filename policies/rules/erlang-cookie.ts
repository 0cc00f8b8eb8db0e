/**
 * erlang-cookie: the Erlang distribution cookie is a password to every node (`rpc:call` runs any
 * code). It must come from a Secret: no literal `*_COOKIE` env value, no cookie from a ConfigMap,
 * no `node.cookie` in a mounted ConfigMap. EMQX without a cookie runs on the image's public default;
 * RabbitMQ replicas without a shared cookie each generate their own and cannot cluster.
 */
import { allContainers, displayValue, EnvVar, hasRuntimePart, resolveEnv } from "../lib/env";
import { Broker, buildModel, Model } from "../lib/model";
import { parseConf } from "../lib/conf";
import { finding, noOptions, Rule } from "../lib/rule";
import { Finding } from "../lib/types";
import { arr, nameOf, rec, recs, str } from "../lib/util";

const COOKIE_ENV = /(^|_)COOKIE$/;

function isLiteral(v: EnvVar): boolean {
    if (v.source === "literal" || v.source === "configMapEnvFrom" || v.source === "configMapKeyRef") {
        return v.value.trim() !== "" && !hasRuntimePart(v.value);
    }
    return false;
}

function cookieSecretVolume(v: Record<string, any>): boolean {
    const sources = [rec(v.secret), ...recs(rec(v.projected)?.sources).map((s) => rec(s.secret))].filter((x): x is Record<string, any> => x !== undefined);
    return sources.some((s) => /cookie/i.test([str(s.secretName), str(s.name), ...recs(s.items).map((i) => `${str(i.key)} ${str(i.path)}`)].join(" ")));
}

/**
 * A cookie spelled inline where it is not named `*_COOKIE`: `-setcookie <value>` in Erlang arguments
 * (`RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS`, `RABBITMQ_CTL_ERL_ARGS`, a command line) or a literal
 * echoed into `.erlang.cookie`. Shell or `$(VAR)` references are not literals.
 */
function inlineCookie(text: string): string | undefined {
    const set = /-setcookie\s+(['"]?)([^\s'"]+)\1/.exec(text);
    if (set && !/^\$|\u0001/.test(set[2])) return set[2];
    const echoed = /\b(?:echo|printf)\s+(?:-n\s+)?(['"]?)([^\s'"|;&>]+)\1\s*>>?\s*\S*\.erlang\.cookie/.exec(text);
    if (echoed && !/^\$|\u0001/.test(echoed[2])) return echoed[2];
    return undefined;
}

function mask(v: string): string {
    return v.length <= 4 ? "****" : `${v.slice(0, 2)}…`;
}

function check(b: Broker, model: Model): Finding[] {
    const out: Finding[] = [];
    let hasCookie = false;
    for (const c of allContainers(b.podSpec)) {
        const env = c === b.container ? b.env : resolveEnv(c, b.namespace, model.lookup);
        for (const v of env.vars.values()) {
            if (!COOKIE_ENV.test(v.name)) {
                const inline = isLiteral(v) ? inlineCookie(v.value) : undefined;
                if (inline !== undefined) {
                    if (c === b.container) hasCookie = true;
                    out.push(finding(b.object, `container ${str(c.name) ?? "?"} sets the Erlang cookie inline in ${v.name} (${mask(inline)}): anyone who can read the manifest can join or rpc into the cluster; pass it from a Secret`, false, v.at));
                }
                continue;
            }
            if (c === b.container) hasCookie = true;
            if (isLiteral(v)) {
                const where = v.source === "literal" ? "a literal value" : `ConfigMap ${v.ref}`;
                out.push(
                    finding(
                        b.object,
                        `container ${str(c.name) ?? "?"} sets ${v.name} from ${where} (${mask(displayValue(v.value))}): anyone who can read the manifest can join or rpc into the cluster; use valueFrom.secretKeyRef`,
                        false,
                        v.at,
                    ),
                );
            }
        }
    }
    for (const c of allContainers(b.podSpec)) {
        const line = [...arr(c.command), ...arr(c.args)].filter((x): x is string => typeof x === "string").join(" ");
        const inline = inlineCookie(line);
        if (inline !== undefined) {
            if (c === b.container) hasCookie = true;
            out.push(finding(b.object, `container ${str(c.name) ?? "?"} writes the Erlang cookie inline in its command (${mask(inline)}): mount it from a Secret instead`));
        }
    }
    for (const f of b.files) {
        const base = f.path.slice(f.path.lastIndexOf("/") + 1);
        if (base === ".erlang.cookie" || /cookie/i.test(f.key)) {
            hasCookie = true;
            if (!f.secret) out.push(finding(b.object, `the Erlang cookie file ${f.path} comes from ConfigMap ${nameOf(f.source)}; mount it from a Secret`));
            continue;
        }
        if (!/\.(conf|hocon)$/.test(base)) continue;
        for (const e of parseConf(f.text)) {
            if (e.key === "node.cookie" || e.key === "distribution.cookie") {
                hasCookie = true;
                if (!f.secret && e.value.trim() !== "") {
                    out.push(finding(f.source, `${base} line ${e.line} sets ${e.key} in ConfigMap ${nameOf(f.source)}: the cookie must come from a Secret`));
                }
            }
        }
    }
    // A Secret volume anywhere in the pod whose name, key or path names a cookie (copied into
    // place by an init container: the cluster-operator's pattern).
    if (!hasCookie && recs(b.podSpec.volumes).some(cookieSecretVolume)) hasCookie = true;
    if (!hasCookie && b.env.unresolvedEnvFrom.length === 0) {
        if (b.engine === "emqx") {
            out.push(finding(b.object, `${b.name} sets no Erlang cookie (EMQX_NODE__COOKIE): EMQX falls back to its published default cookie, so anyone who reaches the distribution port controls the node`));
        } else if (b.replicas >= 2) {
            out.push(finding(b.object, `${b.name} runs ${b.replicas} replicas but sets no shared Erlang cookie (RABBITMQ_ERLANG_COOKIE from a Secret, or a mounted .erlang.cookie): each node generates its own and they cannot cluster`));
        }
    }
    return out;
}

export const erlangCookie: Rule = {
    id: "erlang-cookie",
    description: "The Erlang cookie comes from a Secret: no literal *_COOKIE values; EMQX must set one.",
    defaultEnforcement: "mandatory",
    options: noOptions,
    check(objects) {
        const model = buildModel(objects);
        return model.brokers.filter((b) => b.erlang).flatMap((b) => check(b, model));
    },
};

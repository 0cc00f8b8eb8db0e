import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/** A resource the program registered under mocks: its Pulumi type, logical name and inputs. */
export interface RegisteredResource {
    type: string;
    name: string;
    /** Inputs with secret values unwrapped. */
    inputs: Record<string, any>;
    /** How many input values arrived marked secret. */
    secretInputs: number;
    /** `importId`: the object this registration adopts (the `import` resource option). */
    options: { provider?: string; parent?: string; importId?: string };
}

/** Deterministic stand-ins for generated values, so repeated runs see identical programs. */
function generatedState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const seed = createHash("sha256").update(`${type}/${name}`).digest();
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
        case "random:index/randomString:RandomString": {
            const alphabet = inputs.upper === false ? "abcdefghijklmnopqrstuvwxyz0123456789" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            const length = Number(inputs.length ?? 16);
            const chars = Array.from({ length }, (_, i) => alphabet[seed[i % seed.length] % alphabet.length]);
            return { result: chars.join("") };
        }
        case "random:index/randomBytes:RandomBytes": {
            const bytes = seed.subarray(0, Number(inputs.length ?? 4));
            return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
        }
        default:
            return {};
    }
}

/** The wire form of a secret value: `{ <signature key>: <secret signature>, value }`. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces wire-format secrets with their values, recording that a secret was seen. */
export function unwrapSecrets(value: any, seen: { secrets: number }): any {
    if (Array.isArray(value)) return value.map((v) => unwrapSecrets(v, seen));
    if (value && typeof value === "object") {
        if (value[SECRET_SIG_KEY] === SECRET_SIG) {
            seen.secrets++;
            return unwrapSecrets(value.value, seen);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, seen)]));
    }
    return value;
}

/** Mocks that record every registration (secrets unwrapped) and echo inputs back as state. */
export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RegisteredResource[] = [];

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const seen = { secrets: 0 };
        const inputs = unwrapSecrets(args.inputs, seen);
        this.resources.push({ type: args.type, name: args.name, inputs, secretInputs: seen.secrets, options: { provider: args.provider, ...(args.id ? { importId: args.id } : {}) } });
        const state = { ...args.inputs, ...generatedState(args.type, args.name, args.inputs) };
        if (args.type.startsWith("kubernetes:") && state.metadata && !state.metadata.name) {
            state.metadata = { ...state.metadata, name: args.name };
        }
        return { id: `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
    }
}

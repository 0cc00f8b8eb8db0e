export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** Seconds a cold start waits for every member before it elects among a majority (a node is lost). */
export const ELECTION_WAIT_SECONDS = 30;

/**
 * Redis and Valkey run the same Sentinel design; what differs is what the image names its
 * programs and the variable its command-line client reads the password from. One record per
 * server, so every script and probe takes its names from the same place.
 */
export interface RedisFlavor {
    engine: "redis" | "valkey";
    /** How the server is named in messages. */
    label: string;
    /** Image repository when `image` is not set (the official image). */
    image: string;
    server: string;
    sentinel: string;
    cli: string;
    /** Environment variable the client reads the password from (kept off the command line). */
    cliAuthEnv: string;
}

export const REDIS_FLAVOR: RedisFlavor = {
    engine: "redis",
    label: "Redis",
    image: "redis",
    server: "redis-server",
    sentinel: "redis-sentinel",
    cli: "redis-cli",
    cliAuthEnv: "REDISCLI_AUTH",
};

export const VALKEY_FLAVOR: RedisFlavor = {
    engine: "valkey",
    label: "Valkey",
    image: "valkey/valkey",
    server: "valkey-server",
    sentinel: "valkey-sentinel",
    cli: "valkey-cli",
    // valkey-cli 8 reads the password from Redis' variable still (measured on 8.1.1).
    cliAuthEnv: "REDISCLI_AUTH",
};

export function redisFlavor(engine: string): RedisFlavor {
    return engine === "valkey" ? VALKEY_FLAVOR : REDIS_FLAVOR;
}

/** Redis and Valkey: the engines this Sentinel design runs. */
export function isRedisFamily(engine: string): engine is "redis" | "valkey" {
    return engine === "redis" || engine === "valkey";
}

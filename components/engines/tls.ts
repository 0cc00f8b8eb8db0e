/**
 * What both engines share when a cluster runs TLS: where the certificate Secret is mounted, the
 * file names cert-manager and `kubernetes.io/tls` Secrets use, and the Erlang distribution
 * options file (`-ssl_dist_optfile`), which has the same format for RabbitMQ and EMQX.
 */

/** Directory the TLS Secret is mounted at, in every broker container. */
export const TLS_DIR = "/etc/broker-tls";
export const TLS_CERT = `${TLS_DIR}/tls.crt`;
export const TLS_KEY = `${TLS_DIR}/tls.key`;
export const TLS_CA = `${TLS_DIR}/ca.crt`;
/** Volume name of the mounted TLS Secret. */
export const TLS_VOLUME = "tls";

/** File name of the Erlang distribution TLS options inside the broker's config files. */
export const DIST_OPTFILE = "inter_node_tls.config";

/**
 * Erlang distribution over TLS with mutual verification: each node presents the cluster
 * certificate and accepts only peers signed by the same CA whose certificate names the host it
 * dialled (the pods' names are in the certificate, see `certificateDnsNames`).
 */
export function renderDistOptFile(): string {
    const files = `{cacertfile, "${TLS_CA}"}, {certfile, "${TLS_CERT}"}, {keyfile, "${TLS_KEY}"}`;
    return [
        "[",
        `  {server, [${files}, {secure_renegotiate, true}, {verify, verify_peer}, {fail_if_no_peer_cert, true}]},`,
        `  {client, [${files}, {secure_renegotiate, true}, {verify, verify_peer},`,
        "            {customize_hostname_check, [{match_fun, public_key:pkix_verify_hostname_match_fun(https)}]}]}",
        "].",
        "",
    ].join("\n");
}

/** The mounted TLS Secret: the whole Secret, so a missing optional key (`ca.crt`) never blocks the mount. */
export function tlsVolume(secretName: string) {
    return { name: TLS_VOLUME, secret: { secretName, defaultMode: 0o440 } };
}

export function tlsMount() {
    return { name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true };
}

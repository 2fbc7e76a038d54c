/*
 * Generator TLS: handshake bytes as real clients and servers put them on the wire. ClientHellos
 * of five client stacks (the browsers, curl over OpenSSL, Windows Schannel) built from their
 * published cipher, extension, group and signature lists; a TLS 1.3 ServerHello and a TLS 1.2
 * server's clear-text first flight answering any of them; and an X.509 certificate for the
 * latter.
 *
 * Written from RFC 8446, 5246, 8422, 6066, 7301, 7685, 8701, 9001, 5280 and the fingerprint
 * databases, sharing nothing with the sensor's parsers (issue 5: the generator is an independent
 * source of truth for them).
 *
 * Every function writes into the caller's buffer, keeps no state and draws all its randomness
 * (keys, GREASE values, Chrome's extension order) from the caller's rng, so the same rng state
 * gives the same bytes. Functions returning a length return 0 when the output does not fit in
 * @cap or the input is unusable, and then leave @out's contents unspecified. They are
 * thread-safe for distinct rngs and buffers.
 */
#ifndef UMBRA_TOOLS_GEN_TLS_H
#define UMBRA_TOOLS_GEN_TLS_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng;

/* What the client stacks look like (the exact versions are in gen_tls.c's profile table). */
enum gen_tls_profile {
    GEN_TLS_CHROME,   /* Chrome 133+: GREASE, permuted extensions, X25519MLKEM768, ECH GREASE */
    GEN_TLS_FIREFOX,  /* Firefox 120 (NSS): fixed order, x25519 + P-256 key shares */
    GEN_TLS_SAFARI,   /* Safari 17 (macOS 14 / iOS 17): GREASE, fixed order, padding */
    GEN_TLS_CURL,     /* curl 7.88 with OpenSSL 3.0 on Debian 12: 31 suites, padding */
    GEN_TLS_SCHANNEL, /* Windows 11 22H2+ Schannel (native apps), TLS 1.2 + 1.3 */
    GEN_TLS_PROFILES
};

/* Flags. */
enum {
    /* The bare handshake message as carried in QUIC CRYPTO frames (RFC 9001 4): no record
     * header, empty session id, ALPN "h3", quic_transport_parameters. */
    GEN_TLS_QUIC = 1,
};

/* Room for any ClientHello or server flight these functions write, certificate included. */
#define GEN_TLS_MSG_MAX 4096

/*
 * gen_tls_profile_name() - the profile's short name ("chrome", "firefox", "safari", "curl",
 * "schannel"), or NULL if @p is not a profile.
 */
const char *gen_tls_profile_name(enum gen_tls_profile p);

/*
 * gen_tls_profile_parse() - the profile called @name (as gen_tls_profile_name() spells it) into
 * *@out. Returns 0, or -EINVAL if @name is NULL or names no profile (*@out is then untouched).
 */
int gen_tls_profile_parse(const char *name, enum gen_tls_profile *out);

/*
 * gen_tls_client_hello() - a ClientHello of profile @p for server name @sni (NULL or "" sends
 * no server_name extension, as for a literal address).
 *
 * Without flags: the whole TLS record (5-byte header, then the handshake message). Chrome's is
 * about 1.8 kB (its hybrid post-quantum key share alone is 1216 bytes), so it spans two TCP
 * segments, as on the wire. With GEN_TLS_QUIC: the bare handshake message for a QUIC CRYPTO
 * frame, whose quic_transport_parameters carry an empty initial_source_connection_id (use
 * gen_tls_client_hello_quic() for another); only chrome, firefox and safari speak QUIC.
 *
 * Returns the bytes written; 0 if they do not fit in @cap, @p is not a profile, @sni is longer
 * than a DNS name (253) or the profile has no QUIC variant.
 */
size_t gen_tls_client_hello(uint8_t *out, size_t cap, enum gen_tls_profile p, const char *sni,
                            unsigned flags, struct gen_rng *rng);

/*
 * gen_tls_client_hello_quic() - as gen_tls_client_hello() with GEN_TLS_QUIC, with
 * initial_source_connection_id set to the @scid_len (at most 20) bytes at @scid, which must be
 * the Source Connection ID of the client's Initial packets (RFC 9000 7.3).
 */
size_t gen_tls_client_hello_quic(uint8_t *out, size_t cap, enum gen_tls_profile p, const char *sni,
                                 const uint8_t *scid, size_t scid_len, struct gen_rng *rng);

/*
 * gen_tls_server_hello13() - a TLS 1.3 server's answer to the ClientHello at @client_hello
 * (@ch_len bytes: a record as gen_tls_client_hello() writes it, or a bare handshake message):
 * a ServerHello echoing the session id, choosing the first of TLS_AES_128_GCM_SHA256,
 * TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 the client offers, with an x25519
 * key share and supported_versions 0x0304, in a record followed by a ChangeCipherSpec record
 * (middlebox compatibility, RFC 8446 D.4). With GEN_TLS_QUIC: the bare ServerHello message for
 * a CRYPTO frame, nothing else.
 *
 * The encrypted flight that follows (EncryptedExtensions..Finished) is not written here: the
 * caller sends it as application-data records (or Handshake packets) of random bytes.
 *
 * Returns the bytes written; 0 if they do not fit, or the ClientHello is malformed, does not
 * offer TLS 1.3, one of those suites or an x25519 key share.
 */
size_t gen_tls_server_hello13(uint8_t *out, size_t cap, const uint8_t *client_hello, size_t ch_len,
                              unsigned flags, struct gen_rng *rng);

/*
 * gen_tls_server_hello12() - a TLS 1.2 server's first flight in the clear, answering the
 * ClientHello at @client_hello, one record per message as OpenSSL-based servers send it:
 * ServerHello (the first of ECDHE-RSA with AES-128-GCM, AES-256-GCM or ChaCha20 the client
 * offers; a fresh session id; extended_master_secret, renegotiation_info, ec_point_formats and
 * ALPN where the client asked for them), Certificate (one certificate for the client's server
 * name, "localhost" without one, valid for a year from a day in 2024 drawn from @rng),
 * ServerKeyExchange (x25519, or P-256 if the client lacks x25519; signed with RSA-PSS or
 * PKCS#1 v1.5 as the client allows, 256 random signature bytes) and ServerHelloDone.
 * @flags must be 0: TLS 1.2 has no QUIC mapping.
 *
 * Returns the bytes written; 0 if they do not fit, @flags is not 0, or the ClientHello is
 * malformed or offers none of those suites or groups.
 */
size_t gen_tls_server_hello12(uint8_t *out, size_t cap, const uint8_t *client_hello, size_t ch_len,
                              unsigned flags, struct gen_rng *rng);

/*
 * gen_tls_certificate_der() - a DER X.509 v3 certificate (RFC 5280) for subject CN=@cn with the
 * @nsan names at @san as SubjectAltName dNSName entries, issued by "CN=Umbra Test CA,O=Umbra",
 * valid from @not_before_unix (seconds since 1970) for 365 days; a random serial, an RSA-2048
 * public key of random modulus bytes (top bit set, exponent 65537) and a random 256-byte
 * sha256WithRSAEncryption signature: it parses everywhere, and verifies nowhere.
 *
 * Returns the bytes written; 0 if they do not fit, @cn is NULL, or a name is empty or not
 * printable ASCII (dNSName is an IA5String).
 */
size_t gen_tls_certificate_der(uint8_t *out, size_t cap, const char *cn, const char *const *san,
                               size_t nsan, uint64_t not_before_unix, struct gen_rng *rng);

#endif

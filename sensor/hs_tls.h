/*
 * TLS: the clear-text handshake (RFC 8446, RFC 5246). From a client's first bytes: the
 * ClientHello's versions, server name, ALPN names, offered lists, and the JA3 and JA4
 * fingerprints; from a server's: the ServerHello's choices and JA3S, and, up to TLS 1.2 (where
 * the Certificate is in the clear), the subject, issuer and validity of the first certificate.
 *
 * Stateless and allocation-free: the caller keeps the first bytes of a direction's TCP stream
 * in order and calls again with the longer prefix as more arrive (HS_TLS_INCOMPLETE says more
 * are needed). A handshake message split over records is put back together in a bounded area
 * on the stack (HS_TLS_MSG_MAX). Every read is checked against the bytes given; malformed input
 * is refused with a reason, each with a counter name. A parse uses about 32 KiB of stack.
 * One thread per call (the struct digest is the caller's and not shared).
 */
#ifndef UMBRA_SENSOR_HS_TLS_H
#define UMBRA_SENSOR_HS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct digest;

/* A handshake message longer than this (the body and its 4-byte header) is refused as
 * tls_too_long: one full record of plaintext (RFC 8446 5.1), far above real ClientHellos
 * (about 2 KiB with a post-quantum key share). */
#define HS_TLS_MSG_MAX 16384

/* Values of one list taken into the fingerprints: more is tls_too_many_values. Real clients
 * offer at most a few hundred cipher suites and a few dozen of anything else. */
#define HS_TLS_FP_MAX 512

/* Kept in the structs (the fingerprints see everything, up to HS_TLS_FP_MAX). */
#define HS_TLS_SNI_MAX         256 /* host_name: 255 characters and a NUL */
#define HS_TLS_ALPN_MAX        3   /* ALPN names kept */
#define HS_TLS_ALPN_LEN        16  /* per name: 15 characters and a NUL */
#define HS_TLS_CIPHERS_MAX     32
#define HS_TLS_EXTS_MAX        24
#define HS_TLS_GROUPS_MAX      12
#define HS_TLS_POINT_FMTS_MAX  4
#define HS_TLS_SIGALGS_MAX     20
#define HS_TLS_VERSIONS_MAX    6
#define HS_TLS_JA4_LEN         37 /* "t13d1516h2_8daaf6152771_e5627efa2ab1" and a NUL */
#define HS_TLS_SERVER_EXTS_MAX 12
#define HS_TLS_SERVER_ALPN_LEN 32  /* the chosen name: 31 characters and a NUL */
#define HS_TLS_DN_LEN          128 /* a certificate name: 127 characters and a NUL */

/* How much of an offered list a struct keeps. GREASE values (RFC 8701) are never counted. */
struct hs_tls_kept {
    uint16_t total; /* values offered */
    uint8_t n;      /* values kept: the first n */
    bool cut;       /* total > n, or (ALPN) a name was shortened to fit */
};

/*
 * What a ClientHello offers. Lists are in the message's order with GREASE values removed
 * (grease says whether there were any); text fields are NUL-ended, with bytes outside printable
 * ASCII shown as '?'. JA3 and JA4 are computed from the whole message, not from the kept lists.
 */
struct hs_tls_client {
    uint16_t record_version; /* of the first record; 0 from hs_tls_parse_client_hello_msg() */
    uint16_t legacy_version; /* ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3) */
    uint16_t max_version;    /* highest supported_versions value, 0 when absent */
    uint16_t ciphers[HS_TLS_CIPHERS_MAX];
    uint16_t exts[HS_TLS_EXTS_MAX]; /* extension types */
    uint16_t groups[HS_TLS_GROUPS_MAX];
    uint16_t sigalgs[HS_TLS_SIGALGS_MAX]; /* signature_algorithms (13) */
    uint16_t versions[HS_TLS_VERSIONS_MAX];
    uint8_t point_fmts[HS_TLS_POINT_FMTS_MAX];
    struct hs_tls_kept n_ciphers;
    struct hs_tls_kept n_exts;
    struct hs_tls_kept n_groups;
    struct hs_tls_kept n_sigalgs;
    struct hs_tls_kept n_versions;
    struct hs_tls_kept n_point_fmts;
    struct hs_tls_kept n_alpn;
    bool sni_present;    /* a server_name extension (JA4's 'd') */
    bool sni_cut;        /* the host_name was longer than HS_TLS_SNI_MAX - 1 */
    bool grease;         /* a GREASE value anywhere: suite, extension, group, version, sigalg */
    bool ech;            /* encrypted_client_hello (0xfe0d): sni is then the outer name */
    bool session_ticket; /* a non-empty session_ticket (35): resumption offered (RFC 5077) */
    bool psk;            /* pre_shared_key (41): TLS 1.3 resumption offered */
    char sni[HS_TLS_SNI_MAX];
    char alpn[HS_TLS_ALPN_MAX][HS_TLS_ALPN_LEN];
    uint8_t ja3_md5[16];
    char ja4[HS_TLS_JA4_LEN];
};
/* The sensor keeps one per TLS flow: 590 bytes, of which the server name is 256. */
_Static_assert(sizeof(struct hs_tls_client) <= 592, "struct hs_tls_client grew");

/*
 * What a ServerHello chose and, up to TLS 1.2, the first certificate's names and validity.
 * Names are RFC 4514 strings, as OpenSSL's -nameopt RFC2253 prints them: the attributes from
 * the last to the first ("CN=..,O=..,C=.."), ',' between RDNs and '+' inside a multi-valued
 * one, short names for common attribute types (RFC 4514 3, STREET included), a dotted OID
 * otherwise, the characters ,+"\<>; escaped with a backslash, other bytes outside printable
 * ASCII as '?' (one per UTF-8 character), values of non-string types as '#' and their hex.
 */
struct hs_tls_server {
    uint16_t record_version;   /* of the first record, once its header is read */
    uint16_t version;          /* ServerHello.legacy_version */
    uint16_t selected_version; /* supported_versions (43), 0 when absent (TLS <= 1.2) */
    uint16_t cipher;
    uint16_t exts[HS_TLS_SERVER_EXTS_MAX];
    struct hs_tls_kept n_exts;
    bool hello_parsed; /* the ServerHello fields and ja3s_md5 below are set */
    bool hello_retry;  /* a HelloRetryRequest (RFC 8446 4.1.3): its random is the fixed value */
    bool have_cert;    /* subject, issuer, not_before and not_after are set */
    bool cert_cut;     /* subject or issuer was cut to HS_TLS_DN_LEN - 1 characters */
    char alpn[HS_TLS_SERVER_ALPN_LEN]; /* the chosen protocol (TLS <= 1.2, cut to fit), or "" */
    uint8_t ja3s_md5[16];
    char subject[HS_TLS_DN_LEN];
    char issuer[HS_TLS_DN_LEN];
    int64_t not_before; /* Unix seconds (UTC) */
    int64_t not_after;
};
_Static_assert(sizeof(struct hs_tls_server) <= 360, "struct hs_tls_server grew");

/* X(name, counter name): the outcome of a parse. */
#define HS_TLS_STATUS_LIST(X)                                                                      \
    X(HS_TLS_OK, "ok")                                                                             \
    X(HS_TLS_INCOMPLETE, "tls_incomplete")                                                         \
    X(HS_TLS_NOT_TLS, "tls_not_tls")                                                               \
    X(HS_TLS_ALERT, "tls_alert")                                                                   \
    X(HS_TLS_BAD_RECORD, "tls_bad_record")                                                         \
    X(HS_TLS_UNEXPECTED_MESSAGE, "tls_unexpected_message")                                         \
    X(HS_TLS_TRUNCATED, "tls_truncated")                                                           \
    X(HS_TLS_BAD_LENGTH, "tls_bad_length")                                                         \
    X(HS_TLS_BAD_EXTENSION, "tls_bad_extension")                                                   \
    X(HS_TLS_TOO_LONG, "tls_too_long")                                                             \
    X(HS_TLS_TOO_MANY_VALUES, "tls_too_many_values")                                               \
    X(HS_TLS_BAD_CERT, "tls_bad_cert")                                                             \
    X(HS_TLS_DIGEST_FAILED, "tls_digest_failed")

enum hs_tls_status {
#define HS_TLS_STATUS_ENUM(name, counter) name,
    HS_TLS_STATUS_LIST(HS_TLS_STATUS_ENUM)
#undef HS_TLS_STATUS_ENUM
            HS_TLS_STATUS_COUNT
};

/*
 * hs_tls_parse_client() - read the ClientHello from @stream, the first @len bytes of the
 * client's TCP payload (TLS records back to back). @d computes the fingerprints. Returns:
 *  HS_TLS_OK                 @out is filled;
 *  HS_TLS_INCOMPLETE         the ClientHello does not end within @len bytes: call again with more;
 *  HS_TLS_NOT_TLS            the first record is not a handshake record (type 22, version
 *                            0x03xx, length 1..2^14), e.g. SSL 2 or another protocol;
 *  HS_TLS_ALERT              the first record is an alert;
 *  HS_TLS_BAD_RECORD         a later record, before the ClientHello ends, is not a handshake
 *                            record or has a bad length;
 *  HS_TLS_UNEXPECTED_MESSAGE the first handshake message is not a ClientHello;
 *  HS_TLS_TRUNCATED, HS_TLS_BAD_LENGTH, HS_TLS_BAD_EXTENSION  the ClientHello is malformed;
 *  HS_TLS_TOO_LONG           it is longer than HS_TLS_MSG_MAX;
 *  HS_TLS_TOO_MANY_VALUES    a list is longer than HS_TLS_FP_MAX;
 *  HS_TLS_DIGEST_FAILED      libcrypto failed.
 * On anything but HS_TLS_OK, @out must not be read.
 */
enum hs_tls_status hs_tls_parse_client(const uint8_t *stream, size_t len, struct digest *d,
                                       struct hs_tls_client *out);

/*
 * hs_tls_parse_client_hello_msg() - the same from one bare handshake message (type 1, 24-bit
 * length, body), as QUIC CRYPTO frames carry it (RFC 9001 4.1.3). @transport is JA4's first
 * character: 't' (TCP) or 'q' (QUIC). HS_TLS_INCOMPLETE when @len is shorter than the message,
 * HS_TLS_UNEXPECTED_MESSAGE when it is not a ClientHello; otherwise as above.
 */
enum hs_tls_status hs_tls_parse_client_hello_msg(const uint8_t *msg, size_t len, struct digest *d,
                                                 char transport, struct hs_tls_client *out);

/*
 * hs_tls_parse_server() - read the ServerHello and, up to TLS 1.2, the first certificate from
 * @stream, the first @len bytes of the server's TCP payload. Returns HS_TLS_OK once the
 * ServerHello is read and either it selects TLS 1.3 (or is a HelloRetryRequest), or the first
 * certificate is read (the rest of its Certificate message may still be missing), or what
 * follows the ServerHello is not a Certificate (resumption, anonymous suites): have_cert is
 * then false. HS_TLS_INCOMPLETE until then. HS_TLS_BAD_CERT when the first certificate is not
 * an X.509 certificate this reader understands, HS_TLS_TOO_LONG when it does not end within
 * HS_TLS_MSG_MAX bytes of handshake. The other statuses as for hs_tls_parse_client() (with
 * ServerHello for ClientHello). Whatever the status, hello_parsed says whether the ServerHello
 * fields and ja3s_md5 are set, and have_cert whether the certificate fields are; the others
 * are zero (but record_version).
 */
enum hs_tls_status hs_tls_parse_server(const uint8_t *stream, size_t len, struct digest *d,
                                       struct hs_tls_server *out);

/* hs_tls_status_name() - the counter name; "unknown" out of range. */
const char *hs_tls_status_name(enum hs_tls_status st);

#endif

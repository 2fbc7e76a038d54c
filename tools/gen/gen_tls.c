/*
 * Generator TLS. Owns the client profiles (what each stack offers, in its order), the writers
 * of ClientHello, ServerHello and the TLS 1.2 server flight, a minimal ClientHello reader for
 * answering one, and a DER writer for the certificate. It does not encrypt anything: the
 * encrypted parts of a handshake are random bytes the caller frames itself.
 *
 * Profiles. Cipher suites, extension orders, groups, signature algorithms and ALPN come from
 * published captures of each client (the curl-impersonate signature files for Firefox 120 and
 * Safari 17, a browserleaks dump of Chrome 143, a Wireshark dissection of a Windows 11 Schannel
 * client, OpenSSL 3.0's defaults as Debian 12 configures them) and are checked against the
 * JA3/JA4 fingerprints those clients are known by (see tests/unit/test_gen_tls.c). The QUIC
 * variants, the ECH GREASE payload sizes, the transport parameter values and Schannel's record
 * version are not pinned by those fingerprints; they are plausible, and say so where they are
 * defined.
 */
#include "tools/gen/gen_tls.h"

#include "tools/gen/gen_buf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tools/gen/gen_rng.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Codepoints (IANA TLS registries) ---- */

enum {
    TLS_REC_CCS = 20,
    TLS_REC_HANDSHAKE = 22,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_SERVER_HELLO_DONE = 14,
    TLS_V10 = 0x0301,
    TLS_V11 = 0x0302,
    TLS_V12 = 0x0303,
    TLS_V13 = 0x0304,
    TLS_RECORD_MAX = 16384, /* plaintext fragment limit, RFC 8446 5.1 */
};

enum {
    EXT_SERVER_NAME = 0x0000,
    EXT_STATUS_REQUEST = 0x0005,
    EXT_SUPPORTED_GROUPS = 0x000a,
    EXT_EC_POINT_FORMATS = 0x000b,
    EXT_SIGNATURE_ALGORITHMS = 0x000d,
    EXT_ALPN = 0x0010,
    EXT_SCT = 0x0012,
    EXT_PADDING = 0x0015,
    EXT_ENCRYPT_THEN_MAC = 0x0016,
    EXT_EXTENDED_MASTER_SECRET = 0x0017,
    EXT_COMPRESS_CERTIFICATE = 0x001b,
    EXT_RECORD_SIZE_LIMIT = 0x001c,
    EXT_DELEGATED_CREDENTIALS = 0x0022,
    EXT_SESSION_TICKET = 0x0023,
    EXT_SUPPORTED_VERSIONS = 0x002b,
    EXT_PSK_KEY_EXCHANGE_MODES = 0x002d,
    EXT_POST_HANDSHAKE_AUTH = 0x0031,
    EXT_KEY_SHARE = 0x0033,
    EXT_QUIC_TRANSPORT_PARAMETERS = 0x0039,
    EXT_APPLICATION_SETTINGS = 0x44cd, /* ALPS; Chrome's codepoint since 133 (0x4469 before) */
    EXT_ECH = 0xfe0d,                  /* draft-ietf-tls-esni; sent as GREASE */
    EXT_RENEGOTIATION_INFO = 0xff01,
    /* Not codepoints: where a GREASE extension goes (RFC 8701 3). BoringSSL sends an empty
     * one first and a one-byte one last; the two values differ. */
    EXT_GREASE_FIRST = 0x10000,
    EXT_GREASE_LAST = 0x10001,
};

enum {
    GRP_SECP256R1 = 0x0017,
    GRP_SECP384R1 = 0x0018,
    GRP_SECP521R1 = 0x0019,
    GRP_X25519 = 0x001d,
    GRP_X448 = 0x001e,
    GRP_FFDHE2048 = 0x0100,
    GRP_FFDHE3072 = 0x0101,
    GRP_FFDHE4096 = 0x0102,
    GRP_FFDHE6144 = 0x0103,
    GRP_FFDHE8192 = 0x0104,
    GRP_X25519MLKEM768 = 0x11ec, /* draft-kwiatkowski-tls-ecdhe-mlkem */
};

enum {
    SIG_RSA_PKCS1_SHA256 = 0x0401,
    SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
};

enum {
    CS_AES_128_GCM_SHA256 = 0x1301,
    CS_AES_256_GCM_SHA384 = 0x1302,
    CS_CHACHA20_POLY1305_SHA256 = 0x1303,
    CS_ECDHE_RSA_AES_128_GCM_SHA256 = 0xc02f,
    CS_ECDHE_RSA_AES_256_GCM_SHA384 = 0xc030,
    CS_ECDHE_RSA_CHACHA20_POLY1305 = 0xcca8,
    CS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
};

/* QUIC transport parameter ids (RFC 9000 18.2, RFC 9221, RFC 9368, RFC 9287). */
enum {
    TP_MAX_IDLE_TIMEOUT = 0x01,
    TP_MAX_UDP_PAYLOAD_SIZE = 0x03,
    TP_INITIAL_MAX_DATA = 0x04,
    TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL = 0x05,
    TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE = 0x06,
    TP_INITIAL_MAX_STREAM_DATA_UNI = 0x07,
    TP_INITIAL_MAX_STREAMS_BIDI = 0x08,
    TP_INITIAL_MAX_STREAMS_UNI = 0x09,
    TP_ACTIVE_CONNECTION_ID_LIMIT = 0x0e,
    TP_INITIAL_SOURCE_CONNECTION_ID = 0x0f,
    TP_VERSION_INFORMATION = 0x11,
    TP_MAX_DATAGRAM_FRAME_SIZE = 0x20,
    TP_GREASE_QUIC_BIT = 0x2ab2,
};

/* How a transport parameter's value is made. */
enum tp_kind {
    TP_INT,     /* a varint, the value */
    TP_EMPTY,   /* zero-length (a flag) */
    TP_SCID,    /* the caller's initial source connection id */
    TP_VERSION, /* version_information: chosen 1, available {GREASE version, 1} (RFC 9368 3) */
    TP_RESERVED /* a reserved id 31 * N + 27 with 0..16 random bytes (RFC 9000 18.1) */
};

struct tp {
    uint64_t id;
    enum tp_kind kind;
    uint64_t value;
};

/* ---- Profiles ---- */

struct profile {
    uint16_t record_version; /* legacy_record_version of the ClientHello record */
    bool grease;             /* RFC 8701 values in suites, groups, versions, key shares */
    bool permute;            /* Chrome: extensions (but the GREASE ones) shuffled each time */
    bool session_id;         /* 32 random bytes (TLS 1.3 middlebox compatibility, RFC 8446 D.4) */
    const uint16_t *suites;
    size_t n_suites;
    const uint32_t *exts; /* in wire order, before any permutation */
    size_t n_exts;
    const uint16_t *groups;
    size_t n_groups;
    const uint16_t *shares; /* groups with a key share, in order */
    size_t n_shares;
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    const uint16_t *versions;
    size_t n_versions;
    const uint8_t *point_formats;
    size_t n_point_formats;
    const uint16_t *cert_compress;
    size_t n_cert_compress;
    const uint16_t *dc_sigalgs; /* delegated_credentials */
    size_t n_dc_sigalgs;
    const char *const *alpn;
    size_t n_alpn;
    const char *alps;     /* the one protocol in application_settings */
    uint16_t ech_payload; /* ECH GREASE payload: ech_payload + ech_step * [0, ech_steps) */
    uint16_t ech_step;
    uint16_t ech_steps;
    const struct tp *tps;
    size_t n_tps;
};

static const char *const alpn_h2[] = {"h2", "http/1.1"};
static const char *const alpn_h3[] = {"h3"};
static const uint8_t pf_uncompressed[] = {0};
static const uint8_t pf_openssl[] = {0, 1, 2}; /* uncompressed, ansiX962_compressed_prime/char2 */
static const uint16_t versions_13_12[] = {TLS_V13, TLS_V12};
static const uint16_t versions_13[] = {TLS_V13};
static const uint16_t versions_13_10[] = {TLS_V13, TLS_V12, TLS_V11, TLS_V10};
static const uint16_t share_x25519[] = {GRP_X25519};

/* Chrome 133+ (the same lists through at least 143). Published JA4 for TCP:
 * t13d1516h2_8daaf6152771_d8a2da3f94cd. */
static const uint16_t chrome_suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                         0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                         0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint32_t chrome_exts[] = {EXT_GREASE_FIRST,
                                       EXT_SERVER_NAME,
                                       EXT_EXTENDED_MASTER_SECRET,
                                       EXT_RENEGOTIATION_INFO,
                                       EXT_SUPPORTED_GROUPS,
                                       EXT_EC_POINT_FORMATS,
                                       EXT_SESSION_TICKET,
                                       EXT_ALPN,
                                       EXT_STATUS_REQUEST,
                                       EXT_SIGNATURE_ALGORITHMS,
                                       EXT_SCT,
                                       EXT_KEY_SHARE,
                                       EXT_PSK_KEY_EXCHANGE_MODES,
                                       EXT_SUPPORTED_VERSIONS,
                                       EXT_COMPRESS_CERTIFICATE,
                                       EXT_APPLICATION_SETTINGS,
                                       EXT_ECH,
                                       EXT_GREASE_LAST,
                                       EXT_PADDING};
static const uint32_t chrome_quic_exts[] = {EXT_GREASE_FIRST,
                                            EXT_SERVER_NAME,
                                            EXT_SUPPORTED_GROUPS,
                                            EXT_ALPN,
                                            EXT_SIGNATURE_ALGORITHMS,
                                            EXT_KEY_SHARE,
                                            EXT_PSK_KEY_EXCHANGE_MODES,
                                            EXT_SUPPORTED_VERSIONS,
                                            EXT_COMPRESS_CERTIFICATE,
                                            EXT_QUIC_TRANSPORT_PARAMETERS,
                                            EXT_APPLICATION_SETTINGS,
                                            EXT_ECH,
                                            EXT_GREASE_LAST};
static const uint16_t chrome_groups[] = {GRP_X25519MLKEM768, GRP_X25519, GRP_SECP256R1,
                                         GRP_SECP384R1};
static const uint16_t chrome_shares[] = {GRP_X25519MLKEM768, GRP_X25519};
static const uint16_t chrome_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                          0x0805, 0x0501, 0x0806, 0x0601};
static const uint16_t compress_brotli[] = {2};
/* Modelled on Chromium's QUIC defaults (not pinned by a published fingerprint). */
static const struct tp chrome_tps[] = {
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, TP_INT, 6291456},
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, TP_INT, 6291456},
        {TP_INITIAL_MAX_STREAM_DATA_UNI, TP_INT, 6291456},
        {TP_INITIAL_MAX_DATA, TP_INT, 15728640},
        {TP_INITIAL_MAX_STREAMS_BIDI, TP_INT, 100},
        {TP_INITIAL_MAX_STREAMS_UNI, TP_INT, 103},
        {TP_MAX_IDLE_TIMEOUT, TP_INT, 30000},
        {TP_MAX_UDP_PAYLOAD_SIZE, TP_INT, 1472},
        {TP_INITIAL_SOURCE_CONNECTION_ID, TP_SCID, 0},
        {TP_MAX_DATAGRAM_FRAME_SIZE, TP_INT, 65536},
        {TP_VERSION_INFORMATION, TP_VERSION, 0},
        {0, TP_RESERVED, 0},
};

/* Firefox 120 (NSS 3.95), from its captured ClientHello; JA3 b5001237acdf006056b409cc433726b0,
 * JA4 t13d1715h2_5b57614c22b0_5c2c66f702b0 (the ECH-GREASE era; Firefox before 118 padded
 * instead and was t13d1715h2_5b57614c22b0_3d5424432f57). */
static const uint16_t firefox_suites[] = {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9,
                                          0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013,
                                          0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint32_t firefox_exts[] = {EXT_SERVER_NAME,
                                        EXT_EXTENDED_MASTER_SECRET,
                                        EXT_RENEGOTIATION_INFO,
                                        EXT_SUPPORTED_GROUPS,
                                        EXT_EC_POINT_FORMATS,
                                        EXT_SESSION_TICKET,
                                        EXT_ALPN,
                                        EXT_STATUS_REQUEST,
                                        EXT_DELEGATED_CREDENTIALS,
                                        EXT_KEY_SHARE,
                                        EXT_SUPPORTED_VERSIONS,
                                        EXT_SIGNATURE_ALGORITHMS,
                                        EXT_PSK_KEY_EXCHANGE_MODES,
                                        EXT_RECORD_SIZE_LIMIT,
                                        EXT_ECH,
                                        EXT_PADDING};
/* Firefox over HTTP/3 (neqo): the TCP order without the TLS 1.2-only extensions and
 * record_size_limit (QUIC has no records), transport parameters before ECH. */
static const uint32_t firefox_quic_exts[] = {EXT_SERVER_NAME,
                                             EXT_SUPPORTED_GROUPS,
                                             EXT_ALPN,
                                             EXT_STATUS_REQUEST,
                                             EXT_DELEGATED_CREDENTIALS,
                                             EXT_KEY_SHARE,
                                             EXT_SUPPORTED_VERSIONS,
                                             EXT_SIGNATURE_ALGORITHMS,
                                             EXT_PSK_KEY_EXCHANGE_MODES,
                                             EXT_QUIC_TRANSPORT_PARAMETERS,
                                             EXT_ECH};
static const uint16_t firefox_groups[] = {GRP_X25519,    GRP_SECP256R1, GRP_SECP384R1,
                                          GRP_SECP521R1, GRP_FFDHE2048, GRP_FFDHE3072};
static const uint16_t firefox_shares[] = {GRP_X25519, GRP_SECP256R1};
static const uint16_t firefox_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
                                           0x0401, 0x0501, 0x0601, 0x0203, 0x0201};
static const uint16_t firefox_dc_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0203};
/* Modelled on neqo's defaults (not pinned by a published fingerprint). */
static const struct tp firefox_tps[] = {
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, TP_INT, 12582912},
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, TP_INT, 1048576},
        {TP_INITIAL_MAX_STREAM_DATA_UNI, TP_INT, 1048576},
        {TP_INITIAL_MAX_DATA, TP_INT, 25165824},
        {TP_INITIAL_MAX_STREAMS_BIDI, TP_INT, 16},
        {TP_INITIAL_MAX_STREAMS_UNI, TP_INT, 16},
        {TP_MAX_IDLE_TIMEOUT, TP_INT, 30000},
        {TP_ACTIVE_CONNECTION_ID_LIMIT, TP_INT, 8},
        {TP_INITIAL_SOURCE_CONNECTION_ID, TP_SCID, 0},
        {TP_MAX_DATAGRAM_FRAME_SIZE, TP_INT, 65535},
        {TP_GREASE_QUIC_BIT, TP_EMPTY, 0},
        {TP_VERSION_INFORMATION, TP_VERSION, 0},
        {0, TP_RESERVED, 0},
};

/* Safari 17.0 on macOS 14, from its captured ClientHello (note the repeated 0x0805, which
 * Safari really sends); JA3 773906b0efdefa24a7f2b8eb6985bf37, JA4
 * t13d2014h2_a09f3c656075_14788d8d241b. */
static const uint16_t safari_suites[] = {0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030,
                                         0xc02f, 0xcca8, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d,
                                         0x009c, 0x0035, 0x002f, 0xc008, 0xc012, 0x000a};
static const uint32_t safari_exts[] = {EXT_GREASE_FIRST,
                                       EXT_SERVER_NAME,
                                       EXT_EXTENDED_MASTER_SECRET,
                                       EXT_RENEGOTIATION_INFO,
                                       EXT_SUPPORTED_GROUPS,
                                       EXT_EC_POINT_FORMATS,
                                       EXT_ALPN,
                                       EXT_STATUS_REQUEST,
                                       EXT_SIGNATURE_ALGORITHMS,
                                       EXT_SCT,
                                       EXT_KEY_SHARE,
                                       EXT_PSK_KEY_EXCHANGE_MODES,
                                       EXT_SUPPORTED_VERSIONS,
                                       EXT_COMPRESS_CERTIFICATE,
                                       EXT_GREASE_LAST,
                                       EXT_PADDING};
/* Safari over HTTP/3: BoringSSL's order without the TLS 1.2-only extensions. */
static const uint32_t safari_quic_exts[] = {EXT_GREASE_FIRST,
                                            EXT_SERVER_NAME,
                                            EXT_SUPPORTED_GROUPS,
                                            EXT_ALPN,
                                            EXT_STATUS_REQUEST,
                                            EXT_SIGNATURE_ALGORITHMS,
                                            EXT_SCT,
                                            EXT_KEY_SHARE,
                                            EXT_PSK_KEY_EXCHANGE_MODES,
                                            EXT_SUPPORTED_VERSIONS,
                                            EXT_QUIC_TRANSPORT_PARAMETERS,
                                            EXT_COMPRESS_CERTIFICATE,
                                            EXT_GREASE_LAST};
static const uint16_t safari_groups[] = {GRP_X25519, GRP_SECP256R1, GRP_SECP384R1, GRP_SECP521R1};
static const uint16_t safari_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0203, 0x0805,
                                          0x0805, 0x0501, 0x0806, 0x0601, 0x0201};
static const uint16_t compress_zlib[] = {1};
/* Modelled on Network.framework (not pinned by a published fingerprint). */
static const struct tp safari_tps[] = {
        {TP_MAX_IDLE_TIMEOUT, TP_INT, 30000},
        {TP_MAX_UDP_PAYLOAD_SIZE, TP_INT, 1472},
        {TP_INITIAL_MAX_DATA, TP_INT, 2097152},
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, TP_INT, 2097152},
        {TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, TP_INT, 2097152},
        {TP_INITIAL_MAX_STREAM_DATA_UNI, TP_INT, 2097152},
        {TP_INITIAL_MAX_STREAMS_BIDI, TP_INT, 100},
        {TP_INITIAL_MAX_STREAMS_UNI, TP_INT, 100},
        {TP_ACTIVE_CONNECTION_ID_LIMIT, TP_INT, 8},
        {TP_INITIAL_SOURCE_CONNECTION_ID, TP_SCID, 0},
        {0, TP_RESERVED, 0},
};

/* curl 7.88.1 on Debian 12: OpenSSL 3.0's DEFAULT list at SECLEVEL=2 (the three TLS 1.3 suites
 * in its own order, then 27 TLS 1.2 ones, then the renegotiation SCSV, RFC 5746 3.3); its
 * extension table order; post_handshake_auth because curl enables it; padding because curl
 * sets SSL_OP_ALL, which includes SSL_OP_TLSEXT_PADDING. JA3 text:
 * 771,4866-4867-4865-...-53-47-255,0-11-10-35-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-
 * 257-258-259-260,0-1-2. */
static const uint16_t curl_suites[] = {
        0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
        0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
        0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
static const uint32_t curl_exts[] = {EXT_SERVER_NAME,
                                     EXT_EC_POINT_FORMATS,
                                     EXT_SUPPORTED_GROUPS,
                                     EXT_SESSION_TICKET,
                                     EXT_ALPN,
                                     EXT_ENCRYPT_THEN_MAC,
                                     EXT_EXTENDED_MASTER_SECRET,
                                     EXT_POST_HANDSHAKE_AUTH,
                                     EXT_SIGNATURE_ALGORITHMS,
                                     EXT_SUPPORTED_VERSIONS,
                                     EXT_PSK_KEY_EXCHANGE_MODES,
                                     EXT_KEY_SHARE,
                                     EXT_PADDING};
static const uint16_t curl_groups[] = {GRP_X25519,    GRP_SECP256R1, GRP_X448,      GRP_SECP521R1,
                                       GRP_SECP384R1, GRP_FFDHE2048, GRP_FFDHE3072, GRP_FFDHE4096,
                                       GRP_FFDHE6144, GRP_FFDHE8192};
static const uint16_t curl_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
                                        0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                                        0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602};

/* Windows 11 (22H2 and later) Schannel, as native apps use it (the capture: curl.exe, which is
 * built on Schannel, to www.example.com; JA3 fae0e5d973c96ae1888b99538efa0363, JA4
 * t13d2013h1_2b729b4bf6f3_e24568c0d440 with its ALPN of http/1.1 only): the default suite
 * order Microsoft publishes for 22H2 (no DHE, no 3DES), key shares for all three groups. ALPN
 * is h2 and http/1.1 here, as WinHTTP offers it. */
static const uint16_t schannel_suites[] = {0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024,
                                           0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014, 0xc013,
                                           0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f};
static const uint32_t schannel_exts[] = {EXT_SERVER_NAME,
                                         EXT_STATUS_REQUEST,
                                         EXT_SUPPORTED_VERSIONS,
                                         EXT_SIGNATURE_ALGORITHMS,
                                         EXT_SESSION_TICKET,
                                         EXT_SUPPORTED_GROUPS,
                                         EXT_EC_POINT_FORMATS,
                                         EXT_ALPN,
                                         EXT_KEY_SHARE,
                                         EXT_POST_HANDSHAKE_AUTH,
                                         EXT_EXTENDED_MASTER_SECRET,
                                         EXT_RENEGOTIATION_INFO,
                                         EXT_PSK_KEY_EXCHANGE_MODES};
static const uint16_t schannel_groups[] = {GRP_X25519, GRP_SECP256R1, GRP_SECP384R1};
static const uint16_t schannel_sigalgs[] = {0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201,
                                            0x0403, 0x0503, 0x0203, 0x0202, 0x0601, 0x0603};

#define LIST(name, a) .name = (a), .n_##name = N(a)

static const struct profile tcp_profiles[GEN_TLS_PROFILES] = {
        [GEN_TLS_CHROME] = {.record_version = TLS_V10,
                            .grease = true,
                            .permute = true,
                            .session_id = true,
                            LIST(suites, chrome_suites),
                            LIST(exts, chrome_exts),
                            LIST(groups, chrome_groups),
                            LIST(shares, chrome_shares),
                            LIST(sigalgs, chrome_sigalgs),
                            LIST(versions, versions_13_12),
                            LIST(point_formats, pf_uncompressed),
                            LIST(cert_compress, compress_brotli),
                            LIST(alpn, alpn_h2),
                            .alps = "h2",
                            /* BoringSSL: 32 * [4, 7] bytes plus the 16-byte AEAD tag */
                            .ech_payload = 144,
                            .ech_step = 32,
                            .ech_steps = 4},
        [GEN_TLS_FIREFOX] = {.record_version = TLS_V10,
                             .session_id = true,
                             LIST(suites, firefox_suites),
                             LIST(exts, firefox_exts),
                             LIST(groups, firefox_groups),
                             LIST(shares, firefox_shares),
                             LIST(sigalgs, firefox_sigalgs),
                             LIST(versions, versions_13_12),
                             LIST(point_formats, pf_uncompressed),
                             LIST(dc_sigalgs, firefox_dc_sigalgs),
                             LIST(alpn, alpn_h2),
                             /* not pinned by the published fingerprint: a plausible size */
                             .ech_payload = 239,
                             .ech_step = 0,
                             .ech_steps = 1},
        [GEN_TLS_SAFARI] = {.record_version = TLS_V10,
                            .grease = true,
                            .session_id = true,
                            LIST(suites, safari_suites),
                            LIST(exts, safari_exts),
                            LIST(groups, safari_groups),
                            LIST(shares, share_x25519),
                            LIST(sigalgs, safari_sigalgs),
                            LIST(versions, versions_13_10),
                            LIST(point_formats, pf_uncompressed),
                            LIST(cert_compress, compress_zlib),
                            LIST(alpn, alpn_h2)},
        [GEN_TLS_CURL] = {.record_version = TLS_V10,
                          .session_id = true,
                          LIST(suites, curl_suites),
                          LIST(exts, curl_exts),
                          LIST(groups, curl_groups),
                          LIST(shares, share_x25519),
                          LIST(sigalgs, curl_sigalgs),
                          LIST(versions, versions_13_12),
                          LIST(point_formats, pf_openssl),
                          LIST(alpn, alpn_h2)},
        /* The record version is not in the capture's dissection: 0x0303 is an assumption. */
        [GEN_TLS_SCHANNEL] = {.record_version = TLS_V12,
                              .session_id = true,
                              LIST(suites, schannel_suites),
                              LIST(exts, schannel_exts),
                              LIST(groups, schannel_groups),
                              LIST(shares, schannel_groups),
                              LIST(sigalgs, schannel_sigalgs),
                              LIST(versions, versions_13_12),
                              LIST(point_formats, pf_uncompressed),
                              LIST(alpn, alpn_h2)},
};

/* The QUIC variants: TLS 1.3 only, no session id (RFC 9001 8.4), ALPN h3 (RFC 9114 3.1). The
 * suites are the profile's TLS 1.3 ones, in its order. curl and Schannel have none here. */
static const struct profile quic_profiles[GEN_TLS_PROFILES] = {
        [GEN_TLS_CHROME] = {.grease = true,
                            .permute = true,
                            LIST(suites, chrome_suites),
                            LIST(exts, chrome_quic_exts),
                            LIST(groups, chrome_groups),
                            LIST(shares, chrome_shares),
                            LIST(sigalgs, chrome_sigalgs),
                            LIST(versions, versions_13),
                            LIST(cert_compress, compress_brotli),
                            LIST(alpn, alpn_h3),
                            .alps = "h3",
                            .ech_payload = 144,
                            .ech_step = 32,
                            .ech_steps = 4,
                            LIST(tps, chrome_tps)},
        [GEN_TLS_FIREFOX] = {LIST(suites, firefox_suites), LIST(exts, firefox_quic_exts),
                             LIST(groups, firefox_groups), LIST(shares, firefox_shares),
                             LIST(sigalgs, firefox_sigalgs), LIST(versions, versions_13),
                             LIST(dc_sigalgs, firefox_dc_sigalgs), LIST(alpn, alpn_h3),
                             .ech_payload = 239, .ech_step = 0, .ech_steps = 1,
                             LIST(tps, firefox_tps)},
        [GEN_TLS_SAFARI] = {.grease = true,
                            LIST(suites, safari_suites),
                            LIST(exts, safari_quic_exts),
                            LIST(groups, safari_groups),
                            LIST(shares, share_x25519),
                            LIST(sigalgs, safari_sigalgs),
                            LIST(versions, versions_13),
                            LIST(cert_compress, compress_zlib),
                            LIST(alpn, alpn_h3),
                            LIST(tps, safari_tps)},
};

static const char *const profile_names[GEN_TLS_PROFILES] = {
        [GEN_TLS_CHROME] = "chrome", [GEN_TLS_FIREFOX] = "firefox",   [GEN_TLS_SAFARI] = "safari",
        [GEN_TLS_CURL] = "curl",     [GEN_TLS_SCHANNEL] = "schannel",
};

const char *gen_tls_profile_name(enum gen_tls_profile p)
{
    if ((unsigned)p >= GEN_TLS_PROFILES)
        return NULL;
    return profile_names[p];
}

int gen_tls_profile_parse(const char *name, enum gen_tls_profile *out)
{
    if (name == NULL)
        return -EINVAL;
    for (unsigned i = 0; i < GEN_TLS_PROFILES; i++) {
        if (strcmp(name, profile_names[i]) == 0) {
            *out = (enum gen_tls_profile)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- ClientHello ---- */

#define EXT_MAX 32 /* extensions in a profile */

/* One ClientHello's random choices and inputs. */
struct hello {
    const struct profile *prof;
    const char *sni;
    size_t sni_len;
    bool quic;
    const uint8_t *scid;
    size_t scid_len;
    size_t hs_start; /* offset of the handshake message in the output, for padding */
    struct gen_rng *rng;
    uint16_t grease_suite, grease_group, grease_version, grease_ext1, grease_ext2;
};

/* An RFC 8701 GREASE value: 0x?A?A with both nibbles ? equal. */
static uint16_t grease_value(struct gen_rng *rng)
{
    unsigned n = (unsigned)gen_rng_below(rng, 16);
    return (uint16_t)(n << 12 | 0x0a00 | n << 4 | 0x0a);
}

static size_t share_len(uint16_t group)
{
    switch (group) {
    case GRP_X25519MLKEM768:
        return 1184 + 32; /* ML-KEM-768 encapsulation key, then the x25519 share */
    case GRP_SECP256R1:
        return 65; /* uncompressed points (RFC 8446 4.2.8.2) */
    case GRP_SECP384R1:
        return 97;
    case GRP_X448:
        return 56;
    default:
        return 32; /* x25519 */
    }
}

static void ext_key_share(struct gen_buf *w, const struct hello *h)
{
    const struct profile *p = h->prof;
    size_t list = gen_buf_vec_begin(w, 2);
    if (p->grease) {
        gen_buf_be(w, h->grease_group, 2); /* BoringSSL's GREASE share: one zero byte */
        gen_buf_be(w, 1, 2);
        gen_buf_be(w, 0, 1);
    }
    for (size_t i = 0; i < p->n_shares; i++) {
        size_t n = share_len(p->shares[i]);
        gen_buf_be(w, p->shares[i], 2);
        gen_buf_be(w, (unsigned)n, 2);
        if (p->shares[i] == GRP_SECP256R1 || p->shares[i] == GRP_SECP384R1) {
            gen_buf_be(w, 4, 1); /* the point is random, but it looks uncompressed */
            n--;
        }
        gen_buf_random(w, n, h->rng);
    }
    gen_buf_vec_end(w, list, 2);
}

static void ext_alpn(struct gen_buf *w, const char *const *names, size_t n)
{
    size_t list = gen_buf_vec_begin(w, 2);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        gen_buf_be(w, (unsigned)len, 1);
        gen_buf_bytes(w, names[i], len);
    }
    gen_buf_vec_end(w, list, 2);
}

static void put_u16_list(struct gen_buf *w, size_t width, uint16_t grease, const uint16_t *v,
                         size_t n)
{
    size_t list = gen_buf_vec_begin(w, width);
    if (grease != 0)
        gen_buf_be(w, grease, 2);
    for (size_t i = 0; i < n; i++)
        gen_buf_be(w, v[i], 2);
    gen_buf_vec_end(w, list, width);
}

/* Outer ECHClientHello as a client without an ECH config sends it (draft-ietf-tls-esni 6.2):
 * HPKE suite HKDF-SHA256/AES-128-GCM, a random config id, a random X25519 enc and payload. */
static void ext_ech_grease(struct gen_buf *w, const struct hello *h)
{
    const struct profile *p = h->prof;
    gen_buf_be(w, 0, 1); /* outer */
    gen_buf_be(w, 0x0001, 2);
    gen_buf_be(w, 0x0001, 2);
    gen_buf_random(w, 1, h->rng);
    gen_buf_be(w, 32, 2);
    gen_buf_random(w, 32, h->rng);
    size_t n = p->ech_payload + p->ech_step * (size_t)gen_rng_below(h->rng, p->ech_steps);
    gen_buf_be(w, (unsigned)n, 2);
    gen_buf_random(w, n, h->rng);
}

static void ext_transport_parameters(struct gen_buf *w, const struct hello *h)
{
    const struct profile *p = h->prof;
    for (size_t i = 0; i < p->n_tps; i++) {
        const struct tp *t = &p->tps[i];
        switch (t->kind) {
        case TP_INT:
            gen_buf_varint(w, t->id);
            gen_buf_varint(w, gen_buf_varint_len(t->value));
            gen_buf_varint(w, t->value);
            break;
        case TP_EMPTY:
            gen_buf_varint(w, t->id);
            gen_buf_varint(w, 0);
            break;
        case TP_SCID:
            gen_buf_varint(w, t->id);
            gen_buf_varint(w, h->scid_len);
            gen_buf_bytes(w, h->scid, h->scid_len);
            break;
        case TP_VERSION: {
            /* A reserved version 0x?a?a?a?a (RFC 9000 15) among the available ones. */
            uint32_t nib = (uint32_t)gen_rng_below(h->rng, 16);
            uint32_t grease = 0x0a0a0a0au | nib << 28 | nib << 20 | nib << 12 | nib << 4;
            gen_buf_varint(w, t->id);
            gen_buf_varint(w, 12);
            gen_buf_be(w, 1, 4);
            gen_buf_be(w, grease, 4);
            gen_buf_be(w, 1, 4);
            break;
        }
        case TP_RESERVED: {
            size_t n = (size_t)gen_rng_below(h->rng, 17);
            gen_buf_varint(w, 31 * gen_rng_below(h->rng, 1000) + 27);
            gen_buf_varint(w, n);
            gen_buf_random(w, n, h->rng);
            break;
        }
        }
    }
}

/* The padding extension (RFC 7685) as BoringSSL, NSS and OpenSSL size it: a ClientHello
 * message of 256..511 bytes so far is padded to 512, which F5 load balancers of the time
 * needed; the extension has at least one byte. Returns false if no padding is due. */
static bool padding_len(const struct gen_buf *w, const struct hello *h, size_t *out)
{
    size_t so_far = w->len - h->hs_start;
    if (so_far <= 0xff || so_far >= 0x200)
        return false;
    size_t n = 0x200 - so_far;
    *out = n >= 4 + 1 ? n - 4 : 1;
    return true;
}

/* The body of extension @type. */
static void ext_body(struct gen_buf *w, uint32_t type, struct hello *h)
{
    const struct profile *p = h->prof;
    switch (type) {
    case EXT_SERVER_NAME: {
        size_t list = gen_buf_vec_begin(w, 2);
        gen_buf_be(w, 0, 1); /* host_name (RFC 6066 3) */
        gen_buf_be(w, (unsigned)h->sni_len, 2);
        gen_buf_bytes(w, h->sni, h->sni_len);
        gen_buf_vec_end(w, list, 2);
        break;
    }
    case EXT_STATUS_REQUEST:
        gen_buf_be(w, 1, 1); /* ocsp, no responder ids, no extensions (RFC 6066 8) */
        gen_buf_be(w, 0, 2);
        gen_buf_be(w, 0, 2);
        break;
    case EXT_SUPPORTED_GROUPS:
        put_u16_list(w, 2, p->grease ? h->grease_group : 0, p->groups, p->n_groups);
        break;
    case EXT_EC_POINT_FORMATS:
        gen_buf_be(w, (unsigned)p->n_point_formats, 1);
        gen_buf_bytes(w, p->point_formats, p->n_point_formats);
        break;
    case EXT_SIGNATURE_ALGORITHMS:
        put_u16_list(w, 2, 0, p->sigalgs, p->n_sigalgs);
        break;
    case EXT_DELEGATED_CREDENTIALS:
        put_u16_list(w, 2, 0, p->dc_sigalgs, p->n_dc_sigalgs);
        break;
    case EXT_ALPN:
        ext_alpn(w, p->alpn, p->n_alpn);
        break;
    case EXT_APPLICATION_SETTINGS:
        ext_alpn(w, &p->alps, 1);
        break;
    case EXT_COMPRESS_CERTIFICATE:
        put_u16_list(w, 1, 0, p->cert_compress, p->n_cert_compress);
        break;
    case EXT_RECORD_SIZE_LIMIT:
        gen_buf_be(w, TLS_RECORD_MAX + 1, 2); /* RFC 8449 4: the limit counts the content type */
        break;
    case EXT_SUPPORTED_VERSIONS:
        put_u16_list(w, 1, p->grease ? h->grease_version : 0, p->versions, p->n_versions);
        break;
    case EXT_PSK_KEY_EXCHANGE_MODES:
        gen_buf_be(w, 1, 1);
        gen_buf_be(w, 1, 1); /* psk_dhe_ke */
        break;
    case EXT_KEY_SHARE:
        ext_key_share(w, h);
        break;
    case EXT_ECH:
        ext_ech_grease(w, h);
        break;
    case EXT_QUIC_TRANSPORT_PARAMETERS:
        ext_transport_parameters(w, h);
        break;
    case EXT_RENEGOTIATION_INFO: /* empty renegotiated_connection: initial (RFC 5746 3.4) */
    case EXT_GREASE_LAST:        /* BoringSSL's second GREASE extension holds a zero byte */
        gen_buf_be(w, 0, 1);
        break;
    default: /* extended_master_secret, session_ticket, SCT, encrypt_then_mac, PHA, GREASE */
        break;
    }
}

static void put_extension(struct gen_buf *w, uint32_t type, struct hello *h)
{
    size_t pad;
    if (type == EXT_SERVER_NAME && h->sni_len == 0)
        return;
    if (type == EXT_PADDING) {
        if (!padding_len(w, h, &pad))
            return;
        gen_buf_be(w, EXT_PADDING, 2);
        gen_buf_be(w, (unsigned)pad, 2);
        uint8_t *z = gen_buf_room(w, pad);
        if (z != NULL)
            memset(z, 0, pad);
        return;
    }
    if (type == EXT_GREASE_FIRST)
        gen_buf_be(w, h->grease_ext1, 2);
    else if (type == EXT_GREASE_LAST)
        gen_buf_be(w, h->grease_ext2, 2);
    else
        gen_buf_be(w, type, 2);
    size_t body = gen_buf_vec_begin(w, 2);
    ext_body(w, type, h);
    gen_buf_vec_end(w, body, 2);
}

/* The profile's extension order; Chrome's shuffled (Fisher-Yates) except its GREASE and
 * padding entries, which BoringSSL keeps first and last. */
static size_t extension_order(const struct hello *h, uint32_t *order)
{
    const struct profile *p = h->prof;
    memcpy(order, p->exts, p->n_exts * sizeof(*order));
    if (!p->permute)
        return p->n_exts;
    size_t lo = 0;
    size_t hi = p->n_exts;
    while (lo < hi && order[lo] == EXT_GREASE_FIRST)
        lo++;
    while (hi > lo && (order[hi - 1] == EXT_GREASE_LAST || order[hi - 1] == EXT_PADDING))
        hi--;
    for (size_t i = hi - lo; i > 1; i--) {
        size_t j = (size_t)gen_rng_below(h->rng, i);
        uint32_t t = order[lo + i - 1];
        order[lo + i - 1] = order[lo + j];
        order[lo + j] = t;
    }
    return p->n_exts;
}

static void client_hello_body(struct gen_buf *w, struct hello *h)
{
    const struct profile *p = h->prof;
    gen_buf_be(w, TLS_V12, 2); /* legacy_version (RFC 8446 4.1.2) */
    gen_buf_random(w, 32, h->rng);
    if (p->session_id && !h->quic) {
        gen_buf_be(w, 32, 1);
        gen_buf_random(w, 32, h->rng);
    } else {
        gen_buf_be(w, 0, 1);
    }
    size_t suites = gen_buf_vec_begin(w, 2);
    if (p->grease)
        gen_buf_be(w, h->grease_suite, 2);
    for (size_t i = 0; i < p->n_suites; i++) {
        if (!h->quic || p->suites[i] >> 8 == 0x13)
            gen_buf_be(w, p->suites[i], 2);
    }
    gen_buf_vec_end(w, suites, 2);
    gen_buf_be(w, 1, 1);
    gen_buf_be(w, 0, 1); /* null compression only */

    uint32_t order[EXT_MAX];
    size_t n = extension_order(h, order);
    size_t exts = gen_buf_vec_begin(w, 2);
    for (size_t i = 0; i < n; i++)
        put_extension(w, order[i], h);
    gen_buf_vec_end(w, exts, 2);
}

static size_t client_hello(uint8_t *out, size_t cap, const struct profile *p, const char *sni,
                           bool quic, const uint8_t *scid, size_t scid_len, struct gen_rng *rng)
{
    size_t sni_len = sni != NULL ? strlen(sni) : 0;
    if (p->n_exts == 0 || p->n_exts > EXT_MAX || sni_len > 253 || scid_len > 20 ||
        (scid_len > 0 && scid == NULL))
        return 0;
    struct hello h = {.prof = p,
                      .sni = sni,
                      .sni_len = sni_len,
                      .quic = quic,
                      .scid = scid,
                      .scid_len = scid_len,
                      .rng = rng};
    if (p->grease) {
        h.grease_suite = grease_value(rng);
        h.grease_group = grease_value(rng);
        h.grease_version = grease_value(rng);
        h.grease_ext1 = grease_value(rng);
        h.grease_ext2 = grease_value(rng);
        if (h.grease_ext2 == h.grease_ext1)
            h.grease_ext2 ^= 0x1010; /* as BoringSSL does: two distinct GREASE extensions */
    }
    struct gen_buf w;
    gen_buf_init(&w, out, cap);
    size_t rec = 0;
    if (!quic) {
        gen_buf_be(&w, TLS_REC_HANDSHAKE, 1);
        gen_buf_be(&w, p->record_version, 2);
        rec = gen_buf_vec_begin(&w, 2);
    }
    h.hs_start = w.len;
    gen_buf_be(&w, TLS_HS_CLIENT_HELLO, 1);
    size_t msg = gen_buf_vec_begin(&w, 3);
    client_hello_body(&w, &h);
    gen_buf_vec_end(&w, msg, 3);
    if (!quic) {
        gen_buf_vec_end(&w, rec, 2);
        if (!w.err && w.len - 5 > TLS_RECORD_MAX)
            return 0;
    }
    return gen_buf_done(&w);
}

size_t gen_tls_client_hello(uint8_t *out, size_t cap, enum gen_tls_profile p, const char *sni,
                            unsigned flags, struct gen_rng *rng)
{
    if ((unsigned)p >= GEN_TLS_PROFILES)
        return 0;
    bool quic = (flags & GEN_TLS_QUIC) != 0;
    const struct profile *prof = quic ? &quic_profiles[p] : &tcp_profiles[p];
    return client_hello(out, cap, prof, sni, quic, NULL, 0, rng);
}

size_t gen_tls_client_hello_quic(uint8_t *out, size_t cap, enum gen_tls_profile p, const char *sni,
                                 const uint8_t *scid, size_t scid_len, struct gen_rng *rng)
{
    if ((unsigned)p >= GEN_TLS_PROFILES)
        return 0;
    return client_hello(out, cap, &quic_profiles[p], sni, true, scid, scid_len, rng);
}

/* ---- Reading a ClientHello (to answer it) ---- */

struct rbuf {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool err;
};

static uint64_t get_be(struct rbuf *r, size_t width)
{
    if (r->err || width > r->len - r->off) {
        r->err = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = v << 8 | r->p[r->off + i];
    r->off += width;
    return v;
}

/* The @width-byte-length-prefixed vector at the read position, as a reader of its own. */
static struct rbuf get_vec(struct rbuf *r, size_t width)
{
    size_t n = (size_t)get_be(r, width);
    struct rbuf v = {.err = true};
    if (r->err || n > r->len - r->off) {
        r->err = true;
        return v;
    }
    v = (struct rbuf){.p = r->p + r->off, .len = n};
    r->off += n;
    return v;
}

static bool u16_in(struct rbuf v, unsigned want)
{
    while (!v.err && v.off < v.len) {
        if (get_be(&v, 2) == want)
            return true;
    }
    return false;
}

/* What an answer needs from a ClientHello. */
struct ch_info {
    uint8_t sid[32];
    size_t sid_len;
    struct rbuf suites;
    const uint8_t *sni; /* host_name, or NULL */
    size_t sni_len;
    const uint8_t *alpn; /* the first protocol offered, or NULL */
    size_t alpn_len;
    bool tls13;
    bool x25519_share;
    bool group_x25519;
    bool group_p256;
    bool pss;
    bool ems;
    bool reneg;
    bool point_formats;
};

static void read_server_name(struct rbuf e, struct ch_info *ci)
{
    struct rbuf list = get_vec(&e, 2);
    while (!list.err && list.off < list.len) {
        unsigned type = (unsigned)get_be(&list, 1);
        struct rbuf name = get_vec(&list, 2);
        if (!list.err && type == 0 && ci->sni == NULL) {
            ci->sni = name.p;
            ci->sni_len = name.len;
        }
    }
}

static void read_key_share(struct rbuf e, struct ch_info *ci)
{
    struct rbuf list = get_vec(&e, 2);
    while (!list.err && list.off < list.len) {
        unsigned group = (unsigned)get_be(&list, 2);
        struct rbuf key = get_vec(&list, 2);
        if (!list.err && group == GRP_X25519 && key.len == 32)
            ci->x25519_share = true;
    }
}

static void read_extension(unsigned type, struct rbuf e, struct ch_info *ci)
{
    struct rbuf v;
    switch (type) {
    case EXT_SERVER_NAME:
        read_server_name(e, ci);
        break;
    case EXT_SUPPORTED_VERSIONS:
        ci->tls13 = u16_in(get_vec(&e, 1), TLS_V13);
        break;
    case EXT_KEY_SHARE:
        read_key_share(e, ci);
        break;
    case EXT_SUPPORTED_GROUPS:
        v = get_vec(&e, 2);
        ci->group_x25519 = u16_in(v, GRP_X25519);
        ci->group_p256 = u16_in(v, GRP_SECP256R1);
        break;
    case EXT_SIGNATURE_ALGORITHMS:
        ci->pss = u16_in(get_vec(&e, 2), SIG_RSA_PSS_RSAE_SHA256);
        break;
    case EXT_ALPN:
        v = get_vec(&e, 2);
        v = get_vec(&v, 1);
        if (!v.err && v.len > 0) {
            ci->alpn = v.p;
            ci->alpn_len = v.len;
        }
        break;
    case EXT_EXTENDED_MASTER_SECRET:
        ci->ems = true;
        break;
    case EXT_RENEGOTIATION_INFO:
        ci->reneg = true;
        break;
    case EXT_EC_POINT_FORMATS:
        ci->point_formats = true;
        break;
    default:
        break;
    }
}

/* Parses the ClientHello at @p: a handshake record or a bare handshake message. Returns 0 or
 * -EINVAL. */
static int read_client_hello(const uint8_t *p, size_t n, struct ch_info *ci)
{
    memset(ci, 0, sizeof(*ci));
    struct rbuf r = {.p = p, .len = n};
    if (n > 0 && p[0] == TLS_REC_HANDSHAKE) {
        get_be(&r, 3); /* type, legacy_record_version */
        r = get_vec(&r, 2);
    }
    if (get_be(&r, 1) != TLS_HS_CLIENT_HELLO)
        return -EINVAL;
    struct rbuf body = get_vec(&r, 3);
    get_be(&body, 2 + 32); /* legacy_version, random */
    struct rbuf sid = get_vec(&body, 1);
    if (body.err || sid.len > sizeof(ci->sid))
        return -EINVAL;
    memcpy(ci->sid, sid.p, sid.len);
    ci->sid_len = sid.len;
    ci->suites = get_vec(&body, 2);
    get_vec(&body, 1); /* compression methods */
    struct rbuf exts = get_vec(&body, 2);
    while (!exts.err && exts.off < exts.len) {
        unsigned type = (unsigned)get_be(&exts, 2);
        struct rbuf e = get_vec(&exts, 2);
        if (!exts.err)
            read_extension(type, e, ci);
    }
    if (body.err || exts.err || ci->suites.len % 2 != 0)
        return -EINVAL;
    ci->reneg = ci->reneg || u16_in(ci->suites, CS_EMPTY_RENEGOTIATION_INFO_SCSV);
    return 0;
}

/* The first of @prefs (server preference) that the client offers, or 0. */
static unsigned pick_suite(const struct ch_info *ci, const uint16_t *prefs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (u16_in(ci->suites, prefs[i]))
            return prefs[i];
    }
    return 0;
}

/* ---- ServerHello (TLS 1.3) ---- */

size_t gen_tls_server_hello13(uint8_t *out, size_t cap, const uint8_t *client_hello, size_t ch_len,
                              unsigned flags, struct gen_rng *rng)
{
    static const uint16_t prefs[] = {CS_AES_128_GCM_SHA256, CS_AES_256_GCM_SHA384,
                                     CS_CHACHA20_POLY1305_SHA256};
    struct ch_info ci;
    if (client_hello == NULL || read_client_hello(client_hello, ch_len, &ci) != 0)
        return 0;
    unsigned suite = pick_suite(&ci, prefs, N(prefs));
    if (!ci.tls13 || !ci.x25519_share || suite == 0)
        return 0;
    bool quic = (flags & GEN_TLS_QUIC) != 0;
    struct gen_buf w;
    gen_buf_init(&w, out, cap);
    size_t rec = 0;
    if (!quic) {
        gen_buf_be(&w, TLS_REC_HANDSHAKE, 1);
        gen_buf_be(&w, TLS_V12, 2);
        rec = gen_buf_vec_begin(&w, 2);
    }
    gen_buf_be(&w, TLS_HS_SERVER_HELLO, 1);
    size_t msg = gen_buf_vec_begin(&w, 3);
    gen_buf_be(&w, TLS_V12, 2); /* legacy_version; the real one is in supported_versions (4.2.1) */
    gen_buf_random(&w, 32, rng);
    gen_buf_be(&w, (unsigned)ci.sid_len, 1); /* legacy_session_id_echo (RFC 8446 4.1.3) */
    gen_buf_bytes(&w, ci.sid, ci.sid_len);
    gen_buf_be(&w, suite, 2);
    gen_buf_be(&w, 0, 1);
    size_t exts = gen_buf_vec_begin(&w, 2);
    gen_buf_be(&w, EXT_SUPPORTED_VERSIONS, 2);
    gen_buf_be(&w, 2, 2);
    gen_buf_be(&w, TLS_V13, 2);
    gen_buf_be(&w, EXT_KEY_SHARE, 2);
    gen_buf_be(&w, 2 + 2 + 32, 2);
    gen_buf_be(&w, GRP_X25519, 2);
    gen_buf_be(&w, 32, 2);
    gen_buf_random(&w, 32, rng);
    gen_buf_vec_end(&w, exts, 2);
    gen_buf_vec_end(&w, msg, 3);
    if (!quic) {
        gen_buf_vec_end(&w, rec, 2);
        static const uint8_t ccs[] = {TLS_REC_CCS, 0x03, 0x03, 0x00, 0x01, 0x01};
        gen_buf_bytes(&w, ccs, sizeof(ccs));
    }
    return gen_buf_done(&w);
}

/* ---- The TLS 1.2 server flight ---- */

/* Days in 2024 from which the flight's certificates date: a fixed year keeps captures a
 * function of the seed alone. */
#define CERT_EPOCH_2024 1704067200ull /* 2024-01-01T00:00:00Z */

static void sh12_extensions(struct gen_buf *w, const struct ch_info *ci)
{
    /* In OpenSSL's extension order, answering only what the client asked for. */
    if (ci->reneg) {
        gen_buf_be(w, EXT_RENEGOTIATION_INFO, 2);
        gen_buf_be(w, 1, 2);
        gen_buf_be(w, 0, 1);
    }
    if (ci->sni != NULL) {
        gen_buf_be(w, EXT_SERVER_NAME, 2); /* empty: the name was used (RFC 6066 3) */
        gen_buf_be(w, 0, 2);
    }
    if (ci->point_formats) {
        gen_buf_be(w, EXT_EC_POINT_FORMATS, 2); /* RFC 8422 5.2: uncompressed */
        gen_buf_be(w, 2, 2);
        gen_buf_be(w, 1, 1);
        gen_buf_be(w, 0, 1);
    }
    if (ci->alpn != NULL) {
        gen_buf_be(w, EXT_ALPN, 2);
        gen_buf_be(w, (unsigned)(2 + 1 + ci->alpn_len), 2);
        gen_buf_be(w, (unsigned)(1 + ci->alpn_len), 2);
        gen_buf_be(w, (unsigned)ci->alpn_len, 1);
        gen_buf_bytes(w, ci->alpn, ci->alpn_len);
    }
    if (ci->ems) {
        gen_buf_be(w, EXT_EXTENDED_MASTER_SECRET, 2);
        gen_buf_be(w, 0, 2);
    }
}

static void sh12_server_hello(struct gen_buf *w, const struct ch_info *ci, unsigned suite,
                              struct gen_rng *rng)
{
    gen_buf_be(w, TLS_HS_SERVER_HELLO, 1);
    size_t msg = gen_buf_vec_begin(w, 3);
    gen_buf_be(w, TLS_V12, 2);
    gen_buf_random(w, 32, rng);
    gen_buf_be(w, 32, 1); /* a new session id for the server's cache (RFC 5246 7.4.1.3) */
    gen_buf_random(w, 32, rng);
    gen_buf_be(w, suite, 2);
    gen_buf_be(w, 0, 1);
    size_t exts = gen_buf_vec_begin(w, 2);
    sh12_extensions(w, ci);
    gen_buf_vec_end(w, exts, 2);
    gen_buf_vec_end(w, msg, 3);
}

/* One handshake message per record, as OpenSSL writes a flight. Returns the record's start. */
static size_t record_begin(struct gen_buf *w)
{
    gen_buf_be(w, TLS_REC_HANDSHAKE, 1);
    gen_buf_be(w, TLS_V12, 2);
    return gen_buf_vec_begin(w, 2);
}

static void sh12_certificate(struct gen_buf *w, const struct ch_info *ci, struct gen_rng *rng)
{
    char name[254] = "localhost";
    if (ci->sni != NULL) {
        if (ci->sni_len >= sizeof(name)) {
            w->err = true;
            return;
        }
        memcpy(name, ci->sni, ci->sni_len);
        name[ci->sni_len] = '\0';
    }
    const char *const san[] = {name};
    uint64_t not_before = CERT_EPOCH_2024 + 86400 * gen_rng_below(rng, 366);
    gen_buf_be(w, TLS_HS_CERTIFICATE, 1);
    size_t msg = gen_buf_vec_begin(w, 3);
    size_t list = gen_buf_vec_begin(w, 3);
    size_t cert = gen_buf_vec_begin(w, 3);
    if (!w->err) {
        size_t n = gen_tls_certificate_der(w->p + w->len, w->cap - w->len, name, san, 1, not_before,
                                           rng);
        if (n == 0)
            w->err = true;
        w->len += n;
    }
    gen_buf_vec_end(w, cert, 3);
    gen_buf_vec_end(w, list, 3);
    gen_buf_vec_end(w, msg, 3);
}

static void sh12_key_exchange(struct gen_buf *w, const struct ch_info *ci, struct gen_rng *rng)
{
    gen_buf_be(w, TLS_HS_SERVER_KEY_EXCHANGE, 1);
    size_t msg = gen_buf_vec_begin(w, 3);
    gen_buf_be(w, 3, 1); /* ECParameters: named_curve (RFC 8422 5.4) */
    if (ci->group_x25519) {
        gen_buf_be(w, GRP_X25519, 2);
        gen_buf_be(w, 32, 1);
        gen_buf_random(w, 32, rng);
    } else {
        gen_buf_be(w, GRP_SECP256R1, 2);
        gen_buf_be(w, 65, 1);
        gen_buf_be(w, 4, 1);
        gen_buf_random(w, 64, rng);
    }
    /* digitally-signed (RFC 5246 4.7): RSA-2048 signs 256 bytes. */
    gen_buf_be(w, ci->pss ? SIG_RSA_PSS_RSAE_SHA256 : SIG_RSA_PKCS1_SHA256, 2);
    gen_buf_be(w, 256, 2);
    gen_buf_random(w, 256, rng);
    gen_buf_vec_end(w, msg, 3);
}

size_t gen_tls_server_hello12(uint8_t *out, size_t cap, const uint8_t *client_hello, size_t ch_len,
                              unsigned flags, struct gen_rng *rng)
{
    static const uint16_t prefs[] = {CS_ECDHE_RSA_AES_128_GCM_SHA256,
                                     CS_ECDHE_RSA_AES_256_GCM_SHA384,
                                     CS_ECDHE_RSA_CHACHA20_POLY1305};
    struct ch_info ci;
    if (flags != 0 || client_hello == NULL || read_client_hello(client_hello, ch_len, &ci) != 0)
        return 0;
    unsigned suite = pick_suite(&ci, prefs, N(prefs));
    if (suite == 0 || !(ci.group_x25519 || ci.group_p256))
        return 0;
    struct gen_buf w;
    gen_buf_init(&w, out, cap);
    size_t rec = record_begin(&w);
    sh12_server_hello(&w, &ci, suite, rng);
    gen_buf_vec_end(&w, rec, 2);
    rec = record_begin(&w);
    sh12_certificate(&w, &ci, rng);
    gen_buf_vec_end(&w, rec, 2);
    rec = record_begin(&w);
    sh12_key_exchange(&w, &ci, rng);
    gen_buf_vec_end(&w, rec, 2);
    rec = record_begin(&w);
    gen_buf_be(&w, TLS_HS_SERVER_HELLO_DONE, 1);
    gen_buf_be(&w, 0, 3);
    gen_buf_vec_end(&w, rec, 2);
    return gen_buf_done(&w);
}

/* ---- X.509 in DER (X.690 8, 10; RFC 5280 4.1) ---- */

enum {
    DER_BOOLEAN = 0x01,
    DER_INTEGER = 0x02,
    DER_BIT_STRING = 0x03,
    DER_OCTET_STRING = 0x04,
    DER_NULL = 0x05,
    DER_OID = 0x06,
    DER_UTF8_STRING = 0x0c,
    DER_IA5_STRING = 0x16,
    DER_UTC_TIME = 0x17,
    DER_GENERALIZED_TIME = 0x18,
    DER_SEQUENCE = 0x30,
    DER_SET = 0x31,
    DER_CTX0 = 0xa0,     /* [0] constructed: version, authority key id's keyIdentifier */
    DER_CTX3 = 0xa3,     /* [3] constructed: extensions */
    DER_DNS_NAME = 0x82, /* GeneralName [2] IMPLICIT IA5String */
    DER_KEY_ID = 0x80,   /* AuthorityKeyIdentifier [0] IMPLICIT KeyIdentifier */
};

/* Object identifiers, content octets only. */
static const uint8_t oid_sha256_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t oid_o[] = {0x55, 0x04, 0x0a};
static const uint8_t oid_key_usage[] = {0x55, 0x1d, 0x0f};
static const uint8_t oid_ext_key_usage[] = {0x55, 0x1d, 0x25};
static const uint8_t oid_basic_constraints[] = {0x55, 0x1d, 0x13};
static const uint8_t oid_subject_key_id[] = {0x55, 0x1d, 0x0e};
static const uint8_t oid_authority_key_id[] = {0x55, 0x1d, 0x23};
static const uint8_t oid_subject_alt_name[] = {0x55, 0x1d, 0x11};
static const uint8_t oid_server_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};

/* The test CA's key identifier: fixed, so every certificate it issues names the same key. */
static const uint8_t ca_key_id[20] = {0x55, 0x6d, 0x62, 0x72, 0x61, 0x20, 0x54, 0x65, 0x73, 0x74,
                                      0x20, 0x43, 0x41, 0x20, 0x6b, 0x65, 0x79, 0x20, 0x69, 0x64};

static void der_algorithm(struct gen_buf *w, const uint8_t *oid, size_t n)
{
    size_t seq = gen_der_open(w, DER_SEQUENCE);
    gen_der_prim(w, DER_OID, oid, n);
    gen_der_prim(w, DER_NULL, NULL, 0); /* parameters NULL for RSA (RFC 4055 5, RFC 3279 2.3.1) */
    gen_der_close(w, seq);
}

static void der_rdn(struct gen_buf *w, const uint8_t *oid, size_t oid_len, const char *value)
{
    size_t set = gen_der_open(w, DER_SET);
    size_t seq = gen_der_open(w, DER_SEQUENCE);
    gen_der_prim(w, DER_OID, oid, oid_len);
    gen_der_prim(w, DER_UTF8_STRING, value, strlen(value));
    gen_der_close(w, seq);
    gen_der_close(w, set);
}

static bool leap_year(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds since 1970 as UTCTime (years 1950..2049) or GeneralizedTime (RFC 5280 4.1.2.5),
 * by counting off whole years and months: no time zone or libc time functions involved. */
static void der_time(struct gen_buf *w, uint64_t t)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint64_t days = t / 86400;
    unsigned secs = (unsigned)(t % 86400);
    unsigned year = 1970;
    while (days >= (leap_year(year) ? 366u : 365u)) {
        days -= leap_year(year) ? 366u : 365u;
        year++;
    }
    unsigned month = 0;
    for (;;) {
        unsigned mlen = mdays[month] + (month == 1 && leap_year(year) ? 1u : 0u);
        if (days < mlen)
            break;
        days -= mlen;
        month++;
    }
    unsigned v[] = {month + 1, (unsigned)days + 1, secs / 3600, secs / 60 % 60, secs % 60};
    char s[16];
    size_t n = 0;
    if (year >= 2050) {
        s[n++] = (char)('0' + year / 1000);
        s[n++] = (char)('0' + year / 100 % 10);
    }
    s[n++] = (char)('0' + year / 10 % 10);
    s[n++] = (char)('0' + year % 10);
    for (size_t i = 0; i < N(v); i++) {
        s[n++] = (char)('0' + v[i] / 10);
        s[n++] = (char)('0' + v[i] % 10);
    }
    s[n++] = 'Z';
    gen_der_prim(w, year >= 2050 ? DER_GENERALIZED_TIME : DER_UTC_TIME, s, n);
}

/* One Extension: SEQUENCE { extnID, critical (only when TRUE: DER omits defaults),
 * extnValue OCTET STRING { ... } }. Returns the OCTET STRING's mark for der_ext_end(). */
static void der_ext_begin(struct gen_buf *w, size_t mark[2], const uint8_t *oid, size_t n,
                          bool critical)
{
    mark[0] = gen_der_open(w, DER_SEQUENCE);
    gen_der_prim(w, DER_OID, oid, n);
    if (critical)
        gen_der_prim(w, DER_BOOLEAN, (const uint8_t[]){0xff}, 1);
    mark[1] = gen_der_open(w, DER_OCTET_STRING);
}

static void der_ext_end(struct gen_buf *w, const size_t mark[2])
{
    gen_der_close(w, mark[1]);
    gen_der_close(w, mark[0]);
}

/* The extensions of a TLS server certificate, in the order public CAs write them. */
static void der_extensions(struct gen_buf *w, const char *const *san, size_t nsan,
                           struct gen_rng *rng)
{
    size_t m[2];
    size_t outer = gen_der_open(w, DER_CTX3);
    size_t list = gen_der_open(w, DER_SEQUENCE);
    der_ext_begin(w, m, oid_key_usage, sizeof(oid_key_usage), true);
    gen_der_prim(w, DER_BIT_STRING, (const uint8_t[]){5, 0xa0}, 2); /* digitalSig, keyEncipher */
    der_ext_end(w, m);
    der_ext_begin(w, m, oid_ext_key_usage, sizeof(oid_ext_key_usage), false);
    size_t seq = gen_der_open(w, DER_SEQUENCE);
    gen_der_prim(w, DER_OID, oid_server_auth, sizeof(oid_server_auth));
    gen_der_close(w, seq);
    der_ext_end(w, m);
    der_ext_begin(w, m, oid_basic_constraints, sizeof(oid_basic_constraints), true);
    gen_der_prim(w, DER_SEQUENCE, NULL, 0); /* cA FALSE is the default, so omitted */
    der_ext_end(w, m);
    uint8_t ski[20];
    gen_rng_fill(rng, ski, sizeof(ski));
    der_ext_begin(w, m, oid_subject_key_id, sizeof(oid_subject_key_id), false);
    gen_der_prim(w, DER_OCTET_STRING, ski, sizeof(ski));
    der_ext_end(w, m);
    der_ext_begin(w, m, oid_authority_key_id, sizeof(oid_authority_key_id), false);
    seq = gen_der_open(w, DER_SEQUENCE);
    gen_der_prim(w, DER_KEY_ID, ca_key_id, sizeof(ca_key_id));
    gen_der_close(w, seq);
    der_ext_end(w, m);
    if (nsan > 0) {
        der_ext_begin(w, m, oid_subject_alt_name, sizeof(oid_subject_alt_name), false);
        seq = gen_der_open(w, DER_SEQUENCE);
        for (size_t i = 0; i < nsan; i++)
            gen_der_prim(w, DER_DNS_NAME, san[i], strlen(san[i]));
        gen_der_close(w, seq);
        der_ext_end(w, m);
    }
    gen_der_close(w, list);
    gen_der_close(w, outer);
}

static void der_public_key(struct gen_buf *w, struct gen_rng *rng)
{
    size_t spki = gen_der_open(w, DER_SEQUENCE);
    der_algorithm(w, oid_rsa, sizeof(oid_rsa));
    size_t bits = gen_der_open(w, DER_BIT_STRING);
    gen_buf_be(w, 0, 1); /* no unused bits */
    size_t key = gen_der_open(w, DER_SEQUENCE);
    size_t mod = gen_der_open(w, DER_INTEGER);
    gen_buf_be(w, 0, 1); /* the top bit is set, so a zero keeps the INTEGER positive (X.690 8.3) */
    uint8_t *n = gen_buf_room(w, 256);
    if (n != NULL) {
        gen_rng_fill(rng, n, 256);
        n[0] |= 0x80; /* a 2048-bit modulus */
        n[255] |= 1;  /* the product of two odd primes is odd */
    }
    gen_der_close(w, mod);
    gen_der_prim(w, DER_INTEGER, (const uint8_t[]){0x01, 0x00, 0x01}, 3); /* e = 65537 */
    gen_der_close(w, key);
    gen_der_close(w, bits);
    gen_der_close(w, spki);
}

static bool printable_name(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < 0x20 || *s > 0x7e)
            return false;
    }
    return true;
}

static void der_tbs(struct gen_buf *w, const char *cn, const char *const *san, size_t nsan,
                    uint64_t not_before, struct gen_rng *rng)
{
    size_t tbs = gen_der_open(w, DER_SEQUENCE);
    size_t ver = gen_der_open(w, DER_CTX0);
    gen_der_prim(w, DER_INTEGER, (const uint8_t[]){2}, 1); /* v3 */
    gen_der_close(w, ver);
    uint8_t serial[16]; /* 128 random bits; positive and minimal (RFC 5280 4.1.2.2) */
    gen_rng_fill(rng, serial, sizeof(serial));
    serial[0] &= 0x7f;
    if (serial[0] == 0)
        serial[0] = 1;
    gen_der_prim(w, DER_INTEGER, serial, sizeof(serial));
    der_algorithm(w, oid_sha256_rsa, sizeof(oid_sha256_rsa));
    /* The Name is a sequence from the root down: O first, so that its string form
     * (RFC 4514, last RDN first) reads "CN=Umbra Test CA,O=Umbra". */
    size_t issuer = gen_der_open(w, DER_SEQUENCE);
    der_rdn(w, oid_o, sizeof(oid_o), "Umbra");
    der_rdn(w, oid_cn, sizeof(oid_cn), "Umbra Test CA");
    gen_der_close(w, issuer);
    size_t validity = gen_der_open(w, DER_SEQUENCE);
    der_time(w, not_before);
    der_time(w, not_before + 365 * 86400ull);
    gen_der_close(w, validity);
    size_t subject = gen_der_open(w, DER_SEQUENCE);
    der_rdn(w, oid_cn, sizeof(oid_cn), cn);
    gen_der_close(w, subject);
    der_public_key(w, rng);
    der_extensions(w, san, nsan, rng);
    gen_der_close(w, tbs);
}

size_t gen_tls_certificate_der(uint8_t *out, size_t cap, const char *cn, const char *const *san,
                               size_t nsan, uint64_t not_before_unix, struct gen_rng *rng)
{
    /* GeneralizedTime stops at 9999-12-31T23:59:59Z. */
    if (!printable_name(cn) || not_before_unix > 253402300799ull - 365 * 86400ull)
        return 0;
    if (nsan > 0 && san == NULL)
        return 0;
    for (size_t i = 0; i < nsan; i++) {
        if (!printable_name(san[i]))
            return 0;
    }
    struct gen_buf w;
    gen_buf_init(&w, out, cap);
    size_t cert = gen_der_open(&w, DER_SEQUENCE);
    der_tbs(&w, cn, san, nsan, not_before_unix, rng);
    der_algorithm(&w, oid_sha256_rsa, sizeof(oid_sha256_rsa));
    size_t sig = gen_der_open(&w, DER_BIT_STRING);
    gen_buf_be(&w, 0, 1);
    gen_buf_random(&w, 256, rng);
    gen_der_close(&w, sig);
    gen_der_close(&w, cert);
    return gen_buf_done(&w);
}

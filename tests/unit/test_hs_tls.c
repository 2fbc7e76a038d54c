/*
 * hs_tls: hellos built here from lists (RFC 8446 4.1.2 layout), whose JA3/JA3S strings come from
 * tshark 4.0 reading the same bytes written into a pcap (tls.handshake.ja3_full, ja3s_full),
 * the JA4 example of the FoxIO specification (technical_details/JA4.md of FoxIO-LLC/ja4), and
 * the real handshakes of four captures in tests/data, checked against tshark's fields. JA4 has
 * no tshark 4.0 field: for the captures it is computed by the shell from tshark's fields (the
 * command is in the comment of test_hs_tls_agrees_with_tshark_on_real_captures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/digest.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/hs_tls.h"

#define DATA(name)     UMBRA_TEST_DATA_DIR "/" name
#define LIST(field, a) .field = a, .n_##field = sizeof(a) / sizeof(a[0])

/* ---- A builder for handshake messages and records. ---- */

struct msg {
    uint8_t b[40000];
    size_t n;
};

static void put8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
    put8(m, v >> 8);
    put8(m, v & 0xff);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    if (n > 0) /* p may be NULL then, which memcpy does not allow */
        memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* A length field of @width bytes to be filled by close_len(). */
static size_t open_len(struct msg *m, int width)
{
    size_t at = m->n;
    for (int i = 0; i < width; i++)
        put8(m, 0);
    return at;
}

static void close_len(struct msg *m, size_t at, int width)
{
    size_t len = m->n - at - (size_t)width;
    for (int i = 0; i < width; i++)
        m->b[at + (size_t)i] = (uint8_t)(len >> (8 * (width - 1 - i)));
}

/* A ClientHello: extension types in order, their contents from the lists (others empty). */
struct hello {
    uint16_t version;
    const uint16_t *ciphers;
    size_t n_ciphers;
    const uint16_t *exts;
    size_t n_exts;
    const char *sni;
    const char *alpn[6]; /* NULL-ended */
    const uint16_t *groups;
    size_t n_groups;
    const uint8_t *pfs;
    size_t n_pfs;
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    const uint16_t *versions;
    size_t n_versions;
    bool no_ext_block; /* ends after the compression methods (SSL 3.0 style) */
};

static void put_u16_vec(struct msg *m, int width, const uint16_t *v, size_t n)
{
    size_t at = open_len(m, width);
    for (size_t i = 0; i < n; i++)
        put16(m, v[i]);
    close_len(m, at, width);
}

static void put_client_ext(struct msg *m, const struct hello *h, uint16_t type)
{
    put16(m, type);
    size_t at = open_len(m, 2);
    size_t list;
    switch (type) {
    case 0x0000:
        list = open_len(m, 2);
        put8(m, 0);
        put16(m, (unsigned)strlen(h->sni));
        put_bytes(m, h->sni, strlen(h->sni));
        close_len(m, list, 2);
        break;
    case 0x0010:
        list = open_len(m, 2);
        for (size_t i = 0; h->alpn[i] != NULL; i++) {
            put8(m, (unsigned)strlen(h->alpn[i]));
            put_bytes(m, h->alpn[i], strlen(h->alpn[i]));
        }
        close_len(m, list, 2);
        break;
    case 0x000a:
        put_u16_vec(m, 2, h->groups, h->n_groups);
        break;
    case 0x000b:
        put8(m, (unsigned)h->n_pfs);
        put_bytes(m, h->pfs, h->n_pfs);
        break;
    case 0x000d:
        put_u16_vec(m, 2, h->sigalgs, h->n_sigalgs);
        break;
    case 0x002b:
        put_u16_vec(m, 1, h->versions, h->n_versions);
        break;
    default:
        break;
    }
    close_len(m, at, 2);
}

/* The handshake message: type 1, 24-bit length, body. Random = 0, 1, ..., 31; no session id;
 * compression methods {0}. */
static void build_hello(struct msg *m, const struct hello *h)
{
    m->n = 0;
    put8(m, 1);
    size_t at = open_len(m, 3);
    put16(m, h->version);
    for (unsigned i = 0; i < 32; i++)
        put8(m, i);
    put8(m, 0);
    put_u16_vec(m, 2, h->ciphers, h->n_ciphers);
    put8(m, 1);
    put8(m, 0);
    if (!h->no_ext_block) {
        size_t exts = open_len(m, 2);
        for (size_t i = 0; i < h->n_exts; i++)
            put_client_ext(m, h, h->exts[i]);
        close_len(m, exts, 2);
    }
    close_len(m, at, 3);
}

/* @hs as handshake records of version @version, a new record at each offset in @splits. */
static void append_records(struct msg *out, const struct msg *hs, uint16_t version,
                           const size_t *splits, size_t n_splits)
{
    size_t from = 0;
    for (size_t i = 0; i <= n_splits; i++) {
        size_t to = i < n_splits ? splits[i] : hs->n;
        put8(out, 22);
        put16(out, version);
        put16(out, (unsigned)(to - from));
        put_bytes(out, hs->b + from, to - from);
        from = to;
    }
}

static void client_stream(struct msg *out, const struct hello *h, const size_t *splits,
                          size_t n_splits)
{
    static struct msg hs;
    build_hello(&hs, h);
    out->n = 0;
    append_records(out, &hs, 0x0301, splits, n_splits);
}

/* ---- The hellos. ---- */

static const uint16_t grease_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0xc02b, 0x00ff};
static const uint16_t grease_exts[] = {0x1a1a, 0x0000, 0x000a, 0x000b,
                                       0x000d, 0x0010, 0x002b, 0xfafa};
static const uint16_t grease_groups[] = {0x2a2a, 29, 23};
static const uint8_t pf_uncompressed[] = {0};
static const uint16_t grease_sigalgs[] = {0x0403, 0x0804};
static const uint16_t grease_versions[] = {0x3a3a, 0x0304, 0x0303};

/* GREASE (RFC 8701) in the suites, extensions, groups and versions. */
static const struct hello h_grease = {
        .version = 0x0303,
        LIST(ciphers, grease_ciphers),
        LIST(exts, grease_exts),
        .sni = "example.com",
        .alpn = {"h2", "http/1.1", NULL},
        LIST(groups, grease_groups),
        LIST(pfs, pf_uncompressed),
        LIST(sigalgs, grease_sigalgs),
        LIST(versions, grease_versions),
};

/* The lists of the JA4 specification's example (its "Cipher hash" and "Extension hash"
 * sections), with a GREASE suite and extension added, which JA4 ignores. */
static const uint16_t spec_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                        0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                        0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t spec_exts[] = {0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469,
                                     0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
                                     0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
static const uint16_t spec_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                        0x0805, 0x0501, 0x0806, 0x0601};
static const uint16_t spec_groups[] = {0x0a0a, 29, 23, 24};
static const uint16_t spec_versions[] = {0x0a0a, 0x0304, 0x0303};

static const struct hello h_spec = {
        .version = 0x0303,
        LIST(ciphers, spec_ciphers),
        LIST(exts, spec_exts),
        .sni = "example.com",
        .alpn = {"h2", "http/1.1", NULL},
        LIST(groups, spec_groups),
        LIST(pfs, pf_uncompressed),
        LIST(sigalgs, spec_sigalgs),
        LIST(versions, spec_versions),
};

/* Every list longer than the struct keeps: 40 suites (cap 32), 30 extensions (24), 14 groups
 * (12), 5 point formats (4), 25 signature algorithms (20), 7 versions (6) with the highest
 * last, 4 ALPN names (3) one of them longer than 15, and a 300-character server name. */
static const uint16_t big_ciphers[] = {
        0x0a0a, 0x1301, 0x1302, 0x1303, 0xc001, 0xc002, 0xc003, 0xc004, 0xc005, 0xc006, 0xc007,
        0xc008, 0xc009, 0xc00a, 0xc00b, 0xc00c, 0xc00d, 0xc00e, 0xc00f, 0xc010, 0xc011, 0xc012,
        0xc013, 0xc014, 0xc015, 0xc016, 0xc017, 0xc018, 0xc019, 0xc01a, 0xc01b, 0xc01c, 0xc01d,
        0xc01e, 0xc01f, 0xc020, 0xc021, 0xc022, 0xc023, 0xc024, 0xc025};
static const uint16_t big_exts[] = {0x0000, 0x0010, 0x000a, 0x000b, 0x000d, 0x002b, 0x1000, 0x1001,
                                    0x1002, 0x1003, 0x1004, 0x1005, 0x1006, 0x1007, 0x1008, 0x1009,
                                    0x100a, 0x100b, 0x100c, 0x100d, 0x100e, 0x100f, 0x1010, 0x1011,
                                    0x1012, 0x1013, 0x1014, 0x1015, 0x1016, 0x1017};
static const uint16_t big_groups[] = {29,  23,     24,     25,     256, 257, 258, 259,
                                      260, 0x0a0a, 0x11ec, 0x6399, 30,  21,  22};
static const uint8_t big_pfs[] = {0, 1, 2, 3, 4};
static const uint16_t big_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
                                       0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                                       0x0303, 0x0203, 0x0301, 0x0201, 0x0302, 0x0202, 0x0402,
                                       0x0502, 0x0602, 0x0101, 0x0102};
static const uint16_t big_versions[] = {0x0a0a, 0x0300, 0x0301, 0x0302,
                                        0x0301, 0x0302, 0x0303, 0x0304};
static const char long_name[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                "aaaaaaaaaaaa.example";

static const struct hello h_big = {
        .version = 0x0303,
        LIST(ciphers, big_ciphers),
        LIST(exts, big_exts),
        .sni = long_name,
        .alpn = {"h2", "http/1.1", "a-very-long-protocol-x", "h3", NULL},
        LIST(groups, big_groups),
        LIST(pfs, big_pfs),
        LIST(sigalgs, big_sigalgs),
        LIST(versions, big_versions),
};

/* JA3 edge cases, each checked with tshark: no extension block at all (SSL 3.0), groups and
 * point formats present but empty, the same extension twice, and suites and groups that are
 * only GREASE. */
static const uint16_t two_ciphers[] = {0x002f, 0x0035};
static const uint16_t one_cipher[] = {0x002f};
static const uint16_t grease_cipher[] = {0x0a0a};
static const uint16_t exts_10_11[] = {0x000a, 0x000b};
static const uint16_t exts_10_10_11_11[] = {0x000a, 0x000a, 0x000b, 0x000b};
static const uint16_t group_29[] = {29};
static const uint16_t group_grease[] = {0x0a0a};

static const struct hello h_ssl3 = {
        .version = 0x0300, LIST(ciphers, two_ciphers), .no_ext_block = true};
static const struct hello h_empty_lists = {
        .version = 0x0303, LIST(ciphers, one_cipher), LIST(exts, exts_10_11)};
static const struct hello h_dup_exts = {
        .version = 0x0303,
        LIST(ciphers, one_cipher),
        LIST(exts, exts_10_10_11_11),
        LIST(groups, group_29),
        LIST(pfs, pf_uncompressed),
};
static const struct hello h_grease_only = {
        .version = 0x0303,
        LIST(ciphers, grease_cipher),
        LIST(exts, exts_10_11),
        LIST(groups, group_grease),
        LIST(pfs, pf_uncompressed),
};

/* ---- Helpers. ---- */

static struct digest *dg;

static int setup(void **state)
{
    (void)state;
    dg = digest_create(NULL);
    return dg == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    digest_destroy(&dg);
    return 0;
}

static void md5_is(const uint8_t md5[16], const char *want)
{
    char hex[33];
    digest_hex(md5, 16, hex);
    assert_string_equal(hex, want);
}

static enum hs_tls_status parse_hello(const struct hello *h, struct hs_tls_client *c)
{
    static struct msg s;
    client_stream(&s, h, NULL, 0);
    return hs_tls_parse_client(s.b, s.n, dg, c);
}

/* ---- ClientHello. ---- */

static void test_hs_tls_reads_a_client_hello_without_grease(void **state)
{
    (void)state;
    struct hs_tls_client c;
    assert_int_equal(parse_hello(&h_grease, &c), HS_TLS_OK);
    assert_int_equal(c.record_version, 0x0301);
    assert_int_equal(c.legacy_version, 0x0303);
    assert_int_equal(c.max_version, 0x0304);
    assert_string_equal(c.sni, "example.com");
    assert_true(c.sni_present);
    assert_int_equal(c.n_alpn.n, 2);
    assert_string_equal(c.alpn[0], "h2");
    assert_string_equal(c.alpn[1], "http/1.1");
    const uint16_t ciphers[] = {0x1301, 0x1302, 0xc02b, 0x00ff};
    assert_int_equal(c.n_ciphers.n, 4);
    assert_int_equal(c.n_ciphers.total, 4);
    assert_false(c.n_ciphers.cut);
    assert_memory_equal(c.ciphers, ciphers, sizeof(ciphers));
    const uint16_t exts[] = {0, 10, 11, 13, 16, 43};
    assert_int_equal(c.n_exts.n, 6);
    assert_memory_equal(c.exts, exts, sizeof(exts));
    assert_int_equal(c.n_groups.n, 2);
    assert_int_equal(c.groups[0], 29);
    assert_int_equal(c.groups[1], 23);
    assert_int_equal(c.n_point_fmts.n, 1);
    assert_int_equal(c.point_fmts[0], 0);
    assert_int_equal(c.n_sigalgs.n, 2);
    assert_int_equal(c.sigalgs[1], 0x0804);
    assert_int_equal(c.n_versions.n, 2);
    assert_int_equal(c.versions[0], 0x0304);
    assert_true(c.grease);
    assert_false(c.ech);
    assert_false(c.psk);
    assert_false(c.session_ticket);
    /* tshark: 771,4865-4866-49195-255,0-10-11-13-16-43,29-23,0 */
    md5_is(c.ja3_md5, "f8dc1ea5477d8e9e3e383c2e5dae5bd2");
    /* By hand: t, 13 (supported_versions), d, 04 suites, 06 extensions, h2;
     * printf 00ff,1301,1302,c02b | sha256sum -> d71680ff791e...;
     * printf 000a,000b,000d,002b_0403,0804 | sha256sum -> fb71836bce29... */
    assert_string_equal(c.ja4, "t13d0406h2_d71680ff791e_fb71836bce29");
}

/* FoxIO JA4.md, "Example": JA4 = t13d1516h2_8daaf6152771_e5627efa2ab1, and without signature
 * algorithms the extension part hashes to 6d807ffa2a79 ("Extension hash"). */
static void test_hs_tls_ja4_reproduces_the_specification_example(void **state)
{
    (void)state;
    struct hs_tls_client c;
    assert_int_equal(parse_hello(&h_spec, &c), HS_TLS_OK);
    assert_string_equal(c.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    /* tshark: 771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,
     * 27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0 */
    md5_is(c.ja3_md5, "c000e2caf3a25423f9de6c8a4b12a975");

    struct hello nosig = h_spec;
    nosig.n_sigalgs = 0; /* the extension stays, with an empty list */
    assert_int_equal(parse_hello(&nosig, &c), HS_TLS_OK);
    assert_string_equal(c.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

    /* Over QUIC the same message gives 'q' first (JA4.md, "QUIC and DTLS"). */
    static struct msg m;
    build_hello(&m, &h_spec);
    assert_int_equal(hs_tls_parse_client_hello_msg(m.b, m.n, dg, 'q', &c), HS_TLS_OK);
    assert_string_equal(c.ja4, "q13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_int_equal(c.record_version, 0);
}

/* JA4.md, "ALPN Extension Value": the first and last characters of the first name, or of its
 * hex form when one of them is not alphanumeric; one character is both; none gives "00". */
static void test_hs_tls_ja4_alpn_characters_follow_the_specification(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *want;
    } cases[] = {
            {"http/1.1", "h1"}, {"h2", "h2"},    {"x", "xx"},          {"\xab", "ab"},
            {"\xab\xcd", "ad"}, {"0\xab", "3b"}, {"01\xab\xcd", "3d"}, {"0\xab\xcd\x31", "01"},
    };
    struct hs_tls_client c;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hello h = h_spec;
        h.alpn[0] = cases[i].name;
        h.alpn[1] = NULL;
        assert_int_equal(parse_hello(&h, &c), HS_TLS_OK);
        assert_memory_equal(c.ja4 + 8, cases[i].want, 2);
    }
    struct hello none = h_spec;
    none.exts = spec_exts + 5; /* from 0x4469 on: no server_name, no ALPN */
    none.n_exts = sizeof(spec_exts) / sizeof(spec_exts[0]) - 5;
    assert_int_equal(parse_hello(&none, &c), HS_TLS_OK);
    assert_memory_equal(c.ja4, "t13i151200", 10);
    assert_false(c.sni_present);
    assert_int_equal(c.n_alpn.n, 0);
}

/* tshark's JA3 strings for the edge cases (ja3_full, then the MD5 it gives). */
static void test_hs_tls_ja3_matches_tshark_on_edge_cases(void **state)
{
    (void)state;
    struct hs_tls_client c;
    /* JA4 by tests/oracle/ja4_from_tshark.sh on the same pcap: no extensions gives twelve
     * zeros, SSL 3.0 is "s3". */
    assert_int_equal(parse_hello(&h_ssl3, &c), HS_TLS_OK);
    /* 768,47-53,,, */
    md5_is(c.ja3_md5, "226d803d5768451a4acdc5e216ceb461");
    assert_string_equal(c.ja4, "ts3i020000_f54dd463d39b_000000000000");
    assert_int_equal(c.n_exts.total, 0);

    assert_int_equal(parse_hello(&h_empty_lists, &c), HS_TLS_OK);
    /* 771,47,10-11,, */
    md5_is(c.ja3_md5, "a6808ec1e839a236daafaa1b65f8262e");

    assert_int_equal(parse_hello(&h_dup_exts, &c), HS_TLS_OK);
    /* 771,47,10-10-11-11,29,29,0,0: tshark writes each occurrence */
    md5_is(c.ja3_md5, "69becafaf0157702d5c121f354958dd0");
    assert_int_equal(c.n_groups.n, 1); /* the struct keeps the first occurrence */

    assert_int_equal(parse_hello(&h_grease_only, &c), HS_TLS_OK);
    /* 771,,10-11,,0 */
    md5_is(c.ja3_md5, "a991bea46bb3999839c526fc50df9d8c");
    assert_string_equal(c.ja4, "t12i000200_000000000000_33a13ba74d1c");
}

/* Lists longer than the struct keeps: cut and flagged, the fingerprints still over everything
 * (tshark's JA3 of the same bytes; JA4 by the shell command of the real-capture test). */
static void test_hs_tls_long_lists_are_cut_but_fingerprints_see_all(void **state)
{
    (void)state;
    struct hs_tls_client c;
    assert_int_equal(parse_hello(&h_big, &c), HS_TLS_OK);
    assert_int_equal(c.n_ciphers.total, 40);
    assert_int_equal(c.n_ciphers.n, HS_TLS_CIPHERS_MAX);
    assert_true(c.n_ciphers.cut);
    assert_int_equal(c.ciphers[HS_TLS_CIPHERS_MAX - 1], 0xc01d);
    assert_int_equal(c.n_exts.total, 30);
    assert_true(c.n_exts.cut);
    assert_int_equal(c.n_groups.total, 14);
    assert_true(c.n_groups.cut);
    assert_int_equal(c.n_point_fmts.total, 5);
    assert_true(c.n_point_fmts.cut);
    assert_int_equal(c.n_sigalgs.total, 25);
    assert_true(c.n_sigalgs.cut);
    assert_int_equal(c.n_versions.total, 7);
    assert_true(c.n_versions.cut);
    assert_int_equal(c.max_version, 0x0304); /* the 7th, past the 6 kept */
    assert_int_equal(c.n_alpn.total, 4);
    assert_int_equal(c.n_alpn.n, HS_TLS_ALPN_MAX);
    assert_true(c.n_alpn.cut);
    assert_string_equal(c.alpn[2], "a-very-long-pro");
    assert_true(c.sni_cut);
    assert_int_equal(strlen(c.sni), HS_TLS_SNI_MAX - 1);
    md5_is(c.ja3_md5, "2c38d64d5596e010f78d0ce780bc86a4");
    assert_string_equal(c.ja4, "t13d4030h2_24f58860d78e_057e59dfbb0f");
}

/* Split into three records (inside the handshake header, then mid-body): the same result. */
static void test_hs_tls_client_hello_over_several_records(void **state)
{
    (void)state;
    static struct msg s;
    struct hs_tls_client whole, split;
    assert_int_equal(parse_hello(&h_spec, &whole), HS_TLS_OK);
    const size_t splits[] = {2, 100};
    client_stream(&s, &h_spec, splits, 2);
    assert_int_equal(hs_tls_parse_client(s.b, s.n, dg, &split), HS_TLS_OK);
    assert_memory_equal(&whole, &split, sizeof(whole));
}

/* Every prefix of a stream, one record or three, is incomplete; the whole is read. */
static void test_hs_tls_every_prefix_is_incomplete(void **state)
{
    (void)state;
    static struct msg s;
    struct hs_tls_client c;
    const size_t splits[] = {2, 100};
    for (size_t n_splits = 0; n_splits <= 2; n_splits += 2) {
        client_stream(&s, &h_grease, splits, n_splits);
        for (size_t n = 0; n < s.n; n++)
            assert_int_equal(hs_tls_parse_client(s.b, n, dg, &c), HS_TLS_INCOMPLETE);
        assert_int_equal(hs_tls_parse_client(s.b, s.n, dg, &c), HS_TLS_OK);
    }
}

static void test_hs_tls_refuses_what_is_not_a_client_hello(void **state)
{
    (void)state;
    struct hs_tls_client c;
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(hs_tls_parse_client(http, sizeof(http) - 1, dg, &c), HS_TLS_NOT_TLS);
    /* An SSL 2 CLIENT-HELLO (RFC 6101 E.2): a 2-byte header with the high bit set. */
    const uint8_t ssl2[] = {0x80, 0x2e, 0x01, 0x00, 0x02};
    assert_int_equal(hs_tls_parse_client(ssl2, sizeof(ssl2), dg, &c), HS_TLS_NOT_TLS);
    const uint8_t zero_len[] = {22, 3, 1, 0, 0};
    assert_int_equal(hs_tls_parse_client(zero_len, sizeof(zero_len), dg, &c), HS_TLS_NOT_TLS);
    const uint8_t over_2_14[] = {22, 3, 1, 0x40, 0x01};
    assert_int_equal(hs_tls_parse_client(over_2_14, sizeof(over_2_14), dg, &c), HS_TLS_NOT_TLS);
    const uint8_t app_data[] = {23, 3, 3, 0, 1, 0};
    assert_int_equal(hs_tls_parse_client(app_data, sizeof(app_data), dg, &c), HS_TLS_NOT_TLS);
    const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
    assert_int_equal(hs_tls_parse_client(alert, sizeof(alert), dg, &c), HS_TLS_ALERT);
    const uint8_t server_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
    assert_int_equal(hs_tls_parse_client(server_hello, sizeof(server_hello), dg, &c),
                     HS_TLS_UNEXPECTED_MESSAGE);
    assert_int_equal(hs_tls_parse_client_hello_msg(server_hello + 5, 4, dg, 't', &c),
                     HS_TLS_UNEXPECTED_MESSAGE);
    assert_int_equal(hs_tls_parse_client_hello_msg(server_hello + 5, 0, dg, 'q', &c),
                     HS_TLS_INCOMPLETE);
    assert_string_equal(hs_tls_status_name(HS_TLS_BAD_LENGTH), "tls_bad_length");
    assert_string_equal(hs_tls_status_name(HS_TLS_STATUS_COUNT), "unknown");
}

/* Offsets in h_grease's stream: record header 0-4, handshake header 5-8, version 9-10, random
 * 11-42, session id length 43, suites length 44-45 (10), suites 46-55, compression 56-57,
 * extensions length 58-59, the GREASE extension 60-63, server_name 64-83 (length at 66-67,
 * list length at 68-69). */
static void test_hs_tls_refuses_malformed_client_hellos(void **state)
{
    (void)state;
    static struct msg s, bad;
    struct hs_tls_client c;
    client_stream(&s, &h_grease, NULL, 0);
    assert_int_equal(rd_be16(s.b + 44), 10);
    assert_int_equal(rd_be16(s.b + 64), 0);

    bad = s;
    bad.b[45] = 11; /* an odd suites length */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_LENGTH);
    bad = s;
    bad.b[44] = 0x7f; /* suites past the end of the message */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_TRUNCATED);
    bad = s;
    bad.b[43] = 33; /* a session id over 32 bytes */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_LENGTH);
    bad = s;
    bad.b[69]++; /* the server_name list overruns its extension */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_EXTENSION);
    bad = s;
    bad.b[67] = 0xff; /* the extension overruns the block */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_TRUNCATED);
    bad = s;
    bad.b[59] -= 4; /* the block ends before the last extension: 4 bytes left over */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_LENGTH);

    /* Another content type between two fragments of the ClientHello. */
    enum { REC_AT_SECOND = 5 + 100 };
    const size_t splits[] = {100};
    client_stream(&s, &h_grease, splits, 1);
    bad = s;
    bad.b[REC_AT_SECOND] = 23;
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_RECORD);
    bad.b[REC_AT_SECOND] = 22;
    bad.b[REC_AT_SECOND + 1] = 2; /* version 2.x */
    assert_int_equal(hs_tls_parse_client(bad.b, bad.n, dg, &c), HS_TLS_BAD_RECORD);
}

/* A ClientHello over HS_TLS_MSG_MAX is refused as soon as its length is read; one with more
 * suites than HS_TLS_FP_MAX as too many. */
static void test_hs_tls_refuses_too_long_and_too_many(void **state)
{
    (void)state;
    static uint16_t many[HS_TLS_FP_MAX + 1];
    for (size_t i = 0; i < HS_TLS_FP_MAX + 1; i++)
        many[i] = (uint16_t)(0x1000 + i);
    struct hello h = h_grease;
    h.ciphers = many;
    h.n_ciphers = HS_TLS_FP_MAX + 1;
    struct hs_tls_client c;
    assert_int_equal(parse_hello(&h, &c), HS_TLS_TOO_MANY_VALUES);
    h.n_ciphers = HS_TLS_FP_MAX;
    assert_int_equal(parse_hello(&h, &c), HS_TLS_OK);
    assert_memory_equal(c.ja4 + 4, "99", 2);

    const uint8_t huge[] = {22, 3, 1, 0x40, 0x00, 1, 0x00, 0x40, 0x00};
    assert_int_equal(hs_tls_parse_client(huge, sizeof(huge), dg, &c), HS_TLS_TOO_LONG);
    assert_int_equal(hs_tls_parse_client_hello_msg(huge + 5, 4, dg, 't', &c), HS_TLS_TOO_LONG);
}

/* ---- ServerHello and Certificate. ---- */

struct server_hello {
    uint16_t version;
    uint16_t cipher;
    const uint16_t *exts; /* types in order: 43 holds @selected, 16 @alpn, others nothing */
    size_t n_exts;
    uint16_t selected;
    const char *alpn;
    bool hrr;          /* the HelloRetryRequest random (RFC 8446 4.1.3) */
    bool no_ext_block; /* ends after the compression method */
};

static void build_server_hello(struct msg *m, const struct server_hello *h)
{
    static const uint8_t hrr[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
                                    0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
                                    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
                                    0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    m->n = 0;
    put8(m, 2);
    size_t at = open_len(m, 3);
    put16(m, h->version);
    for (unsigned i = 0; i < 32; i++)
        put8(m, h->hrr ? hrr[i] : 32 + i);
    put8(m, 32);
    for (unsigned i = 0; i < 32; i++)
        put8(m, 1);
    put16(m, h->cipher);
    put8(m, 0);
    if (!h->no_ext_block) {
        size_t exts = open_len(m, 2);
        for (size_t i = 0; i < h->n_exts; i++) {
            put16(m, h->exts[i]);
            size_t len = open_len(m, 2);
            if (h->exts[i] == 43) {
                put16(m, h->selected);
            } else if (h->exts[i] == 16) {
                put16(m, (unsigned)strlen(h->alpn) + 1);
                put8(m, (unsigned)strlen(h->alpn));
                put_bytes(m, h->alpn, strlen(h->alpn));
            }
            close_len(m, len, 2);
        }
        close_len(m, exts, 2);
    }
    close_len(m, at, 3);
}

/* A Certificate message (RFC 5246 7.4.2) holding @der, then ServerHelloDone. */
static void build_certificate(struct msg *m, const uint8_t *der, size_t n)
{
    m->n = 0;
    put8(m, 11);
    size_t at = open_len(m, 3);
    size_t list = open_len(m, 3);
    size_t cert = open_len(m, 3);
    put_bytes(m, der, n);
    close_len(m, cert, 3);
    close_len(m, list, 3);
    close_len(m, at, 3);
    put8(m, 14);
    put8(m, 0);
    put16(m, 0);
}

static const uint16_t s12_exts[] = {0xff01, 0x000b, 0x0023, 0x0010};
static const uint16_t s13_exts[] = {0x0a0a, 0x002b, 0x0033};
static const uint16_t hrr_exts[] = {0x002b};

static const struct server_hello s_tls12 = {
        .version = 0x0303, .cipher = 0xc02f, LIST(exts, s12_exts), .alpn = "h2"};
static const struct server_hello s_tls13 = {
        .version = 0x0303, .cipher = 0x1301, LIST(exts, s13_exts), .selected = 0x0304};
static const struct server_hello s_hrr = {
        .version = 0x0303, .cipher = 0x1301, LIST(exts, hrr_exts), .selected = 0x0304, .hrr = true};
static const struct server_hello s_noext = {
        .version = 0x0303, .cipher = 0x002f, .no_ext_block = true};

/* tests/data/tls-cert-names-openssl.der: made by openssl req -x509 -days 20000 -multivalue-rdn
 * -subj '/C=DE/O=Foo\, Inc. <Lab>/OU=Dev+CN=multi.example/street=Main St; 1/
 * emailAddress=ops@example.org/CN=host.example' (EC P-256, self-signed: issuer = subject). */
static size_t read_cert(uint8_t *der, size_t cap)
{
    FILE *f = fopen(DATA("tls-cert-names-openssl.der"), "rb");
    assert_non_null(f);
    size_t n = fread(der, 1, cap, f);
    fclose(f);
    assert_int_equal(n, 651);
    return n;
}

/* The server's stream: ServerHello in one record, then (when @der) Certificate and
 * ServerHelloDone in another, or in two when they are over 2^14 bytes. */
static void server_stream(struct msg *out, const struct server_hello *h, const uint8_t *der,
                          size_t n)
{
    static struct msg hs;
    out->n = 0;
    build_server_hello(&hs, h);
    append_records(out, &hs, 0x0303, NULL, 0);
    if (der != NULL) {
        build_certificate(&hs, der, n);
        const size_t split[] = {16384};
        append_records(out, &hs, 0x0303, split, hs.n > 16384 ? 1 : 0);
    }
}

/* Subject and issuer as openssl x509 -noout -subject -nameopt RFC2253 prints them, with
 * RFC 4514's STREET for OpenSSL's "street"; the dates of openssl x509 -noout -dates
 * (notBefore=Nov 22 23:54:39 2026 GMT, a UTCTime; notAfter=Aug 25 23:54:39 2081 GMT, a
 * GeneralizedTime) through date -u -d ... +%s. JA3S: tshark on the same bytes. */
static void test_hs_tls_reads_a_tls12_server_hello_and_certificate(void **state)
{
    (void)state;
    static uint8_t der[4096];
    static struct msg s;
    size_t n = read_cert(der, sizeof(der));
    server_stream(&s, &s_tls12, der, n);
    struct hs_tls_server sv;
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_true(sv.hello_parsed);
    assert_int_equal(sv.record_version, 0x0303);
    assert_int_equal(sv.version, 0x0303);
    assert_int_equal(sv.selected_version, 0);
    assert_int_equal(sv.cipher, 0xc02f);
    assert_int_equal(sv.n_exts.n, 4);
    assert_int_equal(sv.exts[0], 0xff01);
    assert_string_equal(sv.alpn, "h2");
    assert_false(sv.hello_retry);
    /* tshark: 771,49199,65281-11-35-16 */
    md5_is(sv.ja3s_md5, "8d2a028aa94425f76ced7826b1f39039");
    assert_true(sv.have_cert);
    assert_false(sv.cert_cut);
    const char *name = "CN=host.example,emailAddress=ops@example.org,STREET=Main St\\; 1,"
                       "CN=multi.example+OU=Dev,O=Foo\\, Inc. \\<Lab\\>,C=DE";
    assert_string_equal(sv.subject, name);
    assert_string_equal(sv.issuer, name);
    assert_int_equal(sv.not_before, 1795391679);
    assert_int_equal(sv.not_after, 3523391679);

    /* Up to the certificate's last byte the stream is incomplete, with the ServerHello read
     * once its record is in; from there on it is enough, ServerHelloDone (4 bytes) or not. */
    size_t hello_end = 5 + rd_be16(s.b + 3);
    size_t cert_end = s.n - 4;
    for (size_t k = 0; k < s.n; k++) {
        enum hs_tls_status st = hs_tls_parse_server(s.b, k, dg, &sv);
        assert_int_equal(st, k < cert_end ? HS_TLS_INCOMPLETE : HS_TLS_OK);
        assert_int_equal(sv.hello_parsed, k >= hello_end);
    }

    /* An attribute type OpenSSL does not name: the street's OID 2.5.4.9 (55 04 09) patched to
     * 1.2.3.4 (2a 03 04); openssl x509 -nameopt esc_2253,sep_comma_plus,dn_rev,sname prints
     * 1.2.3.4=Main St\; 1. */
    for (size_t i = 0; i + 5 <= n; i++) {
        if (memcmp(der + i, "\x06\x03\x55\x04\x09", 5) == 0)
            memcpy(der + i + 2, "\x2a\x03\x04", 3);
    }
    server_stream(&s, &s_tls12, der, n);
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_string_equal(sv.subject, "CN=host.example,emailAddress=ops@example.org,"
                                    "1.2.3.4=Main St\\; 1,CN=multi.example+OU=Dev,"
                                    "O=Foo\\, Inc. \\<Lab\\>,C=DE");
}

static void test_hs_tls_tls13_and_resumption_need_no_certificate(void **state)
{
    (void)state;
    static struct msg s;
    struct hs_tls_server sv;
    server_stream(&s, &s_tls13, NULL, 0);
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_int_equal(sv.selected_version, 0x0304);
    assert_int_equal(sv.cipher, 0x1301);
    assert_int_equal(sv.n_exts.n, 2); /* GREASE left out */
    assert_false(sv.have_cert);
    /* tshark: 771,4865,43-51 */
    md5_is(sv.ja3s_md5, "f4febc55ea12b31ae17cfb7e614afda8");

    server_stream(&s, &s_hrr, NULL, 0);
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_true(sv.hello_retry);

    /* A warning alert before the hello (unrecognized_name, RFC 6066 3: level 1, code 112), as
     * the server of ../shared/pcaps/ipv6-http-ndpi.pcap sends, is passed over; a fatal one
     * (level 2) is not. */
    static struct msg w;
    const uint8_t warn[] = {21, 3, 3, 0, 2, 1, 112};
    server_stream(&s, &s_tls13, NULL, 0);
    w.n = 0;
    put_bytes(&w, warn, sizeof(warn));
    put_bytes(&w, s.b, s.n);
    assert_int_equal(hs_tls_parse_server(w.b, w.n, dg, &sv), HS_TLS_OK);
    assert_int_equal(sv.cipher, 0x1301);
    w.b[5] = 2;
    assert_int_equal(hs_tls_parse_server(w.b, w.n, dg, &sv), HS_TLS_ALERT);

    /* TLS 1.2 resumption: ChangeCipherSpec straight after the ServerHello. Until it comes,
     * a Certificate may still follow. */
    server_stream(&s, &s_noext, NULL, 0);
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_INCOMPLETE);
    assert_true(sv.hello_parsed);
    /* tshark: 771,47, */
    md5_is(sv.ja3s_md5, "5397c414a9ebeaff1bf18b70ca22eaa0");
    const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    put_bytes(&s, ccs, sizeof(ccs));
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_false(sv.have_cert);
}

static void test_hs_tls_refuses_malformed_server_streams(void **state)
{
    (void)state;
    static uint8_t der[4096];
    static struct msg s, bad;
    struct hs_tls_server sv;
    size_t n = read_cert(der, sizeof(der));
    server_stream(&s, &s_tls12, der, n);
    size_t cert_rec = s.n - (5 + 4 + 3 + 3 + n + 4);

    bad = s;
    bad.b[cert_rec + 5 + 10] = 0x31; /* the certificate is a SET, not a SEQUENCE */
    assert_int_equal(hs_tls_parse_server(bad.b, bad.n, dg, &sv), HS_TLS_BAD_CERT);
    assert_true(sv.hello_parsed);
    assert_false(sv.have_cert);
    assert_string_equal(sv.subject, "");
    bad = s;
    bad.b[cert_rec + 5 + 6]++; /* certificate_list longer than the message says */
    assert_int_equal(hs_tls_parse_server(bad.b, bad.n, dg, &sv), HS_TLS_BAD_LENGTH);
    bad = s;
    bad.b[cert_rec] = 20; /* ChangeCipherSpec where the Certificate should be: none */
    assert_int_equal(hs_tls_parse_server(bad.b, bad.n, dg, &sv), HS_TLS_OK);
    assert_false(sv.have_cert);
    bad = s;
    bad.b[5] = 1; /* a ClientHello from the server */
    assert_int_equal(hs_tls_parse_server(bad.b, bad.n, dg, &sv), HS_TLS_UNEXPECTED_MESSAGE);
    assert_false(sv.hello_parsed);
    const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
    assert_int_equal(hs_tls_parse_server(alert, sizeof(alert), dg, &sv), HS_TLS_ALERT);

    /* A certificate that cannot end within HS_TLS_MSG_MAX bytes of handshake. */
    static uint8_t big[HS_TLS_MSG_MAX];
    memcpy(big, der, n);
    server_stream(&s, &s_tls12, big, sizeof(big));
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_TOO_LONG);
    assert_true(sv.hello_parsed);
}

/* A DER TLV whose length is always in the 2-byte long form (0x82 and 16 bits): not minimal,
 * which DER wants, but every reader takes it and it keeps this builder simple. */
static size_t der_open(struct msg *m, unsigned tag)
{
    put8(m, tag);
    put8(m, 0x82);
    return open_len(m, 2);
}

static void der_prim(struct msg *m, unsigned tag, const void *p, size_t n)
{
    size_t at = der_open(m, tag);
    put_bytes(m, p, n);
    close_len(m, at, 2);
}

/* One RDN with one attribute. */
static void der_rdn(struct msg *m, const void *oid, size_t oid_len, unsigned tag, const void *v,
                    size_t n)
{
    size_t set = der_open(m, 0x31);
    size_t seq = der_open(m, 0x30);
    der_prim(m, 0x06, oid, oid_len);
    der_prim(m, tag, v, n);
    close_len(m, seq, 2);
    close_len(m, set, 2);
}

/* A certificate built by hand: no version, issuer of 40 RDNs C=0, C=1, ..., C=9, C=0, ...;
 * a UTCTime without seconds and a GeneralizedTime on a leap day; a subject with an OID that
 * needs 64 bits, a BMPString, a UTF8String with a two-byte character and an INTEGER. */
static void test_hs_tls_der_names_and_times_by_hand(void **state)
{
    (void)state;
    static struct msg der, s;
    der.n = 0;
    size_t cert = der_open(&der, 0x30);
    size_t tbs = der_open(&der, 0x30);
    der_prim(&der, 0x02, "\x01", 1); /* serial */
    size_t alg = der_open(&der, 0x30);
    der_prim(&der, 0x06, "\x2a\x86\x48\xce\x3d\x04\x03\x02", 8); /* ecdsa-with-SHA256 */
    close_len(&der, alg, 2);
    size_t issuer = der_open(&der, 0x30);
    for (int i = 0; i < 40; i++) {
        char digit = (char)('0' + i % 10);
        der_rdn(&der, "\x55\x04\x06", 3, 0x13, &digit, 1);
    }
    close_len(&der, issuer, 2);
    size_t validity = der_open(&der, 0x30);
    der_prim(&der, 0x17, "4912312359Z", 11);
    der_prim(&der, 0x18, "20000229120000Z", 15);
    close_len(&der, validity, 2);
    size_t subject = der_open(&der, 0x30);
    /* 2.999.4294967296: 2.999 -> 40 * 2 + 999 = 1079 = 0x88 0x37 in base 128; 2^32 -> 16
     * followed by four zero digits: 0x90 0x80 0x80 0x80 0x00. */
    der_rdn(&der, "\x88\x37\x90\x80\x80\x80\x00", 7, 0x0c, "x", 1);
    der_rdn(&der, "\x55\x04\x0a", 3, 0x1e, "\x00\x41\x00\x62\x00\xe9", 6); /* "Abé" UCS-2 */
    der_rdn(&der, "\x55\x04\x0b", 3, 0x0c, "\xc3\xa9x", 3);                /* "éx" UTF-8 */
    der_rdn(&der, "\x55\x04\x03", 3, 0x02, "\x05", 1);                     /* INTEGER 5 */
    close_len(&der, subject, 2);
    close_len(&der, tbs, 2);
    close_len(&der, cert, 2);

    server_stream(&s, &s_tls12, der.b, der.n);
    struct hs_tls_server sv;
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_OK);
    assert_true(sv.have_cert);
    /* The last 32 of the 40 (i = 39 down to 8), 32 * 4 - 1 = 127 characters; cut. */
    assert_string_equal(sv.issuer, "C=9,C=8,C=7,C=6,C=5,C=4,C=3,C=2,C=1,C=0,C=9,C=8,C=7,C=6,"
                                   "C=5,C=4,C=3,C=2,C=1,C=0,C=9,C=8,C=7,C=6,C=5,C=4,C=3,C=2,"
                                   "C=1,C=0,C=9,C=8");
    assert_true(sv.cert_cut);
    /* RFC 4514 2.4: a value that is not a string is '#' and the hex of its encoding (here
     * 02 82 00 01 05, this builder's long-form length). */
    assert_string_equal(sv.subject, "CN=#0282000105,OU=?x,O=Ab?,2.999.4294967296=x");
    /* date -u -d '2049-12-31 23:59:00' +%s; date -u -d '2000-02-29 12:00:00' +%s */
    assert_int_equal(sv.not_before, 2524607940);
    assert_int_equal(sv.not_after, 951825600);

    /* A time that is not one: February 30th. */
    size_t at = 0;
    for (size_t i = 0; i + 15 <= s.n; i++) {
        if (memcmp(s.b + i, "20000229120000Z", 15) == 0)
            at = i;
    }
    assert_true(at > 0);
    s.b[at + 7] = '0';
    s.b[at + 6] = '3';
    assert_int_equal(hs_tls_parse_server(s.b, s.n, dg, &sv), HS_TLS_BAD_CERT);
}

/* ---- Real captures. ---- */

/* The first bytes of each direction of a few TCP connections, in sequence order (these
 * captures have no loss; a segment that is not the next one is dropped). */
struct conn {
    uint16_t client_port;
    bool started[2];
    uint32_t next[2];
    struct msg dir[2]; /* 0: client to server (port 443), 1: back */
};

struct conns {
    size_t n;
    struct conn c[3];
};

static void on_frame(void *ctx, const struct capture_frame *f)
{
    struct conns *cs = ctx;
    struct pkt p;
    if (decode_frame(f, &p) != DECODE_OK || p.proto != 6 || p.payload_caplen == 0)
        return;
    int d = p.dport == 443 ? 0 : 1;
    uint16_t port = d == 0 ? p.sport : p.dport;
    struct conn *c = NULL;
    for (size_t i = 0; i < cs->n; i++) {
        if (cs->c[i].client_port == port)
            c = &cs->c[i];
    }
    if (c == NULL) {
        assert_true(cs->n < 3);
        c = &cs->c[cs->n++];
        c->client_port = port;
    }
    if (!c->started[d]) {
        c->started[d] = true;
        c->next[d] = p.tcp_seq;
    }
    struct msg *m = &c->dir[d];
    if (p.tcp_seq != c->next[d] || m->n + p.payload_caplen > sizeof(m->b))
        return;
    put_bytes(m, p.payload, p.payload_caplen);
    c->next[d] += p.payload_caplen;
}

static const struct conn *read_capture(const char *path, struct conns *cs, uint16_t port)
{
    memset(cs, 0, sizeof(*cs));
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = path};
    struct capture *cap = capture_create(&cfg, on_frame, cs, NULL);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    capture_destroy(&cap);
    for (size_t i = 0; i < cs->n; i++) {
        if (cs->c[i].client_port == port)
            return &cs->c[i];
    }
    fail_msg("no connection from port %u", port);
    return NULL;
}

struct expect {
    const char *file;
    uint16_t port;
    const char *sni;
    const char *alpn0;
    uint16_t max_version;
    uint16_t n_ciphers, n_exts;
    bool ech;
    const char *ja3, *ja4;
    uint16_t cipher, selected_version;
    const char *ja3s;
};

/*
 * Expected values from tshark 4.0:
 *   tshark -r F -Y tls.handshake.type==1 -T fields -e tcp.srcport
 *     -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str
 *     -e tls.handshake.extensions.supported_version -e tls.handshake.cipher_suites_length
 *     -e tls.handshake.extension.type -e tls.handshake.ja3
 *   tshark -r F -Y tls.handshake.type==2 -T fields -e tcp.dstport -e tls.handshake.ciphersuite
 *     -e tls.handshake.extensions.supported_version -e tls.handshake.ja3s
 * and JA4 from tests/oracle/ja4_from_tshark.sh F FRAME (the ClientHello's frame: 4, 4, 7, 39
 * and 4), which computes it from tshark's fields with sort and sha256sum.
 */
static const struct expect real[] = {
        {"tls12-zeek-sample.pcap", 56637, "", "", 0, 80, 5, false,
         "bd9c99b3a0f752c3ab8b052a79e9de3e", "t12i800500_15c493246000_3eafcbe19126", 0x0004, 0,
         "c253ec3ad88e42f8da4032682892f9a0"},
        {"tls13-chrome125-x25519kyber-zeek.pcap", 13783, "lh3.google.com", "h2", 0x0304, 15, 16,
         true, "9d33d8206d4fec4c8b1423c728f4cd3c", "t13d1516h2_8daaf6152771_02713d6af862", 0x1301,
         0x0304, "eb1d94daa7e0344597e756a1fb6e7054"},
        {"tls13-ech-zeek.pcap", 51066, "cloudflare-ech.com", "h2", 0x0304, 15, 17, true,
         "2fcbf8655473005933c5869b2b5d8044", "t13d1517h2_8daaf6152771_b1ff8ab2d16f", 0x1301, 0x0304,
         "f4febc55ea12b31ae17cfb7e614afda8"},
        {"tls13-ech-zeek.pcap", 51071, "cloudflare-ech.com", "h2", 0x0304, 15, 17, true,
         "fa58f5ffd45a2d590a1677134966dc64", "t13d1517h2_8daaf6152771_b1ff8ab2d16f", 0x1301, 0x0304,
         "f4febc55ea12b31ae17cfb7e614afda8"},
        {"tls13-mercury.pcap", 61509, "clientservices.googleapis.com", "h2", 0x0304, 15, 16, true,
         "f47bd262d50cf62565cc937f85a2effe", "t13d1516h2_8daaf6152771_02713d6af862", 0x1301, 0x0304,
         "eb1d94daa7e0344597e756a1fb6e7054"},
};

static void test_hs_tls_agrees_with_tshark_on_real_captures(void **state)
{
    (void)state;
    static struct conns cs;
    char path[512];
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
        const struct expect *e = &real[i];
        snprintf(path, sizeof(path), "%s/%s", UMBRA_TEST_DATA_DIR, e->file);
        const struct conn *c = read_capture(path, &cs, e->port);
        struct hs_tls_client cl;
        assert_int_equal(hs_tls_parse_client(c->dir[0].b, c->dir[0].n, dg, &cl), HS_TLS_OK);
        assert_int_equal(cl.record_version, 0x0301);
        assert_int_equal(cl.legacy_version, 0x0303);
        assert_string_equal(cl.sni, e->sni);
        assert_string_equal(cl.alpn[0], e->alpn0);
        assert_int_equal(cl.max_version, e->max_version);
        assert_int_equal(cl.n_ciphers.total, e->n_ciphers);
        assert_int_equal(cl.n_exts.total, e->n_exts);
        assert_int_equal(cl.ech, e->ech);
        assert_int_equal(cl.grease, e->max_version != 0); /* the browsers GREASE */
        assert_false(cl.session_ticket); /* every session_ticket extension is empty */
        assert_false(cl.psk);
        md5_is(cl.ja3_md5, e->ja3);
        assert_string_equal(cl.ja4, e->ja4);

        struct hs_tls_server sv;
        assert_int_equal(hs_tls_parse_server(c->dir[1].b, c->dir[1].n, dg, &sv), HS_TLS_OK);
        assert_int_equal(sv.cipher, e->cipher);
        assert_int_equal(sv.selected_version, e->selected_version);
        md5_is(sv.ja3s_md5, e->ja3s);
        assert_int_equal(sv.have_cert, e->selected_version == 0);
    }
}

/* Every prefix of Chrome's 1751-byte ClientHello record (its first 1756 bytes: the first
 * segment) is incomplete. */
static void test_hs_tls_real_client_hello_prefixes_are_incomplete(void **state)
{
    (void)state;
    static struct conns cs;
    const struct conn *c = read_capture(DATA("tls13-chrome125-x25519kyber-zeek.pcap"), &cs, 13783);
    struct hs_tls_client cl;
    for (size_t k = 0; k < 1756; k++)
        assert_int_equal(hs_tls_parse_client(c->dir[0].b, k, dg, &cl), HS_TLS_INCOMPLETE);
    assert_int_equal(hs_tls_parse_client(c->dir[0].b, 1756, dg, &cl), HS_TLS_OK);
}

/* The first certificate of tls12-zeek-sample, against tshark's x509 fields (tshark -V: the
 * RDNSequence items of x509af.subject and x509af.issuer, id-at-* written as their RFC 4514
 * short names, and x509af.notBefore/notAfter utcTime 2011-05-04 00:00:00 and 2016-07-04
 * 23:59:59 UTC, by date -u -d ... +%s). The 147-character subject is cut to 127. The first
 * certificate (1449 bytes) ends in the second server segment: with the first one only, the
 * stream is incomplete. A connection caught mid-stream (tls13-ech-zeek, port 51053, application
 * data) is not TLS.
 */
static void test_hs_tls_reads_the_certificate_of_a_real_capture(void **state)
{
    (void)state;
    static struct conns cs;
    const struct conn *c = read_capture(DATA("tls12-zeek-sample.pcap"), &cs, 56637);
    struct hs_tls_server sv;
    assert_int_equal(hs_tls_parse_server(c->dir[1].b, c->dir[1].n, dg, &sv), HS_TLS_OK);
    assert_int_equal(sv.n_exts.n, 1);
    assert_int_equal(sv.exts[0], 0xff01);
    assert_true(sv.have_cert);
    assert_string_equal(sv.issuer, "CN=COMODO High-Assurance Secure Server CA,"
                                   "O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB");
    assert_string_equal(sv.subject, "CN=*.taleo.net,OU=Comodo PremiumSSL Wildcard,OU=Web,"
                                    "O=Taleo Inc.,STREET=4140 Dublin Boulevard,"
                                    "STREET=Suite 400,L=Dublin,ST=CA,p");
    assert_true(sv.cert_cut);
    assert_int_equal(sv.not_before, 1304467200);
    assert_int_equal(sv.not_after, 1467676799);
    assert_int_equal(hs_tls_parse_server(c->dir[1].b, 1348, dg, &sv), HS_TLS_INCOMPLETE);
    assert_true(sv.hello_parsed);

    c = read_capture(DATA("tls13-ech-zeek.pcap"), &cs, 51053);
    struct hs_tls_client cl;
    assert_int_equal(hs_tls_parse_client(c->dir[0].b, c->dir[0].n, dg, &cl), HS_TLS_NOT_TLS);
    assert_int_equal(hs_tls_parse_server(c->dir[1].b, c->dir[1].n, dg, &sv), HS_TLS_NOT_TLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hs_tls_reads_a_client_hello_without_grease),
            cmocka_unit_test(test_hs_tls_ja4_reproduces_the_specification_example),
            cmocka_unit_test(test_hs_tls_ja4_alpn_characters_follow_the_specification),
            cmocka_unit_test(test_hs_tls_ja3_matches_tshark_on_edge_cases),
            cmocka_unit_test(test_hs_tls_long_lists_are_cut_but_fingerprints_see_all),
            cmocka_unit_test(test_hs_tls_client_hello_over_several_records),
            cmocka_unit_test(test_hs_tls_every_prefix_is_incomplete),
            cmocka_unit_test(test_hs_tls_refuses_what_is_not_a_client_hello),
            cmocka_unit_test(test_hs_tls_refuses_malformed_client_hellos),
            cmocka_unit_test(test_hs_tls_refuses_too_long_and_too_many),
            cmocka_unit_test(test_hs_tls_reads_a_tls12_server_hello_and_certificate),
            cmocka_unit_test(test_hs_tls_tls13_and_resumption_need_no_certificate),
            cmocka_unit_test(test_hs_tls_refuses_malformed_server_streams),
            cmocka_unit_test(test_hs_tls_der_names_and_times_by_hand),
            cmocka_unit_test(test_hs_tls_agrees_with_tshark_on_real_captures),
            cmocka_unit_test(test_hs_tls_real_client_hello_prefixes_are_incomplete),
            cmocka_unit_test(test_hs_tls_reads_the_certificate_of_a_real_capture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

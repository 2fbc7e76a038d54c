/*
 * gen_tls: every ClientHello walked here independently (RFC 8446 4.1.2 layout: record,
 * handshake header, body, extensions whose lengths must add up exactly), compared with the
 * fingerprints the real clients are published under, and answered by the server functions;
 * certificates walked as DER.
 *
 * Published fingerprints the profiles reproduce (JA3 text is compared below; JA4_r is the raw,
 * unhashed JA4, compared below too):
 * - chrome: browserleaks' dump of Chrome 143 (Chrome 133+ share it): JA4
 *   t13d1516h2_8daaf6152771_d8a2da3f94cd and its JA3N text (JA3 itself changes with every
 *   connection because Chrome permutes its extensions).
 * - firefox: curl-impersonate's capture of Firefox 120.0.1: JA3 b5001237acdf006056b409cc433726b0;
 *   Wireshark's JA4 of a Firefox capture of that era t13d1715h2_5b57614c22b0_5c2c66f702b0.
 * - safari: curl-impersonate's capture of Safari 17.0: JA3 773906b0efdefa24a7f2b8eb6985bf37,
 *   JA4 t13d2014h2_a09f3c656075_14788d8d241b.
 * - curl: curl 7.88 / OpenSSL 3.0's JA3 text (below); JA4 t13d3113h2_e8f1e7e78f70_d339722ba4af,
 *   whose b and c parts are those of OpenSSL 3.0 clients in the wild.
 * - schannel: a Windows 11 Schannel capture: JA3 fae0e5d973c96ae1888b99538efa0363, JA4
 *   t13d2013h1_2b729b4bf6f3_e24568c0d440 (its ALPN was http/1.1 alone; ours, h2 first, gives
 *   t13d2013h2_2b729b4bf6f3_e24568c0d440).
 *
 * Checked once by hand with tshark 4.0.17 and OpenSSL 3.0 (throwaway harness in /tmp, not kept:
 * each profile's ClientHello for www.example.com, seed 42, in a TCP flow after a three-way
 * handshake, Chrome's over two segments, answered once by gen_tls_server_hello13() and once by
 * gen_tls_server_hello12()):
 * - `tshark -r X -T fields -e tls.handshake.extensions_server_name -e tls.handshake.ja3
 *   -e _ws.malformed -e _ws.expert.message` gave www.example.com for every ClientHello, no
 *   malformed packet and no expert message beyond TCP's SYN notes, and these JA3s:
 *   chrome f46728b99355d6bf4633e9206bc0bd55 (that permutation), firefox
 *   b5001237acdf006056b409cc433726b0, safari 773906b0efdefa24a7f2b8eb6985bf37, curl
 *   46531b76d4d69e9c86d481cf71fa4933, schannel fae0e5d973c96ae1888b99538efa0363; JA3S
 *   f4febc55ea12b31ae17cfb7e614afda8 (TLS 1.3) and 5d79edf64e03689ff559a54e9d9487bc (1.2).
 * - tshark 4.0 has no JA4 field: JA4 computed from its PDML (FoxIO's definition) gave exactly
 *   the five JA4s above; the QUIC ClientHellos gave chrome q13d0311h3_55b375c5d22e_f7b707f8c303,
 *   firefox q13d0311h3_55b375c5d22e_9dab1e041d06, safari q13d0311h3_55b375c5d22e_0e9637bee5d3
 *   (modelled, not published).
 * - `tshark -V` on the TLS 1.2 flight dissected ServerHello, Certificate (x509af/x509sat/
 *   x509ce: v3, serial, issuer O=Umbra + CN=Umbra Test CA, validity, subject CN, RSA 2048,
 *   keyUsage, extKeyUsage, basicConstraints, SKI, AKI, SAN dNSName), ServerKeyExchange (x25519,
 *   rsa_pss_rsae_sha256, 256-byte signature) and ServerHelloDone without complaint.
 * - `openssl x509 -inform DER -noout -text` printed the certificate (Issuer: O = Umbra, CN =
 *   Umbra Test CA; 2048-bit key; the three SANs; dates for 2024-02-29 and 2052 as UTCTime and
 *   GeneralizedTime), and `openssl asn1parse -inform DER` walked it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_tls.h"

/* ---- An independent reader, asserting on every bound ---- */

struct rd {
    const uint8_t *p;
    size_t n;
    size_t off;
};

static uint32_t rd_be(struct rd *r, size_t width)
{
    assert_true(width <= r->n - r->off);
    uint32_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = v << 8 | r->p[r->off + i];
    r->off += width;
    return v;
}

static struct rd rd_vec(struct rd *r, size_t width)
{
    size_t len = rd_be(r, width);
    assert_true(len <= r->n - r->off);
    struct rd v = {.p = r->p + r->off, .n = len};
    r->off += len;
    return v;
}

static bool is_grease(unsigned v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 12) == ((v >> 4) & 0x0f);
}

struct ext {
    unsigned type;
    struct rd body;
};

/* A ClientHello as this test reads it. */
struct hello {
    unsigned record_version;
    size_t sid_len;
    unsigned suites[64];
    size_t n_suites;
    struct ext ext[40];
    size_t n_ext;
};

/* Walks a ClientHello (a record unless @quic) checking that every length adds up exactly. */
static void walk_hello(const uint8_t *buf, size_t n, bool quic, struct hello *h)
{
    memset(h, 0, sizeof(*h));
    struct rd r = {.p = buf, .n = n};
    if (!quic) {
        assert_int_equal(rd_be(&r, 1), 22); /* handshake */
        h->record_version = rd_be(&r, 2);
        struct rd rec = rd_vec(&r, 2);
        assert_int_equal(r.off, n); /* one record, nothing after it */
        r = rec;
    }
    assert_int_equal(rd_be(&r, 1), 1); /* client_hello */
    struct rd body = rd_vec(&r, 3);
    assert_int_equal(r.off, r.n);
    assert_int_equal(rd_be(&body, 2), 0x0303);
    rd_be(&body, 4); /* random, in parts */
    body.off += 28;
    h->sid_len = rd_vec(&body, 1).n;
    struct rd suites = rd_vec(&body, 2);
    assert_int_equal(suites.n % 2, 0);
    while (suites.off < suites.n) {
        assert_true(h->n_suites < 64);
        h->suites[h->n_suites++] = rd_be(&suites, 2);
    }
    struct rd comp = rd_vec(&body, 1);
    assert_int_equal(comp.n, 1);
    assert_int_equal(comp.p[0], 0);
    struct rd exts = rd_vec(&body, 2);
    assert_int_equal(body.off, body.n);
    while (exts.off < exts.n) {
        assert_true(h->n_ext < 40);
        struct ext *e = &h->ext[h->n_ext++];
        e->type = rd_be(&exts, 2);
        e->body = rd_vec(&exts, 2);
        for (size_t i = 0; i + 1 < h->n_ext; i++)
            assert_int_not_equal(h->ext[i].type, e->type); /* RFC 8446 4.2: at most once */
    }
}

static const struct ext *find_ext(const struct hello *h, unsigned type)
{
    for (size_t i = 0; i < h->n_ext; i++) {
        if (h->ext[i].type == type)
            return &h->ext[i];
    }
    return NULL;
}

/* The host_name in server_name (RFC 6066 3), or "" without the extension. */
static void sni_of(const struct hello *h, char *out, size_t cap)
{
    out[0] = '\0';
    const struct ext *e = find_ext(h, 0x0000);
    if (e == NULL)
        return;
    struct rd b = e->body;
    struct rd list = rd_vec(&b, 2);
    assert_int_equal(b.off, b.n);
    assert_int_equal(rd_be(&list, 1), 0);
    struct rd name = rd_vec(&list, 2);
    assert_int_equal(list.off, list.n);
    assert_true(name.n < cap);
    memcpy(out, name.p, name.n);
    out[name.n] = '\0';
}

static void u16_list(struct rd b, size_t width, unsigned *out, size_t *n)
{
    struct rd l = rd_vec(&b, width);
    assert_int_equal(b.off, b.n);
    *n = 0;
    while (l.off < l.n)
        out[(*n)++] = rd_be(&l, 2);
}

static void app_str(char *s, size_t cap, const char *t)
{
    size_t len = strlen(s);
    size_t k = strlen(t);
    assert_true(k < cap - len);
    memcpy(s + len, t, k + 1);
}

/* @v in decimal (JA3) or as four hex digits (JA4). */
static void app_num(char *s, size_t cap, unsigned v, bool hex)
{
    char t[16];
    if (hex)
        snprintf(t, sizeof(t), "%04x", v);
    else
        snprintf(t, sizeof(t), "%u", v);
    app_str(s, cap, t);
}

/* @v after @sep unless it is the first of its list. */
static void app_item(char *s, size_t cap, bool first, const char *sep, unsigned v, bool hex)
{
    if (!first)
        app_str(s, cap, sep);
    app_num(s, cap, v, hex);
}

static void sort_u(unsigned *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (v[j] < v[i]) {
                unsigned t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
        }
    }
}

/* JA3 text (Salesforce's definition): version, suites, extensions, groups, point formats,
 * GREASE left out; @sorted gives JA3N (extensions sorted). */
static void ja3_text(const struct hello *h, bool sorted, char *s, size_t cap)
{
    s[0] = '\0';
    app_str(s, cap, "771,");
    bool first = true;
    for (size_t i = 0; i < h->n_suites; i++) {
        if (!is_grease(h->suites[i])) {
            app_item(s, cap, first, "-", h->suites[i], false);
            first = false;
        }
    }
    unsigned types[40];
    size_t nt = 0;
    for (size_t i = 0; i < h->n_ext; i++) {
        if (!is_grease(h->ext[i].type))
            types[nt++] = h->ext[i].type;
    }
    if (sorted)
        sort_u(types, nt);
    app_str(s, cap, ",");
    for (size_t i = 0; i < nt; i++)
        app_item(s, cap, i == 0, "-", types[i], false);
    app_str(s, cap, ",");
    const struct ext *g = find_ext(h, 0x000a);
    if (g != NULL) {
        unsigned v[32];
        size_t nv;
        u16_list(g->body, 2, v, &nv);
        first = true;
        for (size_t i = 0; i < nv; i++) {
            if (!is_grease(v[i])) {
                app_item(s, cap, first, "-", v[i], false);
                first = false;
            }
        }
    }
    app_str(s, cap, ",");
    const struct ext *pf = find_ext(h, 0x000b);
    if (pf != NULL) {
        struct rd b = pf->body;
        struct rd l = rd_vec(&b, 1);
        for (size_t i = 0; i < l.n; i++)
            app_item(s, cap, i == 0, "-", l.p[i], false);
    }
}

/* JA4's ALPN part: the first and last characters of the first protocol, "00" without. */
static void alpn_chars(const struct hello *h, char out[3])
{
    memcpy(out, "00", 3);
    const struct ext *a = find_ext(h, 0x0010);
    if (a == NULL)
        return;
    struct rd b = a->body;
    struct rd l = rd_vec(&b, 2);
    struct rd first = rd_vec(&l, 1);
    assert_true(first.n > 0);
    out[0] = (char)first.p[0];
    out[1] = (char)first.p[first.n - 1];
}

/* JA4_r (FoxIO's raw JA4): counts, sorted suites, sorted extensions without SNI and ALPN, and
 * the signature algorithms in their order; GREASE left out. */
static void ja4_raw(const struct hello *h, bool quic, char *s, size_t cap)
{
    unsigned suites[64], types[40];
    size_t ns = 0, nt = 0;
    for (size_t i = 0; i < h->n_suites; i++) {
        if (!is_grease(h->suites[i]))
            suites[ns++] = h->suites[i];
    }
    for (size_t i = 0; i < h->n_ext; i++) {
        if (!is_grease(h->ext[i].type))
            types[nt++] = h->ext[i].type;
    }
    char alpn[3];
    alpn_chars(h, alpn);
    char counts[8];
    snprintf(counts, sizeof(counts), "%02u%02u", (unsigned)ns, (unsigned)nt);
    s[0] = '\0';
    app_str(s, cap, quic ? "q13" : "t13");
    app_str(s, cap, find_ext(h, 0) != NULL ? "d" : "i");
    app_str(s, cap, counts);
    app_str(s, cap, alpn);
    sort_u(suites, ns);
    sort_u(types, nt);
    app_str(s, cap, "_");
    for (size_t i = 0; i < ns; i++)
        app_item(s, cap, i == 0, ",", suites[i], true);
    app_str(s, cap, "_");
    bool first = true;
    for (size_t i = 0; i < nt; i++) {
        if (types[i] != 0x0000 && types[i] != 0x0010) {
            app_item(s, cap, first, ",", types[i], true);
            first = false;
        }
    }
    const struct ext *sig = find_ext(h, 0x000d);
    unsigned algs[32];
    size_t na = 0;
    if (sig != NULL)
        u16_list(sig->body, 2, algs, &na);
    for (size_t i = 0; i < na; i++)
        app_item(s, cap, false, i == 0 ? "_" : ",", algs[i], true);
}

static size_t hello(uint8_t *out, size_t cap, enum gen_tls_profile p, const char *sni,
                    unsigned flags, uint64_t seed)
{
    struct gen_rng rng;
    gen_rng_init(&rng, seed, (uint64_t)p);
    return gen_tls_client_hello(out, cap, p, sni, flags, &rng);
}

/* ---- Profiles ---- */

static void test_gen_tls_profile_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"chrome", "firefox", "safari", "curl", "schannel"};
    for (unsigned i = 0; i < GEN_TLS_PROFILES; i++) {
        enum gen_tls_profile p = GEN_TLS_PROFILES;
        assert_string_equal(gen_tls_profile_name((enum gen_tls_profile)i), names[i]);
        assert_int_equal(gen_tls_profile_parse(names[i], &p), 0);
        assert_int_equal(p, i);
    }
    enum gen_tls_profile p = GEN_TLS_CURL;
    assert_int_equal(gen_tls_profile_parse("edge", &p), -EINVAL);
    assert_int_equal(gen_tls_profile_parse("Chrome", &p), -EINVAL);
    assert_int_equal(gen_tls_profile_parse(NULL, &p), -EINVAL);
    assert_int_equal(p, GEN_TLS_CURL);
    assert_null(gen_tls_profile_name(GEN_TLS_PROFILES));
}

/* ---- ClientHello ---- */

static void test_gen_tls_every_hello_adds_up_and_names_the_server(void **state)
{
    (void)state;
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = hello(buf, sizeof(buf), (enum gen_tls_profile)p, "www.example.com", 0, 1);
        assert_true(n > 0);
        struct hello h;
        walk_hello(buf, n, false, &h);
        assert_int_equal(h.sid_len, 32); /* TLS 1.3 middlebox compatibility (RFC 8446 D.4) */
        char sni[256];
        sni_of(&h, sni, sizeof(sni));
        assert_string_equal(sni, "www.example.com");
        assert_non_null(find_ext(&h, 0x002b)); /* supported_versions */
        assert_non_null(find_ext(&h, 0x0033)); /* key_share */
    }
}

static void test_gen_tls_chrome_hello_carries_sni_and_grease(void **state)
{
    (void)state;
    uint8_t buf[GEN_TLS_MSG_MAX];
    size_t n = hello(buf, sizeof(buf), GEN_TLS_CHROME, "mail.google.com", 0, 2);
    struct hello h;
    walk_hello(buf, n, false, &h);
    char sni[256];
    sni_of(&h, sni, sizeof(sni));
    assert_string_equal(sni, "mail.google.com");
    assert_int_equal(h.record_version, 0x0301);
    /* GREASE (RFC 8701): first suite, first and last extension (empty, then one zero byte),
     * first group, first version, and a one-byte key share for the GREASE group. */
    assert_true(is_grease(h.suites[0]));
    assert_true(is_grease(h.ext[0].type));
    assert_int_equal(h.ext[0].body.n, 0);
    const struct ext *last = &h.ext[h.n_ext - 1];
    assert_true(is_grease(last->type));
    assert_int_equal(last->body.n, 1);
    assert_int_not_equal(h.ext[0].type, last->type);
    unsigned groups[16] = {0}, versions[8] = {0};
    size_t ng, nv;
    u16_list(find_ext(&h, 0x000a)->body, 2, groups, &ng);
    assert_true(is_grease(groups[0]));
    assert_int_equal(groups[1], 0x11ec); /* X25519MLKEM768 */
    struct rd vb = find_ext(&h, 0x002b)->body;
    struct rd vl = rd_vec(&vb, 1);
    for (nv = 0; vl.off < vl.n; nv++)
        versions[nv] = rd_be(&vl, 2);
    assert_true(is_grease(versions[0]));
    assert_int_equal(versions[1], 0x0304);
    /* key_share: GREASE (1 byte) with the GREASE group, hybrid (1184 + 32), x25519 (32). */
    struct rd kb = find_ext(&h, 0x0033)->body;
    struct rd ks = rd_vec(&kb, 2);
    static const unsigned want_len[] = {1, 1216, 32};
    for (size_t i = 0; i < 3; i++) {
        unsigned g = rd_be(&ks, 2);
        assert_int_equal(rd_vec(&ks, 2).n, want_len[i]);
        assert_int_equal(g, i == 0 ? groups[0] : i == 1 ? 0x11ec : 0x001d);
    }
    assert_int_equal(ks.off, ks.n);
    /* Over one 1460-byte TCP segment, as Chrome's are since its post-quantum key share. */
    assert_true(n > 1460);
    /* No padding: BoringSSL pads only hellos of 256..511 bytes. */
    assert_null(find_ext(&h, 0x0015));
}

static void test_gen_tls_chrome_permutes_its_extensions_between_connections(void **state)
{
    (void)state;
    char first[512] = "";
    int differing = 0;
    for (uint64_t seed = 0; seed < 8; seed++) {
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = hello(buf, sizeof(buf), GEN_TLS_CHROME, "example.org", 0, seed);
        struct hello h;
        walk_hello(buf, n, false, &h);
        char ja3[512], ja3n[512];
        ja3_text(&h, false, ja3, sizeof(ja3));
        ja3_text(&h, true, ja3n, sizeof(ja3n));
        /* The set never changes (Chrome 133+'s JA3N, as browserleaks shows for Chrome 143). */
        assert_string_equal(ja3n, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
                                  "49172-156-157-47-53,0-5-10-11-13-16-18-23-27-35-43-45-51-"
                                  "17613-65037-65281,4588-29-23-24,0");
        assert_true(is_grease(h.ext[0].type) && is_grease(h.ext[h.n_ext - 1].type));
        if (seed == 0)
            memcpy(first, ja3, sizeof(first));
        else if (strcmp(first, ja3) != 0)
            differing++;
    }
    assert_true(differing >= 6);
}

/* Each profile's published JA3 text and JA4_r (see the file comment for the sources). */
static void test_gen_tls_hellos_match_the_published_fingerprints(void **state)
{
    (void)state;
    static const struct {
        enum gen_tls_profile p;
        const char *ja3; /* NULL: permuted (Chrome), checked by its JA3N above */
        const char *ja4_r;
    } want[] = {
            {GEN_TLS_CHROME, NULL,
             "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,"
             "cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,"
             "0804,0401,0503,0805,0501,0806,0601"},
            {GEN_TLS_FIREFOX,
             "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-"
             "157-47-53,0-23-65281-10-11-35-16-5-34-51-43-13-45-28-65037,29-23-24-25-256-257,0",
             "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,"
             "c030,cca8,cca9_0005,000a,000b,000d,0017,001c,0022,0023,002b,002d,0033,fe0d,ff01_"
             "0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201"},
            {GEN_TLS_SAFARI,
             "771,4865-4866-4867-49196-49195-52393-49200-49199-52392-49162-49161-49172-49171-157-"
             "156-53-47-49160-49170-10,0-23-65281-10-11-16-5-13-18-51-45-43-27-21,29-23-24-25,0",
             "t13d2014h2_000a,002f,0035,009c,009d,1301,1302,1303,c008,c009,c00a,c012,c013,c014,"
             "c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,002b,002d,"
             "0033,ff01_0403,0804,0401,0503,0203,0805,0805,0501,0806,0601,0201"},
            {GEN_TLS_CURL,
             "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-"
             "107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-"
             "35-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2",
             "t13d3113h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,1301,"
             "1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,"
             "ccaa_000a,000b,000d,0015,0016,0017,0023,002b,002d,0031,0033_0403,0503,0603,0807,"
             "0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602"},
            {GEN_TLS_SCHANNEL,
             "771,4866-4865-49196-49195-49200-49199-49188-49187-49192-49191-49162-49161-49172-"
             "49171-157-156-61-60-53-47,0-5-43-13-35-10-11-16-51-49-23-65281-45,29-23-24,0",
             "t13d2013h2_002f,0035,003c,003d,009c,009d,1301,1302,c009,c00a,c013,c014,c023,c024,"
             "c027,c028,c02b,c02c,c02f,c030_0005,000a,000b,000d,0017,0023,002b,002d,0031,0033,"
             "ff01_0804,0805,0806,0401,0501,0201,0403,0503,0203,0202,0601,0603"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = hello(buf, sizeof(buf), want[i].p, "www.example.com", 0, 42);
        struct hello h;
        walk_hello(buf, n, false, &h);
        char s[1024];
        if (want[i].ja3 != NULL) {
            ja3_text(&h, false, s, sizeof(s));
            assert_string_equal(s, want[i].ja3);
        }
        ja4_raw(&h, false, s, sizeof(s));
        assert_string_equal(s, want[i].ja4_r);
    }
}

static void test_gen_tls_same_seed_gives_identical_bytes(void **state)
{
    (void)state;
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        uint8_t a[GEN_TLS_MSG_MAX], b[GEN_TLS_MSG_MAX];
        size_t na = hello(a, sizeof(a), (enum gen_tls_profile)p, "a.example", 0, 7);
        size_t nb = hello(b, sizeof(b), (enum gen_tls_profile)p, "a.example", 0, 7);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        size_t nc = hello(b, sizeof(b), (enum gen_tls_profile)p, "a.example", 0, 8);
        assert_true(nc != na || memcmp(a, b, na) != 0); /* random, session id, keys differ */
    }
}

static void test_gen_tls_hello_refuses_a_buffer_one_byte_short(void **state)
{
    (void)state;
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = hello(buf, sizeof(buf), (enum gen_tls_profile)p, "example.com", 0, 3);
        assert_true(n > 0);
        assert_int_equal(hello(buf, n - 1, (enum gen_tls_profile)p, "example.com", 0, 3), 0);
        assert_int_equal(hello(buf, 0, (enum gen_tls_profile)p, "example.com", 0, 3), 0);
        assert_int_equal(hello(buf, n, (enum gen_tls_profile)p, "example.com", 0, 3), n);
    }
    uint8_t buf[GEN_TLS_MSG_MAX];
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(hello(buf, sizeof(buf), GEN_TLS_CURL, long_name, 0, 3), 0);
    assert_int_equal(hello(buf, sizeof(buf), GEN_TLS_PROFILES, "example.com", 0, 3), 0);
}

/* RFC 7685 as the libraries apply it: hellos of 256..511 bytes grow to 512 (a 517-byte
 * record); longer ones carry no padding extension. */
static void test_gen_tls_padding_brings_short_hellos_to_512_bytes(void **state)
{
    (void)state;
    static const enum gen_tls_profile padded[] = {GEN_TLS_SAFARI, GEN_TLS_CURL};
    for (size_t i = 0; i < 2; i++) {
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = hello(buf, sizeof(buf), padded[i], "x.example", 0, 4);
        assert_int_equal(n, 5 + 512);
        struct hello h;
        walk_hello(buf, n, false, &h);
        const struct ext *pad = find_ext(&h, 0x0015);
        assert_non_null(pad);
        for (size_t j = 0; j < pad->body.n; j++)
            assert_int_equal(pad->body.p[j], 0);
        char name[254];
        memset(name, 'b', 240); /* long enough to pass 512 unpadded */
        name[240] = '\0';
        n = hello(buf, sizeof(buf), padded[i], name, 0, 4);
        walk_hello(buf, n, false, &h);
        assert_true(n > 5 + 512);
        assert_null(find_ext(&h, 0x0015));
    }
}

static void test_gen_tls_hello_without_sni_has_no_server_name(void **state)
{
    (void)state;
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        for (int k = 0; k < 2; k++) {
            uint8_t buf[GEN_TLS_MSG_MAX];
            size_t n = hello(buf, sizeof(buf), (enum gen_tls_profile)p, k ? "" : NULL, 0, 5);
            struct hello h;
            walk_hello(buf, n, false, &h);
            assert_null(find_ext(&h, 0x0000));
        }
    }
}

/* RFC 9001 8: ALPN (h3), transport parameters, no middlebox compatibility session id; no
 * record header (4); nothing that only TLS 1.2 uses. */
static void test_gen_tls_quic_hello_is_bare_with_h3_and_transport_parameters(void **state)
{
    (void)state;
    static const uint8_t scid[5] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5};
    for (unsigned p = 0; p < 3; p++) {
        struct gen_rng rng;
        gen_rng_init(&rng, 11, p);
        uint8_t buf[GEN_TLS_MSG_MAX];
        size_t n = gen_tls_client_hello_quic(buf, sizeof(buf), (enum gen_tls_profile)p,
                                             "h3.example", scid, sizeof(scid), &rng);
        struct hello h;
        walk_hello(buf, n, true, &h);
        assert_int_equal(h.sid_len, 0);
        for (size_t i = 0; i < h.n_suites; i++)
            assert_true(is_grease(h.suites[i]) || h.suites[i] >> 8 == 0x13);
        static const unsigned tls12_only[] = {0x0017, 0xff01, 0x000b, 0x0023, 0x0015, 0x001c};
        for (size_t i = 0; i < sizeof(tls12_only) / sizeof(tls12_only[0]); i++)
            assert_null(find_ext(&h, tls12_only[i]));
        struct rd ab = find_ext(&h, 0x0010)->body;
        struct rd al = rd_vec(&ab, 2);
        struct rd proto = rd_vec(&al, 1);
        assert_int_equal(proto.n, 2);
        assert_memory_equal(proto.p, "h3", 2);
        assert_int_equal(al.off, al.n);
        /* Transport parameters (RFC 9000 18): varint id, varint length, value, to the end;
         * initial_source_connection_id (0x0f) is the caller's. */
        struct rd tp = find_ext(&h, 0x0039)->body;
        bool seen_scid = false;
        while (tp.off < tp.n) {
            unsigned id = tp.p[tp.off];
            size_t idw = (size_t)1 << (id >> 6);
            uint64_t idv = rd_be(&tp, idw) & ((1ull << (8 * idw - 2)) - 1);
            unsigned lb = tp.p[tp.off];
            size_t lw = (size_t)1 << (lb >> 6);
            size_t len = rd_be(&tp, lw) & ((1u << (8 * lw - 2)) - 1);
            assert_true(len <= tp.n - tp.off);
            if (idv == 0x0f) {
                assert_int_equal(len, sizeof(scid));
                assert_memory_equal(tp.p + tp.off, scid, sizeof(scid));
                seen_scid = true;
            }
            tp.off += len;
        }
        assert_true(seen_scid);
        /* The flag form: same profile, empty initial_source_connection_id. */
        assert_true(hello(buf, sizeof(buf), (enum gen_tls_profile)p, "h3.example", GEN_TLS_QUIC,
                          1) > 0);
        assert_int_equal(buf[0], 1);
    }
    uint8_t buf[GEN_TLS_MSG_MAX];
    assert_int_equal(hello(buf, sizeof(buf), GEN_TLS_CURL, "x", GEN_TLS_QUIC, 1), 0);
    assert_int_equal(hello(buf, sizeof(buf), GEN_TLS_SCHANNEL, "x", GEN_TLS_QUIC, 1), 0);
}

/* ---- Server side ---- */

struct sh {
    size_t sid_len;
    uint8_t sid[32];
    unsigned suite;
    struct ext ext[16];
    size_t n_ext;
};

static void walk_server_hello(struct rd *r, struct sh *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(rd_be(r, 1), 2); /* server_hello */
    struct rd b = rd_vec(r, 3);
    assert_int_equal(rd_be(&b, 2), 0x0303);
    b.off += 32;
    struct rd sid = rd_vec(&b, 1);
    s->sid_len = sid.n;
    memcpy(s->sid, sid.p, sid.n);
    s->suite = rd_be(&b, 2);
    assert_int_equal(rd_be(&b, 1), 0);
    struct rd exts = rd_vec(&b, 2);
    assert_int_equal(b.off, b.n);
    while (exts.off < exts.n) {
        struct ext *e = &s->ext[s->n_ext++];
        e->type = rd_be(&exts, 2);
        e->body = rd_vec(&exts, 2);
    }
}

static const struct ext *sh_ext(const struct sh *s, unsigned type)
{
    for (size_t i = 0; i < s->n_ext; i++) {
        if (s->ext[i].type == type)
            return &s->ext[i];
    }
    return NULL;
}

static void test_gen_tls_server_hello13_answers_each_client(void **state)
{
    (void)state;
    /* The server prefers AES-128-GCM; every profile offers it. */
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        struct gen_rng rng;
        gen_rng_init(&rng, 13, p);
        uint8_t ch[GEN_TLS_MSG_MAX], out[512];
        size_t chn =
                gen_tls_client_hello(ch, sizeof(ch), (enum gen_tls_profile)p, "s.example", 0, &rng);
        size_t n = gen_tls_server_hello13(out, sizeof(out), ch, chn, 0, &rng);
        assert_true(n > 0);
        struct rd r = {.p = out, .n = n};
        assert_int_equal(rd_be(&r, 1), 22);
        assert_int_equal(rd_be(&r, 2), 0x0303);
        struct rd rec = rd_vec(&r, 2);
        struct sh s;
        walk_server_hello(&rec, &s);
        assert_int_equal(rec.off, rec.n);
        assert_int_equal(s.sid_len, 32);
        assert_memory_equal(s.sid, ch + 5 + 4 + 2 + 32 + 1, 32); /* echoed (RFC 8446 4.1.3) */
        assert_int_equal(s.suite, 0x1301);
        struct rd v = sh_ext(&s, 0x002b)->body;
        assert_int_equal(rd_be(&v, 2), 0x0304);
        struct rd ks = sh_ext(&s, 0x0033)->body;
        assert_int_equal(rd_be(&ks, 2), 0x001d);
        assert_int_equal(rd_vec(&ks, 2).n, 32);
        /* ChangeCipherSpec, middlebox compatibility (RFC 8446 D.4). */
        static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
        assert_int_equal(n - r.off, sizeof(ccs));
        assert_memory_equal(out + r.off, ccs, sizeof(ccs));
        assert_int_equal(gen_tls_server_hello13(out, n - 1, ch, chn, 0, &rng), 0);
    }
}

static void test_gen_tls_server_hello13_for_quic_is_a_bare_message(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 14, 0);
    uint8_t ch[GEN_TLS_MSG_MAX], out[512];
    size_t chn =
            gen_tls_client_hello(ch, sizeof(ch), GEN_TLS_CHROME, "q.example", GEN_TLS_QUIC, &rng);
    size_t n = gen_tls_server_hello13(out, sizeof(out), ch, chn, GEN_TLS_QUIC, &rng);
    struct rd r = {.p = out, .n = n};
    struct sh s;
    walk_server_hello(&r, &s);
    assert_int_equal(r.off, n); /* no record header, no ChangeCipherSpec */
    assert_int_equal(s.sid_len, 0);
    assert_int_equal(s.suite, 0x1301);
}

/* A TLS 1.2-only ClientHello, by hand: ECDHE-RSA-AES128-GCM-SHA256 only, x25519, EMS, SNI
 * "a.b". */
static const uint8_t tls12_hello[] = {
        0x16, 0x03, 0x01, 0x00, 0x5a, 0x01, 0x00, 0x00, 0x56, 0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
        0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00, 0x00, 0x2b,
        /* server_name a.b */
        0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x03, 'a', '.', 'b',
        /* supported_groups x25519 */
        0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d,
        /* ec_point_formats uncompressed */
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
        /* signature_algorithms rsa_pkcs1_sha256 */
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01,
        /* extended_master_secret, renegotiation_info */
        0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};

static void test_gen_tls_server_hello13_refuses_tls12_clients_and_every_truncation(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 15, 0);
    uint8_t out[GEN_TLS_MSG_MAX];
    assert_int_equal(
            gen_tls_server_hello13(out, sizeof(out), tls12_hello, sizeof(tls12_hello), 0, &rng), 0);
    uint8_t ch[GEN_TLS_MSG_MAX];
    size_t chn = gen_tls_client_hello(ch, sizeof(ch), GEN_TLS_SAFARI, "t.example", 0, &rng);
    for (size_t i = 0; i < chn; i++) {
        assert_int_equal(gen_tls_server_hello13(out, sizeof(out), ch, i, 0, &rng), 0);
        assert_int_equal(gen_tls_server_hello12(out, sizeof(out), ch, i, 0, &rng), 0);
    }
    assert_int_equal(gen_tls_server_hello13(out, sizeof(out), NULL, 10, 0, &rng), 0);
}

/* Walks the four records of a TLS 1.2 flight; returns the certificate's DER. */
static struct rd walk_flight12(const uint8_t *out, size_t n, struct sh *s, unsigned *sig_alg)
{
    static const unsigned types[] = {2, 11, 12, 14};
    struct rd r = {.p = out, .n = n};
    struct rd cert = {0};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rd_be(&r, 1), 22);
        assert_int_equal(rd_be(&r, 2), 0x0303);
        struct rd rec = rd_vec(&r, 2);
        assert_int_equal(rec.p[0], types[i]);
        if (i == 0) {
            walk_server_hello(&rec, s);
        } else {
            rd_be(&rec, 1);
            struct rd msg = rd_vec(&rec, 3);
            if (i == 1) {
                struct rd list = rd_vec(&msg, 3);
                cert = rd_vec(&list, 3);
                assert_int_equal(list.off, list.n); /* one certificate */
            } else if (i == 2) {
                assert_int_equal(rd_be(&msg, 1), 3); /* named_curve */
                unsigned group = rd_be(&msg, 2);
                assert_int_equal(rd_vec(&msg, 1).n, group == 0x001d ? 32 : 65);
                *sig_alg = rd_be(&msg, 2);
                assert_int_equal(rd_vec(&msg, 2).n, 256);
            }
            assert_int_equal(msg.off, msg.n);
        }
        assert_int_equal(rec.off, rec.n);
    }
    assert_int_equal(r.off, n);
    return cert;
}

static bool contains(struct rd hay, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= hay.n; i++) {
        if (memcmp(hay.p + i, needle, k) == 0)
            return true;
    }
    return false;
}

static void
test_gen_tls_server_hello12_sends_four_records_and_a_certificate_for_the_sni(void **state)
{
    (void)state;
    for (unsigned p = 0; p < GEN_TLS_PROFILES; p++) {
        struct gen_rng rng;
        gen_rng_init(&rng, 12, p);
        uint8_t ch[GEN_TLS_MSG_MAX], out[GEN_TLS_MSG_MAX];
        size_t chn = gen_tls_client_hello(ch, sizeof(ch), (enum gen_tls_profile)p,
                                          "shop.example.com", 0, &rng);
        size_t n = gen_tls_server_hello12(out, sizeof(out), ch, chn, 0, &rng);
        assert_true(n > 0);
        struct sh s;
        unsigned sig = 0;
        struct rd cert = walk_flight12(out, n, &s, &sig);
        assert_int_equal(s.suite, 0xc02f); /* every profile offers ECDHE-RSA-AES128-GCM */
        assert_int_equal(s.sid_len, 32);
        assert_non_null(sh_ext(&s, 0x0017)); /* each asked for extended_master_secret */
        assert_non_null(sh_ext(&s, 0xff01)); /* and renegotiation_info (or the SCSV) */
        assert_int_equal(sig, 0x0804);       /* each allows RSA-PSS */
        assert_int_equal(cert.p[0], 0x30);
        assert_true(contains(cert, "shop.example.com"));
        assert_true(contains(cert, "Umbra Test CA"));
        struct rd alpn = sh_ext(&s, 0x0010)->body;
        assert_int_equal(alpn.n, 5);
        assert_memory_equal(alpn.p + 3, "h2", 2);
        assert_int_equal(gen_tls_server_hello12(out, n - 1, ch, chn, 0, &rng), 0);
        assert_int_equal(gen_tls_server_hello12(out, sizeof(out), ch, chn, GEN_TLS_QUIC, &rng), 0);
    }
}

static void test_gen_tls_server_hello12_answers_a_handmade_tls12_client(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 16, 0);
    uint8_t out[GEN_TLS_MSG_MAX];
    size_t n = gen_tls_server_hello12(out, sizeof(out), tls12_hello, sizeof(tls12_hello), 0, &rng);
    assert_true(n > 0);
    struct sh s;
    unsigned sig = 0;
    struct rd cert = walk_flight12(out, n, &s, &sig);
    assert_int_equal(s.suite, 0xc02f);
    assert_int_equal(sig, 0x0401); /* no RSA-PSS offered: PKCS#1 v1.5 */
    assert_null(sh_ext(&s, 0x0010));
    assert_true(contains(cert, "a.b"));
}

/* ---- Certificate ---- */

/* One DER TLV (X.690 8.1) at @r: its tag and contents. Lengths must be minimal (DER). */
static struct rd der_tlv(struct rd *r, unsigned *tag)
{
    *tag = rd_be(r, 1);
    size_t len = rd_be(r, 1);
    if (len & 0x80) {
        size_t k = len & 0x7f;
        assert_true(k >= 1 && k <= 3);
        len = rd_be(r, k);
        assert_true(len >= (k == 1 ? 0x80u : k == 2 ? 0x100u : 0x10000u)); /* minimal */
    }
    assert_true(len <= r->n - r->off);
    struct rd c = {.p = r->p + r->off, .n = len};
    r->off += len;
    return c;
}

/* Walks every constructed TLV down to the leaves (depth-first, with a stack of the unfinished
 * levels); counts them. */
static size_t der_walk(struct rd r)
{
    struct rd stack[16];
    size_t depth = 0;
    size_t count = 0;
    stack[depth++] = r;
    while (depth > 0) {
        struct rd *top = &stack[depth - 1];
        if (top->off == top->n) {
            depth--;
            continue;
        }
        unsigned tag;
        struct rd c = der_tlv(top, &tag);
        count++;
        if (tag & 0x20) {
            assert_true(depth < 16);
            stack[depth++] = c;
        }
    }
    return count;
}

static size_t cert(uint8_t *out, size_t cap, const char *cn, const char *const *san, size_t nsan,
                   uint64_t t)
{
    struct gen_rng rng;
    gen_rng_init(&rng, 99, 0);
    return gen_tls_certificate_der(out, cap, cn, san, nsan, t, &rng);
}

static void test_gen_tls_certificate_is_well_formed_der_with_the_names(void **state)
{
    (void)state;
    const char *const san[] = {"www.example.com", "example.com"};
    uint8_t buf[2048];
    size_t n = cert(buf, sizeof(buf), "www.example.com", san, 2, 1717200000);
    assert_true(n > 700);
    struct rd all = {.p = buf, .n = n};
    unsigned tag;
    struct rd c = der_tlv(&all, &tag);
    assert_int_equal(tag, 0x30);
    assert_int_equal(all.off, n); /* one Certificate, nothing after it */
    assert_true(der_walk(c) > 40);
    /* TBSCertificate, sha256WithRSAEncryption, BIT STRING of 1 + 256 bytes. */
    struct rd tbs = der_tlv(&c, &tag);
    assert_int_equal(tag, 0x30);
    struct rd alg = der_tlv(&c, &tag);
    assert_int_equal(tag, 0x30);
    static const uint8_t sha256_rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                         0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
    assert_int_equal(alg.n, sizeof(sha256_rsa));
    assert_memory_equal(alg.p, sha256_rsa, sizeof(sha256_rsa));
    struct rd sig = der_tlv(&c, &tag);
    assert_int_equal(tag, 0x03);
    assert_int_equal(sig.n, 257);
    /* version [0] { INTEGER 2 }, serial: positive, at most 20 bytes (RFC 5280 4.1.2.2). */
    struct rd ver = der_tlv(&tbs, &tag);
    assert_int_equal(tag, 0xa0);
    assert_int_equal(ver.n, 3);
    assert_int_equal(ver.p[2], 2);
    struct rd serial = der_tlv(&tbs, &tag);
    assert_int_equal(tag, 0x02);
    assert_true(serial.n >= 1 && serial.n <= 20 && (serial.p[0] & 0x80) == 0);
    der_tlv(&tbs, &tag); /* signature algorithm */
    der_tlv(&tbs, &tag); /* issuer */
    struct rd validity = der_tlv(&tbs, &tag);
    struct rd nb = der_tlv(&validity, &tag);
    assert_int_equal(tag, 0x17); /* UTCTime before 2050 */
    assert_int_equal(nb.n, 13);
    assert_memory_equal(nb.p, "240601000000Z", 13);
    struct rd na = der_tlv(&validity, &tag);
    assert_memory_equal(na.p, "250601000000Z", 13); /* a year later */
    struct rd whole = {.p = buf, .n = n};
    assert_true(contains(whole, "Umbra Test CA"));
    assert_true(contains(whole, "example.com"));
    /* From 2050 on: GeneralizedTime (RFC 5280 4.1.2.5). */
    n = cert(buf, sizeof(buf), "late.example", NULL, 0, 2600000000ull);
    whole = (struct rd){.p = buf, .n = n};
    assert_true(contains(whole, "20520522141320Z"));
    der_walk(whole);
}

static void test_gen_tls_certificate_refuses_bad_names_and_short_buffers(void **state)
{
    (void)state;
    const char *const san[] = {"ok.example", ""};
    const char *const bad[] = {"caf\xc3\xa9.example"};
    uint8_t buf[2048];
    assert_int_equal(cert(buf, sizeof(buf), NULL, NULL, 0, 0), 0);
    assert_int_equal(cert(buf, sizeof(buf), "", NULL, 0, 0), 0);
    assert_int_equal(cert(buf, sizeof(buf), "x", san, 2, 0), 0);
    assert_int_equal(cert(buf, sizeof(buf), "x", bad, 1, 0), 0);
    assert_int_equal(cert(buf, sizeof(buf), "x", NULL, 1, 0), 0);
    size_t n = cert(buf, sizeof(buf), "x", san, 1, 0);
    assert_true(n > 0);
    assert_int_equal(cert(buf, n - 1, "x", san, 1, 0), 0);
    assert_int_equal(cert(buf, n, "x", san, 1, 0), n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_tls_profile_names_round_trip),
            cmocka_unit_test(test_gen_tls_every_hello_adds_up_and_names_the_server),
            cmocka_unit_test(test_gen_tls_chrome_hello_carries_sni_and_grease),
            cmocka_unit_test(test_gen_tls_chrome_permutes_its_extensions_between_connections),
            cmocka_unit_test(test_gen_tls_hellos_match_the_published_fingerprints),
            cmocka_unit_test(test_gen_tls_same_seed_gives_identical_bytes),
            cmocka_unit_test(test_gen_tls_hello_refuses_a_buffer_one_byte_short),
            cmocka_unit_test(test_gen_tls_padding_brings_short_hellos_to_512_bytes),
            cmocka_unit_test(test_gen_tls_hello_without_sni_has_no_server_name),
            cmocka_unit_test(test_gen_tls_quic_hello_is_bare_with_h3_and_transport_parameters),
            cmocka_unit_test(test_gen_tls_server_hello13_answers_each_client),
            cmocka_unit_test(test_gen_tls_server_hello13_for_quic_is_a_bare_message),
            cmocka_unit_test(
                    test_gen_tls_server_hello13_refuses_tls12_clients_and_every_truncation),
            cmocka_unit_test(
                    test_gen_tls_server_hello12_sends_four_records_and_a_certificate_for_the_sni),
            cmocka_unit_test(test_gen_tls_server_hello12_answers_a_handmade_tls12_client),
            cmocka_unit_test(test_gen_tls_certificate_is_well_formed_der_with_the_names),
            cmocka_unit_test(test_gen_tls_certificate_refuses_bad_names_and_short_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

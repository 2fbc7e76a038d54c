/*
 * gen_krb: the four messages are RFC 4120 DER behind a TCP record mark, byte-exact where the
 * content is not random, with minimal definite lengths in short and long form, and invalid
 * exchanges or short buffers give 0 without writing past the buffer.
 *
 * Expected bytes: a small AS-REQ and AS-REP assembled by hand from RFC 4120 5.4.1, 5.4.2,
 * 5.2.2 (PrincipalName), 5.2.9 (EncryptedData), 5.2.7.2/5.2.7.5 (PA-ENC-TIMESTAMP,
 * ETYPE-INFO2), 5.3 (Ticket), 7.2.2 (record mark), [MS-KILE] 2.2.3 (PA-PAC-REQUEST) and X.690
 * 8.1.3 (lengths), with each length worked out in the comments; "??" marks a random byte. The
 * larger messages are checked by a strict DER walker in this file.
 *
 * Checked outside the repository (throwaway harness in /tmp):
 * - tshark 4.0.17 on three TCP connections to port 88 (AS-REQ/AS-REP for alice@CORP.EXAMPLE
 *   with 1100- and 300-byte ciphers; TGS-REQ/TGS-REP for cifs/fs1.corp.example; a small
 *   TGS exchange with short-form lengths). `tshark -V` decoded every field: pvno, msg-types
 *   10/11/12/13 and the inner AP-REQ's 14, both padata of the AS-REQ (the EncryptedData inside
 *   PA-ENC-TIMESTAMP, include-pac True), kdc-options 0x40810010 (forwardable, renewable,
 *   canonicalize, renewable-ok), the names, till and rtime 2037-09-13 02:48:05, nonce, etypes
 *   18/17/23, ETYPE-INFO2 with salt CORP.EXAMPLEalice, the tickets with kvno 2. `tshark -T
 *   fields -e _ws.malformed -e _ws.expert.severity -e kerberos.msg_type -e
 *   kerberos.CNameString -e kerberos.SNameString -e kerberos.realm -e kerberos.till -e
 *   kerberos.nonce` showed no malformed packet and no expert info beyond TCP's SYN notes.
 * - `openssl asn1parse -inform DER -i` on a TGS-REQ and an AS-REP (record mark removed) parsed
 *   the whole structure, the 5-byte INTEGER 00 9e 37 79 b9 for nonce 0x9e3779b9 included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/support/hexpat.h"
#include "tests/unit/support/short_cap.h"
#include "tools/gen/gen_krb.h"
#include "tools/gen/gen_rng.h"

#define RAND8  "????????????????"
#define RAND16 RAND8 RAND8

/*
 * Walk the DER TLVs in @p[0..@n): every length definite and in the fewest octets (X.690 10.1),
 * every constructed value made of whole TLVs. Returns the number of values seen.
 */
static size_t der_walk(const uint8_t *p, size_t n)
{
    size_t count = 0, off = 0;
    while (off < n) {
        assert_true(off + 2 <= n);
        uint8_t tag = p[off];
        assert_true((tag & 0x1f) != 0x1f); /* no multi-byte tags in Kerberos */
        size_t len, hl;
        uint8_t l0 = p[off + 1];
        if (l0 < 0x80) {
            len = l0;
            hl = 2;
        } else {
            size_t k = l0 & 0x7f;
            assert_in_range(k, 1, 4); /* 0x80 would be the indefinite form, not DER */
            assert_true(off + 2 + k <= n);
            assert_true(p[off + 2] != 0); /* no leading zero octets */
            len = 0;
            for (size_t i = 0; i < k; i++)
                len = len << 8 | p[off + 2 + i];
            size_t need = 0;
            for (size_t v = len; v > 0; v >>= 8)
                need++;
            assert_true(len >= 0x80);  /* else the short form was due */
            assert_int_equal(k, need); /* and no more length octets than the value needs */
            hl = 2 + k;
        }
        assert_true(off + hl + len <= n);
        if (tag & 0x20)
            count += der_walk(p + off + hl, len);
        count++;
        off += hl + len;
    }
    assert_int_equal(off, n);
    return count;
}

/* The record mark holds the length of the DER that follows, high bit clear (RFC 4120 7.2.2). */
static void check_record(const uint8_t *p, size_t n, uint8_t app_tag)
{
    assert_true(n > 4);
    uint32_t mark = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    assert_int_equal(mark, n - 4);
    assert_int_equal(p[4], app_tag);
    assert_true(der_walk(p + 4, n - 4) > 10);
}

/* Whether @hay holds @needle. */
static int contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static const struct gen_krb_exchange small = {
        .realm = "A.B",
        .cname = "u",
        .till_ns = 1700000000ull * 1000000000ull, /* 2023-11-14 22:13:20 UTC */
        .nonce = 1,
        .ticket_len = 16,
        .enc_len = 16,
};

static void test_gen_krb_as_req_matches_hand_assembled_der(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    uint8_t out[512];
    size_t n = gen_krb_as_req(out, sizeof out, &small, &rng);
    hexpat_assert(out, n,
                  "000000eb"     /* record mark: 235 bytes */
                  "6a 81e8"      /* [APPLICATION 10], 232 */
                  "30 81e5"      /* KDC-REQ SEQUENCE, 229 = 5 + 5 + 101 + 118 */
                  "a1 03 020105" /* pvno 5 */
                  "a2 03 02010a" /* msg-type 10 */
                  "a3 63 30 61"  /* padata, SEQUENCE OF: 97 = 78 + 19 */
                  /* PA-DATA 76 = 5 + 71: type 2, value OCTET STRING (67) of an
                   * EncryptedData 65 = 5 + 60: etype 18, cipher of 56 */
                  "30 4c a1 03 020102 a2 45 04 43"
                  "30 41 a0 03 020112 a2 3a 04 38" RAND16 RAND16 RAND16 RAND8
                  /* PA-DATA 17 = 6 + 11: type 128 (INTEGER 00 80), value KERB-PA-PAC-REQUEST */
                  "30 11 a1 04 02020080 a2 09 04 07 30 05 a0 03 0101ff"
                  "a4 74 30 72"            /* req-body: 114 = 9 + 16 + 7 + 26 + 19 + 19 + 5 + 13 */
                  "a0 07 03 05 0040810010" /* kdc-options, no unused bits */
                  "a1 0e 30 0c a0 03 020101 a1 05 30 03 1b 01 75" /* cname NT-PRINCIPAL "u" */
                  "a2 05 1b 03 412e42"                            /* realm "A.B" */
                  /* sname NT-SRV-INST krbtgt/A.B: 22 = 5 + 17 */
                  "a3 18 30 16 a0 03 020102 a1 0f 30 0d 1b 06 6b7262746774 1b 03 412e42"
                  "a5 11 18 0f 32303233313131343232313332305a" /* till "20231114221320Z" */
                  "a6 11 18 0f 32303233313131343232313332305a" /* rtime */
                  "a7 03 020101"                               /* nonce 1 */
                  "a8 0b 30 09 020112 020111 020117");         /* etypes 18, 17, 23 */
}

static void test_gen_krb_as_rep_matches_hand_assembled_der(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 2, 1);
    uint8_t out[512];
    size_t n = gen_krb_as_rep(out, sizeof out, &small, &rng);
    hexpat_assert(out, n,
                  "000000b2"     /* record mark: 178 */
                  "6b 81af"      /* [APPLICATION 11], 175 */
                  "30 81ac"      /* KDC-REP, 172 = 5 + 5 + 32 + 7 + 16 + 78 + 29 */
                  "a0 03 020105" /* pvno */
                  "a1 03 02010b" /* msg-type 11 */
                  /* padata: PA-DATA type 19 whose value is ETYPE-INFO2: one entry, etype 18,
                   * salt "A.Bu" */
                  "a2 1e 30 1c 30 1a a1 03 020113 a2 13 04 11"
                  "30 0f 30 0d a0 03 020112 a1 06 1b 04 412e4275"
                  "a3 05 1b 03 412e42"                            /* crealm */
                  "a4 0e 30 0c a0 03 020101 a1 05 30 03 1b 01 75" /* cname */
                  "a5 4c 61 4a 30 48"  /* ticket: [APPLICATION 1], 72 = 5 + 7 + 26 + 34 */
                  "a0 03 020105"       /* tkt-vno */
                  "a1 05 1b 03 412e42" /* realm */
                  "a2 18 30 16 a0 03 020102 a1 0f 30 0d 1b 06 6b7262746774 1b 03 412e42"
                  "a3 20 30 1e a0 03 020112 a1 03 020102 a2 12 04 10" RAND16 /* etype, kvno 2 */
                  "a6 1b 30 19 a0 03 020112 a2 12 04 10" RAND16);            /* enc-part */
}

static const struct gen_krb_exchange corp = {
        .realm = "CORP.EXAMPLE",
        .cname = "alice",
        .sname = "cifs/fs1.corp.example",
        .till_ns = GEN_KRB_TILL_WINDOWS_NS,
        .nonce = 0x9e3779b9u,
        .ticket_len = 1100,
        .enc_len = 300,
};

static void test_gen_krb_tgs_req_carries_ap_req_with_tgt_and_names_the_service(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 3, 1);
    uint8_t out[4096];
    size_t n = gen_krb_tgs_req(out, sizeof out, &corp, &rng);
    check_record(out, n, 0x6c);
    /* AP-REQ [APPLICATION 14] with msg-type 14, inside the PA-TGS-REQ's OCTET STRING */
    static const uint8_t ap_req_head[] = {0xa0, 0x03, 0x02, 0x01, 0x05,
                                          0xa1, 0x03, 0x02, 0x01, 0x0e};
    assert_true(contains(out, n, ap_req_head, sizeof ap_req_head));
    /* the TGT's sname krbtgt/CORP.EXAMPLE and the requested cifs/fs1.corp.example */
    assert_true(contains(out, n,
                         "\x1b\x06krbtgt\x1b\x0c"
                         "CORP.EXAMPLE",
                         22));
    assert_true(contains(out, n,
                         "\x1b\x04"
                         "cifs\x1b\x10"
                         "fs1.corp.example",
                         24));
    /* kdc-options forwardable, renewable, canonicalize */
    assert_true(contains(out, n, "\x03\x05\x00\x40\x81\x00\x00", 7));
    /* the nonce with the leading zero a positive INTEGER needs: 02 05 00 9e 37 79 b9 */
    assert_true(contains(out, n, "\xa7\x07\x02\x05\x00\x9e\x37\x79\xb9", 9));
    /* no cname in a TGS-REQ: the only GeneralStrings are realm and names above */
    assert_false(contains(out, n, "alice", 5));
    /* 1100 random ticket bytes: OCTET STRING 04 82 04 4c */
    assert_true(contains(out, n, "\x04\x82\x04\x4c", 4));
    assert_true(contains(out, n,
                         "\xa5\x11\x18\x0f"
                         "20370913024805Z",
                         19));
}

static void test_gen_krb_tgs_rep_issues_the_service_ticket(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 4, 1);
    uint8_t out[4096];
    size_t n = gen_krb_tgs_rep(out, sizeof out, &corp, &rng);
    check_record(out, n, 0x6d);
    assert_true(contains(out, n, "\xa1\x03\x02\x01\x0d", 5)); /* msg-type 13 */
    assert_true(contains(out, n,
                         "\x1b\x05"
                         "alice",
                         7));
    assert_true(contains(out, n,
                         "\x1b\x04"
                         "cifs\x1b\x10"
                         "fs1.corp.example",
                         24));
    assert_false(contains(out, n, "krbtgt", 6));
    assert_true(contains(out, n, "\x04\x82\x01\x2c", 4)); /* the 300-byte enc-part */
}

static void test_gen_krb_as_exchange_with_windows_sizes_is_strict_der(void **state)
{
    (void)state;
    struct gen_krb_exchange x = corp;
    x.sname = NULL;
    struct gen_rng rng;
    gen_rng_init(&rng, 5, 1);
    uint8_t out[4096];
    size_t n = gen_krb_as_req(out, sizeof out, &x, &rng);
    check_record(out, n, 0x6a);
    n = gen_krb_as_rep(out, sizeof out, &x, &rng);
    check_record(out, n, 0x6b);
    assert_true(contains(out, n,
                         "\x1b\x11"
                         "CORP.EXAMPLEalice",
                         19)); /* ETYPE-INFO2 salt */
    /* sizes across every length form: 1..127 short, 128..255 one octet, then two */
    for (size_t len = 1; len < 700; len += 7) {
        x.ticket_len = len;
        x.enc_len = 701 - len;
        n = gen_krb_as_rep(out, sizeof out, &x, &rng);
        check_record(out, n, 0x6b);
        x.sname = "cifs/fs1.corp.example";
        n = gen_krb_tgs_req(out, sizeof out, &x, &rng);
        check_record(out, n, 0x6c);
        n = gen_krb_tgs_rep(out, sizeof out, &x, &rng);
        check_record(out, n, 0x6d);
        x.sname = NULL;
    }
}

static void test_gen_krb_integers_are_minimal_twos_complement(void **state)
{
    (void)state;
    static const struct {
        uint32_t nonce;
        const char *der;
        size_t len;
    } cases[] = {
            {0, "\xa7\x03\x02\x01\x00", 5},
            {127, "\xa7\x03\x02\x01\x7f", 5},
            {128, "\xa7\x04\x02\x02\x00\x80", 6},
            {256, "\xa7\x04\x02\x02\x01\x00", 6},
            {0x7fffffff, "\xa7\x06\x02\x04\x7f\xff\xff\xff", 8},
            {0xffffffff, "\xa7\x07\x02\x05\x00\xff\xff\xff\xff", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gen_krb_exchange x = small;
        x.nonce = cases[i].nonce;
        struct gen_rng rng;
        gen_rng_init(&rng, 6, i);
        uint8_t out[512];
        size_t n = gen_krb_as_req(out, sizeof out, &x, &rng);
        check_record(out, n, 0x6a);
        assert_true(contains(out, n, cases[i].der, cases[i].len));
    }
}

static void test_gen_krb_rejects_invalid_exchanges(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 7, 1);
    uint8_t out[4096];
    struct gen_krb_exchange x = corp;
    assert_int_equal(gen_krb_as_req(out, sizeof out, NULL, &rng), 0);
    assert_int_equal(gen_krb_as_req(out, sizeof out, &x, NULL), 0);
    x.realm = "";
    assert_int_equal(gen_krb_as_req(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.cname = "a/b";
    assert_int_equal(gen_krb_as_req(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.cname = "al\nice";
    assert_int_equal(gen_krb_as_req(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.sname = "cifs//fs1";
    assert_int_equal(gen_krb_tgs_req(out, sizeof out, &x, &rng), 0);
    x.sname = "a/b/c/d/e";
    assert_int_equal(gen_krb_tgs_req(out, sizeof out, &x, &rng), 0);
    x.sname = NULL;
    assert_int_equal(gen_krb_tgs_req(out, sizeof out, &x, &rng), 0);
    assert_int_equal(gen_krb_tgs_rep(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.ticket_len = 0;
    assert_int_equal(gen_krb_tgs_rep(out, sizeof out, &x, &rng), 0);
    x.ticket_len = GEN_KRB_CIPHER_MAX + 1;
    assert_int_equal(gen_krb_as_rep(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.enc_len = 0;
    assert_int_equal(gen_krb_tgs_req(out, sizeof out, &x, &rng), 0);
    x = corp;
    x.till_ns = UINT64_MAX; /* year 2554 is fine for GeneralizedTime */
    assert_true(gen_krb_tgs_req(out, sizeof out, &x, &rng) > 0);
    char longname[GEN_KRB_NAME_MAX + 2];
    memset(longname, 'r', sizeof longname - 1);
    longname[GEN_KRB_NAME_MAX + 1] = '\0';
    x = corp;
    x.realm = longname;
    assert_int_equal(gen_krb_as_req(out, sizeof out, &x, &rng), 0);
}

static size_t build(int which, uint8_t *out, size_t cap, struct gen_rng *rng)
{
    struct gen_krb_exchange x = corp;
    x.ticket_len = 200;
    x.enc_len = 150;
    switch (which) {
    case 0:
        x.sname = NULL;
        return gen_krb_as_req(out, cap, &x, rng);
    case 1:
        x.sname = NULL;
        return gen_krb_as_rep(out, cap, &x, rng);
    case 2:
        return gen_krb_tgs_req(out, cap, &x, rng);
    default:
        return gen_krb_tgs_rep(out, cap, &x, rng);
    }
}

static void test_gen_krb_short_buffers_give_zero_and_nothing_past_cap(void **state)
{
    (void)state;
    short_cap_check_family(build, 4, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_krb_as_req_matches_hand_assembled_der),
            cmocka_unit_test(test_gen_krb_as_rep_matches_hand_assembled_der),
            cmocka_unit_test(test_gen_krb_tgs_req_carries_ap_req_with_tgt_and_names_the_service),
            cmocka_unit_test(test_gen_krb_tgs_rep_issues_the_service_ticket),
            cmocka_unit_test(test_gen_krb_as_exchange_with_windows_sizes_is_strict_der),
            cmocka_unit_test(test_gen_krb_integers_are_minimal_twos_complement),
            cmocka_unit_test(test_gen_krb_rejects_invalid_exchanges),
            cmocka_unit_test(test_gen_krb_short_buffers_give_zero_and_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

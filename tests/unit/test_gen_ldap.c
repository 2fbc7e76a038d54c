/*
 * gen_ldap: the bind request and response are RFC 4511 DER around SPNEGO tokens, byte-exact
 * where the content is not random, with minimal definite lengths in short and long form at
 * every size; a sealed message is the SASL length and the RFC 4121 Wrap header Windows writes;
 * the same seed gives the same bytes; bad arguments or short buffers give 0 without writing past
 * the buffer.
 *
 * Expected bytes are assembled by hand in each test from RFC 4511 4.1.1, 4.2 and 4.2.2
 * (LDAPMessage, BindRequest, BindResponse), RFC 2743 3.1 and RFC 4178 4.2 (InitialContextToken,
 * negTokenInit, negTokenResp), RFC 4422 3.7 (SASL buffer length), RFC 4121 4.2.6.2 (Wrap token)
 * and X.690 8.1.3 (lengths), with each length worked out in the comments; "??" marks a random
 * byte. The other sizes are checked by walking the structure in this file.
 *
 * Checked with tshark 4.0.17 (throwaway harness in /tmp, not in the repository), -o
 * tcp.desegment_tcp_streams:TRUE: one TCP connection to port 389 (handshake; bind request with
 * a 1900-byte token across two segments; bind response with a 150-byte token; sealed messages
 * of 300 and 220 bytes from the client, 600 and 12000 from the server, the latter across nine
 * segments; FIN). `tshark -V` showed bindRequest(4) "<ROOT>" sasl with mechanism GSS-SPNEGO and
 * credentials decoded as GSS-API OID 1.3.6.1.5.5.2, negTokenInit with mechTypes MS KRB5, KRB5
 * and NTLMSSP and the mechToken (krb5_tok_id Unknown); bindResponse(4) success with
 * serverSaslCreds as negTokenTarg negResult accept-completed and the responseToken; and every
 * sealed message as "SASL GSS-API Privacy: payload (N - 60 bytes)": SASL Buffer Length,
 * KRB_TOKEN_CFX_WRAP (0x0405), flags 0x06 (AcceptorSubkey, Sealed) or 0x07 (and
 * SendByAcceptor), filler ff, EC 16, RRC 28, the sequence number, then the encrypted payload.
 * `tshark -z expert,warn -q` printed no warning or error, on that capture, on 300 connections
 * with random sizes (tokens 2..3000 and 0..400, one to four exchanges of sealed messages of
 * 67..500 and 67..40000 bytes) and on the smallest case (2-byte token, no response token,
 * 67-byte payloads, messageID 2147483647); the only expert items were TCP's SYN/FIN notes.
 * Random bytes as the whole credentials, without the SPNEGO framing, were flagged (a first
 * byte 0x60: "BER Error: Object Identifier expected"; 0x6e or 0x40: GSS-API "Unknown header";
 * 0xa0 or 0xa1: SPNEGO "Malformed Packet"), hence gen_spnego_init().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/support/hexpat.h"
#include "tests/unit/support/short_cap.h"
#include "tools/gen/gen_ldap.h"
#include "tools/gen/gen_rng.h"

#define RAND16 "????????????????????????????????"

/* The InitialContextToken's mechTypes: [0] { SEQUENCE OF, 34 = 11 + 11 + 12: MS Kerberos
 * 1.2.840.48018.1.2.2, Kerberos 5 1.2.840.113554.1.2.2, NTLMSSP 1.3.6.1.4.1.311.2.2.10 } */
#define MECH_TYPES                                                                                 \
    "a0 24 30 22 06 09 2a864882f712010202 06 09 2a864886f712010202 06 0a 2b06010401823702020a"

/* "GSS-SPNEGO" as an OCTET STRING of 10 */
#define GSS_SPNEGO "04 0a 4753532d53504e45474f"

/* A reader over DER, failing the test on anything but definite lengths in the fewest octets
 * (X.690 10.1) that stay inside the buffer. */
struct rd {
    const uint8_t *p;
    size_t n;
    size_t off;
};

/* The header of a value tagged @tag at r->off: returns its length, r->off at its contents. */
static size_t rd_tlv(struct rd *r, uint8_t tag)
{
    assert_true(r->off + 2 <= r->n);
    assert_int_equal(r->p[r->off], tag);
    uint8_t l0 = r->p[r->off + 1];
    size_t len = l0, hl = 2;
    if (l0 >= 0x80) {
        size_t k = l0 & 0x7f;
        assert_in_range(k, 1, 3); /* 0x80 would be the indefinite form */
        assert_true(r->off + 2 + k <= r->n);
        assert_int_not_equal(r->p[r->off + 2], 0); /* no leading zero octet */
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | r->p[r->off + 2 + i];
        assert_true(len >= 0x80); /* else the short form */
        hl = 2 + k;
    }
    r->off += hl;
    assert_true(len <= r->n - r->off);
    return len;
}

static void rd_skip(struct rd *r, uint8_t tag)
{
    r->off += rd_tlv(r, tag);
}

/* A value that must run to the end of the message: each one below is its parent's last. */
static void rd_last(struct rd *r, uint8_t tag)
{
    size_t len = rd_tlv(r, tag);
    assert_int_equal(r->off + len, r->n);
}

/* Walk a bind request down to its mechToken: every length consistent with the ones around it,
 * the token @token_len bytes, its first byte's top bit set. */
static void check_bind_request(const uint8_t *out, size_t n, size_t token_len)
{
    struct rd r = {out, n, 0};
    assert_true(n > 0);
    rd_last(&r, 0x30); /* LDAPMessage */
    rd_skip(&r, 0x02); /* messageID */
    rd_last(&r, 0x60); /* BindRequest */
    rd_skip(&r, 0x02); /* version */
    rd_skip(&r, 0x04); /* name */
    rd_last(&r, 0xa3); /* sasl */
    rd_skip(&r, 0x04); /* mechanism */
    rd_last(&r, 0x04); /* credentials */
    rd_last(&r, 0x60); /* InitialContextToken */
    rd_skip(&r, 0x06); /* SPNEGO OID */
    rd_last(&r, 0xa0); /* negTokenInit */
    rd_last(&r, 0x30); /* NegTokenInit */
    rd_skip(&r, 0xa0); /* mechTypes */
    rd_last(&r, 0xa2); /* mechToken */
    assert_int_equal(rd_tlv(&r, 0x04), token_len);
    assert_int_equal(r.off + token_len, n);
    assert_true(out[r.off] & 0x80);
}

/* Walk a bind response down to its responseToken (none when @token_len is 0). */
static void check_bind_response(const uint8_t *out, size_t n, size_t token_len)
{
    struct rd r = {out, n, 0};
    assert_true(n > 0);
    rd_last(&r, 0x30); /* LDAPMessage */
    rd_skip(&r, 0x02); /* messageID */
    rd_last(&r, 0x61); /* BindResponse */
    assert_int_equal(rd_tlv(&r, 0x0a), 1);
    assert_int_equal(out[r.off++], 0x00); /* success */
    rd_skip(&r, 0x04);                    /* matchedDN */
    rd_skip(&r, 0x04);                    /* diagnosticMessage */
    rd_last(&r, 0x87);                    /* serverSaslCreds */
    rd_last(&r, 0xa1);                    /* negTokenResp */
    rd_last(&r, 0x30);                    /* NegTokenResp */
    if (token_len == 0) {
        assert_int_equal(rd_tlv(&r, 0xa0), 3); /* negState alone */
        return;
    }
    rd_skip(&r, 0xa0); /* negState */
    rd_last(&r, 0xa2); /* responseToken */
    assert_int_equal(rd_tlv(&r, 0x04), token_len);
    assert_int_equal(r.off + token_len, n);
    assert_true(out[r.off] & 0x80);
}

static void test_gen_ldap_bind_request_matches_hand_assembled_der(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    uint8_t out[256];
    size_t n = gen_ldap_bind_request(out, sizeof out, 1, 4, &rng);
    hexpat_assert(out, n,
                  "30 56"              /* LDAPMessage, 86 = 3 + 83 */
                  "02 01 01"           /* messageID 1 */
                  "60 51"              /* BindRequest [APPLICATION 0], 81 = 3 + 2 + 76 */
                  "02 01 03"           /* version 3 */
                  "04 00"              /* name "" */
                  "a3 4a"              /* sasl [3], 74 = 12 + 62 */
                  GSS_SPNEGO           /* mechanism */
                  "04 3c"              /* credentials, 60 */
                  "60 3a"              /* InitialContextToken [APPLICATION 0], 58 = 8 + 50 */
                  "06 06 2b0601050502" /* SPNEGO 1.3.6.1.5.5.2 */
                  "a0 30"              /* negTokenInit [0], 48 */
                  "30 2e"              /* NegTokenInit, 46 = 38 + 8 */
                  MECH_TYPES           /* 38 */
                  "a2 06 04 04"        /* mechToken [2] { OCTET STRING, 4 } */
                  "????????");
    assert_true(out[n - 4] & 0x80); /* the token's first byte (gen_spnego.h) */
}

static void test_gen_ldap_bind_request_with_windows_token_uses_long_form(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 2, 1);
    uint8_t out[4096];
    size_t n = gen_ldap_bind_request(out, sizeof out, GEN_LDAP_MESSAGE_ID_MAX, 1800, &rng);
    /* From the inside out: OCTET STRING 4 + 1800 = 1804; mechToken [2] holds 1804 = 0x70c,
     * is 1808; NegTokenInit holds 38 + 1808 = 1846 = 0x736, is 1850; negTokenInit [0] holds
     * 0x73a, is 1854; InitialContextToken holds 8 + 1854 = 1862 = 0x746, is 1866; credentials
     * hold 0x74a, are 1870; sasl holds 12 + 1870 = 1882 = 0x75a, is 1886; BindRequest holds
     * 3 + 2 + 1886 = 1891 = 0x763, is 1895; LDAPMessage holds 6 + 1895 = 1901 = 0x76d. */
    assert_int_equal(n, 4 + 1901);
    hexpat_assert(out, 4 + 6 + 4 + 3 + 2 + 4 + 12 + 4 + 4 + 8 + 4 + 4 + 38 + 4 + 4,
                  "30 82076d"
                  "02 04 7fffffff" /* messageID maxInt */
                  "60 82 0763 020103 0400"
                  "a3 82075a" GSS_SPNEGO "04 82074a"
                  "60 820746 06 06 2b0601050502"
                  "a0 82073a 30 820736" MECH_TYPES "a2 82070c 04 820708");
    check_bind_request(out, n, 1800);
}

static void test_gen_ldap_bind_request_is_strict_der_at_every_size(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 3, 1);
    static uint8_t out[GEN_LDAP_TOKEN_MAX + 256];
    /* every length form of every value on the way: 2..127 short, 128..255 one octet, then two */
    for (size_t len = 2; len < 700; len += 3) {
        size_t n = gen_ldap_bind_request(out, sizeof out, 3, len, &rng);
        check_bind_request(out, n, len);
    }
    size_t n = gen_ldap_bind_request(out, sizeof out, 3, GEN_LDAP_TOKEN_MAX, &rng);
    check_bind_request(out, n, GEN_LDAP_TOKEN_MAX);
}

static void test_gen_ldap_message_ids_are_minimal_positive_integers(void **state)
{
    (void)state;
    static const struct {
        uint32_t id;
        const char *der;
    } cases[] = {
            {1, "02 01 01"},
            {127, "02 01 7f"},
            {128, "02 02 0080"}, /* a leading 00 keeps it positive */
            {255, "02 02 00ff"},
            {256, "02 02 0100"},
            {0x800000, "02 04 00800000"},
            {GEN_LDAP_MESSAGE_ID_MAX, "02 04 7fffffff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gen_rng rng;
        gen_rng_init(&rng, 4, i);
        uint8_t out[512], want[8];
        size_t w = hexpat_decode(cases[i].der, want, sizeof want);
        /* small tokens keep the LDAPMessage below 128 bytes: its length is one octet */
        size_t n = gen_ldap_bind_request(out, sizeof out, cases[i].id, 4, &rng);
        check_bind_request(out, n, 4);
        assert_memory_equal(out + 2, want, w);
        n = gen_ldap_bind_response(out, sizeof out, cases[i].id, 4, &rng);
        check_bind_response(out, n, 4);
        assert_memory_equal(out + 2, want, w);
    }
}

static void test_gen_ldap_bind_response_matches_hand_assembled_der(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 5, 1);
    uint8_t out[256];
    size_t n = gen_ldap_bind_response(out, sizeof out, 1, 4, &rng);
    hexpat_assert(out, n,
                  "30 1f"          /* LDAPMessage, 31 = 3 + 28 */
                  "02 01 01"       /* messageID 1 */
                  "61 1a"          /* BindResponse [APPLICATION 1], 26 = 3 + 2 + 2 + 19 */
                  "0a 01 00"       /* resultCode success */
                  "04 00 04 00"    /* matchedDN "", diagnosticMessage "" */
                  "87 11"          /* serverSaslCreds [7], 17 */
                  "a1 0f 30 0d"    /* negTokenResp [1] { SEQUENCE, 13 = 5 + 8 */
                  "a0 03 0a 01 00" /* negState accept-completed */
                  "a2 06 04 04"    /* responseToken [2] { OCTET STRING, 4 } */
                  "????????");
    assert_true(out[n - 4] & 0x80);
}

static void test_gen_ldap_bind_response_with_ap_rep_size_uses_long_form(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 6, 1);
    uint8_t out[512];
    size_t n = gen_ldap_bind_response(out, sizeof out, 2, 150, &rng);
    /* OCTET STRING 3 + 150 = 153 = 0x99; responseToken holds 0x99, is 156; NegTokenResp holds
     * 5 + 156 = 161 = 0xa1, is 164; negTokenResp holds 0xa4, is 167; serverSaslCreds holds
     * 0xa7, is 170; BindResponse holds 7 + 170 = 177 = 0xb1, is 180; LDAPMessage holds
     * 3 + 180 = 183 = 0xb7. */
    assert_int_equal(n, 3 + 183);
    hexpat_assert(out, 3 + 3 + 3 + 7 + 3 + 3 + 3 + 5 + 3 + 3,
                  "30 81b7 020102 61 81b1 0a0100 0400 0400"
                  "87 81a7 a1 81a4 30 81a1 a0030a0100 a2 8199 04 8196");
    check_bind_response(out, n, 150);
}

static void test_gen_ldap_bind_response_without_token_holds_neg_state_only(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 7, 1);
    uint8_t out[1024];
    size_t n = gen_ldap_bind_response(out, sizeof out, 3, 0, &rng);
    /* negTokenResp a1 07 30 05 + negState 5 = 9; serverSaslCreds 11; BindResponse holds
     * 7 + 11 = 18; LDAPMessage holds 3 + 20 = 23 */
    hexpat_assert(out, n, "30 17 020103 61 12 0a0100 0400 0400 87 09 a1 07 30 05 a0030a0100");
    check_bind_response(out, n, 0);
    /* and with tokens of every length form */
    for (size_t len = 2; len < 700; len += 3) {
        n = gen_ldap_bind_response(out, sizeof out, 3, len, &rng);
        check_bind_response(out, n, len);
    }
}

static void test_gen_ldap_sealed_is_sasl_length_and_wrap_header(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 8, 1);
    uint8_t out[256];
    size_t n = gen_ldap_sealed(out, sizeof out, false, 5, GEN_LDAP_SEAL_PAYLOAD_MIN, &rng);
    hexpat_assert(out, n,
                  "00000053"         /* SASL buffer: 16 + 67 = 83 */
                  "0504"             /* TOK_ID Wrap */
                  "06"               /* Flags: Sealed | AcceptorSubkey */
                  "ff"               /* Filler */
                  "0010 001c"        /* EC 16, RRC 28 */
                  "0000000000000005" /* SND_SEQ */
                  RAND16 RAND16 RAND16 RAND16 "??????");
    n = gen_ldap_sealed(out, sizeof out, true, 0x1122334455667788ull, 200, &rng);
    assert_int_equal(n, 4 + 16 + 200);
    hexpat_assert(out, 20, "000000d8 0504 07 ff 0010 001c 1122334455667788"); /* 216 */
    /* The head alone is the same 20 bytes, and needs no randomness. */
    uint8_t head[20];
    assert_int_equal(gen_ldap_sealed_head(head, sizeof head, true, 0x1122334455667788ull, 200), 20);
    assert_memory_equal(head, out, 20);
    assert_int_equal(gen_ldap_sealed_head(head, 19, true, 1, 200), 0);
    assert_int_equal(
            gen_ldap_sealed_head(head, sizeof head, true, 1, GEN_LDAP_SEAL_PAYLOAD_MIN - 1), 0);
}

static void test_gen_ldap_sealed_takes_buffers_up_to_one_mebibyte(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 9, 1);
    static uint8_t big[4 + GEN_LDAP_SASL_MAX];
    size_t n = gen_ldap_sealed(big, sizeof big, true, 1, 70000, &rng);
    /* 16 + 70000 = 70016 = 0x011180 */
    assert_int_equal(n, 4 + 70016);
    hexpat_assert(big, 5, "00011180 05");
    n = gen_ldap_sealed(big, sizeof big, true, 1, GEN_LDAP_SASL_MAX - 16, &rng);
    assert_int_equal(n, sizeof big);
    hexpat_assert(big, 4, "00100000"); /* 2^20 */
    assert_int_equal(gen_ldap_sealed(big, sizeof big, true, 1, GEN_LDAP_SASL_MAX - 15, &rng), 0);
}

static void test_gen_ldap_same_seed_gives_same_bytes(void **state)
{
    (void)state;
    struct gen_rng a, b, c;
    gen_rng_init(&a, 10, 1);
    gen_rng_init(&b, 10, 1);
    gen_rng_init(&c, 10, 2);
    static uint8_t x[3][4096], y[3][4096], z[3][4096];
    size_t nx[3], ny[3], nz[3];
    nx[0] = gen_ldap_bind_request(x[0], sizeof x[0], 1, 1800, &a);
    nx[1] = gen_ldap_bind_response(x[1], sizeof x[1], 1, 150, &a);
    nx[2] = gen_ldap_sealed(x[2], sizeof x[2], false, 7, 300, &a);
    ny[0] = gen_ldap_bind_request(y[0], sizeof y[0], 1, 1800, &b);
    ny[1] = gen_ldap_bind_response(y[1], sizeof y[1], 1, 150, &b);
    ny[2] = gen_ldap_sealed(y[2], sizeof y[2], false, 7, 300, &b);
    nz[0] = gen_ldap_bind_request(z[0], sizeof z[0], 1, 1800, &c);
    nz[1] = gen_ldap_bind_response(z[1], sizeof z[1], 1, 150, &c);
    nz[2] = gen_ldap_sealed(z[2], sizeof z[2], false, 7, 300, &c);
    for (int i = 0; i < 3; i++) {
        assert_true(nx[i] > 0);
        assert_int_equal(nx[i], ny[i]);
        assert_memory_equal(x[i], y[i], nx[i]);
        /* another stream: the same structure, other random bytes */
        assert_int_equal(nx[i], nz[i]);
        assert_memory_not_equal(x[i] + nx[i] - 16, z[i] + nz[i] - 16, 16);
    }
    assert_memory_equal(x[0], z[0], nx[0] - 1800); /* everything before the token */
    assert_memory_equal(x[2], z[2], 20);           /* SASL length and Wrap header */
}

static void test_gen_ldap_rejects_bad_arguments(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 11, 1);
    static uint8_t out[GEN_LDAP_TOKEN_MAX + 256];
    assert_int_equal(gen_ldap_bind_request(NULL, sizeof out, 1, 100, &rng), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, 1, 100, NULL), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, 0, 100, &rng), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, GEN_LDAP_MESSAGE_ID_MAX + 1, 100, &rng),
                     0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, UINT32_MAX, 100, &rng), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, 1, 0, &rng), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, 1, 1, &rng), 0);
    assert_int_equal(gen_ldap_bind_request(out, sizeof out, 1, GEN_LDAP_TOKEN_MAX + 1, &rng), 0);
    assert_int_equal(gen_ldap_bind_response(NULL, sizeof out, 1, 100, &rng), 0);
    assert_int_equal(gen_ldap_bind_response(out, sizeof out, 1, 100, NULL), 0);
    assert_int_equal(gen_ldap_bind_response(out, sizeof out, 0, 100, &rng), 0);
    assert_int_equal(
            gen_ldap_bind_response(out, sizeof out, GEN_LDAP_MESSAGE_ID_MAX + 1, 100, &rng), 0);
    assert_int_equal(gen_ldap_bind_response(out, sizeof out, 1, 1, &rng), 0);
    assert_int_equal(gen_ldap_bind_response(out, sizeof out, 1, GEN_LDAP_TOKEN_MAX + 1, &rng), 0);
    assert_int_equal(gen_ldap_sealed(NULL, sizeof out, false, 0, 100, &rng), 0);
    assert_int_equal(gen_ldap_sealed(out, sizeof out, false, 0, 100, NULL), 0);
    assert_int_equal(gen_ldap_sealed(out, sizeof out, false, 0, 0, &rng), 0);
    assert_int_equal(
            gen_ldap_sealed(out, sizeof out, false, 0, GEN_LDAP_SEAL_PAYLOAD_MIN - 1, &rng), 0);
    assert_int_equal(gen_ldap_sealed(out, sizeof out, false, 0, SIZE_MAX, &rng), 0);
}

static size_t build(int which, uint8_t *out, size_t cap, struct gen_rng *rng)
{
    switch (which) {
    case 0:
        return gen_ldap_bind_request(out, cap, 1, 2000, rng);
    case 1:
        return gen_ldap_bind_response(out, cap, 1, 150, rng);
    case 2:
        return gen_ldap_bind_response(out, cap, 1, 0, rng);
    case 3:
        return gen_ldap_sealed(out, cap, false, 1, 300, rng);
    default:
        return gen_ldap_sealed(out, cap, true, 1, 3000, rng);
    }
}

static void test_gen_ldap_short_buffers_give_zero_and_nothing_past_cap(void **state)
{
    (void)state;
    short_cap_check_family(build, 5, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_ldap_bind_request_matches_hand_assembled_der),
            cmocka_unit_test(test_gen_ldap_bind_request_with_windows_token_uses_long_form),
            cmocka_unit_test(test_gen_ldap_bind_request_is_strict_der_at_every_size),
            cmocka_unit_test(test_gen_ldap_message_ids_are_minimal_positive_integers),
            cmocka_unit_test(test_gen_ldap_bind_response_matches_hand_assembled_der),
            cmocka_unit_test(test_gen_ldap_bind_response_with_ap_rep_size_uses_long_form),
            cmocka_unit_test(test_gen_ldap_bind_response_without_token_holds_neg_state_only),
            cmocka_unit_test(test_gen_ldap_sealed_is_sasl_length_and_wrap_header),
            cmocka_unit_test(test_gen_ldap_sealed_takes_buffers_up_to_one_mebibyte),
            cmocka_unit_test(test_gen_ldap_same_seed_gives_same_bytes),
            cmocka_unit_test(test_gen_ldap_rejects_bad_arguments),
            cmocka_unit_test(test_gen_ldap_short_buffers_give_zero_and_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

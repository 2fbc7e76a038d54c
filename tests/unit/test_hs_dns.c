/*
 * hs_dns: DNS messages built byte by byte (RFC 1035 layout, offsets in the comments) and the
 * real ones of tests/data/pcapng-multi-interface-zeek.pcapng, whose expected fields come from
 * tshark -T fields -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers
 * -e dns.a -e dns.aaaa -e dns.cname -e dns.resp.ttl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/hs_dns.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

/* Query: id 0x1234, RD, one question www.example.com A IN.
 * Offsets: header 0-11, name at 12 (3www7example3com0: 17 bytes), type 29-30, class 31-32. */
static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};

/* The response: QR, NOERROR, 3 answers.
 * 33: CNAME, owner pointer to 12, ttl 300, rdata 13 bytes at 45: 7example3net0.
 * 58: A, owner pointer to the CNAME's target at 45, ttl 60, 93.184.216.34.
 * 74: AAAA, owner pointer to 45, ttl 60, 2001:db8::1. */
static const uint8_t response[] = {
        0x12, 0x34, 0x81, 0x80, 0,    1,   0,    3,    0,    0,   0,   0, 3,   'w', 'w', 'w', 7,
        'e',  'x',  'a',  'm',  'p',  'l', 'e',  3,    'c',  'o', 'm', 0, 0,   1,   0,   1,   0xc0,
        12,   0,    5,    0,    1,    0,   0,    0x01, 0x2c, 0,   13,  7, 'e', 'x', 'a', 'm', 'p',
        'l',  'e',  3,    'n',  'e',  't', 0,    0xc0, 45,   0,   1,   0, 1,   0,   0,   0,   60,
        0,    4,    93,   184,  216,  34,  0xc0, 45,   0,    28,  0,   1, 0,   0,   0,   60,  0,
        16,   0x20, 0x01, 0x0d, 0xb8, 0,   0,    0,    0,    0,   0,   0, 0,   0,   0,   0,   1};

static void test_hs_dns_reads_a_query(void **state)
{
    (void)state;
    struct hs_dns_msg m;
    assert_int_equal(hs_dns_parse(query, sizeof(query), &m), HS_DNS_OK);
    assert_int_equal(m.id, 0x1234);
    assert_false(m.response);
    assert_string_equal(m.qname, "www.example.com");
    assert_int_equal(m.qtype, HS_DNS_A);
    assert_int_equal(m.answers_total, 0);
    assert_int_equal(m.n_answers, 0);
}

static void test_hs_dns_reads_answers_through_compression(void **state)
{
    (void)state;
    struct hs_dns_msg m;
    assert_int_equal(hs_dns_parse(response, sizeof(response), &m), HS_DNS_OK);
    assert_true(m.response);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.answers_total, 3);
    assert_int_equal(m.n_answers, 3);
    assert_int_equal(m.answers[0].type, HS_DNS_CNAME);
    assert_int_equal(m.answers[0].ttl, 300);
    assert_string_equal(m.answers[0].cname, "example.net");
    assert_int_equal(m.answers[1].type, HS_DNS_A);
    assert_int_equal(m.answers[1].addr_len, 4);
    const uint8_t a[4] = {93, 184, 216, 34};
    assert_memory_equal(m.answers[1].addr, a, 4);
    assert_int_equal(m.answers[2].type, HS_DNS_AAAA);
    assert_int_equal(m.answers[2].addr[0], 0x20);
    assert_int_equal(m.answers[2].addr[15], 1);
}

/* Every prefix of the response is refused as truncated (or, cut inside the question, read up
 * to where it stops): never a read past the end (ASan would say). */
static void test_hs_dns_every_truncation_is_refused(void **state)
{
    (void)state;
    struct hs_dns_msg m;
    for (size_t n = 0; n < sizeof(response); n++)
        assert_int_not_equal(hs_dns_parse(response, n, &m), HS_DNS_OK);
}

static void test_hs_dns_refuses_pointer_loops_and_forward_pointers(void **state)
{
    (void)state;
    struct hs_dns_msg m;
    uint8_t msg[sizeof(query)];
    memcpy(msg, query, sizeof(query));
    msg[12] = 0xc0; /* the question's name points at itself */
    msg[13] = 12;
    assert_int_equal(hs_dns_parse(msg, sizeof(msg), &m), HS_DNS_BAD_POINTER);
    msg[13] = 20; /* forwards */
    assert_int_equal(hs_dns_parse(msg, sizeof(msg), &m), HS_DNS_BAD_POINTER);
    msg[12] = 0x40; /* an extended label type */
    assert_int_equal(hs_dns_parse(msg, sizeof(msg), &m), HS_DNS_BAD_NAME);
}

static void test_hs_dns_refuses_names_over_255_and_bad_rdata(void **state)
{
    (void)state;
    struct hs_dns_msg m;
    /* Five labels of 63: 5 * 63 + 4 dots = 319 characters. */
    uint8_t big[12 + 5 * 64 + 1 + 4] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t p = 12;
    for (int i = 0; i < 5; i++) {
        big[p++] = 63;
        memset(big + p, 'a', 63);
        p += 63;
    }
    big[p++] = 0;
    assert_int_equal(hs_dns_parse(big, sizeof(big), &m), HS_DNS_BAD_NAME);

    uint8_t bad[sizeof(response)];
    memcpy(bad, response, sizeof(response));
    bad[69] = 5; /* the A record's RDLENGTH: 5 is not an IPv4 address */
    assert_int_equal(hs_dns_parse(bad, sizeof(bad) - 0, &m), HS_DNS_BAD_RDATA);

    uint8_t none[12] = {0};
    assert_int_equal(hs_dns_parse(none, sizeof(none), &m), HS_DNS_NO_QUESTION);
    assert_string_equal(hs_dns_status_name(HS_DNS_BAD_POINTER), "dns_bad_pointer");
}

/* The six DNS messages of the capture, in order, as tshark reads them. */
struct seen {
    int n;
    struct hs_dns_msg m[8];
};

static void on_frame(void *ctx, const struct capture_frame *f)
{
    struct seen *s = ctx;
    struct pkt p;
    if (decode_frame(f, &p) != DECODE_OK || p.proto != 17 || (p.sport != 53 && p.dport != 53))
        return;
    assert_true(s->n < 8);
    assert_int_equal(hs_dns_parse(p.payload, p.payload_caplen, &s->m[s->n]), HS_DNS_OK);
    s->n++;
}

static void addr_is(const struct hs_dns_answer *a, int af, const char *text)
{
    uint8_t want[16];
    assert_int_equal(inet_pton(af, text, want), 1);
    assert_int_equal(a->addr_len, af == AF_INET ? 4 : 16);
    assert_memory_equal(a->addr, want, a->addr_len);
}

static void test_hs_dns_agrees_with_tshark_on_a_real_capture(void **state)
{
    (void)state;
    struct seen s = {0};
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE,
                                 .source = DATA("pcapng-multi-interface-zeek.pcapng")};
    struct capture *cap = capture_create(&cfg, on_frame, &s, NULL);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    capture_destroy(&cap);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.m[0].qname, "www.apple.com");
    assert_false(s.m[0].response);
    /* www.apple.com: 3 CNAMEs (ttl 271) then 23.194.101.24 (ttl 9). */
    const struct hs_dns_msg *r = &s.m[1];
    assert_int_equal(r->answers_total, 4);
    assert_string_equal(r->answers[0].cname, "www-apple-com.v.aaplimg.com");
    assert_string_equal(r->answers[1].cname, "www.apple.com.edgekey.net");
    assert_string_equal(r->answers[2].cname, "e6858.dsce9.akamaiedge.net");
    assert_int_equal(r->answers[0].ttl, 271);
    addr_is(&r->answers[3], AF_INET, "23.194.101.24");
    assert_int_equal(r->answers[3].ttl, 9);
    /* google.com A: 6 addresses, ttl 137. */
    r = &s.m[3];
    assert_string_equal(r->qname, "google.com");
    assert_int_equal(r->answers_total, 6);
    assert_int_equal(r->n_answers, 6);
    addr_is(&r->answers[0], AF_INET, "142.251.181.138");
    addr_is(&r->answers[5], AF_INET, "142.251.181.102");
    assert_int_equal(r->answers[5].ttl, 137);
    /* google.com AAAA: 4 addresses, ttl 112. */
    r = &s.m[5];
    assert_int_equal(r->qtype, HS_DNS_AAAA);
    assert_int_equal(r->n_answers, 4);
    addr_is(&r->answers[0], AF_INET6, "2607:f8b0:4023:2007::66");
    addr_is(&r->answers[3], AF_INET6, "2607:f8b0:4023:2007::8a");
    assert_int_equal(r->answers[3].ttl, 112);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hs_dns_reads_a_query),
            cmocka_unit_test(test_hs_dns_reads_answers_through_compression),
            cmocka_unit_test(test_hs_dns_every_truncation_is_refused),
            cmocka_unit_test(test_hs_dns_refuses_pointer_loops_and_forward_pointers),
            cmocka_unit_test(test_hs_dns_refuses_names_over_255_and_bad_rdata),
            cmocka_unit_test(test_hs_dns_agrees_with_tshark_on_a_real_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * gen_dns: queries and responses are byte-exact RFC 1035 messages, names are compressed against
 * what the message already holds, and invalid names, answers and short buffers give 0 without
 * writing past the buffer.
 *
 * Expected bytes are assembled by hand in each test from RFC 1035 4.1.1 (header), 4.1.2
 * (question), 4.1.3 (resource record), 4.1.4 (compression), RFC 3596 2.1 (AAAA) and RFC 6891
 * 6.1.2 (OPT), with the offsets worked out in the comments.
 *
 * Checked with tshark 4.0.17 (throwaway harness in /tmp, not in the repository): each message
 * of these tests, plus an AAAA answer with two records, a PTR query with its NODATA answer (SOA
 * in authority), an HTTPS and an SRV query, was put in a UDP datagram to or from port 53 in a
 * pcap (pcap_open_dead + pcap_dump, headers from gen_wire). `tshark -r dns.pcap -V` decoded
 * every field as built (ids, flags, names through the compression pointers, TTLs, addresses,
 * the SOA fields, OPT "UDP payload size: 1232"), and `tshark -r dns.pcap -T fields -e
 * _ws.malformed -e _ws.expert.severity -e dns.qry.name -e dns.cname -e dns.a -e dns.aaaa -e
 * dns.soa.mname` showed no malformed packet, no expert info at all, and the names and
 * addresses built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/support/hexpat.h"
#include "tools/gen/gen_dns.h"

/* www.example.com in wire form (RFC 1035 3.1): 3 "www" 7 "example" 3 "com" 0. At offset 12 in
 * a message, "example.com" starts at 16 (0x10) and "com" at 24. */
#define WWW_EXAMPLE_COM "03 777777 07 6578616d706c65 03 636f6d 00"

static void test_gen_dns_query_is_header_and_one_question(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 0x1234, .name = "www.example.com", .qtype = GEN_DNS_A};
    uint8_t out[512];
    size_t n = gen_dns_query(out, sizeof out, &q, NULL);
    hexpat_assert(out, n,
                  "1234"          /* ID */
                  "0100"          /* QR=0 opcode=0 AA=0 TC=0 RD=1, RA=0 Z=0 RCODE=0 */
                  "0001"          /* QDCOUNT */
                  "0000"          /* ANCOUNT */
                  "0000"          /* NSCOUNT */
                  "0000"          /* ARCOUNT */
                  WWW_EXAMPLE_COM /* QNAME at 12 */
                  "0001"          /* QTYPE A */
                  "0001");        /* QCLASS IN */
}

static void test_gen_dns_query_with_edns_ends_in_opt_record_of_1232_bytes(void **state)
{
    (void)state;
    struct gen_dns_query q = {
            .id = 7, .name = "www.example.com", .qtype = GEN_DNS_AAAA, .edns = true};
    uint8_t out[512];
    size_t n = gen_dns_query(out, sizeof out, &q, NULL);
    hexpat_assert(out, n,
                  "0007 0100 0001 0000 0000"
                  "0001"          /* ARCOUNT: the OPT */
                  WWW_EXAMPLE_COM /* QNAME */
                  "001c 0001"     /* AAAA IN */
                  "00"            /* OPT owner: root */
                  "0029"          /* TYPE 41 */
                  "04d0"          /* CLASS = requestor's UDP payload size, 1232 */
                  "00000000"      /* TTL = extended RCODE 0, VERSION 0, DO 0, Z 0 */
                  "0000");        /* RDLEN: no options */
}

static void test_gen_dns_query_accepts_a_trailing_dot_as_the_root(void **state)
{
    (void)state;
    struct gen_dns_query a = {.id = 1, .name = "www.example.com", .qtype = GEN_DNS_A};
    struct gen_dns_query b = {.id = 1, .name = "www.example.com.", .qtype = GEN_DNS_A};
    uint8_t x[128], y[128];
    size_t nx = gen_dns_query(x, sizeof x, &a, NULL);
    size_t ny = gen_dns_query(y, sizeof y, &b, NULL);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
}

static void test_gen_dns_query_writes_each_listed_type(void **state)
{
    (void)state;
    static const uint16_t types[] = {GEN_DNS_A, GEN_DNS_AAAA, GEN_DNS_HTTPS, GEN_DNS_PTR,
                                     GEN_DNS_SRV};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct gen_dns_query q = {.id = 1, .name = "x.example", .qtype = types[i]};
        uint8_t out[128];
        /* 12 + (1+1 + 1+7 + 1) name + 4 */
        assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 27);
        assert_int_equal(out[23] << 8 | out[24], types[i]);
    }
}

static void test_gen_dns_query_rejects_other_types(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 1, .name = "x.example", .qtype = GEN_DNS_CNAME};
    uint8_t out[128];
    assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 0);
    q.qtype = 255;
    assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 0);
}

static void test_gen_dns_response_answers_a_with_pointer_to_question(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 0x1234, .name = "www.example.com", .qtype = GEN_DNS_A};
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, 0x5db8d822, 3600); /* 93.184.216.34 in host order */
    struct gen_dns_answer a = {.addrs = &addr, .n_addrs = 1};
    uint8_t out[512];
    size_t n = gen_dns_response(out, sizeof out, &q, &a, NULL);
    hexpat_assert(out, n,
                  "1234"                      /* ID as the query's */
                  "8180"                      /* QR=1 opcode=0 AA=0 TC=0 RD=1, RA=1 Z=0 RCODE=0 */
                  "0001 0001 0000 0000"       /* QD AN NS AR */
                  WWW_EXAMPLE_COM "0001 0001" /* the question */
                  "c00c"                      /* answer at 33, owner: pointer to offset 12 */
                  "0001 0001"                 /* A IN */
                  "00000e10"                  /* TTL 3600 */
                  "0004 5db8d822");           /* RDLENGTH, 93.184.216.34 */
}

static void test_gen_dns_response_compresses_cname_target_and_next_owner(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 0x1234, .name = "www.example.com", .qtype = GEN_DNS_A};
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, 0xc0000207, 60);
    struct gen_dns_answer a = {.cname = {"cdn.example.com"},
                               .n_cname = 1,
                               .cname_ttl = 300,
                               .addrs = &addr,
                               .n_addrs = 1};
    uint8_t out[512];
    size_t n = gen_dns_response(out, sizeof out, &q, &a, NULL);
    hexpat_assert(out, n,
                  "1234 8180 0001"
                  "0002"                      /* ANCOUNT: the CNAME and the A */
                  "0000 0000" WWW_EXAMPLE_COM /* NS AR, QNAME */
                  "0001 0001"                 /* QTYPE A, QCLASS IN */
                  "c00c 0005 0001 0000012c"   /* CNAME at 33 owned by the question, TTL 300 */
                  "0006"                      /* RDLENGTH */
                  "03 63646e c010"            /* RDATA at 45: "cdn", pointer to "example.com" */
                  "c02d 0001 0001 0000003c"   /* A at 51, owner "cdn..." = pointer to 45, TTL 60 */
                  "0004 c0000207");           /* 192.0.2.7 */
}

static void test_gen_dns_response_chain_of_three_points_each_owner_at_previous_target(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 9, .name = "www.example.com", .qtype = GEN_DNS_AAAA};
    struct gen_dns_addr addrs[2] = {{.addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, .ttl = 20},
                                    {.addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}, .ttl = 20}};
    struct gen_dns_answer a = {
            .cname = {"www.example.com.edgekey.net", "e1.a.akamaiedge.net", "e1.b.akamaiedge.net"},
            .n_cname = 3,
            .cname_ttl = 300,
            .addrs = addrs,
            .n_addrs = 2};
    uint8_t out[512];
    size_t n = gen_dns_response(out, sizeof out, &q, &a, NULL);
    /*
     * 33 question end.
     * CNAME 1 at 33: c00c + 10 fixed = 12; RDATA at 45: no suffix of
     *   "www.example.com.edgekey.net" is in the message (compression replaces suffixes only,
     *   and "net" is new), so all of it: 3www 7example 3com 7edgekey 3net 0 = 29, ends at 74.
     * CNAME 2 at 74: owner is a pointer to 45 (2) + 10 = 12; RDATA at 86: "e1" "a" "akamaiedge"
     *   then a pointer to "net" at 45+4+8+4+8 = 69: 3+2+11+2 = 18, ends at 104.
     * CNAME 3 at 104: owner pointer to 86, 12; RDATA at 116: 3"e1" 2"b" then a pointer to
     *   "akamaiedge.net" at 86+3+2 = 91: 3+2+2 = 7, ends at 123.
     * AAAA at 123 and 151: pointer to 116, 10 fixed, 16 address: 28 each, ends at 179.
     */
    assert_int_equal(n, 179);
    assert_int_equal(out[7], 5); /* ANCOUNT */
    assert_int_equal(out[74], 0xc0);
    assert_int_equal(out[75], 45);
    assert_int_equal(out[102], 0xc0);
    assert_int_equal(out[103], 69);
    assert_int_equal(out[104], 0xc0);
    assert_int_equal(out[105], 86);
    assert_int_equal(out[121], 0xc0);
    assert_int_equal(out[122], 91);
    assert_int_equal(out[123], 0xc0);
    assert_int_equal(out[124], 116);
    assert_int_equal(out[125] << 8 | out[126], 28);
    assert_int_equal(out[133] << 8 | out[134], 16);
    assert_memory_equal(out + 135, addrs[0].addr, 16);
    assert_memory_equal(out + 163, addrs[1].addr, 16);
}

static void test_gen_dns_response_nxdomain_carries_soa_in_authority(void **state)
{
    (void)state;
    struct gen_dns_query q = {
            .id = 0xabcd, .name = "nope.example.com", .qtype = GEN_DNS_A, .edns = true};
    struct gen_dns_soa soa = {.zone = "example.com",
                              .mname = "ns1.example.com",
                              .rname = "hostmaster.example.com",
                              .serial = 2024010100,
                              .refresh = 7200,
                              .retry = 3600,
                              .expire = 1209600,
                              .minimum = 3600,
                              .ttl = 900};
    struct gen_dns_answer a = {.rcode = GEN_DNS_NXDOMAIN, .soa = &soa};
    uint8_t out[512];
    size_t n = gen_dns_response(out, sizeof out, &q, &a, NULL);
    hexpat_assert(out, n,
                  "abcd 8183"           /* QR RD RA, RCODE 3 NXDOMAIN */
                  "0001 0000 0001 0001" /* QD AN NS (the SOA) AR (the OPT) */
                  /* question at 12: "nope" at 12, "example" at 17 (0x11), "com" at 25 */
                  "04 6e6f7065 07 6578616d706c65 03 636f6d 00 0001 0001"
                  "c011 0006 0001 00000384"      /* SOA at 34 owned by "example.com", TTL 900 */
                  "0027"                         /* RDLENGTH 39 = 6 + 13 + 20 */
                  "03 6e7331 c011"               /* MNAME ns1.example.com */
                  "0a 686f73746d6173746572 c011" /* RNAME hostmaster.example.com */
                  "78a3f174"                     /* SERIAL 2024010100 */
                  "00001c20"                     /* REFRESH 7200 */
                  "00000e10"                     /* RETRY 3600 */
                  "00127500"                     /* EXPIRE 1209600 */
                  "00000e10"                     /* MINIMUM 3600 */
                  "00 0029 04d0 00000000 0000"); /* OPT at 85 */
}

static void test_gen_dns_compression_ignores_ascii_case(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 1, .name = "www.example.com", .qtype = GEN_DNS_A};
    struct gen_dns_answer a = {.cname = {"CDN.EXAMPLE.COM"}, .n_cname = 1};
    uint8_t out[256];
    size_t n = gen_dns_response(out, sizeof out, &q, &a, NULL);
    /* RDATA at 45: 3 "CDN" then the pointer to 16 */
    assert_int_equal(n, 51);
    assert_memory_equal(out + 46, "CDN", 3);
    assert_int_equal(out[49], 0xc0);
    assert_int_equal(out[50], 0x10);
}

static void test_gen_dns_names_at_the_length_limits_are_accepted(void **state)
{
    (void)state;
    char label63[64], name253[254];
    memset(label63, 'a', 63);
    label63[63] = '\0';
    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters */
    memset(name253, 'b', 253);
    name253[63] = name253[127] = name253[191] = '.';
    name253[253] = '\0';
    struct gen_dns_query q = {.id = 1, .name = label63, .qtype = GEN_DNS_A};
    uint8_t out[512];
    assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 12 + 65 + 4);
    q.name = name253;
    /* 255 bytes on the wire: four length bytes, 250 characters, the root */
    assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 12 + 255 + 4);
}

static void test_gen_dns_rejects_long_labels_long_names_and_empty_labels(void **state)
{
    (void)state;
    char label64[65], name254[255];
    memset(label64, 'a', 64);
    label64[64] = '\0';
    memset(name254, 'b', 254);
    name254[63] = name254[127] = name254[191] = '.';
    name254[254] = '\0';
    const char *bad[] = {label64, name254, "a..b", ".a", "a..", NULL};
    uint8_t out[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gen_dns_query q = {.id = 1, .name = bad[i], .qtype = GEN_DNS_A};
        assert_int_equal(gen_dns_query(out, sizeof out, &q, NULL), 0);
        struct gen_dns_query ok = {.id = 1, .name = "a.example", .qtype = GEN_DNS_A};
        struct gen_dns_answer a = {.cname = {bad[i]}, .n_cname = 1};
        assert_int_equal(gen_dns_response(out, sizeof out, &ok, &a, NULL), 0);
    }
}

static void test_gen_dns_response_rejects_inconsistent_answers(void **state)
{
    (void)state;
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, 0x0a000001, 60);
    struct gen_dns_query q = {.id = 1, .name = "a.example", .qtype = GEN_DNS_A};
    uint8_t out[512];
    struct gen_dns_answer nx = {.rcode = GEN_DNS_NXDOMAIN, .addrs = &addr, .n_addrs = 1};
    assert_int_equal(gen_dns_response(out, sizeof out, &q, &nx, NULL), 0);
    struct gen_dns_answer four = {.cname = {"a.b", "c.d", "e.f"}, .n_cname = 4};
    assert_int_equal(gen_dns_response(out, sizeof out, &q, &four, NULL), 0);
    struct gen_dns_answer rc = {.rcode = 16};
    assert_int_equal(gen_dns_response(out, sizeof out, &q, &rc, NULL), 0);
    struct gen_dns_answer null_addrs = {.n_addrs = 1};
    assert_int_equal(gen_dns_response(out, sizeof out, &q, &null_addrs, NULL), 0);
    struct gen_dns_query ptr = {.id = 1, .name = "1.0.0.10.in-addr.arpa", .qtype = GEN_DNS_PTR};
    struct gen_dns_answer with_addr = {.addrs = &addr, .n_addrs = 1};
    assert_int_equal(gen_dns_response(out, sizeof out, &ptr, &with_addr, NULL), 0);
    struct gen_dns_answer empty = {0};
    assert_int_equal(gen_dns_response(out, sizeof out, &ptr, &empty, NULL), 12 + 23 + 4);
    assert_int_equal(gen_dns_response(out, sizeof out, NULL, &empty, NULL), 0);
    assert_int_equal(gen_dns_response(out, sizeof out, &q, NULL, NULL), 0);
    assert_int_equal(gen_dns_query(NULL, sizeof out, &q, NULL), 0);
}

static void test_gen_dns_short_buffer_gives_zero_and_writes_nothing_past_cap(void **state)
{
    (void)state;
    struct gen_dns_query q = {.id = 1, .name = "www.example.com", .qtype = GEN_DNS_A, .edns = true};
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, 0x0a000001, 60);
    struct gen_dns_answer a = {
            .cname = {"cdn.example.com"}, .n_cname = 1, .addrs = &addr, .n_addrs = 1};
    uint8_t full[512];
    size_t qn = gen_dns_query(full, sizeof full, &q, NULL);
    size_t rn = gen_dns_response(full, sizeof full, &q, &a, NULL);
    assert_true(qn > 0 && rn > qn);
    for (size_t cap = 0; cap < rn; cap++) {
        uint8_t buf[512];
        memset(buf, 0xee, sizeof buf);
        if (cap < qn)
            assert_int_equal(gen_dns_query(buf, cap, &q, NULL), 0);
        assert_int_equal(gen_dns_response(buf, cap, &q, &a, NULL), 0);
        for (size_t i = cap; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xee);
    }
    assert_int_equal(gen_dns_response(full, rn, &q, &a, NULL), rn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_dns_query_is_header_and_one_question),
            cmocka_unit_test(test_gen_dns_query_with_edns_ends_in_opt_record_of_1232_bytes),
            cmocka_unit_test(test_gen_dns_query_accepts_a_trailing_dot_as_the_root),
            cmocka_unit_test(test_gen_dns_query_writes_each_listed_type),
            cmocka_unit_test(test_gen_dns_query_rejects_other_types),
            cmocka_unit_test(test_gen_dns_response_answers_a_with_pointer_to_question),
            cmocka_unit_test(test_gen_dns_response_compresses_cname_target_and_next_owner),
            cmocka_unit_test(
                    test_gen_dns_response_chain_of_three_points_each_owner_at_previous_target),
            cmocka_unit_test(test_gen_dns_response_nxdomain_carries_soa_in_authority),
            cmocka_unit_test(test_gen_dns_compression_ignores_ascii_case),
            cmocka_unit_test(test_gen_dns_names_at_the_length_limits_are_accepted),
            cmocka_unit_test(test_gen_dns_rejects_long_labels_long_names_and_empty_labels),
            cmocka_unit_test(test_gen_dns_response_rejects_inconsistent_answers),
            cmocka_unit_test(test_gen_dns_short_buffer_gives_zero_and_writes_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * gen_ntp: Unix nanoseconds become NTP timestamps in the right era and round-trip to the
 * nanosecond, the request is the 48-byte mode-3 header with only version, mode, poll and
 * transmit time set, and the reply answers it as RFC 5905's fast_xmit() does.
 *
 * Expected values: the seconds of RFC 5905 figure 4 ("Interesting Historic NTP Dates": 1 Jan
 * 1970 = 2,208,988,800; 1 Jan 1972 = 2,272,060,800; 31 Dec 1999 = 3,155,587,200; 8 Feb 2036
 * = era 1, 63,104), with the Unix times of those dates worked out in the tests; the header bytes
 * by hand from RFC 5905 7.3 (figure 8).
 *
 * Checked with tshark 4.0.17 (throwaway harness in /tmp, not in the repository): three
 * request/reply pairs between port 123 and port 123 in a pcap, at 2024-01-01
 * 00:00:00.123456789, 2024-11-23 07:07:58.999999999 and 2036-02-08 06:28:16.000000001 UTC (era
 * 1). `tshark -T fields -e _ws.malformed -e _ws.expert.message -e ntp.flags.vn -e
 * ntp.flags.mode -e ntp.stratum -e ntp.ppoll -e ntp.precision -e ntp.refid -e ntp.reftime -e
 * ntp.org -e ntp.rec -e ntp.xmt` read back version 4, modes 3 and 4, stratum 2, poll 6,
 * precision -24, the upstream address, and every timestamp to the nanosecond (the 2036 one in
 * the right era), with no malformed packet and no expert info.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tools/gen/gen_ntp.h"
#include "tools/gen/gen_rng.h"

#define NS 1000000000ull

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_gen_ntp_timestamp_seconds_match_rfc5905_historic_dates(void **state)
{
    (void)state;
    /* 1 Jan 1970 is Unix 0 */
    assert_int_equal(gen_ntp_timestamp(0) >> 32, 2208988800u);
    /* 1 Jan 1972: 1970 and 1971 have 365 days: 730 * 86400 = 63072000 */
    assert_int_equal(gen_ntp_timestamp(63072000 * NS) >> 32, 2272060800u);
    /* 31 Dec 1999: 30 years 1970..1999 with 7 leap days = 10957 days, less one: 10956 * 86400 */
    assert_int_equal(gen_ntp_timestamp(946598400 * NS) >> 32, 3155587200u);
    /* 8 Feb 2036 00:00 UTC is in era 1: 63,104 s after 2036-02-07 06:28:16 (Unix 2085978496,
     * 2^32 - 2208988800), 17 h 31 min 44 s */
    assert_int_equal(gen_ntp_timestamp(2086041600 * NS) >> 32, 63104u);
    /* era 1 begins at 0 */
    assert_int_equal(gen_ntp_timestamp(2085978496 * NS), 0);
}

static void test_gen_ntp_timestamp_fraction_round_trips_every_nanosecond_tried(void **state)
{
    (void)state;
    /* 0.5 s is exactly 2^31; 1 ns is 4.29..., rounded up to 5; 999999999 ns is 4294967291.7,
     * rounded up to 4294967292 = 0xfffffffc, still below the next second */
    assert_int_equal((uint32_t)gen_ntp_timestamp(NS / 2), 0x80000000u);
    assert_int_equal((uint32_t)gen_ntp_timestamp(1), 5);
    assert_int_equal((uint32_t)gen_ntp_timestamp(NS - 1), 0xfffffffcu);
    assert_int_equal(gen_ntp_timestamp(NS - 1) >> 32, 2208988800u);
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    for (int i = 0; i < 100000; i++) {
        uint64_t ns = gen_rng_below(&rng, NS);
        uint64_t frac = (uint32_t)gen_ntp_timestamp(1704067200 * NS + ns);
        assert_int_equal((frac * NS) >> 32, ns);
    }
}

static void test_gen_ntp_request_sets_only_version_mode_poll_and_transmit_time(void **state)
{
    (void)state;
    uint8_t out[64];
    memset(out, 0xee, sizeof out);
    /* 2024-01-01 00:00:00.5 UTC = Unix 1704067200.5: NTP seconds 3913056000 = 0xe93c7f00 */
    size_t n = gen_ntp_request(out, sizeof out, 1704067200 * NS + NS / 2, NULL);
    assert_int_equal(n, 48);
    static const uint8_t want[48] = {
            0x23,                                                  /* LI 0, VN 4, mode 3 client */
            0x00,                                                  /* stratum */
            0x06,                                                  /* poll 2^6 s */
            [40] = 0xe9, 0x3c, 0x7f, 0x00, 0x80, 0x00, 0x00, 0x00, /* transmit */
    };
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(out[48], 0xee);
}

static void test_gen_ntp_reply_answers_as_fast_xmit(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 2, 2);
    uint64_t t = 1732345678 * NS + 999999999;
    uint8_t req[48], out[48];
    gen_ntp_request(req, sizeof req, t, NULL);
    size_t n = gen_ntp_reply(out, sizeof out, req, sizeof req, t + 2000000, t + 2030000, &rng);
    assert_int_equal(n, 48);
    assert_int_equal(out[0], 0x24);        /* LI 0, VN 4, mode 4 server */
    assert_int_equal(out[1], 2);           /* stratum 2 */
    assert_int_equal(out[2], 6);           /* the client's poll */
    assert_int_equal((int8_t)out[3], -24); /* precision */
    /* root delay 2..40 ms and dispersion 1..50 ms in 16.16 seconds (1 ms is 65.536 units) */
    assert_in_range(be32(out + 4), 131, 2621);
    assert_in_range(be32(out + 8), 65, 3276);
    /* the reference id is one of the listed upstreams' IPv4 addresses */
    uint32_t refid = be32(out + 12);
    assert_true(refid >> 24 == 162 || refid >> 24 == 216 || refid >> 24 == 17);
    /* the last update is within one 64 s interval before the request arrived */
    uint64_t rec = be64(out + 32);
    uint64_t ref = be64(out + 16);
    assert_true(ref <= rec);
    assert_true(rec - ref < (uint64_t)64 << 32);
    assert_memory_equal(out + 24, req + 40, 8); /* originate = the request's transmit */
    assert_int_equal(rec, gen_ntp_timestamp(t + 2000000));
    assert_int_equal(be64(out + 40), gen_ntp_timestamp(t + 2030000));
}

static void test_gen_ntp_reply_copies_version_poll_and_originate_bits_of_any_client(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 3, 3);
    /* An NTPv3 client (Windows' w32time sends version 3) with poll 10 and a transmit time
     * that is not ours to interpret: copied bit for bit. */
    uint8_t req[48] = {0x1b, 0, 10, 0};
    for (int i = 40; i < 48; i++)
        req[i] = (uint8_t)(0xa0 + i);
    uint8_t out[48];
    assert_int_equal(gen_ntp_reply(out, sizeof out, req, sizeof req, NS, NS, &rng), 48);
    assert_int_equal(out[0], 0x1c); /* VN 3, mode 4 */
    assert_int_equal(out[2], 10);
    assert_memory_equal(out + 24, req + 40, 8);
}

static void test_gen_ntp_reference_stays_put_within_the_hour(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 4, 4);
    uint64_t hour = (uint64_t)473352 * 3600 * NS; /* 2024-01-01 00:00 UTC: 1704067200 s / 3600 */
    uint8_t req[48], a[48], b[48];
    gen_ntp_request(req, sizeof req, hour + 5 * NS, NULL);
    gen_ntp_reply(a, sizeof a, req, sizeof req, hour + 5 * NS, hour + 5 * NS, &rng);
    gen_ntp_reply(b, sizeof b, req, sizeof req, hour + 3000 * NS, hour + 3000 * NS, &rng);
    assert_memory_equal(a + 12, b + 12, 4);
}

static void test_gen_ntp_reply_may_overwrite_its_request(void **state)
{
    (void)state;
    struct gen_rng r1, r2;
    gen_rng_init(&r1, 5, 5);
    gen_rng_init(&r2, 5, 5);
    uint8_t req[48], apart[48];
    gen_ntp_request(req, sizeof req, 1000 * NS, NULL);
    gen_ntp_reply(apart, sizeof apart, req, sizeof req, 1001 * NS, 1002 * NS, &r1);
    assert_int_equal(gen_ntp_reply(req, sizeof req, req, sizeof req, 1001 * NS, 1002 * NS, &r2),
                     48);
    assert_memory_equal(req, apart, 48);
}

static void test_gen_ntp_rejects_what_is_not_a_client_request(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 6, 6);
    uint8_t req[48], out[64];
    gen_ntp_request(req, sizeof req, NS, NULL);
    assert_int_equal(gen_ntp_reply(out, sizeof out, req, 47, NS, NS, &rng), 0);
    assert_int_equal(gen_ntp_reply(out, 47, req, sizeof req, NS, NS, &rng), 0);
    assert_int_equal(gen_ntp_reply(out, sizeof out, req, sizeof req, 2 * NS, NS, &rng), 0);
    assert_int_equal(gen_ntp_reply(out, sizeof out, NULL, sizeof req, NS, NS, &rng), 0);
    assert_int_equal(gen_ntp_reply(out, sizeof out, req, sizeof req, NS, NS, NULL), 0);
    assert_int_equal(gen_ntp_reply(NULL, sizeof out, req, sizeof req, NS, NS, &rng), 0);
    uint8_t server[48] = {0x24};
    assert_int_equal(gen_ntp_reply(out, sizeof out, server, sizeof server, NS, NS, &rng), 0);
    uint8_t v0[48] = {0x03};
    assert_int_equal(gen_ntp_reply(out, sizeof out, v0, sizeof v0, NS, NS, &rng), 0);
    uint8_t v5[48] = {0x2b};
    assert_int_equal(gen_ntp_reply(out, sizeof out, v5, sizeof v5, NS, NS, &rng), 0);
    assert_int_equal(gen_ntp_request(out, 47, NS, NULL), 0);
    assert_int_equal(gen_ntp_request(NULL, 48, NS, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_ntp_timestamp_seconds_match_rfc5905_historic_dates),
            cmocka_unit_test(test_gen_ntp_timestamp_fraction_round_trips_every_nanosecond_tried),
            cmocka_unit_test(test_gen_ntp_request_sets_only_version_mode_poll_and_transmit_time),
            cmocka_unit_test(test_gen_ntp_reply_answers_as_fast_xmit),
            cmocka_unit_test(
                    test_gen_ntp_reply_copies_version_poll_and_originate_bits_of_any_client),
            cmocka_unit_test(test_gen_ntp_reference_stays_put_within_the_hour),
            cmocka_unit_test(test_gen_ntp_reply_may_overwrite_its_request),
            cmocka_unit_test(test_gen_ntp_rejects_what_is_not_a_client_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

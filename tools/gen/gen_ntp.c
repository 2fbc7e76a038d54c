/*
 * Generator NTP. This module owns the NTP packet format the generator emits and the conversion
 * from Unix nanoseconds to NTP timestamps. It does not own timing (when a client polls, how long
 * a server takes): the caller passes the times.
 *
 * Written from RFC 5905: 6 (formats and eras), 7.3 (packet header), appendix A.5.5 (fast_xmit,
 * how a server fills its reply).
 */
#include "tools/gen/gen_ntp.h"

#include <string.h>

#include "tools/gen/gen_rng.h"

#define NS_PER_S        1000000000ull
#define UNIX_TO_NTP_S   2208988800ull /* 1900-01-01 to 1970-01-01: 70 years, 17 of them leap */
#define MODE_CLIENT     3
#define MODE_SERVER     4
#define VERSION         4
#define CLIENT_POLL     6 /* log2 seconds: 64 s, the usual minimum poll of ntpd and chrony */
#define SERVER_STRATUM  2
#define SERVER_PREC     (-24) /* log2 seconds: about 60 ns, a clock read through clock_gettime() */
#define REF_HOLD_NS     (3600 * NS_PER_S) /* a server keeps one upstream for an hour here */
#define UPDATE_EVERY_NS (64 * NS_PER_S)   /* and sets its clock every 64 s */

/* Upstream servers a stratum-2 server commonly follows (time.cloudflare.com, time.google.com,
 * time.apple.com): the reference id of a stratum-2 server is its source's IPv4 address
 * (RFC 5905 7.3). */
static const uint32_t upstreams[] = {
        0xa29fc801, /* 162.159.200.1 */
        0xa29fc87b, /* 162.159.200.123 */
        0xd8ef2300, /* 216.239.35.0 */
        0xd8ef2304, /* 216.239.35.4 */
        0xd8ef2308, /* 216.239.35.8 */
        0xd8ef230c, /* 216.239.35.12 */
        0x11fd227b, /* 17.253.34.123 */
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

uint64_t gen_ntp_timestamp(uint64_t unix_ns)
{
    /* RFC 5905 6: the 64-bit timestamp holds era-relative seconds, so the seconds since 1900
     * are taken modulo 2^32; eras are told apart by context, never on the wire. */
    uint64_t secs = (unix_ns / NS_PER_S + UNIX_TO_NTP_S) & 0xffffffffull;
    /* The fraction is ns * 2^32 / 10^9, which fits in 64 bits since ns < 2^30. Rounded up: one
     * unit is 0.23 ns, so the truncating inverse, frac * 10^9 >> 32, gives ns back exactly,
     * and the largest ns, 999999999, gives 4294967292, which does not carry into the seconds. */
    uint64_t ns = unix_ns % NS_PER_S;
    uint64_t frac = ((ns << 32) + NS_PER_S - 1) / NS_PER_S;
    return secs << 32 | frac;
}

size_t gen_ntp_request(uint8_t *out, size_t cap, uint64_t xmt_ns, struct gen_rng *rng)
{
    (void)rng;
    if (out == NULL || cap < GEN_NTP_LEN)
        return 0;
    memset(out, 0, GEN_NTP_LEN);
    out[0] = (uint8_t)(0 << 6 | VERSION << 3 | MODE_CLIENT); /* LI 0, VN 4, mode 3 */
    out[2] = CLIENT_POLL;
    put64(out + 40, gen_ntp_timestamp(xmt_ns));
    return GEN_NTP_LEN;
}

/* A duration in NTP short format (RFC 5905 6: 16.16 seconds), from microseconds. */
static uint32_t short_from_us(uint64_t us)
{
    return (uint32_t)((us << 16) / 1000000);
}

size_t gen_ntp_reply(uint8_t *out, size_t cap, const uint8_t *req, size_t req_len, uint64_t rx_ns,
                     uint64_t tx_ns, struct gen_rng *rng)
{
    if (out == NULL || req == NULL || rng == NULL || req_len < GEN_NTP_LEN || cap < GEN_NTP_LEN ||
        tx_ns < rx_ns)
        return 0;
    unsigned version = req[0] >> 3 & 7;
    if ((req[0] & 7) != MODE_CLIENT || version < 1 || version > 4)
        return 0;
    uint8_t hdr[GEN_NTP_LEN];
    memset(hdr, 0, sizeof hdr);
    hdr[0] = (uint8_t)(0 << 6 | version << 3 | MODE_SERVER);
    hdr[1] = SERVER_STRATUM;
    hdr[2] = req[2]; /* poll: fast_xmit() copies the client's */
    hdr[3] = (uint8_t)(int8_t)SERVER_PREC;
    put32(hdr + 4, short_from_us(gen_rng_range(rng, 2000, 40000))); /* root delay */
    put32(hdr + 8, short_from_us(gen_rng_range(rng, 1000, 50000))); /* root dispersion */
    uint64_t hour = rx_ns / REF_HOLD_NS;
    put32(hdr + 12, upstreams[gen_rng_mix(hour) % (sizeof upstreams / sizeof upstreams[0])]);
    /* The last update: a 64 s grid with a per-hour phase, so the reference time is a little
     * before the request and moves in steps, never past @rx_ns. */
    uint64_t phase = gen_rng_mix(~hour) % UPDATE_EVERY_NS; /* a hash unlike the upstream's */
    uint64_t since = (rx_ns % UPDATE_EVERY_NS + UPDATE_EVERY_NS - phase) % UPDATE_EVERY_NS;
    uint64_t ref_ns = rx_ns >= since ? rx_ns - since : 0; /* 0 only in 1970's first minute */
    put64(hdr + 16, gen_ntp_timestamp(ref_ns));
    memcpy(hdr + 24, req + 40, 8); /* originate = the request's transmit, bit for bit */
    put64(hdr + 32, gen_ntp_timestamp(rx_ns));
    put64(hdr + 40, gen_ntp_timestamp(tx_ns));
    memcpy(out, hdr, sizeof hdr);
    return GEN_NTP_LEN;
}

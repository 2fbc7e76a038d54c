/*
 * Generator RDP. This module owns the two clear-text messages that open an RDP connection: the
 * X.224 Connection Request and Connection Confirm with their RDP negotiation structures. It
 * does not own the TLS and CredSSP exchange that follows, nor the MCS/GCC conference setup that
 * runs inside TLS.
 */
#include "tools/gen/gen_rdp.h"

#include <string.h>

#define TPKT_LEN   4 /* RFC 1006 6: version 3, reserved, 16-bit length of the whole packet */
#define X224_FIXED 7 /* length indicator, code, DST-REF, SRC-REF, class */
#define NEG_LEN    8 /* RDP_NEG_REQ / RDP_NEG_RSP */
#define X224_CR    0xe0
#define X224_CC    0xd0
#define NEG_REQ    0x01
#define NEG_RSP    0x02

/* The routing token's start ([MS-RDPBCGR] 2.2.1.1): wire bytes, so no terminating NUL. */
static const uint8_t cookie_prefix[17] = "Cookie: mstshash=";

/* RDP_NEG_RSP flags ([MS-RDPBCGR] 2.2.1.2.1): EXTENDED_CLIENT_DATA_SUPPORTED (0x01),
 * DYNVC_GFX_PROTOCOL_SUPPORTED (0x02), NEGRSP_FLAG_RESERVED (0x04),
 * RESTRICTED_ADMIN_MODE_SUPPORTED (0x08), REDIRECTED_AUTHENTICATION_MODE_SUPPORTED (0x10). */
#define NEG_RSP_FLAGS 0x1f

static int user_ok(const char *user, size_t *len)
{
    *len = 0;
    if (user == NULL)
        return 1;
    for (const char *p = user; *p != '\0'; p++) {
        /* CR LF ends the cookie ([MS-RDPBCGR] 2.2.1.1), so only printable characters */
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    }
    *len = strlen(user);
    return *len <= GEN_RDP_USER_MAX;
}

static void put_tpkt(uint8_t *p, size_t total)
{
    p[0] = 3; /* version */
    p[1] = 0; /* reserved */
    p[2] = (uint8_t)(total >> 8);
    p[3] = (uint8_t)total;
}

/* The RDP_NEG_REQ/RSP layout: type, flags, length 8 (little-endian), then a little-endian
 * 32-bit protocol field. */
static void put_neg(uint8_t *p, uint8_t type, uint8_t flags, uint32_t protocols)
{
    p[0] = type;
    p[1] = flags;
    p[2] = NEG_LEN;
    p[3] = 0;
    p[4] = (uint8_t)protocols;
    p[5] = (uint8_t)(protocols >> 8);
    p[6] = (uint8_t)(protocols >> 16);
    p[7] = (uint8_t)(protocols >> 24);
}

size_t gen_rdp_connection_request(uint8_t *out, size_t cap, const char *user, struct gen_rng *rng)
{
    (void)rng;
    size_t ulen;
    if (out == NULL || !user_ok(user, &ulen))
        return 0;
    size_t cookie = ulen > 0 ? sizeof cookie_prefix + ulen + 2 : 0;
    /* X.224 13.3: the length indicator counts the TPDU after itself; the cookie and the
     * negotiation request are its variable part ([MS-RDPBCGR] 2.2.1.1) */
    size_t li = X224_FIXED - 1 + cookie + NEG_LEN;
    size_t total = TPKT_LEN + 1 + li;
    if (total > cap)
        return 0;
    put_tpkt(out, total);
    uint8_t *x = out + TPKT_LEN;
    x[0] = (uint8_t)li;
    x[1] = X224_CR;
    memset(x + 2, 0, 5); /* DST-REF 0, SRC-REF 0, class 0 ([MS-RDPBCGR] 2.2.1.1) */
    uint8_t *p = x + X224_FIXED;
    if (ulen > 0) {
        memcpy(p, cookie_prefix, sizeof cookie_prefix);
        p += sizeof cookie_prefix;
        for (size_t i = 0; i < ulen; i++)
            *p++ = (uint8_t)user[i];
        *p++ = '\r'; /* CR LF ends the cookie */
        *p++ = '\n';
    }
    put_neg(p, NEG_REQ, 0, GEN_RDP_PROTOCOL_SSL | GEN_RDP_PROTOCOL_HYBRID);
    return total;
}

size_t gen_rdp_connection_confirm(uint8_t *out, size_t cap, struct gen_rng *rng)
{
    (void)rng;
    size_t li = X224_FIXED - 1 + NEG_LEN;
    size_t total = TPKT_LEN + 1 + li;
    if (out == NULL || total > cap)
        return 0;
    put_tpkt(out, total);
    uint8_t *x = out + TPKT_LEN;
    x[0] = (uint8_t)li;
    x[1] = X224_CC;
    x[2] = 0; /* DST-REF: the request's SRC-REF, 0 */
    x[3] = 0;
    x[4] = 0x12; /* SRC-REF 0x1234, the value of the specification's example (4.1.2) */
    x[5] = 0x34;
    x[6] = 0; /* class 0 */
    put_neg(x + X224_FIXED, NEG_RSP, NEG_RSP_FLAGS, GEN_RDP_PROTOCOL_HYBRID);
    return total;
}

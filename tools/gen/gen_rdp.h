/*
 * Generator RDP: the clear-text start of a Remote Desktop connection ([MS-RDPBCGR] 1.3.1.1,
 * connection initiation): the client's X.224 Connection Request with the mstshash cookie and an
 * RDP Negotiation Request, and the server's Connection Confirm selecting CredSSP. Both ride in a
 * TPKT (RFC 1006) on TCP 3389. After the confirm the connection is TLS (the caller writes TLS
 * bytes, e.g. with gen_tls), and CredSSP runs inside it.
 *
 * Written from [MS-RDPBCGR] 2.2.1.1, 2.2.1.2 and their examples in 4.1.1 and 4.1.2, X.224
 * (ITU-T X.224 13.3, 13.4) and RFC 1006, sharing nothing with the sensor (issue 5).
 */
#ifndef UMBRA_TOOLS_GEN_RDP_H
#define UMBRA_TOOLS_GEN_RDP_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng;

/* Security protocols ([MS-RDPBCGR] 2.2.1.1.1 requestedProtocols). */
enum {
    GEN_RDP_PROTOCOL_RDP = 0x0,    /* standard RDP security */
    GEN_RDP_PROTOCOL_SSL = 0x1,    /* TLS */
    GEN_RDP_PROTOCOL_HYBRID = 0x2, /* CredSSP (NLA) over TLS */
};

#define GEN_RDP_USER_MAX 200 /* keeps the X.224 length indicator within one byte */

/*
 * gen_rdp_connection_request() - TPKT, X.224 Connection Request TPDU, the routing cookie
 * "Cookie: mstshash=@user\r\n" and an RDP_NEG_REQ requesting PROTOCOL_SSL | PROTOCOL_HYBRID, as
 * mstsc sends when Network Level Authentication is on. @user is printable ASCII (mstsc puts the
 * user name there as typed; scanners put anything); NULL or "" sends no cookie. @rng is not used
 * and may be NULL.
 *
 * Return: the bytes written, or 0 if @user has a character outside printable ASCII or more than
 * GEN_RDP_USER_MAX of them, or they do not fit in @cap.
 */
size_t gen_rdp_connection_request(uint8_t *out, size_t cap, const char *user, struct gen_rng *rng);

/*
 * gen_rdp_connection_confirm() - TPKT, X.224 Connection Confirm TPDU and an RDP_NEG_RSP
 * selecting PROTOCOL_HYBRID (CredSSP), with every flag of [MS-RDPBCGR] 2.2.1.2.1 set. @rng is
 * not used and may be NULL.
 *
 * Return: 19, or 0 if @cap is smaller.
 */
size_t gen_rdp_connection_confirm(uint8_t *out, size_t cap, struct gen_rng *rng);

#endif

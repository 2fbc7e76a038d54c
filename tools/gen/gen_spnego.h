/*
 * Generator SPNEGO (RFC 4178, [MS-SPNG]): the negotiation tokens in which Windows carries its
 * Kerberos tokens, in SMB2 SESSION_SETUP and NEGOTIATE security buffers and in LDAP SASL binds
 * with the GSS-SPNEGO mechanism.
 *
 * The wrappers are real DER; the mechanism's token inside is random bytes of the caller's
 * length, standing for a Kerberos AP-REQ or AP-REP, so the sizes are real while nothing
 * pretends to be a valid ticket. The token's first byte always has its top bit set: a decoder
 * that guesses the mechanism (Wireshark takes the first mechType offered, Kerberos) reads a
 * token's first bytes as a GSS framing byte (0x60), a raw AP-REQ or AP-REP tag (0x6e, 0x6f) or
 * a little-endian RFC 1964/4121 TOK_ID (first byte 0x01..0x05), and a first byte of 0x80 or
 * more is none of these, so the random bytes stay opaque instead of showing as a malformed
 * Kerberos message.
 *
 * Written from RFC 2743 3.1 (InitialContextToken), RFC 4178 4.2 and [MS-SPNG], sharing nothing
 * with the sensor (issue 5). The functions write through the caller's gen_buf (a write that
 * does not fit sets its err, see gen_buf.h), keep no state and draw their random bytes from
 * the caller's rng. Thread-safe for distinct buffers and rngs.
 */
#ifndef UMBRA_TOOLS_GEN_SPNEGO_H
#define UMBRA_TOOLS_GEN_SPNEGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_buf;
struct gen_rng;

/*
 * gen_spnego_init() - a GSS-API InitialContextToken for SPNEGO (OID 1.3.6.1.5.5.2) holding a
 * negTokenInit whose mechTypes are, as a Windows domain member lists them, MS Kerberos
 * (1.2.840.48018.1.2.2), Kerberos 5 (1.2.840.113554.1.2.2) and NTLMSSP
 * (1.3.6.1.4.1.311.2.2.10); with @token_len above 0 it carries a mechToken of @token_len
 * random bytes (the optimistic Kerberos AP-REQ of an LDAP bind), without one it is the
 * mechanism list a server offers (the SMB2 NEGOTIATE response's security buffer, 52 bytes).
 * @rng may be NULL when @token_len is 0.
 *
 * Return: the bytes written into @b, valid only if @b->err is still false.
 */
size_t gen_spnego_init(struct gen_buf *b, size_t token_len, struct gen_rng *rng);

/*
 * gen_spnego_resp() - a negTokenResp: with @completed, negState accept-completed (the
 * acceptor's last leg); with @token_len above 0, a responseToken of @token_len random bytes
 * (an AP-REQ on the initiator's later legs, an AP-REP on the acceptor's). No supportedMech, so
 * the token's mechanism stays the one the exchange started with. @rng may be NULL when
 * @token_len is 0.
 *
 * Return: the bytes written into @b, valid only if @b->err is still false.
 */
size_t gen_spnego_resp(struct gen_buf *b, size_t token_len, bool completed, struct gen_rng *rng);

#define GEN_SPNEGO_WRAP_HEAD_LEN 16 /* RFC 4121 4.2.6.2 */

/*
 * gen_spnego_wrap_head() - the 16-byte header of a Kerberos GSS-API Wrap token (RFC 4121
 * 4.2.6.2) as Windows seals with AES: TOK_ID 05 04; Flags Sealed and AcceptorSubkey (0x06),
 * plus SentByAcceptor (0x07) when @from_acceptor; Filler ff; EC 16 and RRC 28 ([MS-KILE]
 * 3.4.5.4.1); SND_SEQ @seq, 8 octets big-endian. The rotated cipher text that follows is the
 * caller's. Used by LDAP's SASL layer and WinRM's encrypted bodies.
 */
void gen_spnego_wrap_head(struct gen_buf *b, bool from_acceptor, uint64_t seq);

#endif

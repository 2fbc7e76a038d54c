/*
 * Generator LDAP (RFC 4511) as a Windows domain member speaks it to a domain controller on TCP
 * port 389: a SASL bind with the GSS-SPNEGO mechanism carrying a Kerberos AP-REQ, the DC's
 * bind response carrying the AP-REP, then every later message sealed by the SASL security
 * layer (RFC 4422 3.7 framing: a 4-octet big-endian length, then one GSS-API Wrap token).
 *
 * The bind messages are real DER down to the SPNEGO wrappers (gen_spnego.h); the Kerberos
 * tokens inside are random bytes of the caller's length. A sealed message is an RFC 4121
 * 4.2.6.2 Wrap token header as Windows writes it for AES, then random bytes standing for the
 * encrypted LDAP message, so every size is real and nothing pretends to be decryptable.
 *
 * Sizes, for the caller to draw from (AES256 tickets from a Windows domain):
 * - bind request: the mechToken (the GSS-framed AP-REQ, its ticket holding the PAC) is 1.5 to
 *   2.5 kB; the message is about 105 bytes more (1905 bytes for a 1800-byte token).
 * - bind response: the AP-REP is about 150 bytes; the message is 36 bytes more.
 * - sealed messages: each adds GEN_LDAP_SEAL_OVERHEAD (4 + 16 + 60) bytes to the LDAP
 *   message. A client's search request (the rootDSE read, a group-policy search for gPLink or
 *   groupPolicyContainer objects, a user or computer lookup by sAMAccountName) is 200 to 400
 *   bytes sealed; the DC's answers run from a few hundred bytes (one entry, a few attributes,
 *   or searchResDone alone) to tens of kB (many entries, or nTSecurityDescriptor values).
 * Windows' own LDAP encoder writes four-octet lengths (30 84 00 00 ..); these builders write
 * minimal DER, a few bytes shorter per message.
 *
 * Written from RFC 4511 4.1.1 and 4.2 (LDAPMessage, BindRequest, BindResponse), RFC 4422 3.7
 * (the SASL security layer's framing), RFC 4121 4.2.4 and 4.2.6.2 (Wrap tokens), RFC 3962 (AES
 * enctypes) and [MS-KILE] 3.4.5.4 (Windows' EC and RRC), sharing nothing with the sensor
 * (issue 5). Every function writes into the caller's buffer, keeps no state and draws its
 * random bytes from the caller's rng; each returns the bytes written, or 0 when they do not fit
 * in @cap or an argument is invalid. Thread-safe for distinct rngs and buffers.
 */
#ifndef UMBRA_TOOLS_GEN_LDAP_H
#define UMBRA_TOOLS_GEN_LDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_spnego.h"

struct gen_rng;

#define GEN_LDAP_PORT           389
#define GEN_LDAP_MESSAGE_ID_MAX 2147483647u /* maxInt (RFC 4511 4.1.1) */
#define GEN_LDAP_TOKEN_MAX      48000       /* Windows' default Kerberos MaxTokenSize */
#define GEN_LDAP_WRAP_HDR_LEN   GEN_SPNEGO_WRAP_HEAD_LEN

/* After the Wrap header, AES256 sealing (RFC 4121 4.2.4, RFC 3962) writes a 16-byte
 * confounder, the LDAP message, EC = 16 filler bytes and a 16-byte copy of the header, all
 * encrypted, then a 12-byte HMAC-SHA1-96: 60 bytes beside the message. */
#define GEN_LDAP_WRAP_CIPHER_MIN 60
/* The smallest sealed payload: the 60 and the smallest LDAPMessage, an UnbindRequest with a
 * one-octet messageID (30 05 02 01 id 42 00, 7 bytes). */
#define GEN_LDAP_SEAL_PAYLOAD_MIN (GEN_LDAP_WRAP_CIPHER_MIN + 7)
/* The largest SASL buffer written: 1 MiB, far above any one message a DC sends and the largest
 * that Wireshark's LDAP dissector still takes for a SASL buffer. */
#define GEN_LDAP_SASL_MAX 1048576u
/* Bytes a sealed message adds to the LDAP message inside it: SASL length, Wrap header, 60. */
#define GEN_LDAP_SEAL_OVERHEAD (4 + GEN_LDAP_WRAP_HDR_LEN + GEN_LDAP_WRAP_CIPHER_MIN)

/*
 * gen_ldap_bind_request() - LDAPMessage { messageID @message_id, BindRequest [APPLICATION 0]
 * { version 3, name "", authentication sasl [3] { mechanism "GSS-SPNEGO", credentials } } }
 * (RFC 4511 4.2). The credentials are a GSS-API InitialContextToken for SPNEGO whose
 * negTokenInit lists MS Kerberos, Kerberos 5 and NTLMSSP and carries a mechToken of
 * @token_len random bytes, the first with its top bit set (gen_spnego_init()): the AP-REQ,
 * 1.5 to 2.5 kB from a Windows client.
 *
 * Return: the bytes written, or 0 if @out or @rng is NULL, @message_id is 0 (reserved for
 * unsolicited notifications) or above GEN_LDAP_MESSAGE_ID_MAX, @token_len is below 2 (no
 * mechanism's token is shorter, and decoders read a two-byte token id) or above
 * GEN_LDAP_TOKEN_MAX, or they do not fit in @cap.
 */
size_t gen_ldap_bind_request(uint8_t *out, size_t cap, uint32_t message_id, size_t token_len,
                             struct gen_rng *rng);

/*
 * gen_ldap_bind_response() - LDAPMessage { messageID @message_id, BindResponse [APPLICATION 1]
 * { resultCode success (0), matchedDN "", diagnosticMessage "", serverSaslCreds [7] } } (RFC
 * 4511 4.2.2), the server's credentials a SPNEGO negTokenResp with negState accept-completed
 * and a responseToken of @token_len random bytes (the AP-REP, about 150; the first byte's top
 * bit set), or with @token_len 0 negState alone. The bind succeeds in one round trip, as it
 * does for Kerberos with mutual authentication; every later message is sealed.
 *
 * Return: as gen_ldap_bind_request(), except that @token_len may be 0.
 */
size_t gen_ldap_bind_response(uint8_t *out, size_t cap, uint32_t message_id, size_t token_len,
                              struct gen_rng *rng);

/*
 * gen_ldap_sealed() - one sealed LDAP message: the SASL buffer length (4 octets, big-endian,
 * GEN_LDAP_WRAP_HDR_LEN + @payload_len), then an RFC 4121 Wrap token: TOK_ID 05 04; Flags
 * Sealed and AcceptorSubkey (0x06), plus SentByAcceptor (0x07) when @from_server; Filler ff;
 * EC 16 and RRC 28, as Windows writes them for AES ([MS-KILE] 3.4.5.4.1); SND_SEQ @seq (8
 * octets, big-endian); then @payload_len random bytes standing for the rotated cipher text.
 * @payload_len counts everything after the 16-byte header: the LDAP message's length plus
 * GEN_LDAP_WRAP_CIPHER_MIN.
 *
 * Each side numbers its own messages: the first from its initial sequence number (the one in
 * the client's authenticator or the server's AP-REP; random on Windows), then one more for each
 * message it sends.
 *
 * Return: the bytes written (4 + 16 + @payload_len), or 0 if @out or @rng is NULL,
 * @payload_len is below GEN_LDAP_SEAL_PAYLOAD_MIN or makes the SASL buffer longer than
 * GEN_LDAP_SASL_MAX, or they do not fit in @cap.
 */
size_t gen_ldap_sealed(uint8_t *out, size_t cap, bool from_server, uint64_t seq, size_t payload_len,
                       struct gen_rng *rng);

/*
 * gen_ldap_sealed_head() - the first 4 + 16 bytes of what gen_ldap_sealed() writes (the SASL
 * length, counting the @payload_len bytes, and the Wrap token header), for a caller that sends
 * the random payload after them without holding it.
 *
 * Return: 20, or 0 as gen_ldap_sealed() (no rng is needed).
 */
size_t gen_ldap_sealed_head(uint8_t *out, size_t cap, bool from_server, uint64_t seq,
                            size_t payload_len);

#endif

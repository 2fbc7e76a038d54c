/*
 * Generator LDAP. This module owns the LDAP messages the generator emits between a domain
 * member and a domain controller: the SASL GSS-SPNEGO bind and its response, and the sealed
 * messages after them. It does not own the SPNEGO wrappers (gen_spnego), Kerberos (the tokens
 * are opaque random bytes; gen_krb writes the KDC exchange that comes first), cryptography, or
 * what is inside a sealed message: the caller chooses its size, and nothing here writes clear
 * searches.
 *
 * LDAP's BER is written as DER (X.690 10: definite, minimal lengths), which every LDAP decoder
 * takes; the SASL length and the Wrap token's fields are big-endian (RFC 4422 3.7, RFC 4121
 * 4.2.6.2).
 */
#include "tools/gen/gen_ldap.h"

#include "tools/gen/gen_buf.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_spnego.h"

#define SASL_LEN 4 /* RFC 4422 3.7 */

/* Tags (X.690 8.1.2; RFC 4511 4.2, 4.2.2 and Appendix B). */
enum {
    T_OCTET_STRING = 0x04,
    T_ENUMERATED = 0x0a,
    T_SEQUENCE = 0x30,
    T_BIND_REQUEST = 0x60,      /* [APPLICATION 0], constructed */
    T_BIND_RESPONSE = 0x61,     /* [APPLICATION 1], constructed */
    T_AUTH_SASL = 0xa3,         /* AuthenticationChoice sasl [3], constructed (implicit) */
    T_SERVER_SASL_CREDS = 0x87, /* serverSaslCreds [7] OCTET STRING, primitive (implicit) */
};

#define LDAP_VERSION 3

static const char mechanism[] = "GSS-SPNEGO"; /* [MS-ADTS]'s SASL mechanism name, 10 bytes */

static bool message_id_ok(uint32_t id)
{
    return id != 0 && id <= GEN_LDAP_MESSAGE_ID_MAX;
}

/* LDAPMessage ::= SEQUENCE { messageID MessageID, protocolOp CHOICE { .. } }: opens the
 * SEQUENCE, writes the messageID and opens the operation's [APPLICATION] tag. */
static void message_begin(struct gen_buf *b, size_t *msg, size_t *op, uint32_t id, uint8_t tag)
{
    *msg = gen_der_open(b, T_SEQUENCE);
    gen_der_int(b, id);
    *op = gen_der_open(b, tag);
}

static size_t message_end(struct gen_buf *b, size_t msg, size_t op)
{
    gen_der_close(b, op);
    gen_der_close(b, msg);
    return gen_buf_done(b);
}

size_t gen_ldap_bind_request(uint8_t *out, size_t cap, uint32_t message_id, size_t token_len,
                             struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || !message_id_ok(message_id) || token_len < 2 ||
        token_len > GEN_LDAP_TOKEN_MAX)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    size_t msg, op;
    message_begin(&b, &msg, &op, message_id, T_BIND_REQUEST);
    gen_der_int(&b, LDAP_VERSION);
    gen_der_prim(&b, T_OCTET_STRING, "", 0); /* name: empty, the identity is in the ticket */
    /* SaslCredentials ::= SEQUENCE { mechanism LDAPString, credentials OCTET STRING } */
    size_t sasl = gen_der_open(&b, T_AUTH_SASL);
    gen_der_prim(&b, T_OCTET_STRING, mechanism, sizeof mechanism - 1);
    size_t creds = gen_der_open(&b, T_OCTET_STRING);
    (void)gen_spnego_init(&b, token_len, rng);
    gen_der_close(&b, creds);
    gen_der_close(&b, sasl);
    return message_end(&b, msg, op);
}

size_t gen_ldap_bind_response(uint8_t *out, size_t cap, uint32_t message_id, size_t token_len,
                              struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || !message_id_ok(message_id) || token_len == 1 ||
        token_len > GEN_LDAP_TOKEN_MAX)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    size_t msg, op;
    message_begin(&b, &msg, &op, message_id, T_BIND_RESPONSE);
    gen_der_prim(&b, T_ENUMERATED, "\x00", 1); /* resultCode success */
    gen_der_prim(&b, T_OCTET_STRING, "", 0);   /* matchedDN */
    gen_der_prim(&b, T_OCTET_STRING, "", 0);   /* diagnosticMessage */
    size_t creds = gen_der_open(&b, T_SERVER_SASL_CREDS);
    (void)gen_spnego_resp(&b, token_len, true, rng);
    gen_der_close(&b, creds);
    return message_end(&b, msg, op);
}

size_t gen_ldap_sealed_head(uint8_t *out, size_t cap, bool from_server, uint64_t seq,
                            size_t payload_len)
{
    if (out == NULL || payload_len < GEN_LDAP_SEAL_PAYLOAD_MIN ||
        payload_len > GEN_LDAP_SASL_MAX - GEN_LDAP_WRAP_HDR_LEN)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    gen_buf_be(&b, GEN_LDAP_WRAP_HDR_LEN + payload_len, SASL_LEN);
    gen_spnego_wrap_head(&b, from_server, seq);
    return gen_buf_done(&b);
}

size_t gen_ldap_sealed(uint8_t *out, size_t cap, bool from_server, uint64_t seq, size_t payload_len,
                       struct gen_rng *rng)
{
    size_t head = rng != NULL ? gen_ldap_sealed_head(out, cap, from_server, seq, payload_len) : 0;
    if (head == 0 || payload_len > cap - head)
        return 0;
    gen_rng_fill(rng, out + head, payload_len);
    return head + payload_len;
}

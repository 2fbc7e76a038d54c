/*
 * Generator SPNEGO. This module owns the SPNEGO wrappers the generator puts around opaque
 * authentication tokens, for every protocol that carries them (SMB2 today, LDAP binds). It does
 * not own the tokens (random bytes here; gen_krb writes real Kerberos messages for port 88),
 * the protocol's framing around the wrapper, or any negotiation state: each call writes one
 * self-contained token.
 */
#include "tools/gen/gen_spnego.h"

#include "tools/gen/gen_buf.h"

#include <stdint.h>

/* Tags (X.690 8.1.2; RFC 2743 3.1; RFC 4178 4.2). */
enum {
    T_OCTET_STRING = 0x04,
    T_ENUMERATED = 0x0a,
    T_SEQUENCE = 0x30,
    T_GSS_TOKEN = 0x60, /* [APPLICATION 0] InitialContextToken */
};

/* [n] constructed, context-specific: the explicit tags of RFC 4178's module. */
#define CTX(n) ((uint8_t)(0xa0 | (n)))

/*
 * The InitialContextToken's fixed part, up to the mechTypes' end:
 *   60 L                          [APPLICATION 0], 50 bytes without a mechToken
 *     06 06 2b0601050502          OID 1.3.6.1.5.5.2 (SPNEGO; 1.3 -> 40 * 1 + 3 = 0x2b)
 *     a0 L                        [0] negTokenInit, 40 bytes without a mechToken
 *       30 L                      NegTokenInit SEQUENCE, 38 bytes without a mechToken
 *         a0 24                   [0] mechTypes, 36 bytes
 *           30 22                 SEQUENCE OF, 34 bytes = 11 + 11 + 12
 *             06 09 2a864882f712010202     1.2.840.48018.1.2.2 (MS Kerberos; 48018 = 0x82f712)
 *             06 09 2a864886f712010202     1.2.840.113554.1.2.2 (Kerberos 5; 113554 = 0x86f712)
 *             06 0a 2b06010401823702020a   1.3.6.1.4.1.311.2.2.10 (NTLMSSP; 311 = 0x8237)
 * Without a mechToken: 2 + 8 + 2 + 2 + 38 = 52 bytes.
 */
static const uint8_t spnego_oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};

static const uint8_t mech_types[] = {
        0xa0, 0x24, 0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01,
        0x02, 0x02, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
};

/* negState [0] ENUMERATED accept-completed (0) (RFC 4178 4.2.2). */
static const uint8_t neg_state_completed[] = {CTX(0), 0x03, T_ENUMERATED, 0x01, 0x00};

/* [@n] { OCTET STRING, @len random bytes }, the first with its top bit set (see gen_spnego.h). */
static void opaque_token(struct gen_buf *b, int n, size_t len, struct gen_rng *rng)
{
    size_t ctx = gen_der_open(b, CTX(n));
    gen_buf_be(b, T_OCTET_STRING, 1);
    gen_der_len(b, len);
    gen_buf_random(b, len, rng);
    if (!b->err)
        b->p[b->len - len] |= 0x80;
    gen_der_close(b, ctx);
}

size_t gen_spnego_init(struct gen_buf *b, size_t token_len, struct gen_rng *rng)
{
    size_t start = b->len;
    size_t gss = gen_der_open(b, T_GSS_TOKEN);
    gen_buf_bytes(b, spnego_oid, sizeof spnego_oid);
    size_t init = gen_der_open(b, CTX(0));
    size_t seq = gen_der_open(b, T_SEQUENCE);
    gen_buf_bytes(b, mech_types, sizeof mech_types);
    if (token_len > 0)
        opaque_token(b, 2, token_len, rng); /* mechToken [2] */
    gen_der_close(b, seq);
    gen_der_close(b, init);
    gen_der_close(b, gss);
    return b->len - start;
}

size_t gen_spnego_resp(struct gen_buf *b, size_t token_len, bool completed, struct gen_rng *rng)
{
    size_t start = b->len;
    size_t resp = gen_der_open(b, CTX(1)); /* NegotiationToken.negTokenResp */
    size_t seq = gen_der_open(b, T_SEQUENCE);
    if (completed)
        gen_buf_bytes(b, neg_state_completed, sizeof neg_state_completed);
    if (token_len > 0)
        opaque_token(b, 2, token_len, rng); /* responseToken [2] */
    gen_der_close(b, seq);
    gen_der_close(b, resp);
    return b->len - start;
}

/* RFC 4121 4.2.2 (Flags) and 4.2.6.2 (TOK_ID, Filler). */
enum {
    WRAP_TOK_ID = 0x0504,
    WRAP_SENT_BY_ACCEPTOR = 0x01,
    WRAP_SEALED = 0x02,
    WRAP_ACCEPTOR_SUBKEY = 0x04, /* the DC's AP-REP carries a subkey, and both sides use it */
    WRAP_FILLER = 0xff,
    WRAP_EC = 16,  /* filler bytes Windows pads AES plaintext with ([MS-KILE] 3.4.5.4.1) */
    WRAP_RRC = 28, /* the right rotation count Windows uses with sealing (same) */
};

void gen_spnego_wrap_head(struct gen_buf *b, bool from_acceptor, uint64_t seq)
{
    uint8_t flags = WRAP_SEALED | WRAP_ACCEPTOR_SUBKEY;
    if (from_acceptor)
        flags |= WRAP_SENT_BY_ACCEPTOR;
    gen_buf_be(b, WRAP_TOK_ID, 2);
    gen_buf_be(b, flags, 1);
    gen_buf_be(b, WRAP_FILLER, 1);
    gen_buf_be(b, WRAP_EC, 2);
    gen_buf_be(b, WRAP_RRC, 2);
    gen_buf_be(b, seq, 8);
}

/*
 * Generator Kerberos. This module owns the Kerberos 5 messages the generator emits for getting
 * a ticket, and a small DER writer for them. It does not own cryptography (every cipher is
 * random bytes), the KDC's decisions, or the application protocol that uses the ticket (SMB,
 * LDAP, HTTP carry their own AP-REQ, opaque to them).
 *
 * The DER writer: constructed values are opened with der_begin(), which writes the tag and
 * remembers where the contents start, and closed with der_end(), which moves the contents
 * right by the size of the length octets and writes them (X.690 8.1.3: definite form, short
 * below 128, else the fewest bytes). The contents of a constructed value are at most a few
 * kilobytes, so moving them costs nothing worth a two-pass encoder.
 */
#include "tools/gen/gen_krb.h"

#include "tools/gen/gen_buf.h"

#include <string.h>
#include <time.h>

#include "tools/gen/gen_rng.h"

#define DER_DEPTH     24 /* the TGS-REQ nests its AP-REQ's ticket 16 deep */
#define RECORD_MARK   4  /* RFC 4120 7.2.2 */
#define ENC_TS_CIPHER 56 /* PA-ENC-TS-ENC (28) + confounder (16) + HMAC-SHA1-96 (12) */
#define SNAME_PARTS   4
#define TICKET_KVNO   2

/* Universal and application tags (X.680 8.4; RFC 4120 5.10). */
enum {
    T_BOOLEAN = 0x01,
    T_INTEGER = 0x02,
    T_BIT_STRING = 0x03,
    T_OCTET_STRING = 0x04,
    T_SEQUENCE = 0x30,
    T_GENERAL_TIME = 0x18,
    T_GENERAL_STRING = 0x1b,
    T_TICKET = 0x61,  /* [APPLICATION 1] */
    T_AS_REQ = 0x6a,  /* [APPLICATION 10] */
    T_AS_REP = 0x6b,  /* [APPLICATION 11] */
    T_TGS_REQ = 0x6c, /* [APPLICATION 12] */
    T_TGS_REP = 0x6d, /* [APPLICATION 13] */
    T_AP_REQ = 0x6e,  /* [APPLICATION 14] */
};

/* [n] constructed, context-specific: the explicit tags of RFC 4120's module. */
#define CTX(n) ((uint8_t)(0xa0 | (n)))

/* RFC 4120 7.5: message types, name types, padata types; RFC 3961 8: etypes. */
enum {
    PVNO = 5,
    MSG_AS_REQ = 10,
    MSG_AS_REP = 11,
    MSG_TGS_REQ = 12,
    MSG_TGS_REP = 13,
    MSG_AP_REQ = 14,
    NT_PRINCIPAL = 1,
    NT_SRV_INST = 2,
    PA_TGS_REQ = 1,
    PA_ENC_TIMESTAMP = 2,
    PA_ETYPE_INFO2 = 19,
    PA_PAC_REQUEST = 128, /* [MS-KILE] 2.2.3 */
    ETYPE_AES256 = 18,    /* aes256-cts-hmac-sha1-96 (RFC 3962) */
    ETYPE_AES128 = 17,    /* aes128-cts-hmac-sha1-96 */
    ETYPE_RC4 = 23,       /* rc4-hmac (RFC 4757) */
};

/* KDCOptions bits (RFC 4120 5.4.1, bit 0 the most significant): forwardable (1), renewable
 * (8), canonicalize (15, RFC 6806), renewable-ok (27). */
#define KDC_OPT_AS  0x40810010u
#define KDC_OPT_TGS 0x40810000u

/* A message being written, with the DER values still open (Kerberos nests them deep). */
struct der {
    struct gen_buf b;
    size_t open[DER_DEPTH]; /* where each open value's contents start */
    size_t depth;
};

static void der_begin(struct der *d, uint8_t tag)
{
    if (d->depth == DER_DEPTH) {
        d->b.err = true;
        return;
    }
    d->open[d->depth++] = gen_der_open(&d->b, tag);
}

static void der_end(struct der *d)
{
    if (d->depth == 0) {
        d->b.err = true;
        return;
    }
    gen_der_close(&d->b, d->open[--d->depth]);
}

static void der_prim(struct der *d, uint8_t tag, const void *p, size_t n)
{
    gen_der_prim(&d->b, tag, p, n);
}

static void der_int(struct der *d, int64_t v)
{
    gen_der_int(&d->b, v);
}

/* [n] { INTEGER v } */
static void der_ctx_int(struct der *d, int n, int64_t v)
{
    der_begin(d, CTX(n));
    der_int(d, v);
    der_end(d);
}

static void der_string(struct der *d, const char *s, size_t n)
{
    der_prim(d, T_GENERAL_STRING, s, n);
}

static void der_random_octets(struct der *d, size_t n, struct gen_rng *rng)
{
    gen_buf_be(&d->b, T_OCTET_STRING, 1);
    gen_der_len(&d->b, n);
    gen_buf_random(&d->b, n, rng);
}

/* KerberosFlags (RFC 4120 5.2.8): a 32-bit BIT STRING, no unused bits. */
static void der_flags(struct der *d, uint32_t f)
{
    uint8_t b[5] = {0, (uint8_t)(f >> 24), (uint8_t)(f >> 16), (uint8_t)(f >> 8), (uint8_t)f};
    der_prim(d, T_BIT_STRING, b, sizeof b);
}

static void put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

/* KerberosTime (RFC 4120 5.2.3): GeneralizedTime "YYYYMMDDHHMMSSZ", whole seconds, UTC. */
static void der_time(struct der *d, uint64_t ns)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999) {
        d->b.err = true;
        return;
    }
    char s[15];
    put_digits(s, tm.tm_year + 1900, 4);
    put_digits(s + 4, tm.tm_mon + 1, 2);
    put_digits(s + 6, tm.tm_mday, 2);
    put_digits(s + 8, tm.tm_hour, 2);
    put_digits(s + 10, tm.tm_min, 2);
    put_digits(s + 12, tm.tm_sec, 2);
    s[14] = 'Z';
    der_prim(d, T_GENERAL_TIME, s, sizeof s);
}

/* A string fit for a KerberosString here: 1..GEN_KRB_NAME_MAX printable ASCII characters. */
static int text_ok(const char *s, size_t n)
{
    if (s == NULL || n == 0 || n > GEN_KRB_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    }
    return 1;
}

/* A principal's name: up to SNAME_PARTS components. */
struct pname {
    int32_t type;
    const char *part[SNAME_PARTS];
    size_t len[SNAME_PARTS];
    size_t n;
};

/* Split @s at '/' into @p (RFC 1964 2.1.1's string form, without realm or quoting). */
static int pname_split(struct pname *p, int32_t type, const char *s)
{
    if (s == NULL)
        return -1;
    p->type = type;
    p->n = 0;
    const char *c = s;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (p->n == SNAME_PARTS || !text_ok(c, n))
            return -1;
        p->part[p->n] = c;
        p->len[p->n] = n;
        p->n++;
        if (slash == NULL)
            return 0;
        c = slash + 1;
    }
}

/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF
 * KerberosString } (RFC 4120 5.2.2) */
static void der_pname(struct der *d, const struct pname *p)
{
    der_begin(d, T_SEQUENCE);
    der_ctx_int(d, 0, p->type);
    der_begin(d, CTX(1));
    der_begin(d, T_SEQUENCE);
    for (size_t i = 0; i < p->n; i++)
        der_string(d, p->part[i], p->len[i]);
    der_end(d);
    der_end(d);
    der_end(d);
}

/* [n] { PrincipalName } */
static void der_ctx_pname(struct der *d, int n, const struct pname *p)
{
    der_begin(d, CTX(n));
    der_pname(d, p);
    der_end(d);
}

/* [n] { Realm } */
static void der_ctx_realm(struct der *d, int n, const char *realm)
{
    der_begin(d, CTX(n));
    der_string(d, realm, strlen(realm));
    der_end(d);
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET
 * STRING } (RFC 4120 5.2.9); @kvno 0 leaves it out */
static void der_enc_data(struct der *d, uint32_t kvno, size_t cipher_len, struct gen_rng *rng)
{
    der_begin(d, T_SEQUENCE);
    der_ctx_int(d, 0, ETYPE_AES256);
    if (kvno != 0)
        der_ctx_int(d, 1, kvno);
    der_begin(d, CTX(2));
    der_random_octets(d, cipher_len, rng);
    der_end(d);
    der_end(d);
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1], sname [2], enc-part [3] } */
static void der_ticket(struct der *d, const char *realm, const struct pname *sname,
                       size_t cipher_len, struct gen_rng *rng)
{
    der_begin(d, T_TICKET);
    der_begin(d, T_SEQUENCE);
    der_ctx_int(d, 0, PVNO);
    der_ctx_realm(d, 1, realm);
    der_ctx_pname(d, 2, sname);
    der_begin(d, CTX(3));
    der_enc_data(d, TICKET_KVNO, cipher_len, rng);
    der_end(d);
    der_end(d);
    der_end(d);
}

/* PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }; the value's
 * DER follows this call and is closed by pa_end() */
static void pa_begin(struct der *d, int32_t type)
{
    der_begin(d, T_SEQUENCE);
    der_ctx_int(d, 1, type);
    der_begin(d, CTX(2));
    der_begin(d, T_OCTET_STRING);
}

static void pa_end(struct der *d)
{
    der_end(d);
    der_end(d);
    der_end(d);
}

/* etype [8] SEQUENCE OF Int32: strongest first, RC4 last, as Windows lists them */
static void der_etypes(struct der *d)
{
    der_begin(d, CTX(8));
    der_begin(d, T_SEQUENCE);
    der_int(d, ETYPE_AES256);
    der_int(d, ETYPE_AES128);
    der_int(d, ETYPE_RC4);
    der_end(d);
    der_end(d);
}

/* krbtgt/<realm>: the TGS's own principal (RFC 4120 7.3). */
static void krbtgt(struct pname *p, const char *realm)
{
    p->type = NT_SRV_INST;
    p->part[0] = "krbtgt";
    p->len[0] = 6;
    p->part[1] = realm;
    p->len[1] = strlen(realm);
    p->n = 2;
}

/* Checks shared by all four messages; fills the client and service names (krbtgt/<realm>
 * when @x->sname is NULL and @need_sname is 0). */
static int exchange_ok(const struct gen_krb_exchange *x, struct pname *cname, struct pname *sname,
                       int need_sname)
{
    if (x == NULL || x->realm == NULL || !text_ok(x->realm, strlen(x->realm)))
        return 0;
    if (x->cname == NULL || strchr(x->cname, '/') != NULL ||
        pname_split(cname, NT_PRINCIPAL, x->cname) != 0)
        return 0;
    if (x->sname != NULL)
        return pname_split(sname, NT_SRV_INST, x->sname) == 0;
    if (need_sname)
        return 0;
    krbtgt(sname, x->realm);
    return 1;
}

static int cipher_ok(size_t n)
{
    return n > 0 && n <= GEN_KRB_CIPHER_MAX;
}

/* Open the record: room for the TCP record mark, then the message. */
static void record_begin(struct der *d)
{
    (void)gen_buf_vec_begin(&d->b, RECORD_MARK);
}

/* RFC 4120 7.2.2: the length as 4 big-endian bytes, the high bit reserved (0). */
static size_t record_end(struct der *d)
{
    if (d->depth != 0)
        return 0;
    gen_buf_vec_end(&d->b, 0, RECORD_MARK);
    return gen_buf_done(&d->b);
}

/* A message's start: the record mark, [APPLICATION] SEQUENCE, then pvno and msg-type under
 * context tags @first and @first + 1 (KDC-REQ numbers its fields from 1, the others from 0). */
static void msg_begin(struct der *d, uint8_t *out, size_t cap, uint8_t app, int first, int msg_type)
{
    d->depth = 0;
    gen_buf_init(&d->b, out, cap);
    record_begin(d);
    der_begin(d, app);
    der_begin(d, T_SEQUENCE);
    der_ctx_int(d, first, PVNO);
    der_ctx_int(d, first + 1, msg_type);
}

/* Its end: the SEQUENCE and the application tag closed, the record mark filled in. */
static size_t msg_end(struct der *d)
{
    der_end(d);
    der_end(d);
    return record_end(d);
}

/* KDC-REP's crealm [3], cname [4], ticket [5] and enc-part [6] (RFC 4120 5.4.2), alike in
 * AS-REP and TGS-REP; the enc-part is under the client's or the TGT's session key: no kvno. */
static void kdc_rep_rest(struct der *d, const struct gen_krb_exchange *x, const struct pname *cname,
                         const struct pname *sname, struct gen_rng *rng)
{
    der_ctx_realm(d, 3, x->realm);
    der_ctx_pname(d, 4, cname);
    der_begin(d, CTX(5));
    der_ticket(d, x->realm, sname, x->ticket_len, rng);
    der_end(d);
    der_begin(d, CTX(6));
    der_enc_data(d, 0, x->enc_len, rng);
    der_end(d);
}

/*
 * req-body [4] KDC-REQ-BODY (RFC 4120 5.4.1): kdc-options [0], cname [1] (AS-REQ only: a
 * TGS-REQ's client is in its ticket), realm [2], sname [3], till [5], rtime [6] (AS-REQ asks for
 * a renewable ticket up to the same time), nonce [7], etype [8].
 */
static void req_body(struct der *d, const struct gen_krb_exchange *x, uint32_t options,
                     const struct pname *cname, const struct pname *sname)
{
    der_begin(d, CTX(4));
    der_begin(d, T_SEQUENCE);
    der_begin(d, CTX(0));
    der_flags(d, options);
    der_end(d);
    if (cname != NULL)
        der_ctx_pname(d, 1, cname);
    der_ctx_realm(d, 2, x->realm);
    der_ctx_pname(d, 3, sname);
    der_begin(d, CTX(5));
    der_time(d, x->till_ns);
    der_end(d);
    if (cname != NULL) {
        der_begin(d, CTX(6));
        der_time(d, x->till_ns);
        der_end(d);
    }
    der_ctx_int(d, 7, x->nonce);
    der_etypes(d);
    der_end(d);
    der_end(d);
}

size_t gen_krb_as_req(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                      struct gen_rng *rng)
{
    struct pname cname, sname;
    if (out == NULL || rng == NULL || !exchange_ok(x, &cname, &sname, 0))
        return 0;
    struct der d;
    msg_begin(&d, out, cap, T_AS_REQ, 1, MSG_AS_REQ);
    der_begin(&d, CTX(3));
    der_begin(&d, T_SEQUENCE);
    pa_begin(&d, PA_ENC_TIMESTAMP); /* the value is an EncryptedData (RFC 4120 5.2.7.2) */
    der_enc_data(&d, 0, ENC_TS_CIPHER, rng);
    pa_end(&d);
    pa_begin(&d, PA_PAC_REQUEST); /* KERB-PA-PAC-REQUEST { include-pac [0] BOOLEAN TRUE } */
    der_begin(&d, T_SEQUENCE);
    der_begin(&d, CTX(0));
    der_prim(&d, T_BOOLEAN, "\xff", 1);
    der_end(&d);
    der_end(&d);
    pa_end(&d);
    der_end(&d);
    der_end(&d);
    req_body(&d, x, KDC_OPT_AS, &cname, &sname);
    return msg_end(&d);
}

size_t gen_krb_as_rep(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                      struct gen_rng *rng)
{
    struct pname cname, sname;
    if (out == NULL || rng == NULL || !exchange_ok(x, &cname, &sname, 0) ||
        !cipher_ok(x->ticket_len) || !cipher_ok(x->enc_len))
        return 0;
    struct der d;
    msg_begin(&d, out, cap, T_AS_REP, 0, MSG_AS_REP);
    der_begin(&d, CTX(2));
    der_begin(&d, T_SEQUENCE);
    /* ETYPE-INFO2 ::= SEQUENCE OF ETYPE-INFO2-ENTRY { etype [0], salt [1] KerberosString }
     * (RFC 4120 5.2.7.5): the key the enc-part is under, with the default salt realm || name */
    pa_begin(&d, PA_ETYPE_INFO2);
    der_begin(&d, T_SEQUENCE);
    der_begin(&d, T_SEQUENCE);
    der_ctx_int(&d, 0, ETYPE_AES256);
    der_begin(&d, CTX(1));
    der_begin(&d, T_GENERAL_STRING);
    gen_buf_bytes(&d.b, x->realm, strlen(x->realm));
    gen_buf_bytes(&d.b, x->cname, strlen(x->cname));
    der_end(&d);
    der_end(&d);
    der_end(&d);
    der_end(&d);
    pa_end(&d);
    der_end(&d);
    der_end(&d);
    kdc_rep_rest(&d, x, &cname, &sname, rng);
    return msg_end(&d);
}

size_t gen_krb_tgs_req(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                       struct gen_rng *rng)
{
    struct pname cname, sname, tgt;
    if (out == NULL || rng == NULL || !exchange_ok(x, &cname, &sname, 1) ||
        !cipher_ok(x->ticket_len) || !cipher_ok(x->enc_len))
        return 0;
    krbtgt(&tgt, x->realm); /* the ticket presented is the TGT */
    struct der d;
    msg_begin(&d, out, cap, T_TGS_REQ, 1, MSG_TGS_REQ);
    der_begin(&d, CTX(3));
    der_begin(&d, T_SEQUENCE);
    pa_begin(&d, PA_TGS_REQ);
    /* AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2],
     * ticket [3], authenticator [4] } (RFC 4120 5.5.1) */
    der_begin(&d, T_AP_REQ);
    der_begin(&d, T_SEQUENCE);
    der_ctx_int(&d, 0, PVNO);
    der_ctx_int(&d, 1, MSG_AP_REQ);
    der_begin(&d, CTX(2));
    der_flags(&d, 0); /* no mutual authentication with the TGS */
    der_end(&d);
    der_begin(&d, CTX(3));
    der_ticket(&d, x->realm, &tgt, x->ticket_len, rng);
    der_end(&d);
    der_begin(&d, CTX(4));
    der_enc_data(&d, 0, x->enc_len, rng);
    der_end(&d);
    der_end(&d);
    der_end(&d);
    pa_end(&d);
    der_end(&d);
    der_end(&d);
    req_body(&d, x, KDC_OPT_TGS, NULL, &sname);
    return msg_end(&d);
}

size_t gen_krb_tgs_rep(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                       struct gen_rng *rng)
{
    struct pname cname, sname;
    if (out == NULL || rng == NULL || !exchange_ok(x, &cname, &sname, 1) ||
        !cipher_ok(x->ticket_len) || !cipher_ok(x->enc_len))
        return 0;
    struct der d;
    msg_begin(&d, out, cap, T_TGS_REP, 0, MSG_TGS_REP);
    kdc_rep_rest(&d, x, &cname, &sname, rng);
    return msg_end(&d);
}

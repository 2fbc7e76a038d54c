/*
 * Generator Kerberos 5 (RFC 4120) over TCP port 88: the four messages of getting a service
 * ticket, AS-REQ/AS-REP (a TGT for the user) and TGS-REQ/TGS-REP (a ticket for a service such
 * as cifs/fs1.corp.example), each behind the 4-byte TCP record mark (RFC 4120 7.2.2).
 *
 * The ASN.1 structure is real DER; everything encrypted (the pre-authentication timestamp,
 * tickets' enc-parts, the authenticator, the replies' enc-parts) is random bytes of a length
 * the caller chooses, so the messages are the sizes of real ones without any key material.
 *
 * Written from RFC 4120 5 (ASN.1), 5.2.9 (EncryptedData), 7.2.2 (TCP), RFC 3961/3962 (etype
 * numbers) and [MS-KILE] (PA-PAC-REQUEST), sharing nothing with the sensor (issue 5). Every
 * function writes into the caller's buffer, keeps no state and draws its random bytes from the
 * caller's rng; each returns the bytes written, or 0 when they do not fit in @cap or an
 * argument is invalid. Thread-safe for distinct rngs and buffers.
 */
#ifndef UMBRA_TOOLS_GEN_KRB_H
#define UMBRA_TOOLS_GEN_KRB_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng;

/* The end time Windows clients ask for in every KDC-REQ: 2037-09-13 02:48:05 UTC. */
#define GEN_KRB_TILL_WINDOWS_NS (2136422885ull * 1000000000ull)

#define GEN_KRB_CIPHER_MAX 60000 /* largest enc-part or ticket cipher accepted */
#define GEN_KRB_NAME_MAX   255   /* longest realm or name component */

/*
 * What an exchange is about. Strings are printable ASCII and are borrowed for the call.
 * Typical cipher sizes for AES256 (etype 18) from a Windows domain: a TGT's enc-part with its
 * PAC about 1000 to 1200 bytes, a service ticket's similar, an AS-REP's or TGS-REP's enc-part
 * about 300, a TGS-REQ authenticator about 200.
 */
struct gen_krb_exchange {
    const char *realm; /* "CORP.EXAMPLE" */
    const char *cname; /* the user, one component: "alice" (NT-PRINCIPAL) */
    const char *sname; /* TGS: the service, components split at '/': "cifs/fs1.corp.example";
                        * AS: NULL for krbtgt/<realm> (NT-SRV-INST) */
    uint64_t till_ns;  /* requests: the end time asked for, Unix ns (whole seconds are sent) */
    uint32_t nonce;    /* requests: the nonce of req-body */
    size_t ticket_len; /* bytes of the ticket's enc-part cipher: the TGT presented in a
                        * TGS-REQ, the ticket issued in a reply */
    size_t enc_len;    /* bytes of the reply's enc-part cipher, or of the TGS-REQ's
                        * authenticator; unused by the AS-REQ */
};

/*
 * gen_krb_as_req() - AS-REQ (RFC 4120 5.4.1, msg-type 10) as a Windows client sends its second
 * one, after the KDC asked for pre-authentication: padata PA-ENC-TIMESTAMP (an EncryptedData,
 * etype 18, of 56 random bytes: the 28-byte PA-ENC-TS-ENC plus AES-CTS's 16-byte confounder and
 * 12-byte HMAC) and PA-PAC-REQUEST (include-pac TRUE); req-body with kdc-options forwardable,
 * renewable, canonicalize and renewable-ok, cname, realm, sname krbtgt/<realm>, till and rtime
 * @x->till_ns, nonce, and etypes 18, 17, 23.
 *
 * Return: the bytes written (record mark included), or 0 if @x is invalid (a missing or empty
 * realm or cname, a name not printable ASCII or longer than GEN_KRB_NAME_MAX, a time after
 * 9999), @rng is NULL or they do not fit in @cap.
 */
size_t gen_krb_as_req(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                      struct gen_rng *rng);

/*
 * gen_krb_as_rep() - AS-REP (RFC 4120 5.4.2, msg-type 11): padata PA-ETYPE-INFO2 (etype 18,
 * salt <realm><cname>, the default salt of RFC 4120 4), crealm, cname, the TGT (realm, sname
 * krbtgt/<realm>, enc-part etype 18 kvno 2 of @x->ticket_len random bytes) and the enc-part
 * (etype 18, @x->enc_len random bytes).
 *
 * Return: as gen_krb_as_req(), and 0 if a cipher length is 0 or above GEN_KRB_CIPHER_MAX.
 */
size_t gen_krb_as_rep(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                      struct gen_rng *rng);

/*
 * gen_krb_tgs_req() - TGS-REQ (RFC 4120 5.4.1, msg-type 12): padata PA-TGS-REQ holding an
 * AP-REQ (RFC 4120 5.5.1) with the TGT (enc-part of @x->ticket_len random bytes) and an
 * authenticator (etype 18, @x->enc_len random bytes); req-body with kdc-options forwardable,
 * renewable and canonicalize, realm, sname @x->sname (NT-SRV-INST), till, nonce and etypes 18,
 * 17, 23. No cname: a TGS-REQ names its client inside the ticket.
 *
 * Return: as gen_krb_as_rep(), and 0 if @x->sname is missing or has more than 4 components.
 */
size_t gen_krb_tgs_req(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                       struct gen_rng *rng);

/*
 * gen_krb_tgs_rep() - TGS-REP (RFC 4120 5.4.2, msg-type 13): crealm, cname, the service ticket
 * (realm, sname @x->sname, enc-part etype 18 kvno 2 of @x->ticket_len random bytes) and the
 * enc-part (etype 18, @x->enc_len random bytes).
 *
 * Return: as gen_krb_tgs_req().
 */
size_t gen_krb_tgs_rep(uint8_t *out, size_t cap, const struct gen_krb_exchange *x,
                       struct gen_rng *rng);

#endif

/*
 * Fuzz target: the TLS handshake reader. The first input byte picks the entry point (mod 3: a
 * client stream, a server stream, a bare ClientHello message; bit 2: JA4's transport 'q'
 * instead of 't' for the bare message), the rest is the input. Any status is fine; reading
 * outside the input, a text field without its NUL, a count over its cap or a struct that
 * contradicts its own flags is not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "sensor/hs_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool has_nul(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

static void check_kept(const struct hs_tls_kept *k, size_t cap, bool name_cut)
{
    check(k->n <= cap && k->n <= k->total);
    check(name_cut ? k->cut >= (k->total > k->n) : k->cut == (k->total > k->n));
}

static void check_client(enum hs_tls_status st, const struct hs_tls_client *c, char transport)
{
    check((unsigned)st < HS_TLS_STATUS_COUNT);
    if (st != HS_TLS_OK)
        return;
    check(has_nul(c->sni, sizeof(c->sni)));
    check(c->sni_present || (c->sni[0] == '\0' && !c->sni_cut));
    for (size_t i = 0; i < HS_TLS_ALPN_MAX; i++)
        check(has_nul(c->alpn[i], sizeof(c->alpn[i])));
    check_kept(&c->n_ciphers, HS_TLS_CIPHERS_MAX, false);
    check_kept(&c->n_exts, HS_TLS_EXTS_MAX, false);
    check_kept(&c->n_groups, HS_TLS_GROUPS_MAX, false);
    check_kept(&c->n_sigalgs, HS_TLS_SIGALGS_MAX, false);
    check_kept(&c->n_versions, HS_TLS_VERSIONS_MAX, false);
    check_kept(&c->n_point_fmts, HS_TLS_POINT_FMTS_MAX, false);
    check_kept(&c->n_alpn, HS_TLS_ALPN_MAX, true);
    for (size_t i = 0; i < c->n_versions.n; i++)
        check(c->versions[i] <= c->max_version);
    /* t13d1516h2_8daaf6152771_e5627efa2ab1 */
    check(strlen(c->ja4) == HS_TLS_JA4_LEN - 1 && c->ja4[0] == transport && c->ja4[10] == '_' &&
          c->ja4[23] == '_');
    check(c->ja4[3] == (c->sni_present ? 'd' : 'i'));
}

static void check_server(enum hs_tls_status st, const struct hs_tls_server *s)
{
    check((unsigned)st < HS_TLS_STATUS_COUNT);
    check(has_nul(s->alpn, sizeof(s->alpn)) && has_nul(s->subject, sizeof(s->subject)) &&
          has_nul(s->issuer, sizeof(s->issuer)));
    check_kept(&s->n_exts, HS_TLS_SERVER_EXTS_MAX, false);
    check(s->hello_parsed || (s->version == 0 && s->cipher == 0 && s->n_exts.total == 0));
    check(s->hello_parsed || !s->have_cert);
    check(s->have_cert || (s->subject[0] == '\0' && s->not_after == 0 && !s->cert_cut));
    check(st != HS_TLS_OK || s->hello_parsed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Created once and kept: the reader allocates nothing per call, nor should this. */
    static struct digest *d;
    if (d == NULL && (d = digest_create(NULL)) == NULL)
        abort();
    if (size == 0)
        return 0;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    struct hs_tls_client c;
    struct hs_tls_server s;
    char transport = (data[0] & 4) ? 'q' : 't';
    switch (data[0] % 3) {
    case 0:
        check_client(hs_tls_parse_client(in, n, d, &c), &c, 't');
        break;
    case 1:
        check_server(hs_tls_parse_server(in, n, d, &s), &s);
        break;
    default:
        check_client(hs_tls_parse_client_hello_msg(in, n, d, transport, &c), &c, transport);
        break;
    }
    return 0;
}

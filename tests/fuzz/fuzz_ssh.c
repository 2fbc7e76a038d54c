/*
 * Fuzz target: one direction's stream per input, through hs_ssh_parse() and hs_ssh_hassh();
 * then the input cut in two halves, read as a client's and a server's stream, through
 * hs_ssh_negotiate(). Any status is fine; reading outside the input, a view that leaves it,
 * clear_end past the end, or a name without its NUL is not.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "sensor/hs_ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_view(const struct hs_ssh_view *v, const uint8_t *data, size_t size)
{
    if (v->ptr == NULL) {
        if (v->len != 0)
            abort();
        return;
    }
    if (v->ptr < data || v->len > size || (size_t)(v->ptr - data) > size - v->len)
        abort();
}

static void check_side(const struct hs_ssh_side *s, enum hs_ssh_status st, const uint8_t *data,
                       size_t size)
{
    if ((unsigned)st >= HS_SSH_STATUS_COUNT || s->clear_end > size)
        abort();
    if ((st == HS_SSH_OK) != (s->have_newkeys && s->have_kexinit) ||
        (s->have_newkeys && s->clear_end == 0) || (s->have_kexinit && !s->have_banner))
        abort();
    check_view(&s->banner, data, size);
    check_view(&s->version, data, size);
    check_view(&s->software, data, size);
    if (s->banner.len > HS_SSH_BANNER_MAX)
        abort();
    for (int i = 0; i < HS_SSH_LISTS; i++)
        check_view(&s->lists[i], data, size);
}

static void check_alg(const struct hs_ssh_alg *a)
{
    if (memchr(a->name, '\0', sizeof(a->name)) == NULL || a->pick > HS_SSH_PICK_AEAD ||
        (a->pick == HS_SSH_PICK_NONE && a->name[0] != '\0'))
        abort();
}

static struct digest *digest(void)
{
    static struct digest *d;
    if (d == NULL && (d = digest_create(NULL)) == NULL)
        abort();
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hs_ssh_side s;
    enum hs_ssh_status st = hs_ssh_parse(data, size, &s);
    check_side(&s, st, data, size);
    static char str[1 << 16];
    uint8_t md5[16];
    for (int server = 0; server < 2; server++) {
        int rc = hs_ssh_hassh(&s, server, digest(), str, sizeof(str), md5);
        if (rc != 0 && rc != -EINVAL && rc != -EMSGSIZE)
            abort();
        if (memchr(str, '\0', sizeof(str)) == NULL || (rc == -EINVAL && s.have_kexinit))
            abort();
    }

    struct hs_ssh_side c, v;
    size_t half = size / 2;
    check_side(&c, hs_ssh_parse(data, half, &c), data, half);
    check_side(&v, hs_ssh_parse(data + half, size - half, &v), data + half, size - half);
    struct hs_ssh_algs a;
    int rc = hs_ssh_negotiate(&c, &v, &a);
    if (rc != (c.have_kexinit && v.have_kexinit ? 0 : -EINVAL))
        abort();
    const struct hs_ssh_alg *all[] = {&a.kex,     &a.hostkey, &a.enc_c2s,  &a.enc_s2c,
                                      &a.mac_c2s, &a.mac_s2c, &a.comp_c2s, &a.comp_s2c};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        check_alg(all[i]);
    return 0;
}

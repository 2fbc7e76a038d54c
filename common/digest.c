#include "common/digest.h"

#include <errno.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/log.h"

struct digest {
    EVP_MD *md5;
    EVP_MD *sha256;
    EVP_MD_CTX *ctx; /* reused for every hash */
};

struct digest *digest_create(struct log *log)
{
    struct digest *d = calloc(1, sizeof(*d));
    if (!d) {
        if (log)
            log_err(log, "digest: out of memory");
        return NULL;
    }
    d->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    d->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    d->ctx = EVP_MD_CTX_new();
    if (!d->md5 || !d->sha256 || !d->ctx) {
        if (log)
            log_err(log, "digest: libcrypto has no %s", !d->md5 ? "MD5" : "SHA-256 or context");
        digest_destroy(&d);
        return NULL;
    }
    return d;
}

void digest_destroy(struct digest **dp)
{
    struct digest *d = *dp;
    if (!d)
        return;
    EVP_MD_CTX_free(d->ctx);
    EVP_MD_free(d->md5);
    EVP_MD_free(d->sha256);
    free(d);
    *dp = NULL;
}

static int hash(struct digest *d, const EVP_MD *md, const void *buf, size_t len, uint8_t *out)
{
    unsigned int n = 0;
    if (EVP_DigestInit_ex2(d->ctx, md, NULL) != 1 || EVP_DigestUpdate(d->ctx, buf, len) != 1 ||
        EVP_DigestFinal_ex(d->ctx, out, &n) != 1)
        return -EIO;
    return 0;
}

int digest_md5(struct digest *d, const void *buf, size_t len, uint8_t out[DIGEST_MD5_LEN])
{
    return hash(d, d->md5, buf, len, out);
}

int digest_sha256(struct digest *d, const void *buf, size_t len, uint8_t out[DIGEST_SHA256_LEN])
{
    return hash(d, d->sha256, buf, len, out);
}

void digest_hex(const uint8_t *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

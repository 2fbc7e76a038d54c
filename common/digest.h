/*
 * Digests: MD5 and SHA-256 from OpenSSL's libcrypto, for fingerprints (JA3, JA3S and HASSH are
 * MD5 by their specifications; JA4 uses truncated SHA-256). The algorithms are fetched and the
 * context allocated once at creation, so hashing on the packet path allocates nothing.
 * One thread owns a struct digest.
 */
#ifndef UMBRA_COMMON_DIGEST_H
#define UMBRA_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct log;
struct digest;

#define DIGEST_MD5_LEN    16
#define DIGEST_SHA256_LEN 32

/* digest_create() - fetch MD5 and SHA-256. Returns NULL after logging why (@log may be NULL). */
struct digest *digest_create(struct log *log);
void digest_destroy(struct digest **dp);

/* digest_md5() / digest_sha256() - hash @len bytes of @buf into @out. 0 or -EIO (libcrypto
 * failed, which it does not for these algorithms once fetched). */
int digest_md5(struct digest *d, const void *buf, size_t len, uint8_t out[DIGEST_MD5_LEN]);
int digest_sha256(struct digest *d, const void *buf, size_t len, uint8_t out[DIGEST_SHA256_LEN]);

/* digest_hex() - @len bytes of @in as lower-case hex into @out (2 * @len + 1 bytes, NUL-ended). */
void digest_hex(const uint8_t *in, size_t len, char *out);

#endif

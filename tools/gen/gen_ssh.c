/*
 * Generator SSH. This module owns the clear-text SSH transport messages the generator emits
 * (identification strings, KEXINIT, the ECDH-style exchange, NEWKEYS) and the per-implementation
 * algorithm lists. It does not own the encrypted part of a session (the caller sizes it) nor
 * any cryptography: keys and signatures are random bytes of the sizes real ones have.
 *
 * Where the lists come from:
 * - OpenSSH 9.6p1 client and 9.2p1 server: OpenSSH's KEX defaults (myproposal.h) as printed by
 *   `ssh -vvv` ("local client KEXINIT proposal", "peer server KEXINIT proposal") in published
 *   logs. Debian's 9.2p1-2+deb12u2 backported strict KEX (CVE-2023-48795), so the Debian 12
 *   server ends its list with kex-strict-s-v00@openssh.com; 9.6 clients end theirs with
 *   ext-info-c and kex-strict-c-v00@openssh.com. A Debian server with the default RSA, ECDSA
 *   and Ed25519 host keys offers them as rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,
 *   ssh-ed25519. The client lists are those of a first connection (nothing in known_hosts to
 *   reorder the host key list).
 * - OpenSSH_for_Windows_8.1: the OpenSSH 8.1 client defaults (its HASSH,
 *   ec7378c1a92f5a8dde7e8b7a1ddf33d1, is OpenSSH 8.1's); Win32-OpenSSH links zlib since 8.1.
 * - Paramiko 3.4.0: Transport._preferred_* in paramiko/transport.py, with ext-info-c and
 *   (new in 3.4) kex-strict-c-v00@openssh.com appended by _send_kex_init.
 * - PuTTY 0.81: rebuilt from PuTTY's default preference order (settings.c kexnames, hknames,
 *   ciphernames and their insertion rules) and the algorithm tables behind each entry; the
 *   least certain of the five, see the comment at its table.
 */
#include "tools/gen/gen_ssh.h"

#include "tools/gen/gen_buf.h"

#include <errno.h>
#include <string.h>

#include "tools/gen/gen_rng.h"

/* Message numbers (RFC 4250 4.1.2, RFC 5656 7.1). */
enum {
    MSG_KEXINIT = 20,
    MSG_NEWKEYS = 21,
    MSG_KEX_ECDH_INIT = 30,
    MSG_KEX_ECDH_REPLY = 31,
};

#define COOKIE_LEN      16
#define BLOCK           8    /* RFC 4253 6: the cipher block size, or 8 before any cipher */
#define MIN_PAD         4    /* RFC 4253 6: at least four bytes of padding */
#define X25519_LEN      32   /* RFC 7748 */
#define SNTRUP_PK_LEN   1158 /* sntrup761 public key, as OpenSSH's kexsntrup761x25519.c sends */
#define SNTRUP_CT_LEN   1039 /* sntrup761 ciphertext */
#define ED25519_SIG_LEN 64   /* RFC 8032 */
#define P256_POINT_LEN  65   /* SEC 1 uncompressed point: 0x04, X, Y */
#define P256_SCALAR_LEN 32
#define NAMELISTS       10 /* RFC 4253 7.1: kex .. languages s2c */

enum {
    L_KEX,
    L_HOSTKEY,
    L_CIPHER, /* both directions */
    L_MAC,    /* both directions */
    L_COMP,   /* both directions */
    L_NUM
};

struct profile {
    const char *name;    /* gen_ssh_profile_name() */
    const char *version; /* softwareversion SP comments, after "SSH-2.0-" */
    bool server;
    const char *list[L_NUM];
};

#define OPENSSH_CIPHERS                                                                            \
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"       \
    "aes256-gcm@openssh.com"
#define OPENSSH_MACS                                                                               \
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"              \
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"                 \
    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"

static const struct profile profiles[GEN_SSH_PROFILES] = {
        [GEN_SSH_OPENSSH9_CLIENT] =
                {
                        "openssh9-client",
                        "OpenSSH_9.6p1 Ubuntu-3ubuntu13.5",
                        false,
                        {
                                "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                                "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                                "ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                                "diffie-hellman-group-exchange-sha256,"
                                "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                                "diffie-hellman-group14-sha256,ext-info-c,"
                                "kex-strict-c-v00@openssh.com",
                                "ssh-ed25519-cert-v01@openssh.com,"
                                "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                                "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
                                "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
                                "sk-ssh-ed25519-cert-v01@openssh.com,"
                                "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                                "rsa-sha2-512-cert-v01@openssh.com,"
                                "rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,"
                                "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
                                "sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"
                                "rsa-sha2-512,rsa-sha2-256",
                                OPENSSH_CIPHERS,
                                OPENSSH_MACS,
                                "none,zlib@openssh.com,zlib",
                        },
                },
        [GEN_SSH_OPENSSH9_SERVER] =
                {
                        "openssh9-server",
                        "OpenSSH_9.2p1 Debian-2+deb12u3",
                        true,
                        {
                                "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                                "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                                "ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                                "diffie-hellman-group-exchange-sha256,"
                                "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                                "diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
                                "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
                                OPENSSH_CIPHERS,
                                OPENSSH_MACS,
                                /* sshd's default "Compression delayed" */
                                "none,zlib@openssh.com",
                        },
                },
        /*
         * PuTTY 0.81 with default settings: kex in the order ntru-curve25519, ecdh, dh-gex,
         * groups 16, 17, 18, 15, 14 (groups 15..18 are inserted relative to 14 by settings.c's
         * rules), rsa, then below the warning line group 1, which PuTTY still offers; each
         * entry expands to its algorithm table (ecdh: curve448, curve25519 under both names,
         * the NIST curves). Not yet compared with a capture of a real 0.81 client.
         */
        [GEN_SSH_PUTTY] =
                {
                        "putty",
                        "PuTTY_Release_0.81",
                        false,
                        {
                                "sntrup761x25519-sha512@openssh.com,curve448-sha512,"
                                "curve25519-sha256,curve25519-sha256@libssh.org,"
                                "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                                "diffie-hellman-group-exchange-sha256,"
                                "diffie-hellman-group-exchange-sha1,"
                                "diffie-hellman-group16-sha512,diffie-hellman-group17-sha512,"
                                "diffie-hellman-group18-sha512,diffie-hellman-group15-sha512,"
                                "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,"
                                "rsa2048-sha256,rsa1024-sha1,diffie-hellman-group1-sha1,"
                                "ext-info-c,kex-strict-c-v00@openssh.com",
                                "ssh-ed25519,ssh-ed448,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
                                "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss",
                                "aes256-ctr,aes256-cbc,rijndael-cbc@lysator.liu.se,aes192-ctr,"
                                "aes192-cbc,aes128-ctr,aes128-cbc,chacha20-poly1305@openssh.com,"
                                "aes256-gcm@openssh.com,aes128-gcm@openssh.com,3des-ctr,3des-cbc,"
                                "blowfish-ctr,blowfish-cbc,arcfour256,arcfour128",
                                "hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha1-96,hmac-md5,"
                                "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
                                "hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,"
                                "hmac-md5-etm@openssh.com",
                                "none,zlib,zlib@openssh.com",
                        },
                },
        [GEN_SSH_PARAMIKO] =
                {
                        "paramiko",
                        "paramiko_3.4.0",
                        false,
                        {
                                "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                                "ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                                "diffie-hellman-group16-sha512,"
                                "diffie-hellman-group-exchange-sha256,"
                                "diffie-hellman-group14-sha256,"
                                "diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,"
                                "diffie-hellman-group1-sha1,ext-info-c,"
                                "kex-strict-c-v00@openssh.com",
                                "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
                                "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss",
                                "aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,aes192-cbc,"
                                "aes256-cbc,3des-cbc",
                                "hmac-sha2-256,hmac-sha2-512,hmac-sha2-256-etm@openssh.com,"
                                "hmac-sha2-512-etm@openssh.com,hmac-sha1,hmac-md5,hmac-sha1-96,"
                                "hmac-md5-96",
                                "none",
                        },
                },
        [GEN_SSH_WIN32_OPENSSH] =
                {
                        "win32-openssh",
                        "OpenSSH_for_Windows_8.1",
                        false,
                        {
                                "curve25519-sha256,curve25519-sha256@libssh.org,"
                                "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                                "diffie-hellman-group-exchange-sha256,"
                                "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                                "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,"
                                "ext-info-c",
                                "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                                "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
                                "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
                                "ssh-ed25519-cert-v01@openssh.com,"
                                "rsa-sha2-512-cert-v01@openssh.com,"
                                "rsa-sha2-256-cert-v01@openssh.com,"
                                "ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,"
                                "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,"
                                "rsa-sha2-512,rsa-sha2-256,ssh-rsa",
                                OPENSSH_CIPHERS,
                                OPENSSH_MACS,
                                "none,zlib@openssh.com,zlib",
                        },
                },
};

/* RFC 4251 5: string = uint32 length, then the bytes. */
static void put_string(struct gen_buf *b, const void *p, size_t n)
{
    gen_buf_be(b, n, 4);
    gen_buf_bytes(b, p, n);
}

static void put_cstring(struct gen_buf *b, const char *s)
{
    put_string(b, s, strlen(s));
}

static void put_random_string(struct gen_buf *b, size_t n, struct gen_rng *rng)
{
    gen_buf_be(b, n, 4);
    gen_buf_random(b, n, rng);
}

/* Leave room for packet_length and padding_length; the payload follows. */
static void packet_begin(struct gen_buf *b)
{
    gen_buf_zeros(b, 5);
}

/*
 * RFC 4253 6: packet_length (uint32) covers padding_length, payload and padding; the 4-byte
 * length plus everything it covers is a multiple of the block size, with 4..255 bytes of random
 * padding. The least padding that satisfies both, as OpenSSH sends.
 */
static size_t packet_end(struct gen_buf *b, struct gen_rng *rng)
{
    if (b->err)
        return 0;
    size_t payload = b->len - 5;
    size_t pad = BLOCK - (5 + payload) % BLOCK;
    if (pad < MIN_PAD)
        pad += BLOCK;
    gen_buf_random(b, pad, rng);
    gen_buf_patch_be(b, 0, 1 + payload + pad, 4);
    gen_buf_patch_be(b, 4, pad, 1);
    return gen_buf_done(b);
}

static const struct profile *profile_get(enum gen_ssh_profile p)
{
    return (unsigned)p < GEN_SSH_PROFILES ? &profiles[p] : NULL;
}

const char *gen_ssh_profile_name(enum gen_ssh_profile p)
{
    const struct profile *pr = profile_get(p);
    return pr ? pr->name : NULL;
}

int gen_ssh_profile_parse(const char *name, enum gen_ssh_profile *out)
{
    if (name == NULL)
        return -EINVAL;
    for (int i = 0; i < GEN_SSH_PROFILES; i++) {
        if (strcmp(name, profiles[i].name) == 0) {
            *out = (enum gen_ssh_profile)i;
            return 0;
        }
    }
    return -EINVAL;
}

bool gen_ssh_profile_is_server(enum gen_ssh_profile p)
{
    const struct profile *pr = profile_get(p);
    return pr != NULL && pr->server;
}

size_t gen_ssh_banner(uint8_t *out, size_t cap, enum gen_ssh_profile p, struct gen_rng *rng)
{
    (void)rng;
    const struct profile *pr = profile_get(p);
    if (pr == NULL || out == NULL)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    gen_buf_bytes(&b, "SSH-2.0-", 8);
    gen_buf_bytes(&b, pr->version, strlen(pr->version));
    gen_buf_bytes(&b, "\r\n", 2);
    return gen_buf_done(&b);
}

size_t gen_ssh_kexinit(uint8_t *out, size_t cap, enum gen_ssh_profile p, struct gen_rng *rng)
{
    const struct profile *pr = profile_get(p);
    if (pr == NULL || out == NULL || rng == NULL)
        return 0;
    /* RFC 4253 7.1: the ten name-lists in order; each of our profiles proposes the same
     * ciphers, MACs and compression in both directions, and no languages. */
    const char *lists[NAMELISTS] = {
            pr->list[L_KEX],
            pr->list[L_HOSTKEY],
            pr->list[L_CIPHER],
            pr->list[L_CIPHER],
            pr->list[L_MAC],
            pr->list[L_MAC],
            pr->list[L_COMP],
            pr->list[L_COMP],
            "",
            "",
    };
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    packet_begin(&b);
    gen_buf_be(&b, MSG_KEXINIT, 1);
    gen_buf_random(&b, COOKIE_LEN, rng);
    for (int i = 0; i < NAMELISTS; i++)
        put_cstring(&b, lists[i]);
    gen_buf_be(&b, 0, 1); /* first_kex_packet_follows: none of these guesses */
    gen_buf_be(&b, 0, 4); /* reserved */
    return packet_end(&b, rng);
}

/* Whether the comma-separated @list holds @name as one of its entries. */
static bool list_has(const char *list, const char *name, size_t len)
{
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return false;
}

/* RFC 4253 7.1: the first entry of @client that @server also lists; sets *@len, or NULL. */
static const char *first_common(const char *client, const char *server, size_t *len)
{
    const char *p = client;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (list_has(server, p, n)) {
            *len = n;
            return p;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return NULL;
}

static bool is(const char *p, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(p, name, n) == 0;
}

int gen_ssh_kex_negotiate(enum gen_ssh_profile client, enum gen_ssh_profile server,
                          enum gen_ssh_kex *kex, enum gen_ssh_hostkey *hostkey)
{
    const struct profile *c = profile_get(client);
    const struct profile *s = profile_get(server);
    if (c == NULL || s == NULL || c->server || !s->server || kex == NULL || hostkey == NULL)
        return -EINVAL;
    size_t kn, hn;
    const char *k = first_common(c->list[L_KEX], s->list[L_KEX], &kn);
    const char *h = first_common(c->list[L_HOSTKEY], s->list[L_HOSTKEY], &hn);
    if (k == NULL || h == NULL)
        return -ENOTSUP;
    if (is(k, kn, "curve25519-sha256") || is(k, kn, "curve25519-sha256@libssh.org"))
        *kex = GEN_SSH_KEX_CURVE25519;
    else if (is(k, kn, "sntrup761x25519-sha512@openssh.com"))
        *kex = GEN_SSH_KEX_SNTRUP761X25519;
    else
        return -ENOTSUP;
    if (is(h, hn, "ssh-ed25519"))
        *hostkey = GEN_SSH_HOSTKEY_ED25519;
    else if (is(h, hn, "ecdsa-sha2-nistp256"))
        *hostkey = GEN_SSH_HOSTKEY_ECDSA_P256;
    else
        return -ENOTSUP;
    return 0;
}

size_t gen_ssh_kex_ecdh_init(uint8_t *out, size_t cap, enum gen_ssh_kex kex, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL)
        return 0;
    size_t qlen;
    if (kex == GEN_SSH_KEX_CURVE25519)
        qlen = X25519_LEN;
    else if (kex == GEN_SSH_KEX_SNTRUP761X25519)
        qlen = SNTRUP_PK_LEN + X25519_LEN;
    else
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    packet_begin(&b);
    gen_buf_be(&b, MSG_KEX_ECDH_INIT, 1);
    put_random_string(&b, qlen, rng);
    return packet_end(&b, rng);
}

/* RFC 4251 5: an mpint holds no redundant leading zero and gets one when its top bit is set. */
static void put_random_mpint(struct gen_buf *b, size_t n, struct gen_rng *rng)
{
    uint8_t v[P256_SCALAR_LEN + 1];
    v[0] = 0;
    gen_rng_fill(rng, v + 1, n);
    size_t start = 1;
    while (start < n + 1 && v[start] == 0)
        start++;
    if (start < n + 1 && (v[start] & 0x80))
        start--;
    put_string(b, v + start, n + 1 - start);
}

static void put_host_key(struct gen_buf *b, enum gen_ssh_hostkey hk, const uint8_t *key,
                         struct gen_rng *rng)
{
    size_t at = gen_buf_vec_begin(b, 4); /* the blob's length */
    if (hk == GEN_SSH_HOSTKEY_ED25519) {
        /* RFC 8709 4: string "ssh-ed25519", string key (32 bytes) */
        put_cstring(b, "ssh-ed25519");
        if (key != NULL)
            put_string(b, key, X25519_LEN);
        else
            put_random_string(b, X25519_LEN, rng);
    } else {
        /* RFC 5656 3.1: string "ecdsa-sha2-nistp256", string "nistp256", string Q */
        put_cstring(b, "ecdsa-sha2-nistp256");
        put_cstring(b, "nistp256");
        gen_buf_be(b, P256_POINT_LEN, 4);
        gen_buf_be(b, 0x04, 1);
        if (key != NULL)
            gen_buf_bytes(b, key + 1, P256_POINT_LEN - 1);
        else
            gen_buf_random(b, P256_POINT_LEN - 1, rng);
    }
    gen_buf_vec_end(b, at, 4);
}

static void put_signature(struct gen_buf *b, enum gen_ssh_hostkey hk, struct gen_rng *rng)
{
    size_t at = gen_buf_vec_begin(b, 4);
    if (hk == GEN_SSH_HOSTKEY_ED25519) {
        /* RFC 8709 6: string "ssh-ed25519", string signature (64 bytes) */
        put_cstring(b, "ssh-ed25519");
        put_random_string(b, ED25519_SIG_LEN, rng);
    } else {
        /* RFC 5656 3.1.2: string "ecdsa-sha2-nistp256", string (mpint r, mpint s) */
        put_cstring(b, "ecdsa-sha2-nistp256");
        size_t inner = gen_buf_vec_begin(b, 4);
        put_random_mpint(b, P256_SCALAR_LEN, rng);
        put_random_mpint(b, P256_SCALAR_LEN, rng);
        gen_buf_vec_end(b, inner, 4);
    }
    gen_buf_vec_end(b, at, 4);
}

size_t gen_ssh_kex_ecdh_reply(uint8_t *out, size_t cap, enum gen_ssh_kex kex,
                              enum gen_ssh_hostkey hostkey, const uint8_t *host_key,
                              struct gen_rng *rng)
{
    if (out == NULL || rng == NULL)
        return 0;
    if (hostkey != GEN_SSH_HOSTKEY_ED25519 && hostkey != GEN_SSH_HOSTKEY_ECDSA_P256)
        return 0;
    size_t qlen;
    if (kex == GEN_SSH_KEX_CURVE25519)
        qlen = X25519_LEN;
    else if (kex == GEN_SSH_KEX_SNTRUP761X25519)
        qlen = SNTRUP_CT_LEN + X25519_LEN;
    else
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    packet_begin(&b);
    gen_buf_be(&b, MSG_KEX_ECDH_REPLY, 1);
    put_host_key(&b, hostkey, host_key, rng);
    put_random_string(&b, qlen, rng);
    put_signature(&b, hostkey, rng);
    return packet_end(&b, rng);
}

size_t gen_ssh_newkeys(uint8_t *out, size_t cap, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    packet_begin(&b);
    gen_buf_be(&b, MSG_NEWKEYS, 1);
    return packet_end(&b, rng);
}

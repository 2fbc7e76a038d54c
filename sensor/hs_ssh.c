/*
 * SSH: a bounded reader for the clear-text start of one direction of an SSH connection. It owns
 * nothing and keeps no state between calls: each call reads the stream from its first byte, so
 * the caller simply calls again with more bytes. It finds the identification line (after any
 * other lines a server may send first), then walks the binary packets, which are in the clear
 * until SSH_MSG_NEWKEYS, reading the first SSH_MSG_KEXINIT on the way. It does not follow the
 * key exchange itself (the DH/ECDH/KEM messages are walked over, not read), and it never looks
 * past NEWKEYS. Every read is checked against the length given.
 */
#include "sensor/hs_ssh.h"

#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "common/digest.h"

#define MSG_KEXINIT 20
#define MSG_NEWKEYS 21

static const char *const status_names[] = {
#define HS_SSH_STATUS_NAME(name, counter) counter,
        HS_SSH_STATUS_LIST(HS_SSH_STATUS_NAME)
#undef HS_SSH_STATUS_NAME
};

const char *hs_ssh_status_name(enum hs_ssh_status st)
{
    return (unsigned)st < HS_SSH_STATUS_COUNT ? status_names[st] : "unknown";
}

static struct hs_ssh_view view(const uint8_t *p, size_t len)
{
    return (struct hs_ssh_view){.ptr = p, .len = (uint32_t)len};
}

/* Text as a line before the identification may hold it: no control byte but TAB and CR. */
static bool is_text(uint8_t c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r';
}

/*
 * The identification line starting at @p (its "SSH-" already seen): "SSH-protoversion-
 * softwareversion SP comments CR LF", at most 255 bytes with the CR LF (RFC 4253 4.2). A bare
 * LF ends it too, as OpenSSH accepts. Sets *@next to the byte after the LF.
 */
static enum hs_ssh_status read_id(const uint8_t *s, size_t len, size_t p, struct hs_ssh_side *out,
                                  size_t *next)
{
    size_t rest = len - p;
    const uint8_t *lf = memchr(s + p, '\n', rest < HS_SSH_BANNER_MAX ? rest : HS_SSH_BANNER_MAX);
    if (lf == NULL)
        return rest >= HS_SSH_BANNER_MAX ? HS_SSH_BANNER_TOO_LONG : HS_SSH_INCOMPLETE;
    size_t end = (size_t)(lf - s);
    if (end > p && s[end - 1] == '\r')
        end--;
    for (size_t i = p; i < end; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return HS_SSH_BAD_BANNER;
    }
    size_t v = p + 4; /* after "SSH-" */
    const uint8_t *dash = v < end ? memchr(s + v, '-', end - v) : NULL;
    if (dash == NULL || dash == s + v)
        return HS_SSH_BAD_BANNER;
    size_t sw = (size_t)(dash - s) + 1;
    const uint8_t *sp = sw < end ? memchr(s + sw, ' ', end - sw) : NULL;
    out->banner = view(s + p, end - p);
    out->version = view(s + v, (size_t)(dash - s) - v);
    out->software = view(s + sw, (sp ? (size_t)(sp - s) : end) - sw);
    out->banner_offset = p;
    out->have_banner = true;
    *next = (size_t)(lf - s) + 1;
    /* 1.99: a server that also speaks SSH-1 but uses SSH-2 with SSH-2 peers (RFC 4253 5.1). */
    if ((out->version.len == 3 && memcmp(out->version.ptr, "2.0", 3) == 0) ||
        (out->version.len == 4 && memcmp(out->version.ptr, "1.99", 4) == 0))
        return HS_SSH_OK;
    return HS_SSH_UNSUPPORTED_VERSION;
}

/*
 * Finds the identification line. RFC 4253 4.2 lets a server send other lines first (none may
 * start with "SSH-"); the RFC sets no limit, this reader accepts HS_SSH_PRE_BANNER_MAX bytes of
 * them (OpenSSH clients stop at 1024 lines; real servers send one or two short ones) and wants
 * them to be text, so a binary protocol (TLS, ...) is refused at its first byte.
 */
static enum hs_ssh_status find_id(const uint8_t *s, size_t len, struct hs_ssh_side *out,
                                  size_t *next)
{
    size_t p = 0;
    for (;;) {
        size_t rest = len - p;
        if (memcmp(s + p, "SSH-", rest < 4 ? rest : 4) == 0)
            return rest < 4 ? HS_SSH_INCOMPLETE : read_id(s, len, p, out, next);
        size_t lim = len < HS_SSH_PRE_BANNER_MAX ? len : HS_SSH_PRE_BANNER_MAX;
        const uint8_t *lf = p < lim ? memchr(s + p, '\n', lim - p) : NULL;
        size_t end = lf ? (size_t)(lf - s) : lim;
        for (size_t i = p; i < end; i++) {
            if (!is_text(s[i]))
                return HS_SSH_NOT_SSH;
        }
        if (lf == NULL)
            return len >= HS_SSH_PRE_BANNER_MAX ? HS_SSH_NOT_SSH : HS_SSH_INCOMPLETE;
        p = end + 1;
        if (p >= len)
            return HS_SSH_INCOMPLETE;
    }
}

/*
 * SSH_MSG_KEXINIT (RFC 4253 7.1): byte 20, byte[16] cookie, ten name-lists (uint32 length and
 * that many bytes), boolean first_kex_packet_follows, uint32 reserved. Bytes after the
 * reserved field are ignored: nothing is defined there.
 */
static enum hs_ssh_status read_kexinit(const uint8_t *pl, size_t n, struct hs_ssh_side *out)
{
    if (n < 1 + HS_SSH_COOKIE_LEN)
        return HS_SSH_BAD_KEXINIT;
    memcpy(out->cookie, pl + 1, HS_SSH_COOKIE_LEN);
    size_t p = 1 + HS_SSH_COOKIE_LEN;
    for (int i = 0; i < HS_SSH_LISTS; i++) {
        if (n - p < 4)
            return HS_SSH_BAD_NAME_LIST;
        uint32_t l = rd_be32(pl + p);
        p += 4;
        if (l > n - p)
            return HS_SSH_BAD_NAME_LIST;
        /* Names are printable US-ASCII without blanks (RFC 4251 6), so lists are safe to log. */
        for (size_t j = 0; j < l; j++) {
            if (pl[p + j] < 0x21 || pl[p + j] > 0x7e)
                return HS_SSH_BAD_NAME_LIST;
        }
        out->lists[i] = view(pl + p, l);
        p += l;
    }
    if (n - p < 5)
        return HS_SSH_BAD_KEXINIT;
    out->first_kex_follows = pl[p] != 0;
    return HS_SSH_OK;
}

/*
 * The binary packets from @p (RFC 4253 6): uint32 packet_length, byte padding_length, payload,
 * padding; no MAC while no keys are in use. Lenient where being strict gains nothing: the
 * multiple-of-8 length and the 4-byte minimum padding are not checked.
 */
static enum hs_ssh_status walk(const uint8_t *s, size_t len, size_t p, struct hs_ssh_side *out)
{
    for (;;) {
        if (len - p < 4)
            return HS_SSH_INCOMPLETE;
        uint32_t plen = rd_be32(s + p);
        /* Refused as soon as its 4 bytes are in: a bad length never waits for more bytes. */
        if (plen == 0 || plen > HS_SSH_PACKET_MAX)
            return HS_SSH_BAD_PACKET_LENGTH;
        if (len - p < 5)
            return HS_SSH_INCOMPLETE;
        uint8_t pad = s[p + 4];
        if ((uint32_t)pad + 1 >= plen)
            return HS_SSH_BAD_PADDING; /* no room for even the message number */
        if (len - p - 4 < plen)
            return HS_SSH_INCOMPLETE;
        const uint8_t *payload = s + p + 5;
        size_t payload_len = plen - pad - 1u;
        out->packets++;
        /* A second KEXINIT before NEWKEYS is a peer's error; the first one is kept. */
        if (payload[0] == MSG_KEXINIT && !out->have_kexinit) {
            enum hs_ssh_status st = read_kexinit(payload, payload_len, out);
            if (st != HS_SSH_OK)
                return st;
            out->kexinit_offset = p;
            out->have_kexinit = true;
        }
        p += 4 + (size_t)plen;
        if (payload[0] == MSG_NEWKEYS) {
            out->clear_end = p;
            out->have_newkeys = true;
            return out->have_kexinit ? HS_SSH_OK : HS_SSH_NO_KEXINIT;
        }
    }
}

enum hs_ssh_status hs_ssh_parse(const uint8_t *stream, size_t len, struct hs_ssh_side *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return HS_SSH_INCOMPLETE;
    size_t p = 0;
    enum hs_ssh_status st = find_id(stream, len, out, &p);
    if (st != HS_SSH_OK)
        return st;
    return walk(stream, len, p, out);
}

int hs_ssh_hassh(const struct hs_ssh_side *s, bool server, struct digest *d, char *str, size_t cap,
                 uint8_t md5[16])
{
    if (cap > 0)
        str[0] = '\0';
    if (!s->have_kexinit)
        return -EINVAL;
    const struct hs_ssh_view *parts[4] = {
            &s->lists[HS_SSH_KEX],
            &s->lists[server ? HS_SSH_ENC_S2C : HS_SSH_ENC_C2S],
            &s->lists[server ? HS_SSH_MAC_S2C : HS_SSH_MAC_C2S],
            &s->lists[server ? HS_SSH_COMP_S2C : HS_SSH_COMP_C2S],
    };
    size_t total = 3; /* the separators */
    for (int i = 0; i < 4; i++)
        total += parts[i]->len;
    if (total >= cap)
        return -EMSGSIZE;
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            str[n++] = ';';
        if (parts[i]->len > 0)
            memcpy(str + n, parts[i]->ptr, parts[i]->len);
        n += parts[i]->len;
    }
    str[n] = '\0';
    return digest_md5(d, str, n, md5);
}

/* One name of a list: its place in the list and its length. */
struct name {
    uint32_t off;
    uint32_t len;
};

/* Splits @l at its commas into at most HS_SSH_NAMES_MAX names; returns how many. */
static size_t split(const struct hs_ssh_view *l, struct name *names)
{
    size_t n = 0;
    uint32_t p = 0;
    while (l->len > 0 && n < HS_SSH_NAMES_MAX) {
        const uint8_t *comma = memchr(l->ptr + p, ',', l->len - p);
        uint32_t end = comma ? (uint32_t)(comma - l->ptr) : l->len;
        names[n++] = (struct name){.off = p, .len = end - p};
        if (comma == NULL)
            break;
        p = end + 1;
    }
    return n;
}

static void set_name(struct hs_ssh_alg *a, const uint8_t *name, size_t len, enum hs_ssh_pick pick)
{
    size_t n = len < HS_SSH_ALG_MAX - 1 ? len : HS_SSH_ALG_MAX - 1;
    memcpy(a->name, name, n);
    a->name[n] = '\0';
    a->cut = n < len;
    a->pick = (uint8_t)pick;
}

/* RFC 4253 7.1: the first name on the client's list that is also on the server's. */
static void choose(const struct hs_ssh_view *client, const struct hs_ssh_view *server,
                   struct hs_ssh_alg *out)
{
    struct name c[HS_SSH_NAMES_MAX];
    struct name s[HS_SSH_NAMES_MAX];
    size_t nc = split(client, c);
    size_t ns = split(server, s);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < nc; i++) {
        const uint8_t *cn = client->ptr + c[i].off;
        for (size_t j = 0; j < ns; j++) {
            if (s[j].len == c[i].len && memcmp(cn, server->ptr + s[j].off, c[i].len) == 0) {
                set_name(out, cn, c[i].len, HS_SSH_PICK_MATCH);
                return;
            }
        }
    }
}

/*
 * Ciphers that authenticate: OpenSSH's three, which skip MAC negotiation altogether, and RFC
 * 5647's AES-GCM, which must also be chosen as the MAC (RFC 5647 5.1). Either way the MAC is
 * the cipher.
 */
static bool is_aead(const char *name)
{
    static const char *const aead[] = {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com",
                                       "aes256-gcm@openssh.com", "AEAD_AES_128_GCM",
                                       "AEAD_AES_256_GCM"};
    for (size_t i = 0; i < sizeof(aead) / sizeof(aead[0]); i++) {
        if (strcmp(name, aead[i]) == 0)
            return true;
    }
    return false;
}

static void choose_mac(const struct hs_ssh_alg *enc, const struct hs_ssh_view *client,
                       const struct hs_ssh_view *server, struct hs_ssh_alg *out)
{
    if (enc->pick == HS_SSH_PICK_MATCH && is_aead(enc->name)) {
        *out = *enc;
        out->pick = HS_SSH_PICK_AEAD;
        return;
    }
    choose(client, server, out);
}

int hs_ssh_negotiate(const struct hs_ssh_side *client, const struct hs_ssh_side *server,
                     struct hs_ssh_algs *out)
{
    memset(out, 0, sizeof(*out));
    if (!client->have_kexinit || !server->have_kexinit)
        return -EINVAL;
    const struct hs_ssh_view *c = client->lists;
    const struct hs_ssh_view *s = server->lists;
    choose(&c[HS_SSH_KEX], &s[HS_SSH_KEX], &out->kex);
    choose(&c[HS_SSH_HOSTKEY], &s[HS_SSH_HOSTKEY], &out->hostkey);
    choose(&c[HS_SSH_ENC_C2S], &s[HS_SSH_ENC_C2S], &out->enc_c2s);
    choose(&c[HS_SSH_ENC_S2C], &s[HS_SSH_ENC_S2C], &out->enc_s2c);
    choose_mac(&out->enc_c2s, &c[HS_SSH_MAC_C2S], &s[HS_SSH_MAC_C2S], &out->mac_c2s);
    choose_mac(&out->enc_s2c, &c[HS_SSH_MAC_S2C], &s[HS_SSH_MAC_S2C], &out->mac_s2c);
    choose(&c[HS_SSH_COMP_C2S], &s[HS_SSH_COMP_C2S], &out->comp_c2s);
    choose(&c[HS_SSH_COMP_S2C], &s[HS_SSH_COMP_S2C], &out->comp_s2c);
    return 0;
}

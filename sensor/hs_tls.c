/*
 * TLS: a bounded reader for the clear-text handshake. It owns nothing and keeps no state
 * between calls: each call walks the records of the prefix it is given, puts the first
 * handshake message(s) back together on its own stack when they span records, reads them with
 * length-checked cursors, and computes the fingerprints from the whole message into stack work
 * areas of fixed size (so a list cut in the caller's struct never changes a fingerprint).
 * It does not decrypt anything (TLS 1.3 certificates are out of reach by design) and does not
 * follow a flow: the caller keeps the stream bytes and decides when to stop calling.
 *
 * JA3 and JA3S follow tshark 4.0 (tls.handshake.ja3_full, ja3s_full) byte for byte, including
 * its quirks; JA4 follows the FoxIO specification (technical_details/JA4.md of FoxIO-LLC/ja4).
 * docs/FEATURES.md gives the definitions and where they differ from other readings.
 */
#include "sensor/hs_tls.h"

#include <assert.h>
#include <string.h>

#include "common/bytes.h"
#include "common/digest.h"

#define REC_HDR_LEN 5
#define REC_MAX     16384 /* TLSPlaintext.length <= 2^14 (RFC 8446 5.1) */
#define HS_HDR_LEN  4     /* msg_type and a 24-bit length */
#define RANDOM_LEN  32
#define SID_MAX     32 /* legacy_session_id <0..32> */

/* Room for the JA3 text with HS_TLS_FP_MAX values in each list (6 characters per value at
 * most: "65535-") and for the JA4 texts (5 per value: "002f,"); longer is too_many_values. */
#define TEXT_MAX (4 * 6 * HS_TLS_FP_MAX + 64)

enum {
    CT_CHANGE_CIPHER_SPEC = 20,
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
};

enum {
    HT_CLIENT_HELLO = 1,
    HT_SERVER_HELLO = 2,
    HT_CERTIFICATE = 11,
};

enum {
    EXT_SERVER_NAME = 0x0000,
    EXT_SUPPORTED_GROUPS = 0x000a,
    EXT_EC_POINT_FORMATS = 0x000b,
    EXT_SIGNATURE_ALGORITHMS = 0x000d,
    EXT_ALPN = 0x0010,
    EXT_SESSION_TICKET = 0x0023,
    EXT_PRE_SHARED_KEY = 0x0029,
    EXT_SUPPORTED_VERSIONS = 0x002b,
    EXT_ECH = 0xfe0d,
};

static const char *const status_names[] = {
#define HS_TLS_STATUS_NAME(name, counter) counter,
        HS_TLS_STATUS_LIST(HS_TLS_STATUS_NAME)
#undef HS_TLS_STATUS_NAME
};

const char *hs_tls_status_name(enum hs_tls_status st)
{
    return (unsigned)st < HS_TLS_STATUS_COUNT ? status_names[st] : "unknown";
}

/* RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa. */
static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ---- Cursors: every read is checked against the end of the cursor's bytes. ---- */

struct cur {
    const uint8_t *p;
    size_t len;
};

static bool take(struct cur *c, size_t n, struct cur *sub)
{
    if (n > c->len)
        return false;
    if (sub != NULL)
        *sub = (struct cur){c->p, n};
    c->p += n;
    c->len -= n;
    return true;
}

static bool get_u8(struct cur *c, uint8_t *v)
{
    if (c->len < 1)
        return false;
    *v = c->p[0];
    return take(c, 1, NULL);
}

static bool get_u16(struct cur *c, uint16_t *v)
{
    if (c->len < 2)
        return false;
    *v = rd_be16(c->p);
    return take(c, 2, NULL);
}

static uint32_t be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* A vector with a 1- or 2-byte length in front (RFC 8446 3.4). */
static bool get_vec8(struct cur *c, struct cur *v)
{
    uint8_t n;
    return get_u8(c, &n) && take(c, n, v);
}

static bool get_vec16(struct cur *c, struct cur *v)
{
    uint16_t n;
    return get_u16(c, &n) && take(c, n, v);
}

/* ---- Text: bounded writers. ---- */

struct text {
    char *buf;
    size_t len;
    size_t cap; /* bytes usable for characters; buf has one more for the NUL */
    bool over;  /* something did not fit */
};

static void put_char(struct text *t, char c)
{
    if (t->len < t->cap)
        t->buf[t->len++] = c;
    else
        t->over = true;
}

static void put_dec(struct text *t, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        put_char(t, tmp[--n]);
}

static const char hex_digits[] = "0123456789abcdef";

static void put_hex4(struct text *t, uint16_t v)
{
    for (int shift = 12; shift >= 0; shift -= 4)
        put_char(t, hex_digits[(v >> shift) & 15]);
}

/* Copies @n bytes as text into @dst (@cap bytes with the NUL), bytes outside printable ASCII
 * as '?'. Returns true when it had to cut. */
static bool copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t k = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < k; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[k] = '\0';
    return k < n;
}

/* ---- Records. ---- */

/*
 * The first record's header: a handshake record (or an alert) with version 3.x and a length
 * a TLS peer may send. With fewer than 5 bytes, whatever is there must agree.
 */
static enum hs_tls_status check_first_record(const uint8_t *s, size_t len, uint16_t *version)
{
    if (len == 0)
        return HS_TLS_INCOMPLETE;
    if (s[0] != CT_HANDSHAKE && s[0] != CT_ALERT)
        return HS_TLS_NOT_TLS;
    if (len >= 2 && s[1] != 3)
        return HS_TLS_NOT_TLS;
    if (len < REC_HDR_LEN)
        return HS_TLS_INCOMPLETE;
    uint16_t rlen = rd_be16(s + 3);
    if (rlen == 0 || rlen > REC_MAX)
        return HS_TLS_NOT_TLS;
    *version = rd_be16(s + 1);
    return s[0] == CT_ALERT ? HS_TLS_ALERT : HS_TLS_OK;
}

enum gather_stop {
    STOP_WANT,         /* @want bytes gathered */
    STOP_END_OF_DATA,  /* the stream ends (maybe inside a record) */
    STOP_OTHER_RECORD, /* a record of another content type follows */
    STOP_BAD_RECORD,   /* a record header that no TLS peer sends */
};

/*
 * Copies the handshake bytes of the records at the start of @s (their fragments, without the
 * record headers) into @buf, until @want bytes or one of the other stops. The first record's
 * header has been checked. Returns the number of bytes copied.
 */
static size_t gather(const uint8_t *s, size_t len, uint8_t *buf, size_t want,
                     enum gather_stop *stop)
{
    size_t pos = 0;
    size_t got = 0;
    while (got < want) {
        if (len - pos < REC_HDR_LEN) {
            *stop = STOP_END_OF_DATA;
            return got;
        }
        uint16_t rlen = rd_be16(s + pos + 3);
        if (s[pos] != CT_HANDSHAKE) {
            *stop = STOP_OTHER_RECORD;
            return got;
        }
        if (s[pos + 1] != 3 || rlen == 0 || rlen > REC_MAX) {
            *stop = STOP_BAD_RECORD;
            return got;
        }
        pos += REC_HDR_LEN;
        size_t n = len - pos < rlen ? len - pos : rlen;
        if (n > want - got)
            n = want - got;
        memcpy(buf + got, s + pos, n);
        got += n;
        pos += n;
        if (n < rlen && got < want) {
            *stop = STOP_END_OF_DATA; /* inside the last record */
            return got;
        }
    }
    *stop = STOP_WANT;
    return got;
}

/* What it means that the bytes needed were not there. */
static enum hs_tls_status short_status(enum gather_stop stop)
{
    switch (stop) {
    case STOP_END_OF_DATA:
        return HS_TLS_INCOMPLETE;
    case STOP_WANT:
        return HS_TLS_TOO_LONG; /* the work area is full */
    case STOP_OTHER_RECORD:
    case STOP_BAD_RECORD:
        break;
    }
    return HS_TLS_BAD_RECORD;
}

/* ---- ClientHello. ---- */

/* The whole lists the fingerprints need, GREASE removed, and the first ALPN name. */
struct ch_work {
    uint16_t ciphers[HS_TLS_FP_MAX];
    size_t n_ciphers;
    uint16_t exts[HS_TLS_FP_MAX];
    size_t n_exts;
    uint16_t sigalgs[HS_TLS_FP_MAX];
    size_t n_sigalgs;
    struct cur alpn0; /* the first ALPN name (raw bytes), when have_alpn0 */
    bool have_alpn0;
    bool seen_groups, seen_point_fmts, seen_sigalgs, seen_alpn, seen_versions, seen_sni;
    char text[TEXT_MAX + 1];
};

static void keep_u16(uint16_t *arr, size_t cap, struct hs_tls_kept *k, uint16_t v)
{
    if (k->n < cap)
        arr[k->n++] = v;
    else
        k->cut = true;
    k->total++;
}

/* A list of 16-bit values (suites, groups, sigalgs, versions): kept in @arr (may be NULL), and
 * in @all when given. GREASE values only set @grease. */
static enum hs_tls_status read_u16_list(struct cur v, uint16_t *arr, size_t cap,
                                        struct hs_tls_kept *k, uint16_t *all, size_t *n_all,
                                        bool *grease)
{
    if (v.len % 2 != 0)
        return HS_TLS_BAD_EXTENSION;
    for (size_t i = 0; i < v.len; i += 2) {
        uint16_t x = rd_be16(v.p + i);
        if (is_grease(x)) {
            *grease = true;
            continue;
        }
        if (arr != NULL)
            keep_u16(arr, cap, k, x);
        if (all != NULL) {
            if (*n_all >= HS_TLS_FP_MAX)
                return HS_TLS_TOO_MANY_VALUES;
            all[(*n_all)++] = x;
        }
    }
    return HS_TLS_OK;
}

/* server_name (RFC 6066 3): the first host_name entry. */
static enum hs_tls_status read_sni(struct cur data, struct hs_tls_client *out)
{
    out->sni_present = true;
    if (data.len == 0)
        return HS_TLS_OK; /* no name: still a server_name extension for JA4 */
    struct cur list;
    if (!get_vec16(&data, &list) || data.len != 0)
        return HS_TLS_BAD_EXTENSION;
    bool found = false;
    while (list.len > 0) {
        uint8_t type;
        struct cur name;
        if (!get_u8(&list, &type) || !get_vec16(&list, &name))
            return HS_TLS_BAD_EXTENSION;
        if (type == 0 && !found) {
            out->sni_cut = copy_text(out->sni, sizeof(out->sni), name.p, name.len);
            found = true;
        }
    }
    return HS_TLS_OK;
}

/* ALPN (RFC 7301 3.1): the names in order; the first one, whole, for JA4. */
static enum hs_tls_status read_alpn(struct cur data, struct hs_tls_client *out, struct ch_work *w)
{
    struct cur list;
    if (!get_vec16(&data, &list) || data.len != 0)
        return HS_TLS_BAD_EXTENSION;
    while (list.len > 0) {
        struct cur name;
        if (!get_vec8(&list, &name))
            return HS_TLS_BAD_EXTENSION;
        if (!w->have_alpn0) {
            w->alpn0 = name;
            w->have_alpn0 = true;
        }
        struct hs_tls_kept *k = &out->n_alpn;
        if (k->n < HS_TLS_ALPN_MAX) {
            if (copy_text(out->alpn[k->n], HS_TLS_ALPN_LEN, name.p, name.len))
                k->cut = true;
            k->n++;
        } else {
            k->cut = true;
        }
        k->total++;
    }
    return HS_TLS_OK;
}

/* Extensions whose content the struct or JA4 needs; only the first of each type is read
 * (RFC 8446 4.2 forbids repeats; JA3 still sees every one, as tshark does). */
static enum hs_tls_status read_client_ext(uint16_t type, struct cur data, struct hs_tls_client *out,
                                          struct ch_work *w)
{
    struct cur v;
    switch (type) {
    case EXT_SERVER_NAME:
        if (w->seen_sni)
            return HS_TLS_OK;
        w->seen_sni = true;
        return read_sni(data, out);
    case EXT_ALPN:
        if (w->seen_alpn)
            return HS_TLS_OK;
        w->seen_alpn = true;
        return read_alpn(data, out, w);
    case EXT_SUPPORTED_GROUPS:
        if (!get_vec16(&data, &v) || data.len != 0)
            return HS_TLS_BAD_EXTENSION;
        if (w->seen_groups)
            return read_u16_list(v, NULL, 0, NULL, NULL, NULL, &out->grease);
        w->seen_groups = true;
        return read_u16_list(v, out->groups, HS_TLS_GROUPS_MAX, &out->n_groups, NULL, NULL,
                             &out->grease);
    case EXT_EC_POINT_FORMATS:
        if (!get_vec8(&data, &v) || data.len != 0)
            return HS_TLS_BAD_EXTENSION;
        if (w->seen_point_fmts)
            return HS_TLS_OK;
        w->seen_point_fmts = true;
        for (size_t i = 0; i < v.len; i++) {
            struct hs_tls_kept *k = &out->n_point_fmts;
            if (k->n < HS_TLS_POINT_FMTS_MAX)
                out->point_fmts[k->n++] = v.p[i];
            else
                k->cut = true;
            k->total++;
        }
        return HS_TLS_OK;
    case EXT_SIGNATURE_ALGORITHMS:
        if (!get_vec16(&data, &v) || data.len != 0)
            return HS_TLS_BAD_EXTENSION;
        if (w->seen_sigalgs)
            return HS_TLS_OK;
        w->seen_sigalgs = true;
        return read_u16_list(v, out->sigalgs, HS_TLS_SIGALGS_MAX, &out->n_sigalgs, w->sigalgs,
                             &w->n_sigalgs, &out->grease);
    case EXT_SUPPORTED_VERSIONS:
        if (!get_vec8(&data, &v) || data.len != 0)
            return HS_TLS_BAD_EXTENSION;
        if (w->seen_versions)
            return HS_TLS_OK;
        w->seen_versions = true;
        /* The highest over the whole list: the kept one may be cut before it. */
        for (size_t i = 0; i + 1 < v.len; i += 2) {
            uint16_t x = rd_be16(v.p + i);
            if (!is_grease(x) && x > out->max_version)
                out->max_version = x;
        }
        return read_u16_list(v, out->versions, HS_TLS_VERSIONS_MAX, &out->n_versions, NULL, NULL,
                             &out->grease);
    case EXT_SESSION_TICKET:
        out->session_ticket = out->session_ticket || data.len > 0;
        return HS_TLS_OK;
    case EXT_PRE_SHARED_KEY:
        out->psk = true;
        return HS_TLS_OK;
    case EXT_ECH:
        out->ech = true;
        return HS_TLS_OK;
    default:
        return HS_TLS_OK;
    }
}

/* The next extension of a block already checked by read_client_exts(). */
static bool next_ext(struct cur *block, uint16_t *type, struct cur *data)
{
    return get_u16(block, type) && get_vec16(block, data);
}

static enum hs_tls_status read_client_exts(struct cur block, struct hs_tls_client *out,
                                           struct ch_work *w)
{
    while (block.len > 0) {
        uint16_t type;
        struct cur data;
        if (!next_ext(&block, &type, &data))
            return HS_TLS_TRUNCATED;
        if (is_grease(type)) {
            out->grease = true;
            continue;
        }
        keep_u16(out->exts, HS_TLS_EXTS_MAX, &out->n_exts, type);
        if (w->n_exts >= HS_TLS_FP_MAX)
            return HS_TLS_TOO_MANY_VALUES;
        w->exts[w->n_exts++] = type;
        enum hs_tls_status st = read_client_ext(type, data, out, w);
        if (st != HS_TLS_OK)
            return st;
    }
    return HS_TLS_OK;
}

/* JA3 groups and point formats as tshark 4.0 writes them: each such extension adds ',' and its
 * values joined by '-' (GREASE left out); without one, the field is a lone ','. */
static void ja3_ext_field(struct text *t, struct cur block, uint16_t want)
{
    bool any = false;
    uint16_t type;
    struct cur data;
    while (next_ext(&block, &type, &data)) {
        struct cur v;
        if (type != want)
            continue;
        any = true;
        put_char(t, ',');
        bool wide = want == EXT_SUPPORTED_GROUPS;
        if (!(wide ? get_vec16(&data, &v) : get_vec8(&data, &v)))
            continue; /* cannot happen: checked by read_client_ext() */
        const char *dash = "";
        for (size_t i = 0; i < v.len; i += wide ? 2 : 1) {
            uint16_t x = wide ? rd_be16(v.p + i) : v.p[i];
            if (wide && is_grease(x))
                continue;
            if (*dash)
                put_char(t, *dash);
            put_dec(t, x);
            dash = "-";
        }
    }
    if (!any)
        put_char(t, ',');
}

/* JA3 (Salesforce; as tshark 4.0's tls.handshake.ja3): MD5 of
 * "version,suites,extensions,groups,point_formats", decimal values joined by '-'. */
static enum hs_tls_status ja3(struct digest *d, uint16_t version, struct cur exts,
                              struct ch_work *w, uint8_t md5[16])
{
    struct text t = {w->text, 0, TEXT_MAX, false};
    put_dec(&t, version);
    put_char(&t, ',');
    for (size_t i = 0; i < w->n_ciphers; i++) {
        if (i > 0)
            put_char(&t, '-');
        put_dec(&t, w->ciphers[i]);
    }
    put_char(&t, ',');
    for (size_t i = 0; i < w->n_exts; i++) {
        if (i > 0)
            put_char(&t, '-');
        put_dec(&t, w->exts[i]);
    }
    ja3_ext_field(&t, exts, EXT_SUPPORTED_GROUPS);
    ja3_ext_field(&t, exts, EXT_EC_POINT_FORMATS);
    if (t.over)
        return HS_TLS_TOO_MANY_VALUES;
    return digest_md5(d, t.buf, t.len, md5) == 0 ? HS_TLS_OK : HS_TLS_DIGEST_FAILED;
}

static void sort_u16(uint16_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint16_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* The first 12 hex digits of SHA-256 of @t, or twelve zeros when @empty (JA4: "makes it clear
 * to the user when a field has no values"). */
static enum hs_tls_status ja4_hash(struct digest *d, const struct text *t, bool empty, char *out)
{
    if (empty) {
        memset(out, '0', 12);
        return HS_TLS_OK;
    }
    uint8_t h[DIGEST_SHA256_LEN];
    if (digest_sha256(d, t->buf, t->len, h) != 0)
        return HS_TLS_DIGEST_FAILED;
    char hex[2 * 6 + 1];
    digest_hex(h, 6, hex);
    memcpy(out, hex, 12);
    return HS_TLS_OK;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4_a's last two characters: the first and last characters of the first ALPN name, or of
 * its hex form when either is not alphanumeric; "00" without one. */
static void ja4_alpn(const struct ch_work *w, char out[2])
{
    if (!w->have_alpn0 || w->alpn0.len == 0) {
        out[0] = out[1] = '0';
        return;
    }
    uint8_t first = w->alpn0.p[0];
    uint8_t last = w->alpn0.p[w->alpn0.len - 1];
    if (is_alnum(first) && is_alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = hex_digits[first >> 4];
        out[1] = hex_digits[last & 15];
    }
}

static void put_2digits(char *out, size_t n)
{
    if (n > 99)
        n = 99;
    out[0] = (char)('0' + n / 10);
    out[1] = (char)('0' + n % 10);
}

/* JA4 (FoxIO): "t13d1516h2_<12 hex>_<12 hex>". Sorts the work lists in place. */
static enum hs_tls_status ja4(struct digest *d, char transport, const struct hs_tls_client *c,
                              struct ch_work *w, char out[HS_TLS_JA4_LEN])
{
    /* The highest supported_versions value; the legacy version without one (or when it held
     * only GREASE, which the specification leaves open). */
    uint16_t version = c->max_version != 0 ? c->max_version : c->legacy_version;
    out[0] = transport;
    memcpy(out + 1, ja4_version(version), 2);
    out[3] = c->sni_present ? 'd' : 'i';
    put_2digits(out + 4, w->n_ciphers);
    put_2digits(out + 6, w->n_exts);
    ja4_alpn(w, out + 8);
    out[10] = '_';
    out[23] = '_';
    out[36] = '\0';

    struct text t = {w->text, 0, TEXT_MAX, false};
    sort_u16(w->ciphers, w->n_ciphers);
    for (size_t i = 0; i < w->n_ciphers; i++) {
        if (i > 0)
            put_char(&t, ',');
        put_hex4(&t, w->ciphers[i]);
    }
    enum hs_tls_status st = ja4_hash(d, &t, w->n_ciphers == 0, out + 11);
    if (st != HS_TLS_OK)
        return st;

    /* Extensions sorted without server_name and ALPN (JA4_a shows those), then '_' and the
     * signature algorithms in their order, unless there are none. */
    t.len = 0;
    sort_u16(w->exts, w->n_exts);
    size_t n = 0;
    for (size_t i = 0; i < w->n_exts; i++) {
        if (w->exts[i] == EXT_SERVER_NAME || w->exts[i] == EXT_ALPN)
            continue;
        if (n++ > 0)
            put_char(&t, ',');
        put_hex4(&t, w->exts[i]);
    }
    for (size_t i = 0; i < w->n_sigalgs; i++) {
        put_char(&t, i == 0 ? '_' : ',');
        put_hex4(&t, w->sigalgs[i]);
    }
    assert(!t.over); /* 5 characters per value fit TEXT_MAX */
    return ja4_hash(d, &t, n == 0, out + 24);
}

/* The ClientHello body (RFC 8446 4.1.2; RFC 5246 7.4.1.2 without extensions). */
static enum hs_tls_status parse_client_hello(const uint8_t *body, size_t len, struct digest *d,
                                             char transport, struct hs_tls_client *out)
{
    struct ch_work w;
    w.n_ciphers = w.n_exts = w.n_sigalgs = 0;
    w.have_alpn0 = false;
    w.seen_groups = w.seen_point_fmts = w.seen_sigalgs = false;
    w.seen_alpn = w.seen_versions = w.seen_sni = false;

    struct cur c = {body, len};
    struct cur sid, suites, comp, exts = {body + len, 0};
    if (!get_u16(&c, &out->legacy_version) || !take(&c, RANDOM_LEN, NULL) || !get_vec8(&c, &sid))
        return HS_TLS_TRUNCATED;
    if (sid.len > SID_MAX)
        return HS_TLS_BAD_LENGTH;
    if (!get_vec16(&c, &suites) || !get_vec8(&c, &comp))
        return HS_TLS_TRUNCATED;
    if (suites.len % 2 != 0)
        return HS_TLS_BAD_LENGTH;
    /* Extensions may be absent altogether (SSL 3.0, RFC 5246 7.4.1.2). */
    if (c.len > 0) {
        if (!get_vec16(&c, &exts))
            return HS_TLS_TRUNCATED;
        if (c.len != 0)
            return HS_TLS_BAD_LENGTH;
    }
    enum hs_tls_status st = read_u16_list(suites, out->ciphers, HS_TLS_CIPHERS_MAX, &out->n_ciphers,
                                          w.ciphers, &w.n_ciphers, &out->grease);
    if (st != HS_TLS_OK)
        return st;
    if ((st = read_client_exts(exts, out, &w)) != HS_TLS_OK)
        return st;
    if ((st = ja3(d, out->legacy_version, exts, &w, out->ja3_md5)) != HS_TLS_OK)
        return st;
    return ja4(d, transport, out, &w, out->ja4);
}

/* A complete handshake message at @msg (@len >= 4 + its length) of type ClientHello. */
static enum hs_tls_status client_hello_msg(const uint8_t *msg, struct digest *d, char transport,
                                           struct hs_tls_client *out)
{
    return parse_client_hello(msg + HS_HDR_LEN, be24(msg + 1), d, transport, out);
}

enum hs_tls_status hs_tls_parse_client_hello_msg(const uint8_t *msg, size_t len, struct digest *d,
                                                 char transport, struct hs_tls_client *out)
{
    assert(transport == 't' || transport == 'q');
    memset(out, 0, sizeof(*out));
    if (len >= 1 && msg[0] != HT_CLIENT_HELLO)
        return HS_TLS_UNEXPECTED_MESSAGE;
    if (len < HS_HDR_LEN)
        return HS_TLS_INCOMPLETE;
    size_t need = HS_HDR_LEN + (size_t)be24(msg + 1);
    if (need > HS_TLS_MSG_MAX)
        return HS_TLS_TOO_LONG;
    if (len < need)
        return HS_TLS_INCOMPLETE;
    return client_hello_msg(msg, d, transport, out);
}

enum hs_tls_status hs_tls_parse_client(const uint8_t *stream, size_t len, struct digest *d,
                                       struct hs_tls_client *out)
{
    memset(out, 0, sizeof(*out));
    uint16_t version = 0;
    enum hs_tls_status st = check_first_record(stream, len, &version);
    if (st != HS_TLS_OK)
        return st;
    out->record_version = version;
    size_t rlen = rd_be16(stream + 3);
    if (len > REC_HDR_LEN && stream[REC_HDR_LEN] != HT_CLIENT_HELLO)
        return HS_TLS_UNEXPECTED_MESSAGE;
    /* Nearly always the whole ClientHello is in the first record: read it in place. */
    if (rlen >= HS_HDR_LEN && len >= REC_HDR_LEN + HS_HDR_LEN) {
        size_t need = HS_HDR_LEN + (size_t)be24(stream + REC_HDR_LEN + 1);
        if (need <= rlen)
            return len >= REC_HDR_LEN + need ? client_hello_msg(stream + REC_HDR_LEN, d, 't', out)
                                             : HS_TLS_INCOMPLETE;
    }
    uint8_t msg[HS_TLS_MSG_MAX];
    enum gather_stop stop;
    if (gather(stream, len, msg, HS_HDR_LEN, &stop) < HS_HDR_LEN)
        return short_status(stop);
    size_t need = HS_HDR_LEN + (size_t)be24(msg + 1);
    if (need > sizeof(msg))
        return HS_TLS_TOO_LONG;
    if (gather(stream, len, msg, need, &stop) < need)
        return short_status(stop);
    return client_hello_msg(msg, d, 't', out);
}

/* ---- ServerHello. ---- */

/* RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random, SHA-256 of
 * "HelloRetryRequest". */
static const uint8_t hrr_random[RANDOM_LEN] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
                                               0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
                                               0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
                                               0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static enum hs_tls_status read_server_ext(uint16_t type, struct cur data, struct hs_tls_server *out)
{
    struct cur list, name;
    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        if (!get_u16(&data, &out->selected_version) || data.len != 0)
            return HS_TLS_BAD_EXTENSION;
        return HS_TLS_OK;
    case EXT_ALPN:
        /* RFC 7301 3.1: exactly one name. */
        if (!get_vec16(&data, &list) || data.len != 0 || !get_vec8(&list, &name) || list.len != 0)
            return HS_TLS_BAD_EXTENSION;
        copy_text(out->alpn, sizeof(out->alpn), name.p, name.len);
        return HS_TLS_OK;
    default:
        return HS_TLS_OK;
    }
}

/* The ServerHello body, and JA3S (tshark 4.0's tls.handshake.ja3s): MD5 of
 * "version,cipher,extensions", GREASE extensions left out. */
static enum hs_tls_status parse_server_hello(const uint8_t *body, size_t len, struct digest *d,
                                             struct hs_tls_server *out)
{
    struct cur c = {body, len};
    struct cur random, sid, exts = {body + len, 0};
    uint8_t comp;
    if (!get_u16(&c, &out->version) || !take(&c, RANDOM_LEN, &random) || !get_vec8(&c, &sid))
        return HS_TLS_TRUNCATED;
    if (sid.len > SID_MAX)
        return HS_TLS_BAD_LENGTH;
    if (!get_u16(&c, &out->cipher) || !get_u8(&c, &comp))
        return HS_TLS_TRUNCATED;
    if (c.len > 0) {
        if (!get_vec16(&c, &exts))
            return HS_TLS_TRUNCATED;
        if (c.len != 0)
            return HS_TLS_BAD_LENGTH;
    }
    out->hello_retry = memcmp(random.p, hrr_random, RANDOM_LEN) == 0;

    char buf[TEXT_MAX + 1];
    struct text t = {buf, 0, TEXT_MAX, false};
    put_dec(&t, out->version);
    put_char(&t, ',');
    put_dec(&t, out->cipher);
    put_char(&t, ',');
    bool first = true;
    while (exts.len > 0) {
        uint16_t type;
        struct cur data;
        if (!next_ext(&exts, &type, &data))
            return HS_TLS_TRUNCATED;
        if (is_grease(type))
            continue;
        keep_u16(out->exts, HS_TLS_SERVER_EXTS_MAX, &out->n_exts, type);
        if (!first)
            put_char(&t, '-');
        put_dec(&t, type);
        first = false;
        enum hs_tls_status st = read_server_ext(type, data, out);
        if (st != HS_TLS_OK)
            return st;
    }
    if (t.over)
        return HS_TLS_TOO_MANY_VALUES;
    if (digest_md5(d, t.buf, t.len, out->ja3s_md5) != 0)
        return HS_TLS_DIGEST_FAILED;
    out->hello_parsed = true;
    return HS_TLS_OK;
}

/* ---- The first certificate: a bounded DER walk (X.690) over just the fields we keep. ---- */

struct tlv {
    uint8_t tag;
    struct cur whole; /* tag, length and content */
    struct cur content;
};

/* The next DER TLV: single-byte tags, definite lengths of up to 4 bytes. */
static bool der_next(struct cur *c, struct tlv *t)
{
    const uint8_t *start = c->p;
    size_t before = c->len;
    uint8_t l;
    if (!get_u8(c, &t->tag) || (t->tag & 0x1f) == 0x1f || !get_u8(c, &l))
        return false;
    size_t n = l;
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 4 || c->len < k)
            return false; /* indefinite lengths are BER, not DER */
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = n << 8 | c->p[i];
        take(c, k, NULL);
    }
    if (!take(c, n, &t->content))
        return false;
    t->whole = (struct cur){start, before - c->len};
    return true;
}

static bool der_expect(struct cur *c, uint8_t tag, struct tlv *t)
{
    return der_next(c, t) && t->tag == tag;
}

enum {
    DER_INTEGER = 0x02,
    DER_OID = 0x06,
    DER_UTF8 = 0x0c,
    DER_NUMERIC = 0x12,
    DER_PRINTABLE = 0x13,
    DER_TELETEX = 0x14,
    DER_IA5 = 0x16,
    DER_UTC_TIME = 0x17,
    DER_GENERALIZED_TIME = 0x18,
    DER_VISIBLE = 0x1a,
    DER_UNIVERSAL = 0x1c,
    DER_BMP = 0x1e,
    DER_SEQUENCE = 0x30,
    DER_SET = 0x31,
    DER_VERSION = 0xa0, /* [0] EXPLICIT Version */
};

/* Attribute types with a short name: RFC 4514 3 (CN, L, ST, O, OU, C, STREET, DC, UID) and
 * the names OpenSSL prints for the others common in server certificates. */
static const struct {
    uint8_t len;
    uint8_t der[11];
    const char *name;
} attr_names[] = {
        {3, {0x55, 0x04, 0x03}, "CN"},
        {3, {0x55, 0x04, 0x04}, "SN"},
        {3, {0x55, 0x04, 0x05}, "serialNumber"},
        {3, {0x55, 0x04, 0x06}, "C"},
        {3, {0x55, 0x04, 0x07}, "L"},
        {3, {0x55, 0x04, 0x08}, "ST"},
        {3, {0x55, 0x04, 0x09}, "STREET"},
        {3, {0x55, 0x04, 0x0a}, "O"},
        {3, {0x55, 0x04, 0x0b}, "OU"},
        {3, {0x55, 0x04, 0x0c}, "title"},
        {3, {0x55, 0x04, 0x0f}, "businessCategory"},
        {3, {0x55, 0x04, 0x11}, "postalCode"},
        {3, {0x55, 0x04, 0x2a}, "GN"},
        {3, {0x55, 0x04, 0x61}, "organizationIdentifier"},
        {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, "emailAddress"},
        {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC"},
        {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, "UID"},
        {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x01}, "jurisdictionL"},
        {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x02}, "jurisdictionST"},
        {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x03}, "jurisdictionC"},
};

static void put_str(struct text *t, const char *s)
{
    while (*s)
        put_char(t, *s++);
}

/* An OID as dotted decimal (X.690 8.19); false when malformed or an arc exceeds 64 bits. */
static bool put_oid(struct text *t, struct cur oid)
{
    for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
        if (oid.len == attr_names[i].len && memcmp(oid.p, attr_names[i].der, oid.len) == 0) {
            put_str(t, attr_names[i].name);
            return true;
        }
    }
    if (oid.len == 0 || (oid.p[oid.len - 1] & 0x80))
        return false;
    uint64_t arc = 0;
    bool first = true;
    for (size_t i = 0; i < oid.len; i++) {
        if (arc > (UINT64_MAX >> 7))
            return false;
        arc = arc << 7 | (oid.p[i] & 0x7f);
        if (oid.p[i] & 0x80)
            continue;
        if (first) {
            /* The first subidentifier packs two arcs: 40 * X + Y, X in 0..2. */
            unsigned x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            put_dec(t, x);
            put_char(t, '.');
            arc -= 40 * (uint64_t)x;
            first = false;
        } else {
            put_char(t, '.');
        }
        put_dec(t, arc);
        arc = 0;
    }
    return true;
}

/* One character of a value: RFC 4514 2.4 escapes, '?' outside printable ASCII. */
static void put_value_char(struct text *t, uint32_t ch)
{
    if (ch < 0x20 || ch >= 0x7f) {
        put_char(t, '?');
        return;
    }
    if (strchr(",+\"\\<>;", (int)ch) != NULL) {
        if (t->len + 2 > t->cap) {
            t->over = true;
            return;
        }
        put_char(t, '\\');
    }
    put_char(t, (char)ch);
}

static void put_value(struct text *t, const struct tlv *v)
{
    const uint8_t *p = v->content.p;
    size_t n = v->content.len;
    switch (v->tag) {
    case DER_UTF8:
        /* One '?' per multi-byte character: its continuation bytes are skipped. */
        for (size_t i = 0; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                put_value_char(t, p[i]);
        }
        return;
    case DER_NUMERIC:
    case DER_PRINTABLE:
    case DER_TELETEX:
    case DER_IA5:
    case DER_VISIBLE:
        for (size_t i = 0; i < n; i++)
            put_value_char(t, p[i]);
        return;
    case DER_BMP: /* UCS-2, big-endian */
        for (size_t i = 0; i + 1 < n; i += 2)
            put_value_char(t, rd_be16(p + i));
        return;
    case DER_UNIVERSAL: /* UCS-4, big-endian */
        for (size_t i = 0; i + 3 < n; i += 4)
            put_value_char(t, rd_be32(p + i));
        return;
    default:
        /* RFC 4514 2.4: '#' and the hex of the value's whole encoding. */
        put_char(t, '#');
        for (size_t i = 0; i < v->whole.len; i++) {
            put_char(t, hex_digits[v->whole.p[i] >> 4]);
            put_char(t, hex_digits[v->whole.p[i] & 15]);
        }
        return;
    }
}

#define DN_ATTRS_MAX 32 /* attributes shown: past that the text is over HS_TLS_DN_LEN anyway */

/*
 * A Name (RFC 5280 4.1.2.4) as an RFC 4514 string into @dst: the attributes from the last to
 * the first (as OpenSSL's RFC2253 output, also inside a multi-valued RDN), ',' between RDNs
 * and '+' inside one. Returns false when malformed; sets *@cut when the text did not fit.
 */
static bool read_name(struct cur name, char *dst, size_t cap, bool *cut)
{
    struct {
        struct cur oid;
        struct tlv value;
        bool rdn_start;    /* the first attribute of its RDN */
    } attrs[DN_ATTRS_MAX]; /* the last DN_ATTRS_MAX, attribute i at i % DN_ATTRS_MAX */
    size_t n = 0;
    while (name.len > 0) {
        struct tlv set;
        if (!der_expect(&name, DER_SET, &set) || set.content.len == 0)
            return false;
        for (bool first = true; set.content.len > 0; first = false) {
            struct tlv atav, oid, value;
            if (!der_expect(&set.content, DER_SEQUENCE, &atav) ||
                !der_expect(&atav.content, DER_OID, &oid) || !der_next(&atav.content, &value) ||
                atav.content.len != 0)
                return false;
            attrs[n % DN_ATTRS_MAX].oid = oid.content;
            attrs[n % DN_ATTRS_MAX].value = value;
            attrs[n % DN_ATTRS_MAX].rdn_start = first;
            n++;
        }
    }
    /* The string starts with the last attribute; the first ones past DN_ATTRS_MAX are left
     * out (and the text marked cut). */
    struct text t = {dst, 0, cap - 1, n > DN_ATTRS_MAX};
    size_t first = n > DN_ATTRS_MAX ? n - DN_ATTRS_MAX : 0;
    for (size_t i = n; i-- > first;) {
        if (i + 1 < n)
            put_char(&t, attrs[(i + 1) % DN_ATTRS_MAX].rdn_start ? ',' : '+');
        if (!put_oid(&t, attrs[i % DN_ATTRS_MAX].oid))
            return false;
        put_char(&t, '=');
        put_value(&t, &attrs[i % DN_ATTRS_MAX].value);
    }
    dst[t.len] = '\0';
    *cut = *cut || t.over;
    return true;
}

static bool digits(const uint8_t *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in 1..y-1 (y >= 1). */
static int64_t leaps_before(int y)
{
    return (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
}

/* UTCTime YYMMDDHHMM[SS]Z (years 1950-2049, RFC 5280 4.1.2.5.1) or GeneralizedTime
 * YYYYMMDDHHMMSSZ, as Unix seconds. */
static bool read_time(const struct tlv *v, int64_t *out)
{
    static const uint8_t month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const uint16_t days_before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    const uint8_t *s = v->content.p;
    size_t n = v->content.len;
    int y, mo, d, h, mi, sec = 0;
    if (v->tag == DER_UTC_TIME && (n == 13 || n == 11) && s[n - 1] == 'Z') {
        if (!digits(s, 2, &y))
            return false;
        y += y >= 50 ? 1900 : 2000;
        s += 2;
        n -= 2;
    } else if (v->tag == DER_GENERALIZED_TIME && n == 15 && s[14] == 'Z') {
        if (!digits(s, 4, &y) || y == 0)
            return false;
        s += 4;
        n -= 4;
    } else {
        return false;
    }
    /* n is now 11 (MMDDHHMMSSZ) or 9 (MMDDHHMMZ). */
    if (!digits(s, 2, &mo) || !digits(s + 2, 2, &d) || !digits(s + 4, 2, &h) ||
        !digits(s + 6, 2, &mi) || (n == 11 && !digits(s + 8, 2, &sec)))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60 ||
        d > month_days[mo - 1] + (mo == 2 && is_leap(y)))
        return false;
    int64_t days = 365 * (int64_t)(y - 1970) + leaps_before(y) - leaps_before(1970) +
                   days_before[mo - 1] + (mo > 2 && is_leap(y)) + d - 1;
    *out = days * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

/* Certificate -> TBSCertificate: [0] version, serial, signature, issuer, validity, subject
 * (RFC 5280 4.1). */
static enum hs_tls_status parse_cert(const uint8_t *der, size_t len, struct hs_tls_server *out)
{
    struct cur c = {der, len};
    struct tlv cert, tbs, t, issuer, validity, nb, na, subject;
    if (!der_expect(&c, DER_SEQUENCE, &cert) || !der_expect(&cert.content, DER_SEQUENCE, &tbs) ||
        !der_next(&tbs.content, &t))
        return HS_TLS_BAD_CERT;
    if (t.tag == DER_VERSION && !der_next(&tbs.content, &t))
        return HS_TLS_BAD_CERT;
    if (t.tag != DER_INTEGER || !der_expect(&tbs.content, DER_SEQUENCE, &t) ||
        !der_expect(&tbs.content, DER_SEQUENCE, &issuer) ||
        !der_expect(&tbs.content, DER_SEQUENCE, &validity) ||
        !der_expect(&tbs.content, DER_SEQUENCE, &subject) || !der_next(&validity.content, &nb) ||
        !der_next(&validity.content, &na) || !read_time(&nb, &out->not_before) ||
        !read_time(&na, &out->not_after) ||
        !read_name(issuer.content, out->issuer, sizeof(out->issuer), &out->cert_cut) ||
        !read_name(subject.content, out->subject, sizeof(out->subject), &out->cert_cut)) {
        out->issuer[0] = out->subject[0] = '\0';
        out->not_before = out->not_after = 0;
        out->cert_cut = false;
        return HS_TLS_BAD_CERT;
    }
    out->have_cert = true;
    return HS_TLS_OK;
}

/* After the ServerHello (at @pos of @buf, @got bytes gathered): the first certificate of a
 * Certificate message (RFC 5246 7.4.2), if that is what follows. */
static enum hs_tls_status after_server_hello(const uint8_t *buf, size_t got, size_t pos,
                                             enum gather_stop stop, struct hs_tls_server *out)
{
    if (got == pos)
        return stop == STOP_OTHER_RECORD ? HS_TLS_OK : short_status(stop);
    if (buf[pos] != HT_CERTIFICATE)
        return HS_TLS_OK; /* resumption, anonymous suites: no certificate in the clear */
    /* Header, certificate_list length, first certificate's length. */
    if (got - pos < HS_HDR_LEN + 3 + 3)
        return short_status(stop);
    size_t msg_len = be24(buf + pos + 1);
    size_t list_len = be24(buf + pos + HS_HDR_LEN);
    if (list_len + 3 != msg_len)
        return HS_TLS_BAD_LENGTH;
    if (list_len == 0)
        return HS_TLS_OK;
    size_t cert_len = be24(buf + pos + HS_HDR_LEN + 3);
    if (cert_len + 3 > list_len)
        return HS_TLS_BAD_LENGTH;
    size_t start = pos + HS_HDR_LEN + 3 + 3;
    if (cert_len > HS_TLS_MSG_MAX - start)
        return HS_TLS_TOO_LONG;
    if (got - start < cert_len)
        return short_status(stop);
    return parse_cert(buf + start, cert_len, out);
}

enum hs_tls_status hs_tls_parse_server(const uint8_t *stream, size_t len, struct digest *d,
                                       struct hs_tls_server *out)
{
    memset(out, 0, sizeof(*out));
    /* Warning alerts before the hello are skipped: a server that does not know the SNI name
     * may send unrecognized_name (112) at level warning (1) and go on (RFC 6066 3). */
    while (len >= REC_HDR_LEN + 2 && stream[0] == CT_ALERT && stream[1] == 3 &&
           rd_be16(stream + 3) == 2 && stream[REC_HDR_LEN] == 1) {
        stream += REC_HDR_LEN + 2;
        len -= REC_HDR_LEN + 2;
    }
    uint16_t version = 0;
    enum hs_tls_status st = check_first_record(stream, len, &version);
    if (st != HS_TLS_OK)
        return st;
    out->record_version = version;
    if (len > REC_HDR_LEN && stream[REC_HDR_LEN] != HT_SERVER_HELLO)
        return HS_TLS_UNEXPECTED_MESSAGE;
    /* The ServerHello and what follows it, as far as the work area goes. */
    uint8_t buf[HS_TLS_MSG_MAX];
    enum gather_stop stop;
    size_t got = gather(stream, len, buf, sizeof(buf), &stop);
    if (got < HS_HDR_LEN)
        return short_status(stop);
    size_t sh_len = be24(buf + 1);
    if (sh_len > sizeof(buf) - HS_HDR_LEN)
        return HS_TLS_TOO_LONG;
    if (got < HS_HDR_LEN + sh_len)
        return short_status(stop);
    if ((st = parse_server_hello(buf + HS_HDR_LEN, sh_len, d, out)) != HS_TLS_OK) {
        memset(out, 0, sizeof(*out)); /* fails only before hello_parsed */
        out->record_version = version;
        return st;
    }
    /* supported_versions in a ServerHello means TLS 1.3 or later (RFC 8446 4.2.1): the
     * certificate is encrypted. */
    if (out->selected_version != 0 || out->hello_retry)
        return HS_TLS_OK;
    return after_server_hello(buf, got, HS_HDR_LEN + sh_len, stop, out);
}

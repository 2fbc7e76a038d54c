/*
 * HTTP/1 requests: the request line and two headers, read in place from the client's first
 * bytes. It owns nothing; every read is bounded by the length given.
 */
#include "sensor/hs_http.h"

#include <string.h>
#include <strings.h>

/* The line starting at @p ends at the returned offset (its '\n'), or @len when it does not. */
static size_t line_end(const uint8_t *buf, size_t len, size_t p)
{
    const uint8_t *nl = memchr(buf + p, '\n', len - p);
    return nl ? (size_t)(nl - buf) : len;
}

/* Copies bytes [from, to) into @dst (printable ASCII kept, others as '?'); flags a cut. */
static void copy_field(char *dst, size_t cap, const uint8_t *src, size_t n, bool *cut)
{
    if (n >= cap) {
        n = cap - 1;
        *cut = true;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[n] = '\0';
}

static bool is_tchar(uint8_t c)
{
    /* RFC 9110 5.6.2 token characters, enough for methods. */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum hs_http_status request_line(const uint8_t *buf, size_t end, struct hs_http_request *out)
{
    size_t m = 0;
    while (m < end && is_tchar(buf[m]))
        m++;
    if (m == 0 || m >= HS_HTTP_METHOD_MAX || m >= end || buf[m] != ' ')
        return HS_HTTP_NOT_HTTP;
    size_t t = m + 1;
    size_t te = t;
    while (te < end && buf[te] != ' ')
        te++;
    /* " HTTP/1.x" and perhaps a '\r' before the line's end. */
    size_t rest = end - te;
    if (te == t || rest < 9 || (rest > 10) || memcmp(buf + te, " HTTP/1.", 8) != 0 ||
        buf[te + 8] < '0' || buf[te + 8] > '9' || (rest == 10 && buf[te + 9] != '\r'))
        return HS_HTTP_NOT_HTTP;
    copy_field(out->method, sizeof(out->method), buf, m, &out->cut);
    copy_field(out->target, sizeof(out->target), buf + t, te - t, &out->cut);
    out->version_minor = (uint8_t)(buf[te + 8] - '0');
    return HS_HTTP_OK;
}

/* "Name: value" at [p, e): fills Host or User-Agent when it is one of them. */
static void header(const uint8_t *buf, size_t p, size_t e, struct hs_http_request *out)
{
    const uint8_t *colon = memchr(buf + p, ':', e - p);
    if (colon == NULL)
        return;
    size_t n = (size_t)(colon - (buf + p));
    size_t v = (size_t)(colon - buf) + 1;
    while (v < e && (buf[v] == ' ' || buf[v] == '\t'))
        v++;
    size_t ve = e;
    while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t' || buf[ve - 1] == '\r'))
        ve--;
    char *dst = NULL;
    if (n == 4 && strncasecmp((const char *)buf + p, "host", 4) == 0)
        dst = out->host;
    else if (n == 10 && strncasecmp((const char *)buf + p, "user-agent", 10) == 0)
        dst = out->user_agent;
    if (dst != NULL && dst[0] == '\0') /* the first one counts */
        copy_field(dst, HS_HTTP_FIELD_MAX, buf + v, ve - v, &out->cut);
}

enum hs_http_status hs_http_parse_request(const uint8_t *buf, size_t len,
                                          struct hs_http_request *out)
{
    memset(out, 0, sizeof(*out));
    if (buf == NULL || len == 0)
        return HS_HTTP_INCOMPLETE;
    size_t end = line_end(buf, len, 0);
    if (end == len) {
        /* No line end yet: refuse at once what cannot become a request line. */
        size_t m = 0;
        while (m < len && is_tchar(buf[m]))
            m++;
        return (m < len && buf[m] != ' ') || m >= HS_HTTP_METHOD_MAX ? HS_HTTP_NOT_HTTP
                                                                     : HS_HTTP_INCOMPLETE;
    }
    enum hs_http_status st = request_line(buf, end, out);
    if (st != HS_HTTP_OK)
        return st;
    size_t p = end + 1;
    while (p < len) {
        size_t e = line_end(buf, len, p);
        if (e == len)
            break; /* a header cut by the end of the bytes given: not read */
        if (e == p || (e == p + 1 && buf[p] == '\r')) {
            out->headers_complete = true;
            break;
        }
        header(buf, p, e, out);
        p = e + 1;
    }
    return HS_HTTP_OK;
}

/*
 * HTTP/1 in the clear: the method, target, Host and User-Agent of a request, from the first
 * payload bytes a client sends (RFC 9112). Bounded: only the bytes given are read, fields longer
 * than their buffers are cut (and flagged), and anything that is not an HTTP/1 request line is
 * refused with a reason. Allocation-free and stateless.
 */
#ifndef UMBRA_SENSOR_HS_HTTP_H
#define UMBRA_SENSOR_HS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_HTTP_METHOD_MAX 16
#define HS_HTTP_FIELD_MAX  256

struct hs_http_request {
    char method[HS_HTTP_METHOD_MAX];    /* "GET", "POST", ... */
    char target[HS_HTTP_FIELD_MAX];     /* request target, cut to fit */
    char host[HS_HTTP_FIELD_MAX];       /* Host header value, "" when absent */
    char user_agent[HS_HTTP_FIELD_MAX]; /* User-Agent header value, "" when absent */
    uint8_t version_minor;              /* HTTP/1.x */
    bool cut;                           /* some field was longer than its buffer */
    bool headers_complete;              /* the blank line ending the headers was seen */
};

enum hs_http_status {
    HS_HTTP_OK = 0,
    HS_HTTP_NOT_HTTP,   /* the first line is not METHOD SP TARGET SP HTTP/1.x */
    HS_HTTP_INCOMPLETE, /* the request line does not end within the bytes given */
};

/*
 * hs_http_parse_request() - read a request from the first @len bytes a client sent. Header
 * names match without regard to case; values lose their surrounding blanks; bytes outside
 * printable ASCII become '?'. Headers after the given bytes are simply not seen
 * (headers_complete stays false).
 */
enum hs_http_status hs_http_parse_request(const uint8_t *buf, size_t len,
                                          struct hs_http_request *out);

#endif

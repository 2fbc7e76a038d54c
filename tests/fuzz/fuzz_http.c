/*
 * Fuzz target: a client's first bytes through hs_http_parse_request(). Any status is fine;
 * reading outside the input or a field without its NUL is not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/hs_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hs_http_request r;
    enum hs_http_status st = hs_http_parse_request(data, size, &r);
    if (st > HS_HTTP_INCOMPLETE || memchr(r.method, '\0', sizeof(r.method)) == NULL ||
        memchr(r.target, '\0', sizeof(r.target)) == NULL ||
        memchr(r.host, '\0', sizeof(r.host)) == NULL ||
        memchr(r.user_agent, '\0', sizeof(r.user_agent)) == NULL)
        abort();
    return 0;
}

/*
 * Fuzz target: one DNS message per input, through hs_dns_parse(). Any status is fine; reading
 * outside the input, looping, or a name without its NUL is not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/hs_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hs_dns_msg m;
    enum hs_dns_status st = hs_dns_parse(data, size, &m);
    if ((unsigned)st >= HS_DNS_STATUS_COUNT || m.n_answers > HS_DNS_ANSWERS_MAX ||
        memchr(m.qname, '\0', sizeof(m.qname)) == NULL)
        abort();
    for (uint16_t i = 0; i < m.n_answers; i++) {
        if (memchr(m.answers[i].cname, '\0', sizeof(m.answers[i].cname)) == NULL)
            abort();
    }
    return 0;
}

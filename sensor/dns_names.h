/*
 * DNS names: a bounded map from the addresses DNS answers gave to the name that was asked for,
 * so that a flow to an address the sensor saw resolved can carry the name (its server_name).
 * Fixed size, set-associative: a new address replaces the least recently answered entry of its
 * set, so memory never grows and a flood of answers only ages out older names. One thread.
 */
#ifndef UMBRA_SENSOR_DNS_NAMES_H
#define UMBRA_SENSOR_DNS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/hs_dns.h"

struct log;
struct dns_names;

#define DNS_NAMES_WAYS 4 /* entries per set */

struct dns_names_stats {
    uint64_t inserted;  /* answers recorded (new address or a new name for one) */
    uint64_t refreshed; /* answers repeating a known address -> name */
    uint64_t replaced;  /* entries given up for a newer address */
    uint64_t hits;      /* lookups that found a name */
    uint64_t misses;
};

/* dns_names_create() - @entries rounded up to a power of two (at least DNS_NAMES_WAYS). NULL
 * after logging why. */
struct dns_names *dns_names_create(uint32_t entries, uint64_t seed, struct log *log);
void dns_names_destroy(struct dns_names **dnp);

/* dns_names_add() - remember that @addr (4 or 16 bytes, @addr_len) was given as an answer for
 * @name at @ts_ns. A name longer than HS_DNS_NAME_MAX - 1 is cut. */
void dns_names_add(struct dns_names *dn, const uint8_t *addr, uint8_t addr_len, const char *name,
                   uint64_t ts_ns);

/* dns_names_add_answers() - every A and AAAA answer of a parsed response, under its question's
 * name. Responses with an error code or no question name add nothing. */
void dns_names_add_answers(struct dns_names *dn, const struct hs_dns_msg *m, uint64_t ts_ns);

/* dns_names_find() - the name @addr was last resolved from, or NULL; valid until the next add. */
const char *dns_names_find(struct dns_names *dn, const uint8_t *addr, uint8_t addr_len);

void dns_names_stats(const struct dns_names *dn, struct dns_names_stats *out);
size_t dns_names_memory(const struct dns_names *dn);

#endif

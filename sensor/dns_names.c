/*
 * DNS names: open sets of DNS_NAMES_WAYS entries, indexed by a seeded hash of the address (the
 * seed keeps an attacker who sends answers from aiming them all at one set).
 */
#include "sensor/dns_names.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/log.h"

struct dns_entry {
    uint64_t ts_ns; /* last answer; 0 = empty */
    uint8_t addr[16];
    uint8_t addr_len;
    char name[HS_DNS_NAME_MAX];
};

struct dns_names {
    struct dns_entry *e;
    uint32_t sets; /* a power of two */
    uint64_t seed;
    struct dns_names_stats st;
};

struct dns_names *dns_names_create(uint32_t entries, uint64_t seed, struct log *log)
{
    if (entries == 0 || entries > (1u << 24)) {
        log_err(log, "dns_names: entries=%u not in 1..%u", entries, 1u << 24);
        return NULL;
    }
    uint32_t sets = 1;
    while ((uint64_t)sets * DNS_NAMES_WAYS < entries)
        sets <<= 1;
    struct dns_names *dn = calloc(1, sizeof(*dn));
    if (dn != NULL)
        dn->e = calloc((size_t)sets * DNS_NAMES_WAYS, sizeof(*dn->e));
    if (dn == NULL || dn->e == NULL) {
        log_err(log, "dns_names: out of memory for %u entries", sets * DNS_NAMES_WAYS);
        free(dn);
        return NULL;
    }
    dn->sets = sets;
    dn->seed = seed;
    return dn;
}

void dns_names_destroy(struct dns_names **dnp)
{
    struct dns_names *dn = *dnp;
    if (dn == NULL)
        return;
    free(dn->e);
    free(dn);
    *dnp = NULL;
}

static struct dns_entry *set_of(const struct dns_names *dn, const uint8_t *addr, uint8_t len)
{
    uint64_t h = XXH3_64bits_withSeed(addr, len, dn->seed);
    return &dn->e[(size_t)(h & (dn->sets - 1)) * DNS_NAMES_WAYS];
}

static bool same(const struct dns_entry *e, const uint8_t *addr, uint8_t len)
{
    return e->ts_ns != 0 && e->addr_len == len && memcmp(e->addr, addr, len) == 0;
}

void dns_names_add(struct dns_names *dn, const uint8_t *addr, uint8_t addr_len, const char *name,
                   uint64_t ts_ns)
{
    if ((addr_len != 4 && addr_len != 16) || name[0] == '\0')
        return;
    if (ts_ns == 0)
        ts_ns = 1; /* 0 marks an empty entry */
    struct dns_entry *set = set_of(dn, addr, addr_len);
    struct dns_entry *victim = &set[0];
    for (int i = 0; i < DNS_NAMES_WAYS; i++) {
        if (same(&set[i], addr, addr_len)) {
            victim = &set[i];
            break;
        }
        if (set[i].ts_ns < victim->ts_ns)
            victim = &set[i]; /* the oldest, or an empty one */
    }
    if (same(victim, addr, addr_len) && strcmp(victim->name, name) == 0) {
        dn->st.refreshed++;
    } else {
        if (victim->ts_ns != 0 && !same(victim, addr, addr_len))
            dn->st.replaced++;
        dn->st.inserted++;
        memcpy(victim->addr, addr, addr_len);
        victim->addr_len = addr_len;
        size_t n = strnlen(name, sizeof(victim->name) - 1);
        memcpy(victim->name, name, n);
        victim->name[n] = '\0';
    }
    victim->ts_ns = ts_ns;
}

void dns_names_add_answers(struct dns_names *dn, const struct hs_dns_msg *m, uint64_t ts_ns)
{
    if (!m->response || m->rcode != 0 || m->qname[0] == '\0')
        return;
    for (uint16_t i = 0; i < m->n_answers; i++) {
        const struct hs_dns_answer *a = &m->answers[i];
        if (a->addr_len != 0)
            dns_names_add(dn, a->addr, a->addr_len, m->qname, ts_ns);
    }
}

const char *dns_names_find(struct dns_names *dn, const uint8_t *addr, uint8_t addr_len)
{
    struct dns_entry *set = set_of(dn, addr, addr_len);
    for (int i = 0; i < DNS_NAMES_WAYS; i++) {
        if (same(&set[i], addr, addr_len)) {
            dn->st.hits++;
            return set[i].name;
        }
    }
    dn->st.misses++;
    return NULL;
}

void dns_names_stats(const struct dns_names *dn, struct dns_names_stats *out)
{
    *out = dn->st;
}

size_t dns_names_memory(const struct dns_names *dn)
{
    return sizeof(*dn) + (size_t)dn->sets * DNS_NAMES_WAYS * sizeof(struct dns_entry);
}

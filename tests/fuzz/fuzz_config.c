/*
 * Fuzz target for the configuration loader: arbitrary bytes as a YAML file against a schema with
 * every option type, in sections nested up to three deep. Beyond not crashing or leaking, it
 * checks the loader's promises: a known return code, a non-empty one-line message on failure,
 * NUL-terminated strings within their buffers, lists within their caps, and after a failed load
 * a struct that holds exactly the defaults.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_config {
    int level;
    int64_t snaplen;
    bool promisc;
    uint64_t idle;
    uint64_t handshake;
    uint64_t spool;
    uint64_t chunk;
    double threshold;
    double weight;
    char id[8];
    struct config_strlist endpoints;
    struct config_strlist tags;
    int64_t offset;
};

static const struct config_enum_name levels[] = {
        {"debug", 0}, {"info", 1}, {"warn", 2}, {"error", 3}, {NULL, 0},
};

#define OFF(field) offsetof(struct fuzz_config, field)

static const struct config_option options[] = {
        {.key = "log.level",
         .type = CONFIG_ENUM,
         .offset = OFF(level),
         .names = levels,
         .def = "info"},
        {.key = "capture.snaplen",
         .type = CONFIG_INT,
         .offset = OFF(snaplen),
         .min = 64,
         .max = 262144,
         .def = "65535"},
        {.key = "capture.promisc", .type = CONFIG_BOOL, .offset = OFF(promisc), .def = "on"},
        {.key = "flow.idle_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(idle),
         .min = 1000000000,
         .max = 3600000000000,
         .def = "30s"},
        {.key = "flow.tcp.handshake.timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(handshake),
         .def = "1.5s"},
        {.key = "spool.max_size",
         .type = CONFIG_SIZE,
         .offset = OFF(spool),
         .min = 1 << 20,
         .max = 1 << 30,
         .def = "64MiB"},
        {.key = "spool.chunk", .type = CONFIG_SIZE, .offset = OFF(chunk)},
        {.key = "model.threshold",
         .type = CONFIG_DOUBLE,
         .offset = OFF(threshold),
         .dmin = 0,
         .dmax = 1,
         .def = "0.5"},
        {.key = "model.weight", .type = CONFIG_DOUBLE, .offset = OFF(weight)},
        {.key = "sensor.id", .type = CONFIG_STRING, .offset = OFF(id), .size = 8, .def = "s1"},
        {.key = "aggregator.endpoints",
         .type = CONFIG_STRLIST,
         .offset = OFF(endpoints),
         .size = 3,
         .def = "a,b"},
        {.key = "aggregator.tags", .type = CONFIG_STRLIST, .offset = OFF(tags), .size = 64},
        {.key = "tuning.offset", .type = CONFIG_INT, .offset = OFF(offset)},
};

static const struct config_schema schema = {
        .name = "fuzz",
        .struct_size = sizeof(struct fuzz_config),
        .opts = options,
        .n_opts = sizeof(options) / sizeof(options[0]),
};

static bool same_list(const struct config_strlist *a, const struct config_strlist *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    }
    return true;
}

/* Field by field: the lists are separate allocations, so memcmp of the structs would differ. */
static bool same_config(const struct fuzz_config *a, const struct fuzz_config *b)
{
    return a->level == b->level && a->snaplen == b->snaplen && a->promisc == b->promisc &&
           a->idle == b->idle && a->handshake == b->handshake && a->spool == b->spool &&
           a->chunk == b->chunk && memcmp(&a->threshold, &b->threshold, sizeof(double)) == 0 &&
           memcmp(&a->weight, &b->weight, sizeof(double)) == 0 && strcmp(a->id, b->id) == 0 &&
           same_list(&a->endpoints, &b->endpoints) && same_list(&a->tags, &b->tags) &&
           a->offset == b->offset;
}

static bool list_ok(const struct config_strlist *list, size_t cap)
{
    return list->n <= cap && (list->n == 0 || list->items != NULL);
}

static bool known_rc(int rc)
{
    return rc == 0 || rc == UMBRA_EYAML || rc == UMBRA_ECONFIG || rc == -ENOMEM || rc == -EFBIG;
}

static bool message_ok(int rc, const struct config_error *err)
{
    size_t len = strnlen(err->msg, sizeof(err->msg));
    if (len == sizeof(err->msg) || strnlen(err->key, sizeof(err->key)) == sizeof(err->key))
        return false;
    if ((rc == 0) != (len == 0))
        return false;
    /* One printable line: values and keys from the file are sanitised before they are shown. */
    return memchr(err->msg, '\n', len) == NULL && memchr(err->msg, '\r', len) == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_config cfg;
    struct fuzz_config defaults;
    struct config_error err;
    if (config_set_defaults(&schema, &defaults, &err) != 0)
        abort();
    int rc = config_load_buffer(&schema, "fuzz.yaml", (const char *)data, size, &cfg, &err);
    if (!known_rc(rc) || !message_ok(rc, &err))
        abort();
    if (memchr(cfg.id, '\0', sizeof(cfg.id)) == NULL || !list_ok(&cfg.endpoints, 3) ||
        !list_ok(&cfg.tags, 64))
        abort();
    if (rc != 0 && !same_config(&cfg, &defaults))
        abort();
    config_free(&schema, &cfg);
    config_free(&schema, &defaults);
    return 0;
}

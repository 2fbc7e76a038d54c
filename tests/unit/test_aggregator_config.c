/*
 * aggregator_config: the option table loads its defaults; the shipped example file names every
 * option and gives each its default, except the few a deployment must choose (its name and its
 * directories), which it sets to sample values; and the key paths follow from curve.keys_dir
 * unless given one by one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aggregator/aggregator_config.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"

#define EXAMPLE UMBRA_SOURCE_DIR "/deploy/config/aggregator.example.yaml"

/* What the example sets on purpose to something other than the default: a sample name and the
 * usual places of a packaged install, where the defaults are relative to the working directory
 * (or empty, for the keys) so that a first run from a checkout works. */
static const struct {
    const char *key;
    const char *value;
} example_choices[] = {
        {"aggregator.id", "central-1"},
        {"store.dir", "/var/lib/umbra/aggregator"},
        {"curve.keys_dir", "/etc/umbra/keys"},
};

static const char *example_choice(const char *key)
{
    for (size_t i = 0; i < sizeof(example_choices) / sizeof(example_choices[0]); i++) {
        if (strcmp(example_choices[i].key, key) == 0)
            return example_choices[i].value;
    }
    return NULL;
}

static void test_aggregator_config_defaults_are_valid(void **state)
{
    (void)state;
    struct aggregator_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(aggregator_config_schema(), &cfg, &err), 0);
    assert_string_equal(cfg.id, "aggregator");
    assert_int_equal(cfg.listen.n, 1);
    assert_string_equal(cfg.listen.items[0], "tcp://*:7730");
    assert_int_equal(cfg.max_message, 16ULL << 20);
    assert_int_equal(cfg.group_commit, 256);
    assert_int_equal(cfg.group_fill, 32);
    assert_int_equal(cfg.group_wait, 8 * CLOCK_NS_PER_MS);
    assert_int_equal(cfg.silence_timeout, 60 * CLOCK_NS_PER_SEC);
    assert_string_equal(cfg.store_dir, "umbra-data");
    assert_true(cfg.store_sync);
    assert_string_equal(cfg.curve_keys, "");
    assert_false(cfg.curve_insecure);
    assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
    config_free(aggregator_config_schema(), &cfg);
}

/* Whether @a and @b hold the same value of @opt. */
static bool same_value(const struct config_option *opt, const void *a, const void *b)
{
    const char *pa = (const char *)a + opt->offset;
    const char *pb = (const char *)b + opt->offset;
    switch (opt->type) {
    case CONFIG_BOOL:
        return *(const bool *)pa == *(const bool *)pb;
    case CONFIG_INT:
        return *(const int64_t *)pa == *(const int64_t *)pb;
    case CONFIG_DOUBLE:
        return *(const double *)pa == *(const double *)pb;
    case CONFIG_STRING:
        return strcmp(pa, pb) == 0;
    case CONFIG_ENUM:
        return *(const int *)pa == *(const int *)pb;
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        return *(const uint64_t *)pa == *(const uint64_t *)pb;
    case CONFIG_STRLIST: {
        const struct config_strlist *la = (const void *)pa;
        const struct config_strlist *lb = (const void *)pb;
        if (la->n != lb->n)
            return false;
        for (size_t i = 0; i < la->n; i++) {
            if (strcmp(la->items[i], lb->items[i]) != 0)
                return false;
        }
        return true;
    }
    }
    return false;
}

static void test_aggregator_config_example_file_sets_the_defaults(void **state)
{
    (void)state;
    const struct config_schema *schema = aggregator_config_schema();
    struct aggregator_config ex, def;
    struct config_error err;
    if (config_load_file(schema, EXAMPLE, &ex, &err) != 0)
        fail_msg("example config: %s", err.msg);
    assert_int_equal(config_set_defaults(schema, &def, &err), 0);
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        const char *choice = example_choice(opt->key);
        if (choice == NULL && !same_value(opt, &ex, &def))
            fail_msg("%s: the example does not give the default", opt->key);
        if (choice != NULL) {
            /* The sample value, and not the default by chance. */
            assert_int_equal(opt->type, CONFIG_STRING);
            assert_string_equal((const char *)&ex + opt->offset, choice);
            assert_false(same_value(opt, &ex, &def));
        }
    }
    config_free(schema, &ex);
    config_free(schema, &def);
}

/* Whether @yaml has the key "a.b.c" as a line "a:", then within it "  b:", then within that
 * "    c:" (a block ends at a line indented less than its keys). */
static bool mentions(const char *yaml, const char *key)
{
    const char *pos = yaml;
    int depth = 0;
    for (const char *k = key; *k != '\0'; depth++) {
        const char *dot = strchr(k, '.');
        int n = dot != NULL ? (int)(dot - k) : (int)strlen(k);
        char pat[96];
        snprintf(pat, sizeof(pat), "\n%*s%.*s:", depth * 2, "", n, k);
        const char *p = strstr(pos, pat);
        if (p == NULL)
            return false;
        for (const char *q = pos; depth > 0 && q < p; q++) {
            if (*q != '\n')
                continue;
            int ind = 0;
            while (q[1 + ind] == ' ')
                ind++;
            if (ind < depth * 2 && q[1 + ind] >= 'a' && q[1 + ind] <= 'z')
                return false; /* the parent's block ended first */
        }
        pos = p + 1;
        k = dot != NULL ? dot + 1 : k + n;
    }
    return true;
}

static void test_aggregator_config_example_file_names_every_option(void **state)
{
    (void)state;
    static char yaml[64 * 1024];
    FILE *f = fopen(EXAMPLE, "r");
    assert_non_null(f);
    size_t n = fread(yaml, 1, sizeof(yaml) - 1, f);
    assert_true(n < sizeof(yaml) - 1);
    yaml[n] = '\0';
    fclose(f);
    const struct config_schema *schema = aggregator_config_schema();
    for (size_t i = 0; i < schema->n_opts; i++) {
        if (!mentions(yaml, schema->opts[i].key))
            fail_msg("%s: not in the example", schema->opts[i].key);
    }
    /* The check itself: a key that is not there is not found. */
    assert_false(mentions(yaml, "ingest.nosuch"));
    assert_false(mentions(yaml, "store.listen"));
}

static void test_aggregator_config_key_paths_follow_the_keys_dir(void **state)
{
    (void)state;
    const struct config_schema *schema = aggregator_config_schema();
    struct aggregator_config cfg;
    struct config_error err;
    char secret[64], allow[64];
    assert_int_equal(config_set_defaults(schema, &cfg, &err), 0);
    assert_int_equal(aggregator_config_key_paths(&cfg, secret, allow, sizeof(secret)), 0);
    assert_string_equal(secret, "");
    assert_string_equal(allow, "");

    assert_int_equal(config_set(schema, &cfg, "curve.keys_dir", "keys", &err), 0);
    assert_int_equal(aggregator_config_key_paths(&cfg, secret, allow, sizeof(secret)), 0);
    assert_string_equal(secret, "keys/aggregator.key");
    assert_string_equal(allow, "keys/sensors");

    assert_int_equal(config_set(schema, &cfg, "curve.allow_dir", "allowed", &err), 0);
    assert_int_equal(aggregator_config_key_paths(&cfg, secret, allow, sizeof(secret)), 0);
    assert_string_equal(secret, "keys/aggregator.key");
    assert_string_equal(allow, "allowed");

    /* "keys/aggregator.key" and its NUL need 20 bytes. */
    assert_int_equal(aggregator_config_key_paths(&cfg, secret, allow, 19), -ENAMETOOLONG);
    assert_string_equal(secret, "");
    assert_string_equal(allow, "");
    config_free(schema, &cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_aggregator_config_defaults_are_valid),
            cmocka_unit_test(test_aggregator_config_example_file_sets_the_defaults),
            cmocka_unit_test(test_aggregator_config_example_file_names_every_option),
            cmocka_unit_test(test_aggregator_config_key_paths_follow_the_keys_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

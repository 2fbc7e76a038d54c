/*
 * cli: command-line settings are applied in order over the defaults or the file, --set splits
 * KEY=VALUE and refuses what is not one, a repeatable option gathers its items into one list
 * applied after the other settings, and errors are printed as "PROG: ..." with the key. A small
 * option table of the test's own stands in for a daemon's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "tests/unit/support/tmpfile.h"

struct test_config {
    char name[16];
    int64_t count;
    struct config_strlist peers;
    struct config_strlist extra;
};

static const struct config_option test_options[] = {
        {.key = "test.name",
         .type = CONFIG_STRING,
         .offset = offsetof(struct test_config, name),
         .size = sizeof(((struct test_config *)0)->name),
         .def = "none",
         .help = "a string"},
        {.key = "test.count",
         .type = CONFIG_INT,
         .offset = offsetof(struct test_config, count),
         .min = 0,
         .max = 100,
         .def = "1",
         .help = "an integer"},
        {.key = "test.peers",
         .type = CONFIG_STRLIST,
         .offset = offsetof(struct test_config, peers),
         .size = 8,
         .help = "a list fed by a repeatable option"},
        {.key = "test.extra",
         .type = CONFIG_STRLIST,
         .offset = offsetof(struct test_config, extra),
         .size = 8,
         .help = "a second such list"},
};

static const struct config_schema test_schema = {
        .name = "test",
        .struct_size = sizeof(struct test_config),
        .opts = test_options,
        .n_opts = sizeof(test_options) / sizeof(test_options[0]),
};

/* Settings whose messages go to a scratch file instead of stderr, so tests can read them. */
static int setup(void **state)
{
    static struct cli_settings c; /* 40 KiB: not on the stack */
    cli_settings_init(&c, "prog");
    assert_ptr_equal(c.err, stderr);
    c.err = tmpfile();
    assert_non_null(c.err);
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    struct cli_settings *c = *state;
    fclose(c->err);
    return 0;
}

/* Asserts that @c printed exactly @want since the last check, then forgets it. */
static void expect_printed(struct cli_settings *c, const char *want)
{
    char got[1024];
    assert_int_equal(fflush(c->err), 0);
    rewind(c->err);
    size_t n = fread(got, 1, sizeof(got) - 1, c->err);
    got[n] = '\0';
    assert_string_equal(got, want);
    rewind(c->err);
    assert_int_equal(ftruncate(fileno(c->err), 0), 0);
}

static void load_ok(const struct cli_settings *c, struct test_config *cfg)
{
    assert_int_equal(cli_settings_load(c, &test_schema, cfg), 0);
}

/* Loads @c quietly and asserts the name and count it gives. */
static void expect_loaded(struct cli_settings *c, const char *name, int64_t count)
{
    struct test_config cfg;
    load_ok(c, &cfg);
    assert_string_equal(cfg.name, name);
    assert_int_equal(cfg.count, count);
    config_free(&test_schema, &cfg);
    expect_printed(c, "");
}

static void test_cli_settings_apply_in_order_over_the_defaults(void **state)
{
    struct cli_settings *c = *state;
    expect_loaded(c, "none", 1);
    assert_int_equal(cli_settings_add(c, "test.count", "5"), 0);
    assert_int_equal(cli_settings_add(c, "test.name", "cli"), 0);
    assert_int_equal(cli_settings_add(c, "test.count", "7"), 0); /* the last one wins */
    expect_loaded(c, "cli", 7);
}

static void test_cli_settings_add_kv_splits_at_the_first_equals(void **state)
{
    struct cli_settings *c = *state;
    char kv[] = "test.name=a=b";
    assert_int_equal(cli_settings_add_kv(c, kv), 0);
    /* The setting is a copy: the argument may change or go. */
    memset(kv, 'x', sizeof(kv) - 1);
    assert_int_equal(cli_settings_add_kv(c, "test.count=42"), 0);
    expect_loaded(c, "a=b", 42);
}

static void test_cli_settings_add_kv_refuses_what_is_not_key_equals_value(void **state)
{
    struct cli_settings *c = *state;
    assert_int_equal(cli_settings_add_kv(c, "test.name"), -EINVAL);
    expect_printed(c, "prog: --set takes KEY=VALUE, got 'test.name'\n");
    assert_int_equal(cli_settings_add_kv(c, "=x"), -EINVAL);
    expect_printed(c, "prog: --set takes KEY=VALUE, got '=x'\n");

    /* CLI_KV_MAX - 1 bytes fit; one more does not. */
    char kv[CLI_KV_MAX + 1];
    memset(kv, 'v', sizeof(kv) - 1);
    memcpy(kv, "test.name=", 10);
    kv[CLI_KV_MAX - 1] = '\0';
    assert_int_equal(cli_settings_add_kv(c, kv), 0);
    kv[CLI_KV_MAX - 1] = 'v';
    kv[CLI_KV_MAX] = '\0';
    assert_int_equal(cli_settings_add_kv(c, kv), -EINVAL);
    assert_int_equal(c->n_set, 1);
    char want[CLI_KV_MAX + 64];
    snprintf(want, sizeof(want), "prog: --set takes KEY=VALUE, got '%s'\n", kv);
    expect_printed(c, want);
}

static void test_cli_settings_refuse_more_than_the_maximum(void **state)
{
    struct cli_settings *c = *state;
    for (int i = 0; i < CLI_SETTINGS_MAX; i++)
        assert_int_equal(cli_settings_add(c, "test.count", "2"), 0);
    assert_int_equal(cli_settings_add(c, "test.count", "3"), -ENOSPC);
    assert_int_equal(cli_settings_add_kv(c, "test.count=3"), -ENOSPC);
    expect_printed(c, "prog: more than 64 settings on the command line\n"
                      "prog: more than 64 settings on the command line\n");
    /* Lists are not settings: they still fit. */
    assert_int_equal(cli_settings_append(c, "test.peers", "a"), 0);
}

static void test_cli_settings_append_twice_gives_both_items_in_order(void **state)
{
    struct cli_settings *c = *state;
    assert_int_equal(cli_settings_append(c, "test.peers", "tcp://a:1"), 0);
    assert_int_equal(cli_settings_append(c, "test.extra", "x"), 0);
    assert_int_equal(cli_settings_append(c, "test.peers", "tcp://b:2"), 0);
    /* A list comes after the settings, whatever the order on the command line. */
    assert_int_equal(cli_settings_add(c, "test.peers", "set-by-key"), 0);
    struct test_config cfg;
    load_ok(c, &cfg);
    assert_int_equal(cfg.peers.n, 2);
    assert_string_equal(cfg.peers.items[0], "tcp://a:1");
    assert_string_equal(cfg.peers.items[1], "tcp://b:2");
    assert_int_equal(cfg.extra.n, 1);
    assert_string_equal(cfg.extra.items[0], "x");
    config_free(&test_schema, &cfg);
    expect_printed(c, "");
}

static void test_cli_settings_append_refuses_commas_and_overflow(void **state)
{
    struct cli_settings *c = *state;
    assert_int_equal(cli_settings_append(c, "test.peers", "a,b"), -EINVAL);

    char big[CLI_LIST_MAX / 2 + 1];
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cli_settings_append(c, "test.peers", big), 0);
    assert_int_equal(cli_settings_append(c, "test.peers", big), -ENOSPC);
    assert_int_equal(cli_settings_append(c, "test.peers", "q"), 0);

    /* One more list key than there is room for. */
    const char *keys[] = {"test.extra", "test.k3", "test.k4"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(cli_settings_append(c, keys[i], "v"), 0);
    assert_int_equal(cli_settings_append(c, "test.k5", "v"), -ENOSPC);
    /* The caller words these messages (they name its option). */
    expect_printed(c, "");

    /* What was refused left the list as it was. */
    assert_int_equal(c->lists[0].len, sizeof(big) - 1 + 2);
    assert_string_equal(c->lists[0].items + sizeof(big) - 1, ",q");
}

static void test_cli_settings_command_line_overrides_the_file(void **state)
{
    struct cli_settings *c = *state;
    static const char yaml[] = "test:\n"
                               "  name: from-file\n"
                               "  count: 3\n"
                               "  peers:\n"
                               "    - f1\n"
                               "    - f2\n"
                               "  extra:\n"
                               "    - e1\n";
    struct tmpdir d;
    char path[TMPDIR_PATH_MAX + 16];
    assert_int_equal(tmpdir_create(&d), 0);
    assert_int_equal(tmpdir_write(&d, "t.yaml", yaml, sizeof(yaml) - 1, path, sizeof(path)), 0);
    c->config_path = path;
    assert_int_equal(cli_settings_add(c, "test.count", "9"), 0);
    assert_int_equal(cli_settings_append(c, "test.peers", "cli"), 0);

    struct test_config cfg;
    load_ok(c, &cfg);
    assert_string_equal(cfg.name, "from-file"); /* the file, over the default */
    assert_int_equal(cfg.count, 9);             /* the command line, over the file */
    assert_int_equal(cfg.peers.n, 1);           /* a list given replaces the file's whole */
    assert_string_equal(cfg.peers.items[0], "cli");
    assert_int_equal(cfg.extra.n, 1); /* a list not given keeps the file's */
    assert_string_equal(cfg.extra.items[0], "e1");
    config_free(&test_schema, &cfg);
    expect_printed(c, "");
    tmpdir_remove(&d);
}

static void test_cli_settings_load_prints_the_unknown_key(void **state)
{
    struct cli_settings *c = *state;
    assert_int_equal(cli_settings_add(c, "test.count", "4"), 0);
    assert_int_equal(cli_settings_add(c, "test.nosuch", "1"), 0);
    assert_int_equal(cli_settings_add(c, "test.name", "never-applied"), 0);
    struct test_config cfg;
    assert_int_equal(cli_settings_load(c, &test_schema, &cfg), UMBRA_ECONFIG);
    expect_printed(c, "prog: configuration error: test.nosuch: unknown key\n");
    /* Settings before the bad one were applied, those after it were not. */
    assert_int_equal(cfg.count, 4);
    assert_string_equal(cfg.name, "none");
    config_free(&test_schema, &cfg);
}

static void test_cli_settings_load_prints_the_file_line_and_key(void **state)
{
    struct cli_settings *c = *state;
    static const char yaml[] = "test:\n  count: 1\n  colour: red\n";
    struct tmpdir d;
    char path[TMPDIR_PATH_MAX + 16];
    assert_int_equal(tmpdir_create(&d), 0);
    assert_int_equal(tmpdir_write(&d, "t.yaml", yaml, sizeof(yaml) - 1, path, sizeof(path)), 0);
    c->config_path = path;
    struct test_config cfg;
    assert_int_equal(cli_settings_load(c, &test_schema, &cfg), UMBRA_ECONFIG);
    char want[sizeof(path) + 64];
    snprintf(want, sizeof(want), "prog: configuration error: %s:3: test.colour: unknown key\n",
             path);
    expect_printed(c, want);
    config_free(&test_schema, &cfg);
    tmpdir_remove(&d);
}

static void test_cli_settings_option_handles_the_shared_options(void **state)
{
    struct cli_settings *c = *state;
    const struct cli_program p = {.version = "9.9", .schema = &test_schema, .usage = NULL};
    assert_int_equal(cli_settings_option(c, &p, 'c', "some.yaml", "prog"), 0);
    assert_string_equal(c->config_path, "some.yaml");
    c->config_path = NULL;
    assert_int_equal(cli_settings_option(c, &p, CLI_OPT_SET, "test.count=7", "prog"), 0);
    expect_loaded(c, "none", 7);
    /* An option that is not shared is an unknown one. */
    assert_int_equal(cli_settings_option(c, &p, '?', NULL, "./prog"), -1);
    expect_printed(c, "Try './prog --help'.\n");
    /* -v becomes the setting log.level=debug: this test's table has no such key. */
    assert_int_equal(cli_settings_option(c, &p, 'v', NULL, "prog"), 0);
    struct test_config cfg;
    assert_int_equal(cli_settings_load(c, &test_schema, &cfg), UMBRA_ECONFIG);
    expect_printed(c, "prog: configuration error: log.level: unknown key\n");
    config_free(&test_schema, &cfg);
}

static void test_cli_settings_no_operands_refuses_a_leftover_argument(void **state)
{
    struct cli_settings *c = *state;
    char *argv[] = {"./prog", "-v", "stray", NULL};
    assert_int_equal(cli_settings_no_operands(c, 2, argv, 2), 0);
    assert_int_equal(cli_settings_no_operands(c, 3, argv, 2), -1);
    expect_printed(c, "prog: unexpected argument 'stray'\nTry './prog --help'.\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_cli_settings_apply_in_order_over_the_defaults,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_add_kv_splits_at_the_first_equals,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_cli_settings_add_kv_refuses_what_is_not_key_equals_value, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_refuse_more_than_the_maximum, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                    test_cli_settings_append_twice_gives_both_items_in_order, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_append_refuses_commas_and_overflow,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_command_line_overrides_the_file,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_load_prints_the_unknown_key, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_load_prints_the_file_line_and_key,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_cli_settings_option_handles_the_shared_options,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_cli_settings_no_operands_refuses_a_leftover_argument, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

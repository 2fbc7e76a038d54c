/*
 * config: YAML and command-line text into a typed struct through an option table. A test schema
 * covers every option type in nested sections; each bad input is checked for its exact message,
 * its return code, and for leaving the struct with nothing but the defaults. Expected values are
 * worked out by hand from the value syntax documented in common/config.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"

enum test_level {
    TEST_LEVEL_DEBUG,
    TEST_LEVEL_INFO,
    TEST_LEVEL_WARN,
    TEST_LEVEL_ERROR,
};

struct test_config {
    int log_level;                   /* log.level: enum test_level */
    int64_t snaplen;                 /* capture.snaplen: bytes */
    bool promisc;                    /* capture.promisc */
    uint64_t idle_timeout;           /* flow.idle_timeout: ns */
    uint64_t handshake_timeout;      /* flow.tcp.handshake_timeout: ns, no limits */
    uint64_t spool_max;              /* spool.max_size: bytes */
    double threshold;                /* model.threshold */
    char id[16];                     /* sensor.id */
    struct config_strlist endpoints; /* aggregator.endpoints */
    int64_t offset;                  /* tuning.offset: no limits, no default */
};

static const struct config_enum_name levels[] = {
        {"debug", TEST_LEVEL_DEBUG},
        {"info", TEST_LEVEL_INFO},
        {"warn", TEST_LEVEL_WARN},
        {"error", TEST_LEVEL_ERROR},
        {NULL, 0},
};

#define OFF(field) offsetof(struct test_config, field)
#define NS_PER_S   1000000000ull
#define MIB        (1ull << 20)

static const struct config_option options[] = {
        {.key = "log.level",
         .type = CONFIG_ENUM,
         .offset = OFF(log_level),
         .names = levels,
         .def = "info",
         .help = "least severe level logged"},
        {.key = "capture.snaplen",
         .type = CONFIG_INT,
         .offset = OFF(snaplen),
         .min = 64,
         .max = 262144,
         .def = "65535",
         .help = "bytes kept per packet"},
        {.key = "capture.promisc",
         .type = CONFIG_BOOL,
         .offset = OFF(promisc),
         .def = "true",
         .help = "promiscuous mode"},
        {.key = "flow.idle_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(idle_timeout),
         .min = 1000000000,
         .max = 3600000000000,
         .def = "30s",
         .help = "a flow idle this long ends"},
        {.key = "flow.tcp.handshake_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(handshake_timeout),
         .def = "5s",
         .help = "longest SYN to ACK"},
        {.key = "spool.max_size",
         .type = CONFIG_SIZE,
         .offset = OFF(spool_max),
         .min = 1 << 20,
         .max = 1 << 30,
         .def = "64MiB",
         .help = "spool cap"},
        {.key = "model.threshold",
         .type = CONFIG_DOUBLE,
         .offset = OFF(threshold),
         .dmin = 0.0,
         .dmax = 1.0,
         .def = "0.5",
         .help = "alert above this score"},
        {.key = "sensor.id",
         .type = CONFIG_STRING,
         .offset = OFF(id),
         .size = sizeof(((struct test_config *)0)->id),
         .def = "sensor-1",
         .help = "this sensor's name"},
        {.key = "aggregator.endpoints",
         .type = CONFIG_STRLIST,
         .offset = OFF(endpoints),
         .size = 3,
         .def = "tcp://127.0.0.1:5555",
         .help = "where to send records"},
        {.key = "tuning.offset",
         .type = CONFIG_INT,
         .offset = OFF(offset),
         .help = "test knob without limits"},
};

static const struct config_schema schema = {
        .name = "test",
        .struct_size = sizeof(struct test_config),
        .opts = options,
        .n_opts = sizeof(options) / sizeof(options[0]),
};

static int load(const char *yaml, struct test_config *cfg, struct config_error *err)
{
    return config_load_buffer(&schema, "f.yaml", yaml, strlen(yaml), cfg, err);
}

static void assert_defaults(const struct test_config *cfg)
{
    assert_int_equal(cfg->log_level, TEST_LEVEL_INFO);
    assert_int_equal(cfg->snaplen, 65535);
    assert_true(cfg->promisc);
    assert_int_equal(cfg->idle_timeout, 30 * NS_PER_S);
    assert_int_equal(cfg->handshake_timeout, 5 * NS_PER_S);
    assert_int_equal(cfg->spool_max, 64 * MIB);
    assert_true(cfg->threshold == 0.5);
    assert_string_equal(cfg->id, "sensor-1");
    assert_int_equal(cfg->endpoints.n, 1);
    assert_string_equal(cfg->endpoints.items[0], "tcp://127.0.0.1:5555");
    assert_int_equal(cfg->offset, 0);
}

/* Load @yaml, expect @rc and exactly @msg, @key and @line, and a struct holding the defaults. */
static void expect_error(const char *yaml, int rc, const char *msg, const char *key, int line)
{
    struct test_config cfg;
    struct config_error err;
    int got = load(yaml, &cfg, &err);
    if (got != rc)
        fail_msg("rc %d, expected %d; message: %s", got, rc, err.msg);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.key, key);
    assert_int_equal(err.line, line);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
}

/* Load @yaml, expect success; the caller checks @cfg and frees it. */
static void expect_load(const char *yaml, struct test_config *cfg)
{
    struct config_error err;
    int rc = load(yaml, cfg, &err);
    if (rc != 0)
        fail_msg("load failed (%d): %s", rc, err.msg);
    assert_string_equal(err.msg, "");
}

/* config_set() on a struct holding the defaults; expect @rc and, on failure, @msg. */
static void expect_set(const char *key, const char *value, int rc, const char *msg)
{
    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(&schema, &cfg, &err), 0);
    assert_int_equal(config_set(&schema, &cfg, key, value, &err), rc);
    if (rc != 0) {
        assert_string_equal(err.msg, msg);
        assert_int_equal(err.line, 0);
        assert_defaults(&cfg);
    }
    config_free(&schema, &cfg);
}

/* ---- Good files ------------------------------------------------------------------------- */

static void test_config_defaults_fill_every_option(void **state)
{
    (void)state;
    struct test_config cfg;
    struct config_error err;
    memset(&cfg, 0xA5, sizeof(cfg)); /* output only: garbage in @out must not matter */
    assert_int_equal(config_set_defaults(&schema, &cfg, &err), 0);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
    assert_null(cfg.endpoints.items);
    assert_int_equal(cfg.endpoints.n, 0);
}

static void test_config_loads_every_type_from_nested_mappings(void **state)
{
    (void)state;
    static const char yaml[] = "# every option\n"
                               "log:\n"
                               "  level: debug\n"
                               "capture:\n"
                               "  snaplen: 1500\n"
                               "  promisc: off\n"
                               "flow:\n"
                               "  idle_timeout: 2m\n"
                               "  tcp:\n"
                               "    handshake_timeout: 1.5s\n"
                               "spool:\n"
                               "  max_size: 512MiB\n"
                               "model:\n"
                               "  threshold: 0.75\n"
                               "sensor:\n"
                               "  id: \"branch-a\"\n"
                               "aggregator:\n"
                               "  endpoints:\n"
                               "    - tcp://10.0.0.1:5555\n"
                               "    - 'tcp://10.0.0.2:5555'\n"
                               "tuning:\n"
                               "  offset: -0x10\n";
    struct test_config cfg;
    memset(&cfg, 0xA5, sizeof(cfg));
    expect_load(yaml, &cfg);
    assert_int_equal(cfg.log_level, TEST_LEVEL_DEBUG);
    assert_int_equal(cfg.snaplen, 1500);
    assert_false(cfg.promisc);
    assert_int_equal(cfg.idle_timeout, 120 * NS_PER_S);
    assert_int_equal(cfg.handshake_timeout, 1500000000);
    assert_int_equal(cfg.spool_max, 512 * MIB);
    assert_true(cfg.threshold == 0.75);
    assert_string_equal(cfg.id, "branch-a");
    assert_int_equal(cfg.endpoints.n, 2);
    assert_string_equal(cfg.endpoints.items[0], "tcp://10.0.0.1:5555");
    assert_string_equal(cfg.endpoints.items[1], "tcp://10.0.0.2:5555");
    assert_int_equal(cfg.offset, -16);
    config_free(&schema, &cfg);
}

static void test_config_keeps_defaults_for_absent_keys(void **state)
{
    (void)state;
    struct test_config cfg;
    expect_load("capture:\n  snaplen: 9000\n", &cfg);
    assert_int_equal(cfg.snaplen, 9000);
    cfg.snaplen = 65535;
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
}

static void test_config_treats_empty_and_comment_only_files_as_all_defaults(void **state)
{
    (void)state;
    static const char *const files[] = {"", "\n\n", "# nothing here\n  # or here\n", "---\n",
                                        "--- # empty document\n...\n"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct test_config cfg;
        expect_load(files[i], &cfg);
        assert_defaults(&cfg);
        config_free(&schema, &cfg);
    }
}

static void test_config_accepts_a_null_buffer_of_length_zero(void **state)
{
    (void)state;
    struct test_config cfg;
    assert_int_equal(config_load_buffer(&schema, NULL, NULL, 0, &cfg, NULL), 0);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
}

static void test_config_reads_a_key_with_nothing_after_it_as_empty_section_or_list(void **state)
{
    (void)state;
    struct test_config cfg;
    expect_load("capture:\naggregator:\n  endpoints:\n", &cfg);
    assert_int_equal(cfg.snaplen, 65535);
    assert_int_equal(cfg.endpoints.n, 0);
    config_free(&schema, &cfg);
    expect_load("aggregator: {endpoints: []}\n", &cfg);
    assert_int_equal(cfg.endpoints.n, 0);
    config_free(&schema, &cfg);
}

static void test_config_loads_flow_style_mappings_and_lists(void **state)
{
    (void)state;
    struct test_config cfg;
    expect_load("{capture: {snaplen: 2048, promisc: no}, aggregator: {endpoints: [a, b, c]}}",
                &cfg);
    assert_int_equal(cfg.snaplen, 2048);
    assert_false(cfg.promisc);
    assert_int_equal(cfg.endpoints.n, 3);
    assert_string_equal(cfg.endpoints.items[2], "c");
    config_free(&schema, &cfg);
}

static void test_config_accepts_string_of_exactly_the_buffer_size_less_one(void **state)
{
    (void)state;
    struct test_config cfg;
    expect_load("sensor:\n  id: abcdefghijklmno\n", &cfg);
    assert_string_equal(cfg.id, "abcdefghijklmno");
    config_free(&schema, &cfg);
}

static void test_config_load_file_reads_a_real_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[sizeof(dir) + 16];
    snprintf(path, sizeof(path), "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("log:\n  level: WARN\nflow:\n  idle_timeout: 90\n", f);
    assert_int_equal(fclose(f), 0);

    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_load_file(&schema, path, &cfg, &err), 0);
    assert_int_equal(cfg.log_level, TEST_LEVEL_WARN);
    assert_int_equal(cfg.idle_timeout, 90 * NS_PER_S);
    config_free(&schema, &cfg);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- Value syntax, through config_set --------------------------------------------------- */

static void test_config_parses_integers_in_decimal_and_hex(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t value;
    } cases[] = {
            {"0", 0},
            {"+5", 5},
            {"-5", -5},
            {"010", 10}, /* decimal, never octal */
            {"0x1F", 31},
            {"0X1f", 31},
            {"-0x10", -16},
            {"9223372036854775807", INT64_MAX},
            {"-9223372036854775808", INT64_MIN},
    };
    struct test_config cfg;
    assert_int_equal(config_set_defaults(&schema, &cfg, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(config_set(&schema, &cfg, "tuning.offset", cases[i].text, NULL), 0);
        assert_int_equal(cfg.offset, cases[i].value);
    }
    config_free(&schema, &cfg);
}

static void test_config_parses_bool_spellings_in_any_case(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "TRUE", "Yes", "on"};
    static const char *const no[] = {"false", "False", "NO", "off"};
    struct test_config cfg;
    assert_int_equal(config_set_defaults(&schema, &cfg, NULL), 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(config_set(&schema, &cfg, "capture.promisc", no[i], NULL), 0);
        assert_false(cfg.promisc);
        assert_int_equal(config_set(&schema, &cfg, "capture.promisc", yes[i], NULL), 0);
        assert_true(cfg.promisc);
    }
    config_free(&schema, &cfg);
}

static void test_config_parse_duration_and_size_stand_alone(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(config_parse_duration("250ms", &v), 0);
    assert_int_equal(v, 250000000ull); /* 250 * 10^6 ns */
    assert_int_equal(config_parse_duration("2", &v), 0);
    assert_int_equal(v, 2000000000ull); /* bare: seconds */
    assert_int_equal(config_parse_duration("fast", &v), -EINVAL);
    assert_int_equal(config_parse_duration("99999999999d", &v), -ERANGE);
    assert_int_equal(config_parse_size("40kB", &v), 0);
    assert_int_equal(v, 40000u);
    assert_int_equal(config_parse_size("2MiB", &v), 0);
    assert_int_equal(v, 2u << 20);
    assert_int_equal(config_parse_size("12 apples", &v), -EINVAL);
}

static void test_config_parses_duration_units_and_whole_ns_fractions(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t ns;
    } cases[] = {
            {"100ns", 100},
            {"1500us", 1500000},
            {"250ms", 250000000},
            {"0.25ms", 250000},
            {"30s", 30 * NS_PER_S},
            {"30", 30 * NS_PER_S}, /* bare number: seconds */
            {"1.5", 1500000000},
            {"1.5s", 1500000000},
            {"5m", 300 * NS_PER_S},
            {"2h", 7200 * NS_PER_S},
            {"1d", 86400 * NS_PER_S},
            {"0.000000001s", 1},
            {"18446744073709551615ns", UINT64_MAX},
    };
    struct test_config cfg;
    assert_int_equal(config_set_defaults(&schema, &cfg, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = config_set(&schema, &cfg, "flow.tcp.handshake_timeout", cases[i].text, NULL);
        if (rc != 0)
            fail_msg("'%s' refused", cases[i].text);
        assert_int_equal(cfg.handshake_timeout, cases[i].ns);
    }
    config_free(&schema, &cfg);
}

static void test_config_refuses_malformed_durations(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "s",   "1.5ns", "1.",    ".5s",  "5S",    "1h30m",
                                      "-5s", "+5s", "30 s",  "30sec", "1e3s", "0x10s", "5 "};
    char msg[CONFIG_ERROR_MAX];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (bad[i][0] == '\0')
            snprintf(msg, sizeof(msg),
                     "flow.tcp.handshake_timeout: expected a duration such as 30s or 250ms, "
                     "got nothing");
        else
            snprintf(msg, sizeof(msg),
                     "flow.tcp.handshake_timeout: expected a duration such as 30s or 250ms, "
                     "got '%s'",
                     bad[i]);
        expect_set("flow.tcp.handshake_timeout", bad[i], UMBRA_ECONFIG, msg);
    }
}

static void test_config_parses_binary_and_decimal_size_units(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } cases[] = {
            {"1048576", MIB},
            {"1048576B", MIB},
            {"1M", MIB},
            {"1MiB", MIB},
            {"1.5MiB", 3 * MIB / 2},
            {"0.5GiB", 512 * MIB},
            {"1024KiB", MIB},
            {"1024K", MIB},
            {"2MB", 2000000},
            {"1GB", 1000000000},
            {"1000000kB", 1000000000},
            {"1G", 1024 * MIB},
    };
    struct test_config cfg;
    assert_int_equal(config_set_defaults(&schema, &cfg, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (config_set(&schema, &cfg, "spool.max_size", cases[i].text, NULL) != 0)
            fail_msg("'%s' refused", cases[i].text);
        assert_int_equal(cfg.spool_max, cases[i].bytes);
    }
    config_free(&schema, &cfg);
}

static void test_config_refuses_malformed_sizes(void **state)
{
    (void)state;
    static const char *const bad[] = {"64mib", "64 MiB", "64MiBs", "1.3B", "-1MiB", "1KB", "1k"};
    char msg[CONFIG_ERROR_MAX];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(msg, sizeof(msg), "spool.max_size: expected a size such as 64MiB, got '%s'",
                 bad[i]);
        expect_set("spool.max_size", bad[i], UMBRA_ECONFIG, msg);
    }
}

static void test_config_refuses_non_decimal_doubles(void **state)
{
    (void)state;
    static const char *const bad[] = {"nan", "inf", ".inf", "0x1p-1", "1.2.3", "half", "-", "e5"};
    char msg[CONFIG_ERROR_MAX];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(msg, sizeof(msg), "model.threshold: expected a number, got '%s'", bad[i]);
        expect_set("model.threshold", bad[i], UMBRA_ECONFIG, msg);
    }
    expect_set("model.threshold", "1e-3", 0, NULL);
    expect_set("model.threshold", "+.5", 0, NULL);
}

/* ---- config_set ------------------------------------------------------------------------- */

static void test_config_set_parses_each_type_like_the_file(void **state)
{
    (void)state;
    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(&schema, &cfg, &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "log.level", "error", &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "capture.snaplen", "0x100", &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "flow.idle_timeout", "1h", &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "model.threshold", "1", &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "sensor.id", "", &err), 0);
    assert_int_equal(cfg.log_level, TEST_LEVEL_ERROR);
    assert_int_equal(cfg.snaplen, 256);
    assert_int_equal(cfg.idle_timeout, 3600 * NS_PER_S);
    assert_true(cfg.threshold == 1.0);
    assert_string_equal(cfg.id, "");
    assert_string_equal(err.msg, "");
    config_free(&schema, &cfg);
}

static void test_config_set_splits_a_list_on_commas_and_trims_blanks(void **state)
{
    (void)state;
    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(&schema, &cfg, &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "aggregator.endpoints", " a, b ,c", &err), 0);
    assert_int_equal(cfg.endpoints.n, 3);
    assert_string_equal(cfg.endpoints.items[0], "a");
    assert_string_equal(cfg.endpoints.items[1], "b");
    assert_string_equal(cfg.endpoints.items[2], "c");
    assert_int_equal(config_set(&schema, &cfg, "aggregator.endpoints", "", &err), 0);
    assert_int_equal(cfg.endpoints.n, 0);
    assert_null(cfg.endpoints.items);
    config_free(&schema, &cfg);
}

static void test_config_set_rejects_unknown_key_without_file_or_line(void **state)
{
    (void)state;
    expect_set("capture.nosuch", "1", UMBRA_ECONFIG, "capture.nosuch: unknown key");
    expect_set("capture", "1", UMBRA_ECONFIG, "capture: unknown key");
}

static void test_config_set_rejects_bad_values_and_leaves_the_option_unchanged(void **state)
{
    (void)state;
    expect_set("capture.snaplen", "10", UMBRA_ECONFIG,
               "capture.snaplen: 10 is out of range [64, 262144]");
    expect_set("capture.snaplen", "1500 ", UMBRA_ECONFIG,
               "capture.snaplen: expected an integer, got '1500 '");
    expect_set("log.level", "loud", UMBRA_ECONFIG,
               "log.level: expected one of debug|info|warn|error, got 'loud'");
    expect_set("sensor.id", "0123456789abcdefXYZ", UMBRA_ECONFIG,
               "sensor.id: longer than 15 characters");
    expect_set("aggregator.endpoints", "a,b,c,d", UMBRA_ECONFIG,
               "aggregator.endpoints: more than 3 items");
    expect_set("aggregator.endpoints", "a,,b", UMBRA_ECONFIG,
               "aggregator.endpoints: item 2 of the list is empty");
    expect_set("aggregator.endpoints", "a,", UMBRA_ECONFIG,
               "aggregator.endpoints: item 2 of the list is empty");
}

static void test_config_set_fills_error_key(void **state)
{
    (void)state;
    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_set_defaults(&schema, &cfg, &err), 0);
    assert_int_equal(config_set(&schema, &cfg, "flow.idle_timeout", "2h", &err), UMBRA_ECONFIG);
    assert_string_equal(err.key, "flow.idle_timeout");
    assert_string_equal(err.msg, "flow.idle_timeout: 2h is out of range [1s, 1h]");
    assert_int_equal(err.line, 0);
    config_free(&schema, &cfg);
}

/* ---- Bad files: syntax ------------------------------------------------------------------ */

static void test_config_rejects_yaml_syntax_error_with_line_column_and_last_key(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: 1500\n\tpromisc: true\n", UMBRA_EYAML,
                 "f.yaml:3:1: YAML syntax error: found a tab character that violates indentation "
                 "(after key 'capture.snaplen')",
                 "capture.snaplen", 3);
    expect_error("capture:\n  snaplen: 1500: 0\n", UMBRA_EYAML,
                 "f.yaml:2:16: YAML syntax error: mapping values are not allowed in this context "
                 "(after key 'capture.snaplen')",
                 "capture.snaplen", 2);
    expect_error("capture:\n  snaplen: 1500\n  promisc: true\n extra: 1\n", UMBRA_EYAML,
                 "f.yaml:4:2: YAML syntax error: did not find expected key (after key "
                 "'capture.promisc')",
                 "capture.promisc", 4);
}

static void test_config_rejects_yaml_syntax_error_before_any_key_without_key_context(void **state)
{
    (void)state;
    expect_error("# settings\n\"capture\n", UMBRA_EYAML,
                 "f.yaml:3:1: YAML syntax error: found unexpected end of stream", "", 3);
}

static void test_config_rejects_invalid_utf8(void **state)
{
    (void)state;
    expect_error("sensor:\n  id: \xff\xfe\n", UMBRA_EYAML,
                 "f.yaml:2:7: YAML syntax error: invalid leading UTF-8 octet", "", 2);
}

/* ---- Bad files: keys and shape ---------------------------------------------------------- */

static void test_config_rejects_unknown_key_with_file_and_line(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: 1500\n  promisc: true\n  snaplenn: 9\n", UMBRA_ECONFIG,
                 "f.yaml:4: capture.snaplenn: unknown key", "capture.snaplenn", 4);
    expect_error("captur:\n  snaplen: 1\n", UMBRA_ECONFIG, "f.yaml:1: captur: unknown key",
                 "captur", 1);
    expect_error("flow:\n  tcp:\n    syn: 1s\n", UMBRA_ECONFIG,
                 "f.yaml:3: flow.tcp.syn: unknown key", "flow.tcp.syn", 3);
}

static void test_config_rejects_dotted_and_empty_keys(void **state)
{
    (void)state;
    expect_error("capture.snaplen: 1500\n", UMBRA_ECONFIG,
                 "f.yaml:1: capture.snaplen: dotted keys are not accepted; nest the key under its "
                 "section",
                 "capture.snaplen", 1);
    expect_error("capture:\n  '': 1\n", UMBRA_ECONFIG, "f.yaml:2: capture: empty key", "capture",
                 2);
}

static void test_config_rejects_duplicate_key_naming_the_first_line(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: 1500\n  promisc: true\n  # again\n  snaplen: 9000\n",
                 UMBRA_ECONFIG, "f.yaml:5: capture.snaplen: duplicate key (first set at line 2)",
                 "capture.snaplen", 5);
    expect_error("capture:\n  snaplen: 1500\nlog:\n  level: warn\ncapture:\n  promisc: false\n",
                 UMBRA_ECONFIG, "f.yaml:5: capture: duplicate key (first set at line 1)", "capture",
                 5);
    expect_error("flow:\n  tcp: {}\n  tcp:\n", UMBRA_ECONFIG,
                 "f.yaml:3: flow.tcp: duplicate key (first set at line 2)", "flow.tcp", 3);
}

static void test_config_rejects_top_level_that_is_not_a_mapping(void **state)
{
    (void)state;
    expect_error("- a\n- b\n", UMBRA_ECONFIG, "f.yaml:1: (top): expected a mapping of options", "",
                 1);
    expect_error("# a comment first\nhello\n", UMBRA_ECONFIG,
                 "f.yaml:2: (top): expected a mapping of options", "", 2);
}

static void test_config_rejects_scalar_given_for_a_section(void **state)
{
    (void)state;
    expect_error("capture: 5\n", UMBRA_ECONFIG, "f.yaml:1: capture: expected a mapping (section)",
                 "capture", 1);
    expect_error("flow:\n  tcp: [a]\n", UMBRA_ECONFIG,
                 "f.yaml:2: flow.tcp: expected a mapping (section)", "flow.tcp", 2);
}

static void test_config_rejects_non_scalar_keys(void **state)
{
    (void)state;
    expect_error("? [a, b]\n: 1\n", UMBRA_ECONFIG,
                 "f.yaml:1: (top): expected a key name, got a list", "", 1);
    expect_error("capture:\n  ? {a: 1}\n  : 1\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture: expected a key name, got a mapping", "capture", 2);
}

static void test_config_rejects_more_than_one_document(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: 100\n---\nlog:\n  level: warn\n", UMBRA_ECONFIG,
                 "f.yaml:3: (top): only one YAML document is accepted", "", 3);
}

static void test_config_rejects_aliases_anchors_and_tags(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: *big\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: anchors and aliases are not accepted",
                 "capture.snaplen", 2);
    expect_error("capture:\n  snaplen: &big 1500\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: anchors and aliases are not accepted",
                 "capture.snaplen", 2);
    expect_error("capture: &c\n  snaplen: 1500\n", UMBRA_ECONFIG,
                 "f.yaml:1: capture: anchors and aliases are not accepted", "capture", 1);
    expect_error("aggregator:\n  endpoints: [a, *b]\n", UMBRA_ECONFIG,
                 "f.yaml:2: aggregator.endpoints: anchors and aliases are not accepted",
                 "aggregator.endpoints", 2);
    expect_error("capture:\n  snaplen: !!int 1500\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: tags are not accepted", "capture.snaplen", 2);
    expect_error("--- !config\ncapture: {}\n", UMBRA_ECONFIG,
                 "f.yaml:1: (top): tags are not accepted", "", 1);
}

static void test_config_refuses_billion_laughs_at_the_first_anchor(void **state)
{
    (void)state;
    static const char yaml[] = "aggregator:\n"
                               "  endpoints: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                               "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                               "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    expect_error(yaml, UMBRA_ECONFIG,
                 "f.yaml:2: aggregator.endpoints: anchors and aliases are not accepted",
                 "aggregator.endpoints", 2);
}

/* ---- Bad files: values ------------------------------------------------------------------ */

static void test_config_rejects_wrong_type_for_each_type(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: lots\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got 'lots'", "capture.snaplen",
                 2);
    expect_error("capture:\n  snaplen: 1.5\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got '1.5'", "capture.snaplen", 2);
    expect_error("capture:\n  promisc: maybe\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.promisc: expected true or false, got 'maybe'",
                 "capture.promisc", 2);
    expect_error("log:\n  level: verbose\n", UMBRA_ECONFIG,
                 "f.yaml:2: log.level: expected one of debug|info|warn|error, got 'verbose'",
                 "log.level", 2);
    expect_error("flow:\n  idle_timeout: 30 s\n", UMBRA_ECONFIG,
                 "f.yaml:2: flow.idle_timeout: expected a duration such as 30s or 250ms, got "
                 "'30 s'",
                 "flow.idle_timeout", 2);
    expect_error("spool:\n  max_size: 64MB/s\n", UMBRA_ECONFIG,
                 "f.yaml:2: spool.max_size: expected a size such as 64MiB, got '64MB/s'",
                 "spool.max_size", 2);
    expect_error("model:\n  threshold: high\n", UMBRA_ECONFIG,
                 "f.yaml:2: model.threshold: expected a number, got 'high'", "model.threshold", 2);
    expect_error("aggregator:\n  endpoints: tcp://x:1\n", UMBRA_ECONFIG,
                 "f.yaml:2: aggregator.endpoints: expected a list of strings, got 'tcp://x:1'",
                 "aggregator.endpoints", 2);
}

static void test_config_rejects_mapping_or_list_where_a_scalar_belongs(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen:\n    a: 1\n", UMBRA_ECONFIG,
                 "f.yaml:3: capture.snaplen: expected an integer, got a mapping", "capture.snaplen",
                 3);
    expect_error("capture:\n  snaplen: [1, 2]\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got a list", "capture.snaplen",
                 2);
    expect_error("sensor:\n  id: {a: b}\n", UMBRA_ECONFIG,
                 "f.yaml:2: sensor.id: expected a string, got a mapping", "sensor.id", 2);
    expect_error("aggregator:\n  endpoints: {a: b}\n", UMBRA_ECONFIG,
                 "f.yaml:2: aggregator.endpoints: expected a list of strings, got a mapping",
                 "aggregator.endpoints", 2);
    expect_error("aggregator:\n  endpoints:\n    - a\n    - [b]\n", UMBRA_ECONFIG,
                 "f.yaml:4: aggregator.endpoints: list items must be strings, got a list",
                 "aggregator.endpoints", 4);
}

static void test_config_rejects_empty_value_for_a_scalar_option(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen:\n  promisc: true\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got nothing", "capture.snaplen",
                 2);
}

static void test_config_rejects_out_of_range_values_in_the_options_units(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: 10\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: 10 is out of range [64, 262144]", "capture.snaplen",
                 2);
    expect_error("capture:\n  snaplen: 0x100000\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: 0x100000 is out of range [64, 262144]",
                 "capture.snaplen", 2);
    expect_error("tuning:\n  offset: 9223372036854775808\n", UMBRA_ECONFIG,
                 "f.yaml:2: tuning.offset: 9223372036854775808 is out of range "
                 "[-9223372036854775808, 9223372036854775807]",
                 "tuning.offset", 2);
    expect_error("flow:\n  idle_timeout: 1ms\n", UMBRA_ECONFIG,
                 "f.yaml:2: flow.idle_timeout: 1ms is out of range [1s, 1h]", "flow.idle_timeout",
                 2);
    expect_error("flow:\n  tcp:\n    handshake_timeout: 300000000000d\n", UMBRA_ECONFIG,
                 "f.yaml:3: flow.tcp.handshake_timeout: 300000000000d is out of range "
                 "[0, 18446744073709551615ns]",
                 "flow.tcp.handshake_timeout", 3);
    expect_error("spool:\n  max_size: 2GiB\n", UMBRA_ECONFIG,
                 "f.yaml:2: spool.max_size: 2GiB is out of range [1MiB, 1GiB]", "spool.max_size",
                 2);
    expect_error("spool:\n  max_size: 1000000\n", UMBRA_ECONFIG,
                 "f.yaml:2: spool.max_size: 1000000 is out of range [1MiB, 1GiB]", "spool.max_size",
                 2);
    expect_error("model:\n  threshold: 1.5\n", UMBRA_ECONFIG,
                 "f.yaml:2: model.threshold: 1.5 is out of range [0, 1]", "model.threshold", 2);
    expect_error("model:\n  threshold: -1e999\n", UMBRA_ECONFIG,
                 "f.yaml:2: model.threshold: -1e999 is out of range [0, 1]", "model.threshold", 2);
}

static void test_config_rejects_string_longer_than_its_buffer(void **state)
{
    (void)state;
    expect_error("sensor:\n  id: abcdefghijklmnop\n", UMBRA_ECONFIG,
                 "f.yaml:2: sensor.id: longer than 15 characters", "sensor.id", 2);
}

static void test_config_rejects_string_with_nul(void **state)
{
    (void)state;
    expect_error("sensor:\n  id: \"a\\0b\"\n", UMBRA_ECONFIG,
                 "f.yaml:2: sensor.id: contains a NUL character", "sensor.id", 2);
}

static void test_config_rejects_list_with_too_many_items(void **state)
{
    (void)state;
    expect_error("aggregator:\n  endpoints:\n    - a\n    - b\n    - c\n    - d\n", UMBRA_ECONFIG,
                 "f.yaml:6: aggregator.endpoints: more than 3 items", "aggregator.endpoints", 6);
}

static void test_config_quotes_long_or_unprintable_values_shortened(void **state)
{
    (void)state;
    expect_error("capture:\n  snaplen: \"a\\tb\"\n", UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got 'a?b'", "capture.snaplen", 2);
    expect_error("capture:\n  snaplen: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
                 UMBRA_ECONFIG,
                 "f.yaml:2: capture.snaplen: expected an integer, got "
                 "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'",
                 "capture.snaplen", 2);
}

static void test_config_failed_load_applies_nothing_even_after_good_keys(void **state)
{
    (void)state;
    /* Good values for every kind before the error: none may survive, nothing may leak. */
    expect_error("capture:\n  snaplen: 1500\nsensor:\n  id: x\naggregator:\n  endpoints: [a, b]\n"
                 "log:\n  level: loud\n",
                 UMBRA_ECONFIG,
                 "f.yaml:8: log.level: expected one of debug|info|warn|error, got 'loud'",
                 "log.level", 8);
    expect_error("aggregator:\n  endpoints: [a, b]\ncapture:\n  promisc: \"true\n", UMBRA_EYAML,
                 "f.yaml:5:1: YAML syntax error: found unexpected end of stream (after key "
                 "'capture.promisc')",
                 "capture.promisc", 5);
}

/* ---- Bad files: reading ----------------------------------------------------------------- */

static void test_config_load_file_reports_missing_file_as_enoent(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[sizeof(dir) + 16];
    char msg[CONFIG_ERROR_MAX];
    snprintf(path, sizeof(path), "%s/nope.yaml", dir);
    snprintf(msg, sizeof(msg), "%s: cannot read: no such file or directory", path);

    struct test_config cfg;
    struct config_error err;
    assert_int_equal(config_load_file(&schema, path, &cfg, &err), -ENOENT);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.key, "");
    assert_int_equal(err.line, 0);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);

    snprintf(msg, sizeof(msg), "%s: cannot read: is a directory", dir);
    assert_int_equal(config_load_file(&schema, dir, &cfg, &err), -EISDIR);
    assert_string_equal(err.msg, msg);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
    assert_int_equal(rmdir(dir), 0);
}

/* Write @len bytes of one comment line ("#####...\n") to @path. */
static void write_comment_file(const char *path, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i + 1 < len; i++)
        fputc('#', f);
    fputc('\n', f);
    assert_int_equal(fclose(f), 0);
}

static void test_config_refuses_files_larger_than_1_mib(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[sizeof(dir) + 16];
    char msg[CONFIG_ERROR_MAX];
    snprintf(path, sizeof(path), "%s/big.yaml", dir);
    struct test_config cfg;
    struct config_error err;

    write_comment_file(path, 1u << 20);
    assert_int_equal(config_load_file(&schema, path, &cfg, &err), 0);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);

    write_comment_file(path, (1u << 20) + 1);
    snprintf(msg, sizeof(msg), "%s: larger than 1 MiB", path);
    assert_int_equal(config_load_file(&schema, path, &cfg, &err), -EFBIG);
    assert_string_equal(err.msg, msg);
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);

    char *big = calloc(1, (1u << 20) + 1);
    assert_non_null(big);
    assert_int_equal(config_load_buffer(&schema, "b.yaml", big, (1u << 20) + 1, &cfg, &err),
                     -EFBIG);
    assert_string_equal(err.msg, "b.yaml: larger than 1 MiB");
    assert_defaults(&cfg);
    config_free(&schema, &cfg);
    free(big);
}

/* ---- Schema, reference, lookup ---------------------------------------------------------- */

static void test_config_set_defaults_rejects_a_default_that_does_not_parse(void **state)
{
    (void)state;
    struct bad {
        int64_t n;
    } out;
    static const struct config_option bad_opts[] = {
            {.key = "x.n", .type = CONFIG_INT, .offset = 0, .def = "abc"},
    };
    static const struct config_schema bad = {"bad", sizeof(struct bad), bad_opts, 1};
    struct config_error err;
    assert_int_equal(config_set_defaults(&bad, &out, &err), UMBRA_ECONFIG);
    assert_string_equal(err.msg, "x.n: bad default (bad): expected an integer, got 'abc'");
    assert_string_equal(err.key, "x.n");
}

static void test_config_set_defaults_rejects_inconsistent_tables(void **state)
{
    (void)state;
    struct bad {
        int64_t n;
    } out;
    static const struct config_option outside[] = {
            {.key = "x.n", .type = CONFIG_INT, .offset = 4},
    };
    static const struct config_option twice[] = {
            {.key = "x.n", .type = CONFIG_BOOL, .offset = 0},
            {.key = "x.n", .type = CONFIG_BOOL, .offset = 1},
    };
    static const struct config_option both[] = {
            {.key = "x", .type = CONFIG_BOOL, .offset = 0},
            {.key = "x.n", .type = CONFIG_BOOL, .offset = 1},
    };
    static const struct config_schema s1 = {"bad", sizeof(struct bad), outside, 1};
    static const struct config_schema s2 = {"bad", sizeof(struct bad), twice, 2};
    static const struct config_schema s3 = {"bad", sizeof(struct bad), both, 2};
    struct config_error err;
    assert_int_equal(config_set_defaults(&s1, &out, &err), UMBRA_ECONFIG);
    assert_string_equal(err.msg, "x.n: bad schema (bad): field lies outside the struct");
    assert_int_equal(config_set_defaults(&s2, &out, &err), UMBRA_ECONFIG);
    assert_string_equal(err.msg, "x.n: bad schema (bad): listed twice");
    assert_int_equal(config_set_defaults(&s3, &out, &err), UMBRA_ECONFIG);
    assert_string_equal(err.msg, "x.n: bad schema (bad): both an option and a section");
}

static void test_config_find_returns_the_option_or_null(void **state)
{
    (void)state;
    const struct config_option *opt = config_find(&schema, "flow.tcp.handshake_timeout");
    assert_non_null(opt);
    assert_int_equal(opt->type, CONFIG_DURATION);
    assert_null(config_find(&schema, "flow.tcp"));
    assert_null(config_find(&schema, "flow"));
    assert_null(config_find(&schema, "nosuch"));
}

static void test_config_print_reference_gives_one_aligned_line_per_option(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_print_reference(&schema, f);
    assert_int_equal(fclose(f), 0);
    /* Columns: key, type, default, range, help; each as wide as its widest entry, plus 2. */
    static const char expected[] = "log.level                   enum      info                  "
                                   "debug|info|warn|error  least severe level logged\n"
                                   "capture.snaplen             int       65535                 "
                                   "[64, 262144]           bytes kept per packet\n"
                                   "capture.promisc             bool      true                  "
                                   "                       promiscuous mode\n"
                                   "flow.idle_timeout           duration  30s                   "
                                   "[1s, 1h]               a flow idle this long ends\n"
                                   "flow.tcp.handshake_timeout  duration  5s                    "
                                   "                       longest SYN to ACK\n"
                                   "spool.max_size              size      64MiB                 "
                                   "[1MiB, 1GiB]           spool cap\n"
                                   "model.threshold             double    0.5                   "
                                   "[0, 1]                 alert above this score\n"
                                   "sensor.id                   string    \"sensor-1\"            "
                                   "<= 15 chars            this sensor's name\n"
                                   "aggregator.endpoints        list      tcp://127.0.0.1:5555  "
                                   "<= 3 items             where to send records\n"
                                   "tuning.offset               int       0                     "
                                   "                       test knob without limits\n";
    assert_string_equal(text, expected);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config_defaults_fill_every_option),
            cmocka_unit_test(test_config_loads_every_type_from_nested_mappings),
            cmocka_unit_test(test_config_keeps_defaults_for_absent_keys),
            cmocka_unit_test(test_config_treats_empty_and_comment_only_files_as_all_defaults),
            cmocka_unit_test(test_config_accepts_a_null_buffer_of_length_zero),
            cmocka_unit_test(
                    test_config_reads_a_key_with_nothing_after_it_as_empty_section_or_list),
            cmocka_unit_test(test_config_loads_flow_style_mappings_and_lists),
            cmocka_unit_test(test_config_accepts_string_of_exactly_the_buffer_size_less_one),
            cmocka_unit_test(test_config_load_file_reads_a_real_file),
            cmocka_unit_test(test_config_parses_integers_in_decimal_and_hex),
            cmocka_unit_test(test_config_parses_bool_spellings_in_any_case),
            cmocka_unit_test(test_config_parses_duration_units_and_whole_ns_fractions),
            cmocka_unit_test(test_config_parse_duration_and_size_stand_alone),
            cmocka_unit_test(test_config_refuses_malformed_durations),
            cmocka_unit_test(test_config_parses_binary_and_decimal_size_units),
            cmocka_unit_test(test_config_refuses_malformed_sizes),
            cmocka_unit_test(test_config_refuses_non_decimal_doubles),
            cmocka_unit_test(test_config_set_parses_each_type_like_the_file),
            cmocka_unit_test(test_config_set_splits_a_list_on_commas_and_trims_blanks),
            cmocka_unit_test(test_config_set_rejects_unknown_key_without_file_or_line),
            cmocka_unit_test(test_config_set_rejects_bad_values_and_leaves_the_option_unchanged),
            cmocka_unit_test(test_config_set_fills_error_key),
            cmocka_unit_test(test_config_rejects_yaml_syntax_error_with_line_column_and_last_key),
            cmocka_unit_test(
                    test_config_rejects_yaml_syntax_error_before_any_key_without_key_context),
            cmocka_unit_test(test_config_rejects_invalid_utf8),
            cmocka_unit_test(test_config_rejects_unknown_key_with_file_and_line),
            cmocka_unit_test(test_config_rejects_dotted_and_empty_keys),
            cmocka_unit_test(test_config_rejects_duplicate_key_naming_the_first_line),
            cmocka_unit_test(test_config_rejects_top_level_that_is_not_a_mapping),
            cmocka_unit_test(test_config_rejects_scalar_given_for_a_section),
            cmocka_unit_test(test_config_rejects_non_scalar_keys),
            cmocka_unit_test(test_config_rejects_more_than_one_document),
            cmocka_unit_test(test_config_rejects_aliases_anchors_and_tags),
            cmocka_unit_test(test_config_refuses_billion_laughs_at_the_first_anchor),
            cmocka_unit_test(test_config_rejects_wrong_type_for_each_type),
            cmocka_unit_test(test_config_rejects_mapping_or_list_where_a_scalar_belongs),
            cmocka_unit_test(test_config_rejects_empty_value_for_a_scalar_option),
            cmocka_unit_test(test_config_rejects_out_of_range_values_in_the_options_units),
            cmocka_unit_test(test_config_rejects_string_longer_than_its_buffer),
            cmocka_unit_test(test_config_rejects_string_with_nul),
            cmocka_unit_test(test_config_rejects_list_with_too_many_items),
            cmocka_unit_test(test_config_quotes_long_or_unprintable_values_shortened),
            cmocka_unit_test(test_config_failed_load_applies_nothing_even_after_good_keys),
            cmocka_unit_test(test_config_load_file_reports_missing_file_as_enoent),
            cmocka_unit_test(test_config_refuses_files_larger_than_1_mib),
            cmocka_unit_test(test_config_set_defaults_rejects_a_default_that_does_not_parse),
            cmocka_unit_test(test_config_set_defaults_rejects_inconsistent_tables),
            cmocka_unit_test(test_config_find_returns_the_option_or_null),
            cmocka_unit_test(test_config_print_reference_gives_one_aligned_line_per_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

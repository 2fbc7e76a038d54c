/*
 * log: line format, levels, and the per-call-site rate limit, with a fake clock and an in-memory
 * sink so every byte written can be checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct fake {
    uint64_t mono;
    uint64_t wall;
    FILE *sink;
    char *buf;
    size_t len;
};

static uint64_t fake_mono(void *ctx)
{
    return ((struct fake *)ctx)->mono;
}

static uint64_t fake_wall(void *ctx)
{
    return ((struct fake *)ctx)->wall;
}

static struct log *fake_log(struct fake *f, enum log_level level)
{
    memset(f, 0, sizeof(*f));
    f->wall = 1357328848512314000ULL; /* 2013-01-04T19:47:28.512314Z */
    f->mono = 1000 * CLOCK_NS_PER_SEC;
    f->sink = open_memstream(&f->buf, &f->len);
    assert_non_null(f->sink);
    struct log_config cfg = {
            .name = "test",
            .level = level,
            .sink = f->sink,
            .rl_interval_ns = 10 * CLOCK_NS_PER_SEC,
            .rl_burst = 3,
            .mono = fake_mono,
            .wall = fake_wall,
            .clock_ctx = f,
    };
    struct log *log = log_create(&cfg);
    assert_non_null(log);
    return log;
}

static const char *fake_text(struct fake *f)
{
    fflush(f->sink);
    return f->buf;
}

static void fake_done(struct fake *f)
{
    fclose(f->sink);
    free(f->buf);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_log_line_has_time_level_name_and_text(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_INFO);
    log_warn(log, "capture: cannot open file=%s reason=\"%s\"", "x.pcap", "gone");
    assert_string_equal(fake_text(&f), "2013-01-04T19:47:28.512314Z warn  test: capture: cannot "
                                       "open file=x.pcap reason=\"gone\"\n");
    assert_int_equal(log_lines_written(log), 1);
    log_destroy(&log);
    assert_null(log);
    fake_done(&f);
}

static void test_log_drops_levels_above_the_configured_one(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_WARN);
    log_info(log, "info line");
    log_err(log, "error line");
    log_debug(log, "debug line %d", 1);
    log_warn(log, "warn line");
    const char *t = fake_text(&f);
    assert_int_equal(count_lines(t), 2);
    assert_non_null(strstr(t, "error test: error line\n"));
    assert_non_null(strstr(t, "warn  test: warn line\n"));
    assert_null(strstr(t, "info line"));
    log_set_level(log, LOG_LEVEL_INFO);
    assert_int_equal(log_get_level(log), LOG_LEVEL_INFO);
    log_info(log, "info now");
    assert_non_null(strstr(fake_text(&f), "info  test: info now\n"));
    log_destroy(&log);
    fake_done(&f);
}

static void emit_bad_packet(struct log *log, int i)
{
    log_warn(log, "decode: bad packet n=%d", i);
}

static void test_log_rate_limits_a_repeated_message_and_summarises(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_INFO);
    for (int i = 0; i < 10; i++)
        emit_bad_packet(log, i);
    /* Burst of 3 written, 7 counted as suppressed. */
    assert_int_equal(count_lines(fake_text(&f)), 3);
    assert_int_equal(log_lines_suppressed(log), 7);
    assert_null(strstr(fake_text(&f), "n=3"));

    /* Another call site is not held back by the first one. */
    log_warn(log, "other site");
    assert_int_equal(count_lines(fake_text(&f)), 4);

    /* After the window the summary comes first, then the new message. */
    f.mono += 10 * CLOCK_NS_PER_SEC;
    emit_bad_packet(log, 99);
    const char *t = fake_text(&f);
    assert_int_equal(count_lines(t), 6);
    assert_non_null(
            strstr(t, "warn  test: log: suppressed 7 repeats of \"decode: bad packet n=%d\"\n"));
    assert_non_null(strstr(t, "n=99\n"));
    assert_true(strstr(t, "suppressed 7") < strstr(t, "n=99"));
    assert_int_equal(log_lines_written(log), 6);
    log_destroy(&log);
    fake_done(&f);
}

static void test_log_flush_reports_pending_suppressions(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_INFO);
    for (int i = 0; i < 5; i++)
        emit_bad_packet(log, i);
    assert_int_equal(count_lines(fake_text(&f)), 3);
    log_flush(log);
    assert_non_null(strstr(fake_text(&f), "suppressed 2 repeats"));
    /* Flushed once: flushing again adds nothing. */
    log_flush(log);
    assert_int_equal(count_lines(fake_text(&f)), 4);
    log_destroy(&log);
    fake_done(&f);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
static void test_log_more_call_sites_than_slots_keeps_working(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_INFO);
    static char fmts[LOG_RL_SLOTS + 8][32];
    for (size_t i = 0; i < LOG_RL_SLOTS + 8; i++) {
        snprintf(fmts[i], sizeof(fmts[i]), "site %zu", i);
        for (int k = 0; k < 4; k++) {
            f.mono++;
            log_write(log, LOG_LEVEL_WARN, fmts[i]);
        }
    }
    /* 3 lines per site, plus a summary for each site pushed out of a slot or flushed. */
    log_destroy(&log);
    const char *t = fake_text(&f);
    assert_int_equal(count_lines(t), (LOG_RL_SLOTS + 8) * 4);
    fake_done(&f);
}
#pragma GCC diagnostic pop

static void test_log_cuts_long_lines_and_says_so(void **state)
{
    (void)state;
    struct fake f;
    struct log *log = fake_log(&f, LOG_LEVEL_INFO);
    static char big[4 * LOG_LINE_MAX];
    memset(big, 'a', sizeof(big) - 1);
    log_info(log, "%s", big);
    const char *t = fake_text(&f);
    assert_int_equal(strlen(t), LOG_LINE_MAX - 1);
    assert_string_equal(t + LOG_LINE_MAX - 5, "...\n");
    log_destroy(&log);
    fake_done(&f);
}

static void test_log_level_names_parse_both_ways(void **state)
{
    (void)state;
    enum log_level l;
    assert_int_equal(log_level_parse("debug", &l), 0);
    assert_int_equal(l, LOG_LEVEL_DEBUG);
    assert_int_equal(log_level_parse("error", &l), 0);
    assert_int_equal(l, LOG_LEVEL_ERROR);
    assert_int_equal(log_level_parse("loud", &l), -EINVAL);
    assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
    assert_string_equal(log_level_name((enum log_level)42), "?");
}

static void test_log_null_log_is_a_no_op(void **state)
{
    (void)state;
    log_err(NULL, "nobody hears this %d", 1);
    log_flush(NULL);
    struct log *log = NULL;
    log_destroy(&log);
    log_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_log_line_has_time_level_name_and_text),
            cmocka_unit_test(test_log_drops_levels_above_the_configured_one),
            cmocka_unit_test(test_log_rate_limits_a_repeated_message_and_summarises),
            cmocka_unit_test(test_log_flush_reports_pending_suppressions),
            cmocka_unit_test(test_log_more_call_sites_than_slots_keeps_working),
            cmocka_unit_test(test_log_cuts_long_lines_and_says_so),
            cmocka_unit_test(test_log_level_names_parse_both_ways),
            cmocka_unit_test(test_log_null_log_is_a_no_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

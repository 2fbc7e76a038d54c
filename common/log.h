/*
 * Logging: one line per message, "TIME LEVEL NAME: text key=value ...", to a stdio stream.
 *
 * A repeated message is rate-limited per call site (identified by its format string): at most
 * `rl_burst` lines per `rl_interval_ns`; the rest are counted and summarised in one line
 * ("suppressed N repeats of ...") when the interval ends or the log is flushed.
 *
 * Threads: a struct log belongs to one thread. Threads that log to the same stream create one
 * struct log each; every line is written with a single fwrite(), so lines never interleave.
 */
#ifndef UMBRA_COMMON_LOG_H
#define UMBRA_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"

enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

/* Longest line written; longer messages are cut and end in "...". */
#define LOG_LINE_MAX 1024
/* Call sites remembered for rate limiting; the least recently started one is replaced. */
#define LOG_RL_SLOTS 32

struct log_config {
    const char *name;        /* prefix of every line, e.g. "sensor"; copied */
    enum log_level level;    /* messages above this level are dropped */
    FILE *sink;              /* borrowed; NULL means stderr */
    uint64_t rl_interval_ns; /* rate-limit window; 0 means 10 s */
    uint32_t rl_burst;       /* lines per call site per window; 0 means 5 */
    clock_now_fn *mono;      /* rate-limit clock; NULL means clock_mono_fn */
    clock_now_fn *wall;      /* timestamp clock; NULL means clock_wall_fn */
    void *clock_ctx;         /* passed to both clocks */
};

struct log;

/* log_create() - a log as configured. Returns NULL only on out-of-memory. */
struct log *log_create(const struct log_config *cfg);

/* log_destroy() - flush suppressed-repeat summaries, free, set *logp = NULL. NULL-safe. */
void log_destroy(struct log **logp);

void log_set_level(struct log *log, enum log_level level);
enum log_level log_get_level(const struct log *log);

/* log_level_parse() - "error", "warn", "info", "debug" to a level. 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * log_write() - format and write one line if @level is enabled and the call site is not over its
 * rate limit. @log may be NULL (the message is dropped): code under test can run without one.
 */
void log_write(struct log *log, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* log_flush() - write the summaries of suppressed repeats now and reset their counts. */
void log_flush(struct log *log);

/* Lines written, and repeats suppressed, since creation (for metrics). */
uint64_t log_lines_written(const struct log *log);
uint64_t log_lines_suppressed(const struct log *log);

#define log_err(log, ...)  log_write((log), LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(log, ...) log_write((log), LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(log, ...) log_write((log), LOG_LEVEL_INFO, __VA_ARGS__)
/* Debug lines compile out unless UMBRA_LOG_DEBUG is set (Debug builds); formats stay checked. */
#ifdef UMBRA_LOG_DEBUG
#define log_debug(log, ...) log_write((log), LOG_LEVEL_DEBUG, __VA_ARGS__)
#else
#define log_debug(log, ...)                                                                        \
    do {                                                                                           \
        if (0)                                                                                     \
            log_write((log), LOG_LEVEL_DEBUG, __VA_ARGS__);                                        \
    } while (0)
#endif

#endif

/*
 * Logging: formats lines, enforces levels and the per-call-site rate limit, counts what it wrote
 * and suppressed. It does not open files or decide where logs go: main() hands it a stream.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct log_rl_slot {
    const char *fmt;       /* call-site identity; NULL = free slot */
    enum log_level level;  /* level of the suppressed lines, for the summary */
    uint64_t window_start; /* mono ns */
    uint32_t in_window;    /* lines seen in this window */
    uint32_t suppressed;   /* lines dropped in this window */
};

struct log {
    char name[32];
    enum log_level level;
    FILE *sink;
    uint64_t rl_interval_ns;
    uint32_t rl_burst;
    clock_now_fn *mono;
    clock_now_fn *wall;
    void *clock_ctx;
    uint64_t written;
    uint64_t suppressed;
    struct log_rl_slot slots[LOG_RL_SLOTS];
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

struct log *log_create(const struct log_config *cfg)
{
    struct log *log = calloc(1, sizeof(*log));
    if (log == NULL)
        return NULL;
    snprintf(log->name, sizeof(log->name), "%s", cfg->name ? cfg->name : "umbra");
    log->level = cfg->level;
    log->sink = cfg->sink ? cfg->sink : stderr;
    log->rl_interval_ns = cfg->rl_interval_ns ? cfg->rl_interval_ns : 10 * CLOCK_NS_PER_SEC;
    log->rl_burst = cfg->rl_burst ? cfg->rl_burst : 5;
    log->mono = cfg->mono ? cfg->mono : clock_mono_fn;
    log->wall = cfg->wall ? cfg->wall : clock_wall_fn;
    log->clock_ctx = cfg->clock_ctx;
    return log;
}

void log_destroy(struct log **logp)
{
    if (logp == NULL || *logp == NULL)
        return;
    log_flush(*logp);
    free(*logp);
    *logp = NULL;
}

void log_set_level(struct log *log, enum log_level level)
{
    log->level = level;
}

enum log_level log_get_level(const struct log *log)
{
    return log->level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
    if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
        return level_names[level];
    return "?";
}

/* Writes "TIME LEVEL NAME: " + text + "\n" with one fwrite so threads' lines do not interleave. */
static void log_emit(struct log *log, enum log_level level, const char *text)
{
    char line[LOG_LINE_MAX];
    char ts[CLOCK_UTC_LEN];
    if (clock_format_utc(log->wall(log->clock_ctx), ts, sizeof(ts)) < 0)
        snprintf(ts, sizeof(ts), "-");
    int n = snprintf(line, sizeof(line), "%s %-5s %s: %s\n", ts, log_level_name(level), log->name,
                     text);
    if (n < 0)
        return;
    size_t len = (size_t)n;
    if (len >= sizeof(line)) {
        /* Cut, and say so: a silently shortened line would mislead. */
        memcpy(line + sizeof(line) - 5, "...\n", 5);
        len = sizeof(line) - 1;
    }
    fwrite(line, 1, len, log->sink);
    fflush(log->sink);
    log->written++;
}

static void log_emit_summary(struct log *log, struct log_rl_slot *slot)
{
    if (slot->suppressed == 0)
        return;
    char text[LOG_LINE_MAX];
    snprintf(text, sizeof(text), "log: suppressed %u repeats of \"%s\"", slot->suppressed,
             slot->fmt);
    log_emit(log, slot->level, text);
    slot->suppressed = 0;
}

/* The slot of call site @fmt, claimed if new: a free one, else the oldest (summarised first). */
static struct log_rl_slot *log_rl_slot(struct log *log, const char *fmt)
{
    struct log_rl_slot *oldest = &log->slots[0];
    for (size_t i = 0; i < LOG_RL_SLOTS; i++) {
        struct log_rl_slot *s = &log->slots[i];
        if (s->fmt == fmt)
            return s;
        if (s->fmt == NULL) {
            oldest = s;
            break;
        }
        if (s->window_start < oldest->window_start)
            oldest = s;
    }
    log_emit_summary(log, oldest);
    memset(oldest, 0, sizeof(*oldest));
    oldest->fmt = fmt;
    return oldest;
}

/* True when this line may be written; counts it as suppressed otherwise. */
static bool log_rl_admit(struct log *log, enum log_level level, const char *fmt)
{
    uint64_t now = log->mono(log->clock_ctx);
    struct log_rl_slot *slot = log_rl_slot(log, fmt);
    if (slot->in_window == 0 || now - slot->window_start >= log->rl_interval_ns) {
        log_emit_summary(log, slot);
        slot->window_start = now;
        slot->in_window = 0;
    }
    slot->level = level;
    slot->in_window++;
    if (slot->in_window <= log->rl_burst)
        return true;
    slot->suppressed++;
    log->suppressed++;
    return false;
}

void log_write(struct log *log, enum log_level level, const char *fmt, ...)
{
    if (log == NULL || level > log->level)
        return;
    if (!log_rl_admit(log, level, fmt))
        return;
    char text[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    log_emit(log, level, text);
}

void log_flush(struct log *log)
{
    if (log == NULL)
        return;
    for (size_t i = 0; i < LOG_RL_SLOTS; i++) {
        if (log->slots[i].fmt != NULL)
            log_emit_summary(log, &log->slots[i]);
    }
}

uint64_t log_lines_written(const struct log *log)
{
    return log->written;
}

uint64_t log_lines_suppressed(const struct log *log)
{
    return log->suppressed;
}

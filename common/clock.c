/*
 * Clocks: thin wrappers over clock_gettime() and the one timestamp format Umbra prints. It keeps
 * no state; a component that needs a replaceable clock takes a clock_now_fn and a context.
 */
#include "common/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static uint64_t clock_read(clockid_t id)
{
    struct timespec ts;
    /* clock_gettime() can only fail for an invalid clock id, which these are not. */
    (void)clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void)
{
    return clock_read(CLOCK_MONOTONIC);
}

uint64_t clock_wall_ns(void)
{
    return clock_read(CLOCK_REALTIME);
}

uint64_t clock_mono_fn(void *ctx)
{
    (void)ctx;
    return clock_mono_ns();
}

uint64_t clock_wall_fn(void *ctx)
{
    (void)ctx;
    return clock_wall_ns();
}

uint64_t clock_ns_from_parts(int64_t sec, uint64_t frac_ns)
{
    if (sec < 0)
        return 0;
    /* 2^64 ns is about year 2554; a larger seconds value can only come from a hostile capture. */
    if ((uint64_t)sec > UINT64_MAX / CLOCK_NS_PER_SEC - 1)
        return UINT64_MAX;
    return (uint64_t)sec * CLOCK_NS_PER_SEC + frac_ns % CLOCK_NS_PER_SEC;
}

int clock_format_utc(uint64_t wall_ns, char *buf, size_t len)
{
    if (len < CLOCK_UTC_LEN)
        return -ENOSPC;
    time_t sec = (time_t)(wall_ns / CLOCK_NS_PER_SEC);
    unsigned usec = (unsigned)((wall_ns % CLOCK_NS_PER_SEC) / CLOCK_NS_PER_US);
    struct tm tm;
    if (gmtime_r(&sec, &tm) == NULL)
        return -EOVERFLOW;
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
    if (n < 0 || (size_t)n >= len)
        return -ENOSPC;
    return n;
}

/*
 * Clocks. Umbra keeps every time as uint64_t nanoseconds: monotonic time for timers and rate
 * limits, wall time (since the Unix epoch) for logs, packet timestamps and event time.
 */
#ifndef UMBRA_COMMON_CLOCK_H
#define UMBRA_COMMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_NS_PER_US  1000ULL
#define CLOCK_NS_PER_MS  1000000ULL
#define CLOCK_NS_PER_SEC 1000000000ULL

/* A time source that can be replaced in tests: returns nanoseconds. */
typedef uint64_t clock_now_fn(void *ctx);

/* clock_mono_ns() - CLOCK_MONOTONIC in ns; never goes backwards. Thread-safe. */
uint64_t clock_mono_ns(void);

/* clock_wall_ns() - CLOCK_REALTIME in ns since the Unix epoch. Thread-safe. */
uint64_t clock_wall_ns(void);

/* Adapters with the clock_now_fn signature (ctx unused). */
uint64_t clock_mono_fn(void *ctx);
uint64_t clock_wall_fn(void *ctx);

/*
 * clock_ns_from_sec_usec() - a packet timestamp (seconds, microseconds or nanoseconds as libpcap
 * gives it) to ns. @frac_ns is the fractional part already in ns. Negative seconds (before 1970,
 * only in hostile captures) clamp to 0.
 */
uint64_t clock_ns_from_parts(int64_t sec, uint64_t frac_ns);

/*
 * clock_format_utc() - "2026-11-22T21:30:00.123456Z" (microsecond precision) into @buf.
 * Returns the length written (excluding NUL), or -ENOSPC if @len is under CLOCK_UTC_LEN.
 */
#define CLOCK_UTC_LEN 28
int clock_format_utc(uint64_t wall_ns, char *buf, size_t len);

#endif

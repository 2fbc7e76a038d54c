/*
 * Segment writer: the flow store's appends, written in order by a thread of their own from
 * aligned copies, so that the ingest loop never waits for the disk between commits.
 *
 * Why: with the segments opened O_DIRECT (the flow store's choice, where the file system takes
 * it) a write costs the kernel far less than one into the page cache (no copy into fresh page
 * cache, no delayed allocation, no writeback later; docs/BENCHMARKS.md, transport), but it
 * returns only when the device has the bytes. Done on the loop's thread that wait was idle
 * time; done here it overlaps the walk of the next batch. O_DIRECT wants the buffer, the file
 * offset and the length aligned: each write is copied into an aligned staging slot and padded
 * with zeros to SEG_WRITER_ALIGN, so every write starts and ends on that boundary.
 *
 * Order and errors: writes are made in submission order. The first failure is kept; later
 * writes are skipped, seg_writer_write() returns it at once and seg_writer_drain() returns it
 * (and clears it), so the caller drops the whole group it was writing.
 *
 * Threads: one caller thread (the flow store's) plus the writer's own. Not for concurrent
 * callers.
 */
#ifndef UMBRA_AGGREGATOR_SEG_WRITER_H
#define UMBRA_AGGREGATOR_SEG_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/log.h"

#define SEG_WRITER_ALIGN 4096u /* O_DIRECT alignment; a page, the largest logical block */
#define SEG_WRITER_SLOTS 4u    /* writes in flight, each with its staging buffer */

/* seg_writer_pad() - @len rounded up to SEG_WRITER_ALIGN: the bytes a write of @len takes. */
static inline uint64_t seg_writer_pad(uint64_t len)
{
    return (len + SEG_WRITER_ALIGN - 1) & ~(uint64_t)(SEG_WRITER_ALIGN - 1);
}

enum seg_writer_flags {
    /* After a buffered write, start its writeback (sync_file_range) without waiting for it, so
     * that the commit's fdatasync waits only for the last writes. Not needed with O_DIRECT. */
    SEG_WRITER_WRITEBACK = 1,
};

struct seg_writer;

/* seg_writer_create() - start the writer thread; NULL (logged) when it cannot. */
struct seg_writer *seg_writer_create(struct log *log);

/* seg_writer_destroy() - wait for the writes queued, stop the thread, free; NULL-safe. */
void seg_writer_destroy(struct seg_writer **wp);

/*
 * seg_writer_write() - queue the bytes of @iov (@n parts) for @fd at @off (a multiple of
 * SEG_WRITER_ALIGN), followed by zeros up to seg_writer_pad() of their total. The bytes are
 * copied before it returns; it waits only when SEG_WRITER_SLOTS writes are in flight.
 *
 * Returns 0 (queued, not yet written; or nothing to write: no bytes at all), -EINVAL for a
 * misaligned @off, -ENOMEM when a staging buffer cannot grow, or the error of an earlier write
 * (negative errno) not yet drained.
 */
int seg_writer_write(struct seg_writer *w, int fd, uint64_t off, const struct iovec *iov, int n,
                     unsigned flags);

/*
 * seg_writer_drain() - wait until every queued write is done. Returns 0, or the first failed
 * write's negative errno (then cleared: the writer is usable again).
 */
int seg_writer_drain(struct seg_writer *w);

#endif

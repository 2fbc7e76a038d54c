/*
 * Segment writer: a ring of SEG_WRITER_SLOTS staging slots between the caller, which fills the
 * next free slot, and one thread, which writes the filled ones in order.
 */
/* sync_file_range(), Linux only: see SEG_WRITER_WRITEBACK. */
#define _GNU_SOURCE

#include "aggregator/seg_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

struct slot {
    uint8_t *buf; /* SEG_WRITER_ALIGN-aligned, @cap bytes */
    size_t cap;
    size_t len; /* bytes to write, padded */
    int fd;
    uint64_t off;
    unsigned flags;
};

struct seg_writer {
    pthread_mutex_t mu;
    pthread_cond_t queued; /* the caller to the thread: a slot was filled, or stop */
    pthread_cond_t done;   /* the thread to the caller: a slot was written */
    pthread_t thread;
    struct slot slot[SEG_WRITER_SLOTS];
    /* Under mu: slots head .. head + pending - 1 (mod SLOTS) are filled, the first of them
     * possibly being written; the caller fills slot (head + pending) % SLOTS. */
    unsigned head, pending;
    int err; /* the first failed write's -errno, until drained */
    bool stop;
};

static int write_slot(const struct slot *s)
{
    size_t done = 0;
    while (done < s->len) {
        ssize_t k = pwrite(s->fd, s->buf + done, s->len - done, (off_t)(s->off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EIO;
        done += (size_t)k;
    }
    if (s->flags & SEG_WRITER_WRITEBACK)
        (void)sync_file_range(s->fd, (off_t)s->off, (off_t)s->len, SYNC_FILE_RANGE_WRITE);
    return 0;
}

static void *run(void *arg)
{
    struct seg_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->pending == 0 && !w->stop)
            pthread_cond_wait(&w->queued, &w->mu);
        if (w->pending == 0)
            break; /* stop, with nothing left */
        struct slot *s = &w->slot[w->head];
        bool skip = w->err != 0; /* after a failure the group is dropped: write nothing more */
        pthread_mutex_unlock(&w->mu);
        int rc = skip ? 0 : write_slot(s);
        pthread_mutex_lock(&w->mu);
        if (rc != 0 && w->err == 0)
            w->err = rc;
        w->head = (w->head + 1) % SEG_WRITER_SLOTS;
        w->pending--;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct seg_writer *seg_writer_create(struct log *log)
{
    struct seg_writer *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        log_err(log, "seg_writer: out of memory");
        return NULL;
    }
    int rc = pthread_mutex_init(&w->mu, NULL);
    if (rc != 0)
        goto out_free;
    if ((rc = pthread_cond_init(&w->queued, NULL)) != 0)
        goto out_mutex;
    if ((rc = pthread_cond_init(&w->done, NULL)) != 0)
        goto out_queued;
    if ((rc = pthread_create(&w->thread, NULL, run, w)) != 0)
        goto out_done;
    (void)pthread_setname_np(w->thread, "umbra-segw"); /* for top, perf, the benchmark */
    return w;
out_done:
    pthread_cond_destroy(&w->done);
out_queued:
    pthread_cond_destroy(&w->queued);
out_mutex:
    pthread_mutex_destroy(&w->mu);
out_free:
    log_err(log, "seg_writer: cannot start the writer thread: %s", umbra_strerror(-rc));
    free(w);
    return NULL;
}

void seg_writer_destroy(struct seg_writer **wp)
{
    struct seg_writer *w = wp != NULL ? *wp : NULL;
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->queued);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->queued);
    pthread_mutex_destroy(&w->mu);
    for (unsigned i = 0; i < SEG_WRITER_SLOTS; i++)
        free(w->slot[i].buf);
    free(w);
    *wp = NULL;
}

int seg_writer_write(struct seg_writer *w, int fd, uint64_t off, const struct iovec *iov, int n,
                     unsigned flags)
{
    if (off % SEG_WRITER_ALIGN != 0 || n < 0 || (iov == NULL && n > 0))
        return -EINVAL;
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += iov[i].iov_len;
    size_t padded = (size_t)seg_writer_pad(len);
    if (padded == 0)
        return 0; /* nothing to write (the flow store's records have a header) */

    pthread_mutex_lock(&w->mu);
    while (w->pending == SEG_WRITER_SLOTS && w->err == 0)
        pthread_cond_wait(&w->done, &w->mu);
    int err = w->err;
    unsigned next = (w->head + w->pending) % SEG_WRITER_SLOTS;
    pthread_mutex_unlock(&w->mu);
    if (err != 0)
        return err;

    /* The slot is the caller's until it is queued: the thread touches only filled slots. */
    struct slot *s = &w->slot[next];
    if (padded > s->cap) {
        /* Grows with the largest batch seen, then stays: no allocation per write. */
        void *nb = NULL;
        if (posix_memalign(&nb, SEG_WRITER_ALIGN, padded) != 0)
            return -ENOMEM;
        free(s->buf);
        s->buf = nb;
        s->cap = padded;
    }
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > 0)
            memcpy(s->buf + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
    memset(s->buf + at, 0, padded - at);
    s->len = padded;
    s->fd = fd;
    s->off = off;
    s->flags = flags;

    pthread_mutex_lock(&w->mu);
    w->pending++;
    pthread_cond_signal(&w->queued);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int seg_writer_drain(struct seg_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->pending > 0)
        pthread_cond_wait(&w->done, &w->mu);
    int err = w->err;
    w->err = 0;
    pthread_mutex_unlock(&w->mu);
    return err;
}

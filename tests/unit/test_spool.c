/*
 * spool: sequences, reads, removal, reopening, the synced mark and a simulated power cut, the
 * byte cap and its drop counters, streams that are renamed, damaged entries and a full map, all
 * against the real LMDB in a scratch directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "sensor/spool.h"
#include "tests/unit/support/tmpfile.h"

/* Visible in test builds only (UMBRA_TESTABLE): spool_create() with a chosen map size. */
struct spool *spool_create_mapped(const struct spool_config *cfg, size_t map_size, struct log *log);

struct fixture {
    struct tmpdir tmp;
    char dir[TMPDIR_PATH_MAX + 16]; /* <tmp>/spool: spool_create() makes it */
    char *log_text;
    size_t log_len;
    FILE *log_sink;
    struct log *log;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(tmpdir_create(&f->tmp), 0);
    assert_int_equal(tmpdir_file(&f->tmp, "spool", f->dir, sizeof(f->dir)), 0);
    f->log_sink = open_memstream(&f->log_text, &f->log_len);
    assert_non_null(f->log_sink);
    struct log_config lc = {.name = "test", .level = LOG_LEVEL_INFO, .sink = f->log_sink};
    f->log = log_create(&lc);
    assert_non_null(f->log);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    log_destroy(&f->log);
    fclose(f->log_sink);
    free(f->log_text);
    tmpdir_remove_path(f->dir);
    tmpdir_remove(&f->tmp);
    free(f);
    return 0;
}

/* What the log has said so far, NUL-terminated. */
static const char *log_text(struct fixture *f)
{
    log_flush(f->log);
    fflush(f->log_sink);
    return f->log_text;
}

static struct spool *open_spool(struct fixture *f, uint64_t max_bytes, uint32_t n,
                                const char *const *names)
{
    struct spool_config cfg = {
            .dir = f->dir, .max_bytes = max_bytes, .n_streams = n, .stream_names = names};
    return spool_create(&cfg, f->log);
}

/* Batch @seq of a test: @len bytes, each (seq + i) & 0xff, so a read can be checked. */
static void fill(uint8_t *buf, size_t len, uint64_t seq)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq + i);
}

static void append(struct spool *sp, uint32_t stream, size_t len, uint32_t records)
{
    uint8_t buf[4096];
    assert_true(len <= sizeof(buf));
    uint64_t seq = spool_next_seq(sp, stream);
    fill(buf, len, seq);
    assert_int_equal(spool_append(sp, stream, seq, buf, len, records), 0);
}

/* Reads the first batch at or after @from and checks its bytes; returns its seq. */
static uint64_t read_check(struct spool *sp, uint32_t stream, uint64_t from, size_t want_len)
{
    uint8_t buf[4096], want[4096];
    uint64_t seq = 0;
    size_t len = 0;
    assert_int_equal(spool_read(sp, stream, from, &seq, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, want_len);
    fill(want, len, seq);
    assert_memory_equal(buf, want, len);
    return seq;
}

static void test_spool_numbers_from_one_and_reads_in_order(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"tcp://10.0.0.1:7000"};
    struct spool *sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    assert_int_equal(spool_next_seq(sp, 0), 1);
    for (uint32_t i = 1; i <= 5; i++)
        append(sp, 0, 100 + i, i);
    assert_int_equal(spool_next_seq(sp, 0), 6);

    uint64_t seq = 0;
    for (uint64_t want = 1; want <= 5; want++) {
        seq = read_check(sp, 0, seq + 1, 100 + want);
        assert_int_equal(seq, want);
    }
    size_t len = 0;
    assert_int_equal(spool_read(sp, 0, 6, &seq, NULL, 0, &len), -ENOENT);
    /* From the middle. */
    assert_int_equal(read_check(sp, 0, 3, 103), 3);

    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 5);
    assert_int_equal(st.bytes, 101 + 102 + 103 + 104 + 105);
    assert_int_equal(st.oldest, 1);
    assert_int_equal(st.next_seq, 6);
    assert_int_equal(st.appended, 5);
    assert_int_equal(spool_bytes(sp), st.bytes);
    assert_int_equal(spool_sync(sp), 0);

    struct stat sb;
    assert_int_equal(stat(f->dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    spool_destroy(&sp);
    assert_null(sp);
    spool_destroy(&sp);
    spool_destroy(NULL);
}

static void test_spool_refuses_a_sequence_out_of_turn(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool *sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    uint8_t b[8] = {0};
    assert_int_equal(spool_append(sp, 0, 2, b, sizeof(b), 1), -EINVAL);
    assert_int_equal(spool_append(sp, 0, 0, b, sizeof(b), 1), -EINVAL);
    assert_int_equal(spool_append(sp, 1, 1, b, sizeof(b), 1), -EINVAL); /* no stream 1 */
    assert_int_equal(spool_append(sp, 0, 1, NULL, 8, 1), -EINVAL);
    assert_int_equal(spool_next_seq(sp, 0), 1);
    assert_int_equal(spool_append(sp, 0, 1, b, sizeof(b), 1), 0);
    assert_int_equal(spool_append(sp, 0, 1, b, sizeof(b), 1), -EINVAL); /* twice */
    assert_int_equal(spool_next_seq(sp, 0), 2);
    assert_int_equal(spool_next_seq(sp, 7), 0);
    spool_destroy(&sp);
}

static void test_spool_remove_and_remove_below_forget_batches(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool *sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    for (uint32_t i = 1; i <= 10; i++)
        append(sp, 0, 10, 1);
    assert_int_equal(spool_remove(sp, 0, 3), 0);
    assert_int_equal(spool_remove(sp, 0, 3), -ENOENT);
    assert_int_equal(spool_remove(sp, 0, 11), -ENOENT);
    assert_int_equal(spool_remove(sp, 0, 0), -ENOENT);
    assert_int_equal(spool_remove_below(sp, 0, 6), 4); /* 1, 2, 4, 5 */
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 5);
    assert_int_equal(st.bytes, 50);
    assert_int_equal(st.oldest, 6);
    assert_int_equal(st.removed, 5);
    assert_int_equal(read_check(sp, 0, 0, 10), 6);
    assert_int_equal(spool_remove_below(sp, 0, 6), 0);
    assert_int_equal(spool_remove(sp, 0, 6), 0);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.oldest, 7);
    assert_int_equal(spool_remove(sp, 0, 9), 0); /* a hole in the middle */
    assert_int_equal(read_check(sp, 0, 9, 10), 10);
    assert_int_equal(spool_remove_below(sp, 0, UINT64_MAX), 3); /* 7, 8, 10 */
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.oldest, 0);
    assert_int_equal(st.next_seq, 11);
    assert_int_equal(st.removed, 10);
    assert_int_equal(spool_bytes(sp), 0);
    assert_int_equal(spool_remove(sp, 1, 1), -EINVAL);
    assert_int_equal(spool_remove_below(sp, 1, 1), -EINVAL);
    spool_destroy(&sp);
}

static void test_spool_reopen_keeps_batches_next_seq_and_epoch(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a", "b"};
    struct spool *sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    uint64_t epoch = spool_epoch(sp);
    assert_true(epoch > 1600000000ull * 1000000000ull); /* after 2020: a wall-clock time */
    for (int i = 0; i < 3; i++)
        append(sp, 0, 50, 2);
    append(sp, 1, 20, 1);
    assert_int_equal(spool_remove(sp, 0, 1), 0);
    assert_int_equal(spool_remove(sp, 1, 1), 0);
    spool_destroy(&sp);

    sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    assert_int_equal(spool_epoch(sp), epoch);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.bytes, 100);
    assert_int_equal(st.oldest, 2);
    assert_int_equal(st.next_seq, 4);
    assert_int_equal(st.appended, 0); /* counters start again with the process */
    /* An emptied stream keeps its numbering too. */
    spool_stream_stats(sp, 1, &st);
    assert_int_equal(st.batches, 0);
    assert_int_equal(st.next_seq, 2);
    assert_int_equal(spool_bytes(sp), 100);
    assert_int_equal(read_check(sp, 0, 0, 50), 2);
    append(sp, 0, 50, 2);
    assert_int_equal(read_check(sp, 0, 4, 50), 4);
    spool_destroy(&sp);

    /* A fresh directory is a new spool with a new epoch. */
    tmpdir_remove_path(f->dir);
    sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    assert_true(spool_epoch(sp) > epoch);
    assert_int_equal(spool_next_seq(sp, 0), 1);
    spool_destroy(&sp);
}

/* Copy @dir's data file into @to (created): what a power cut at this moment leaves, when the
 * spool has just been synced (the page cache then holds nothing the disk does not). */
static void copy_data_file(const char *dir, const char *to)
{
    char from[TMPDIR_PATH_MAX + 32], dst[TMPDIR_PATH_MAX + 32];
    snprintf(from, sizeof(from), "%s/data.mdb", dir);
    snprintf(dst, sizeof(dst), "%s/data.mdb", to);
    assert_int_equal(mkdir(to, 0700), 0);
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    assert_int_equal(ferror(in), 0);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/*
 * The synced mark says which sequences a power cut can no longer take back: it moves with
 * spool_sync() only, and a spool brought back from the synced file (the power cut) numbers its
 * next batch right after it. The exporter sends nothing above the mark (test_export).
 */
static void test_spool_synced_mark_moves_with_sync_and_survives_a_power_cut(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a", "b"};
    struct spool *sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.synced, 0);
    for (int i = 0; i < 3; i++)
        append(sp, 0, 50, 2);
    append(sp, 1, 20, 1);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.synced, 0); /* appended, not on disk yet */
    assert_int_equal(spool_sync(sp), 0);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.synced, 3);
    spool_stream_stats(sp, 1, &st);
    assert_int_equal(st.synced, 1);

    char cut[TMPDIR_PATH_MAX + 16];
    assert_int_equal(tmpdir_file(&f->tmp, "cut", cut, sizeof(cut)), 0);
    copy_data_file(f->dir, cut);
    /* After the sync: 4 and 5 are not on disk, and removing 1 is not either. */
    append(sp, 0, 50, 2);
    append(sp, 0, 50, 2);
    assert_int_equal(spool_remove_below(sp, 0, 2), 1);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.synced, 3);
    assert_int_equal(st.next_seq, 6);

    /* The power cut: the spool comes back as the sync left it. Whatever was sent (at most up
     * to the mark, 3) keeps its number; only 4 and 5, never sent, are numbered again. */
    struct spool_config cfg = {
            .dir = cut, .max_bytes = 1 << 20, .n_streams = 2, .stream_names = names};
    struct spool *back = spool_create(&cfg, f->log);
    assert_non_null(back);
    spool_stream_stats(back, 0, &st);
    assert_int_equal(st.next_seq, 4);
    assert_int_equal(st.batches, 3);
    assert_int_equal(st.oldest, 1);
    assert_int_equal(st.synced, 3); /* the open syncs what it found */
    spool_stream_stats(back, 1, &st);
    assert_int_equal(st.next_seq, 2);
    assert_int_equal(st.synced, 1);
    spool_destroy(&back);
    tmpdir_remove_path(cut);

    /* A reopen (no power cut: a restart) finds everything, and it all counts as synced. */
    spool_destroy(&sp);
    sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.next_seq, 6);
    assert_int_equal(st.synced, 5);
    spool_destroy(&sp);
}

static void assert_drops(struct spool *sp, uint32_t stream, uint64_t batches, uint64_t records)
{
    struct spool_stream_stats st;
    spool_stream_stats(sp, stream, &st);
    assert_int_equal(st.dropped_batches, batches);
    assert_int_equal(st.dropped_records, records);
}

/*
 * Stream 0's batch i carries 10 * i records, stream 1's 100 + i; the expected drops are worked
 * out by hand at each step from "drop the oldest of the stream holding the most bytes, the
 * lower index on a tie, until the new batch fits in 1000 bytes".
 */
static void test_spool_cap_drops_oldest_of_the_largest_stream(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a", "b"};
    struct spool *sp = open_spool(f, 1000, 2, names);
    assert_non_null(sp);
    for (uint32_t i = 1; i <= 4; i++)
        append(sp, 0, 200, 10 * i); /* a: 800 */
    append(sp, 1, 100, 101);        /* b: 100, total 900 */
    assert_drops(sp, 0, 0, 0);

    /* 900 + 300 > 1000: a (800) loses a1 -> 700 + 300 = 1000, which fits exactly. */
    append(sp, 1, 300, 102);
    assert_drops(sp, 0, 1, 10);
    assert_drops(sp, 1, 0, 0);
    assert_int_equal(spool_bytes(sp), 1000);

    /* 1000 + 250: a (600) loses a2 -> 1050, a 400 = b 400 so a loses a3 -> 850. */
    append(sp, 0, 250, 50);
    assert_drops(sp, 0, 3, 10 + 20 + 30);
    assert_int_equal(spool_bytes(sp), 850);

    /* 850 + 500: a (450) loses a4 -> 1150; b (400) loses b1 -> 1050, then b2 -> 750. */
    append(sp, 1, 500, 103);
    assert_drops(sp, 0, 4, 100);
    assert_drops(sp, 1, 2, 101 + 102);
    assert_int_equal(spool_bytes(sp), 750);
    assert_int_equal(read_check(sp, 0, 0, 250), 5);
    assert_int_equal(read_check(sp, 1, 0, 500), 3);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 1, &st);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.oldest, 3);
    assert_non_null(strstr(log_text(f), "reason=cap stream=\"b\" batches=2 records=203"
                                        " seq_first=1 seq_last=2"));

    /* Over many appends of every size, never above the cap, and every batch accounted for. */
    for (uint32_t i = 0; i < 500; i++) {
        append(sp, i % 2, 1 + (i * 37) % 1000, 1);
        assert_true(spool_bytes(sp) <= 1000);
    }
    for (uint32_t s = 0; s < 2; s++) {
        spool_stream_stats(sp, s, &st);
        assert_int_equal(st.appended, (s == 0 ? 5 : 3) + 250);
        assert_int_equal(st.appended, st.batches + st.dropped_batches); /* none removed */
    }
    spool_destroy(&sp);

    /* A lower cap after a restart: the next append drops down to it. */
    sp = open_spool(f, 300, 2, names);
    assert_non_null(sp);
    append(sp, 0, 100, 1);
    assert_true(spool_bytes(sp) <= 300);
    spool_destroy(&sp);
}

static void test_spool_refuses_a_batch_larger_than_the_cap(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool *sp = open_spool(f, 1000, 1, names);
    assert_non_null(sp);
    append(sp, 0, 10, 1);
    static uint8_t big[1001];
    assert_int_equal(spool_append(sp, 0, 2, big, sizeof(big), 9), -EMSGSIZE);
    assert_int_equal(spool_next_seq(sp, 0), 2);
    assert_int_equal(spool_bytes(sp), 10); /* nothing dropped for it */
    assert_drops(sp, 0, 0, 0);
    assert_non_null(strstr(log_text(f), "batch larger than the cap"));
    assert_int_equal(spool_append(sp, 0, 2, big, 1000, 9), 0); /* exactly the cap fits */
    assert_drops(sp, 0, 1, 1);
    assert_int_equal(spool_bytes(sp), 1000);
    spool_destroy(&sp);
}

static void test_spool_streams_are_independent(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"tcp://10.0.0.1:7000", "tcp://10.0.0.2:7000"};
    struct spool *sp = open_spool(f, 1 << 20, 2, names);
    assert_non_null(sp);
    for (int i = 0; i < 3; i++)
        append(sp, 0, 30, 1);
    append(sp, 1, 77, 1);
    assert_int_equal(spool_next_seq(sp, 0), 4);
    assert_int_equal(spool_next_seq(sp, 1), 2);
    assert_int_equal(read_check(sp, 1, 0, 77), 1);
    uint64_t seq;
    size_t len;
    assert_int_equal(spool_read(sp, 1, 2, &seq, NULL, 0, &len), -ENOENT);
    assert_int_equal(spool_remove(sp, 1, 2), -ENOENT);
    assert_int_equal(spool_remove_below(sp, 0, 4), 3);
    assert_int_equal(read_check(sp, 1, 0, 77), 1);
    assert_int_equal(spool_bytes(sp), 77);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 1, &st);
    assert_int_equal(st.removed, 0);
    spool_stream_stats(sp, 2, &st); /* out of range: zeros */
    assert_int_equal(st.next_seq, 0);
    spool_destroy(&sp);
}

static void test_spool_renamed_stream_starts_at_one_and_old_is_left_alone(void **state)
{
    struct fixture *f = *state;
    const char *old_names[] = {"tcp://old:7000"};
    const char *new_names[] = {"tcp://new:7000"};
    const char *both[] = {"tcp://new:7000", "tcp://old:7000"};
    struct spool *sp = open_spool(f, 1000, 1, old_names);
    assert_non_null(sp);
    for (int i = 0; i < 3; i++)
        append(sp, 0, 100, 1);
    spool_destroy(&sp);

    sp = open_spool(f, 1000, 1, new_names);
    assert_non_null(sp);
    assert_non_null(strstr(log_text(f), "not configured, left alone and not counted in the cap"
                                        " dir="));
    assert_non_null(strstr(log_text(f), "stream=\"tcp://old:7000\" batches=3"));
    assert_int_equal(spool_next_seq(sp, 0), 1);
    assert_int_equal(spool_bytes(sp), 0);
    /* The old stream's 300 bytes do not count: the full cap is available. */
    append(sp, 0, 1000, 1);
    assert_drops(sp, 0, 0, 0);
    spool_destroy(&sp);

    sp = open_spool(f, 1000, 2, both);
    assert_non_null(sp);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 1, &st);
    assert_int_equal(st.batches, 3);
    assert_int_equal(st.next_seq, 4);
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.next_seq, 2);
    spool_destroy(&sp);
}

static void test_spool_read_into_a_small_buffer_gives_the_size(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool *sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    append(sp, 0, 100, 1);
    uint8_t buf[10];
    uint64_t seq = 0;
    size_t len = 0;
    assert_int_equal(spool_read(sp, 0, 0, &seq, buf, sizeof(buf), &len), -EMSGSIZE);
    assert_int_equal(len, 100);
    assert_int_equal(seq, 1);
    len = 0;
    assert_int_equal(spool_read(sp, 0, 0, &seq, NULL, 0, &len), -EMSGSIZE);
    assert_int_equal(len, 100);
    assert_int_equal(spool_read(sp, 0, 0, &seq, NULL, 5, &len), -EINVAL);
    assert_int_equal(spool_read(sp, 0, 0, NULL, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(read_check(sp, 0, 0, 100), 1);
    /* An empty batch is a batch. */
    append(sp, 0, 0, 0);
    assert_int_equal(spool_read(sp, 0, 2, &seq, NULL, 0, &len), 0);
    assert_int_equal(seq, 2);
    assert_int_equal(len, 0);
    spool_destroy(&sp);
}

static long file_size(const char *dir, const char *name)
{
    char p[TMPDIR_PATH_MAX + 32];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    return (long)sb.st_size;
}

/*
 * 100k batches of 512 bytes through a window of 100: 51 MB in all, 51 KB at any time. Without
 * free-page reuse the file would pass 51 MB; with it, it stays near the window. The bound below
 * is the map size (the hard limit) and, tighter, 1 MiB: the window, its B-tree, and the pages
 * LMDB keeps free between transactions (128 KiB with liblmdb 0.9.24).
 */
static void test_spool_file_stays_bounded_over_100k_appends_and_removes(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    const uint64_t max_bytes = 1 << 20;
    struct spool *sp = open_spool(f, max_bytes, 1, names);
    assert_non_null(sp);
    uint8_t buf[512];
    memset(buf, 0xab, sizeof(buf));
    for (uint64_t seq = 1; seq <= 100000; seq++) {
        assert_int_equal(spool_append(sp, 0, seq, buf, sizeof(buf), 3), 0);
        if (seq > 100)
            assert_int_equal(spool_remove(sp, 0, seq - 100), 0);
    }
    assert_int_equal(spool_sync(sp), 0);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 100);
    assert_int_equal(st.dropped_batches, 0);
    long size = file_size(f->dir, "data.mdb");
    assert_true(size < (long)(2 * max_bytes + (64 << 20)));
    assert_true(size < 1L << 20);
    spool_destroy(&sp);
}

/* A value shorter than its header, planted with LMDB directly as damage would leave it. */
static void plant_damaged_value(const char *dir, const char *stream, uint64_t seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    char name[64];
    snprintf(name, sizeof(name), "stream:%s", stream);
    assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
    uint8_t k[8];
    for (int i = 0; i < 8; i++)
        k[i] = (uint8_t)(seq >> (56 - 8 * i));
    MDB_val key = {sizeof(k), k}, val = {3, "bad"};
    assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_spool_read_removes_and_counts_a_damaged_entry(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool *sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    for (int i = 0; i < 3; i++)
        append(sp, 0, 40, 1);
    spool_destroy(&sp);
    plant_damaged_value(f->dir, "a", 2);

    sp = open_spool(f, 1 << 20, 1, names);
    assert_non_null(sp);
    assert_non_null(strstr(log_text(f), "damaged entries found"));
    assert_int_equal(read_check(sp, 0, 0, 40), 1);
    assert_int_equal(spool_corrupt(sp), 0);
    assert_int_equal(read_check(sp, 0, 2, 40), 3);
    assert_int_equal(spool_corrupt(sp), 1);
    assert_non_null(strstr(log_text(f), "damaged entry removed stream=\"a\" key_len=8 seq=2"));
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.bytes, 80);
    assert_int_equal(spool_remove(sp, 0, 2), -ENOENT);
    spool_destroy(&sp);
}

/*
 * A map far smaller than the cap stands in for page overhead beyond the accounting: LMDB fills
 * its map long before 4 MiB of batches are held, and every append must still succeed by dropping
 * more, each drop counted. (On the way LMDB may find no page left even to drop one, and the map
 * grows by its emergency step; either way no append fails.)
 */
static void test_spool_full_map_drops_more_and_retries(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"a"};
    struct spool_config cfg = {
            .dir = f->dir, .max_bytes = 4 << 20, .n_streams = 1, .stream_names = names};
    struct spool *sp = spool_create_mapped(&cfg, 256 << 10, f->log);
    assert_non_null(sp);
    for (uint32_t i = 0; i < 2000; i++)
        append(sp, 0, 1000, 2);
    struct spool_stream_stats st;
    spool_stream_stats(sp, 0, &st);
    assert_true(st.dropped_batches > 0);
    assert_int_equal(st.dropped_records, 2 * st.dropped_batches);
    assert_int_equal(st.batches + st.dropped_batches, 2000);
    /* Drops below the cap: they came from the full map, not from the accounting. */
    assert_true(spool_bytes(sp) < cfg.max_bytes);
    assert_non_null(strstr(log_text(f), "reason=map_full"));
    assert_int_equal(read_check(sp, 0, 0, 1000), st.oldest);
    spool_destroy(&sp);
}

static void test_spool_refuses_invalid_configurations(void **state)
{
    struct fixture *f = *state;
    const char *one[] = {"a"};
    const char *dup[] = {"a", "a"};
    const char *empty[] = {""};
    const char *null_name[] = {NULL};
    char long_name[SPOOL_NAME_MAX + 2];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    const char *too_long[] = {long_name};
    const char *many[SPOOL_STREAMS_MAX + 1];
    for (int i = 0; i <= SPOOL_STREAMS_MAX; i++)
        many[i] = "a";

    assert_null(spool_create(NULL, f->log));
    assert_null(open_spool(f, 0, 1, one));
    assert_null(open_spool(f, 1000, 0, one));
    assert_null(open_spool(f, 1000, SPOOL_STREAMS_MAX + 1, many));
    assert_null(open_spool(f, 1000, 2, dup));
    assert_null(open_spool(f, 1000, 1, empty));
    assert_null(open_spool(f, 1000, 1, null_name));
    assert_null(open_spool(f, 1000, 1, too_long));
    assert_null(open_spool(f, 1000, 1, NULL));
    struct spool_config cfg = {.dir = "", .max_bytes = 1000, .n_streams = 1, .stream_names = one};
    assert_null(spool_create(&cfg, f->log));
    /* The parent must exist. */
    char deep[TMPDIR_PATH_MAX + 32];
    snprintf(deep, sizeof(deep), "%s/missing/spool", f->tmp.path);
    cfg.dir = deep;
    assert_null(spool_create(&cfg, f->log));
    assert_non_null(strstr(log_text(f), "spool: mkdir failed"));
    /* The longest name is accepted. */
    long_name[SPOOL_NAME_MAX] = '\0';
    struct spool *sp = open_spool(f, 1000, 1, too_long);
    assert_non_null(sp);
    append(sp, 0, 10, 1);
    spool_destroy(&sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_spool_numbers_from_one_and_reads_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_spool_refuses_a_sequence_out_of_turn, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_spool_remove_and_remove_below_forget_batches,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_spool_reopen_keeps_batches_next_seq_and_epoch,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_spool_synced_mark_moves_with_sync_and_survives_a_power_cut, setup,
                    teardown),
            cmocka_unit_test_setup_teardown(test_spool_cap_drops_oldest_of_the_largest_stream,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_spool_refuses_a_batch_larger_than_the_cap, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_spool_streams_are_independent, setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_spool_renamed_stream_starts_at_one_and_old_is_left_alone, setup, teardown),
            cmocka_unit_test_setup_teardown(test_spool_read_into_a_small_buffer_gives_the_size,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_spool_file_stays_bounded_over_100k_appends_and_removes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_spool_read_removes_and_counts_a_damaged_entry,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_spool_full_map_drops_more_and_retries, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_spool_refuses_invalid_configurations, setup,
                                            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * seg_writer: ordered asynchronous writes of aligned, zero-padded copies; the first failure kept
 * until drained, later writes skipped; O_DIRECT files where the file system takes them.
 */
/* O_DIRECT */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregator/seg_writer.h"
#include "tests/unit/support/tmpfile.h"

#define BLOCK 4096 /* the alignment seg_writer.h documents */

struct fx {
    struct tmpdir dir;
    struct seg_writer *w;
    char path[TMPDIR_PATH_MAX * 2];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || tmpdir_create(&fx->dir) != 0)
        return -1;
    if (tmpdir_file(&fx->dir, "seg", fx->path, sizeof(fx->path)) != 0)
        return -1;
    fx->w = seg_writer_create(NULL);
    *state = fx;
    return fx->w != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    seg_writer_destroy(&fx->w);
    tmpdir_remove(&fx->dir);
    free(fx);
    return 0;
}

/* The whole file at @path into a new buffer; its size into *@len. */
static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    uint8_t *buf = malloc((size_t)sb.st_size + 1);
    assert_non_null(buf);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return buf;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131u + i * 7u + 1u);
}

static void test_seg_writer_pad_rounds_up_to_a_block(void **state)
{
    (void)state;
    assert_int_equal(seg_writer_pad(0), 0);
    assert_int_equal(seg_writer_pad(1), BLOCK);
    assert_int_equal(seg_writer_pad(BLOCK), BLOCK);
    assert_int_equal(seg_writer_pad(BLOCK + 1), 2 * BLOCK);
}

/*
 * Twenty writes of two parts each, of sizes from a few bytes to several blocks, more than there
 * are slots: the file is each write's parts in order, then zeros to the block, write after
 * write, as built here by hand.
 */
static void test_seg_writer_writes_in_order_padded_with_zeros(void **state)
{
    struct fx *fx = *state;
    int fd = open(fx->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    enum { N = 20 };
    size_t total = 0;
    uint8_t *want = calloc(N, 4 * BLOCK);
    assert_non_null(want);
    uint8_t a[64], b[3 * BLOCK];
    for (unsigned i = 0; i < N; i++) {
        size_t na = i % 3 == 0 ? 0 : 20, nb = (i * 1237u) % sizeof(b);
        fill(a, na, i);
        fill(b, nb, i + 100);
        struct iovec iov[2] = {{.iov_base = a, .iov_len = na}, {.iov_base = b, .iov_len = nb}};
        assert_int_equal(seg_writer_write(fx->w, fd, total, iov, 2, 0), 0);
        memcpy(want + total, a, na);
        memcpy(want + total + na, b, nb);
        total += (na + nb + BLOCK - 1) / BLOCK * BLOCK;
    }
    assert_int_equal(seg_writer_drain(fx->w), 0);
    size_t len;
    uint8_t *got = slurp(fx->path, &len);
    assert_int_equal(len, total);
    assert_memory_equal(got, want, total);
    free(got);
    free(want);
    close(fd);
}

static void test_seg_writer_refuses_a_misaligned_offset(void **state)
{
    struct fx *fx = *state;
    int fd = open(fx->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    assert_int_equal(seg_writer_write(fx->w, fd, 100, &iov, 1, 0), -EINVAL);
    assert_int_equal(seg_writer_write(fx->w, fd, BLOCK, &iov, 1, SEG_WRITER_WRITEBACK), 0);
    assert_int_equal(seg_writer_drain(fx->w), 0);
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_size, 2 * BLOCK);
    close(fd);
}

/*
 * A failed write (a descriptor open read-only) is reported by drain, once; what was queued after
 * it is not written, and once the failure is known the next write returns it at once. After the
 * drain the writer works again.
 */
static void test_seg_writer_keeps_the_first_failure_until_drained(void **state)
{
    struct fx *fx = *state;
    int good = open(fx->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int ro = open(fx->path, O_RDONLY);
    assert_true(good >= 0 && ro >= 0);
    struct iovec iov = {.iov_base = "payload", .iov_len = 7};
    assert_int_equal(seg_writer_write(fx->w, ro, 0, &iov, 1, 0), 0);
    assert_int_equal(seg_writer_write(fx->w, good, BLOCK, &iov, 1, 0), 0);
    /* Sooner or later (the thread is quick) a write sees the failure without queuing. */
    int rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++) {
        rc = seg_writer_write(fx->w, good, 2 * BLOCK, &iov, 1, 0);
        if (rc == 0)
            usleep(1000);
    }
    assert_int_equal(rc, -EBADF);
    assert_int_equal(seg_writer_drain(fx->w), -EBADF);
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* nothing after the failure was written */

    assert_int_equal(seg_writer_drain(fx->w), 0);
    assert_int_equal(seg_writer_write(fx->w, good, 0, &iov, 1, 0), 0);
    assert_int_equal(seg_writer_drain(fx->w), 0);
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_size, BLOCK);
    close(ro);
    close(good);
}

/* What the flow store does where the file system allows: O_DIRECT, whose writes fail with
 * EINVAL unless buffer, offset and length are aligned. */
static void test_seg_writer_writes_o_direct_files(void **state)
{
    struct fx *fx = *state;
    int fd = open(fx->path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
    if (fd < 0 && errno == EINVAL) {
        skip(); /* tmpfs and a few others */
        return;
    }
    assert_true(fd >= 0);
    uint8_t part[5000];
    fill(part, sizeof(part), 7);
    struct iovec iov[2] = {{.iov_base = "UMBS", .iov_len = 4},
                           {.iov_base = part, .iov_len = sizeof(part)}};
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(seg_writer_write(fx->w, fd, i * 2 * BLOCK, iov, 2, 0), 0);
    assert_int_equal(seg_writer_drain(fx->w), 0);
    close(fd);
    size_t len;
    uint8_t *got = slurp(fx->path, &len);
    assert_int_equal(len, 12 * BLOCK);
    for (unsigned i = 0; i < 6; i++) {
        const uint8_t *rec = got + i * 2 * BLOCK;
        assert_memory_equal(rec, "UMBS", 4);
        assert_memory_equal(rec + 4, part, sizeof(part));
        for (size_t k = 4 + sizeof(part); k < 2 * BLOCK; k++)
            assert_int_equal(rec[k], 0);
    }
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_seg_writer_pad_rounds_up_to_a_block),
            cmocka_unit_test_setup_teardown(test_seg_writer_writes_in_order_padded_with_zeros,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_seg_writer_refuses_a_misaligned_offset, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_seg_writer_keeps_the_first_failure_until_drained,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_seg_writer_writes_o_direct_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

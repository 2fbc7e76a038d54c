/*
 * Test support: scratch directories and files that clean up after themselves.
 */
#ifndef UMBRA_TESTS_SUPPORT_TMPFILE_H
#define UMBRA_TESTS_SUPPORT_TMPFILE_H

#include <stddef.h>

#define TMPDIR_PATH_MAX 256

struct tmpdir {
    char path[TMPDIR_PATH_MAX];
};

/* tmpdir_create() - a fresh directory under $TMPDIR (or /tmp). 0 or -errno. */
int tmpdir_create(struct tmpdir *d);

/* tmpdir_file() - "<dir>/<name>" into @out. 0 or -ENAMETOOLONG. */
int tmpdir_file(const struct tmpdir *d, const char *name, char *out, size_t len);

/* tmpdir_write() - create "<dir>/<name>" holding @len bytes of @data; path into @out. 0/-errno. */
int tmpdir_write(const struct tmpdir *d, const char *name, const void *data, size_t len, char *out,
                 size_t outlen);

/* tmpdir_remove() - remove the directory and everything in it, subdirectories included. */
void tmpdir_remove(struct tmpdir *d);

/* tmpdir_remove_path() - the same for any directory @path (e.g. one made inside a tmpdir). */
void tmpdir_remove_path(const char *path);

#endif

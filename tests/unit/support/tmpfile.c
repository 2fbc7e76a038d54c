/*
 * Test support: scratch directories. Tests write what they need here rather than into the tree.
 */
#include "tests/unit/support/tmpfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tmpdir_create(struct tmpdir *d)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    int n = snprintf(d->path, sizeof(d->path), "%s/umbra-test-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(d->path))
        return -ENAMETOOLONG;
    if (mkdtemp(d->path) == NULL)
        return -errno;
    return 0;
}

int tmpdir_file(const struct tmpdir *d, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", d->path, name);
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return 0;
}

int tmpdir_write(const struct tmpdir *d, const char *name, const void *data, size_t len, char *out,
                 size_t outlen)
{
    int rc = tmpdir_file(d, name, out, outlen);
    if (rc < 0)
        return rc;
    FILE *f = fopen(out, "wb");
    if (f == NULL)
        return -errno;
    size_t w = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || w != len)
        return -EIO;
    return 0;
}

/* NOLINTNEXTLINE(misc-no-recursion): as deep as a test made it */
void tmpdir_remove_path(const char *path)
{
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *e;
        char p[TMPDIR_PATH_MAX * 2];
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (snprintf(p, sizeof(p), "%s/%s", path, e->d_name) >= (int)sizeof(p))
                continue;
            if (unlink(p) != 0 && errno == EISDIR)
                tmpdir_remove_path(p);
        }
        closedir(dir);
    }
    rmdir(path);
}

void tmpdir_remove(struct tmpdir *d)
{
    if (d->path[0] == '\0')
        return;
    tmpdir_remove_path(d->path);
    d->path[0] = '\0';
}

/*
 * Test support: write into a store's LMDB environment behind the module's back, to make what
 * an older or newer build, or a damaged disk, would have left (stores of another format,
 * damaged values). The module under test must not have the environment open in this process.
 */
#ifndef UMBRA_TESTS_SUPPORT_LMDB_RAW_H
#define UMBRA_TESTS_SUPPORT_LMDB_RAW_H

#include <stddef.h>

/* Puts @val (@vlen bytes) under @key (@klen bytes) in database @db (created if missing) of the
 * environment in @dir, opened with room for @maxdbs databases. Fails the test on any error. */
void lmdb_raw_put(const char *dir, unsigned maxdbs, const char *db, const void *key, size_t klen,
                  const void *val, size_t vlen);

#endif

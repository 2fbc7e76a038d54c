/*
 * curve_keys: key pairs written and read back, file modes, refusals (existing files, open
 * modes, bad names, bad key text, mismatched keys), and the allow-list directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/curve_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "tests/unit/support/tmpfile.h"

#define PATH_LEN (TMPDIR_PATH_MAX + 128)

/* Each test gets a fresh directory, removed afterwards. */
static int setup_dir(void **state)
{
    struct tmpdir *d = calloc(1, sizeof(*d));
    if (d == NULL || tmpdir_create(d) != 0) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

static int teardown_dir(void **state)
{
    struct tmpdir *d = *state;
    tmpdir_remove(d);
    free(d);
    return 0;
}

static void path_in(const struct tmpdir *d, const char *name, char *out)
{
    assert_int_equal(tmpdir_file(d, name, out, PATH_LEN), 0);
}

static unsigned file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static size_t dir_entries(const struct tmpdir *d)
{
    DIR *dir = opendir(d->path);
    assert_non_null(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dir);
    return n;
}

/* A key file written by hand, at @mode. */
static void write_text(const struct tmpdir *d, const char *name, const char *text, unsigned mode,
                       char *path)
{
    assert_int_equal(tmpdir_write(d, name, text, strlen(text), path, PATH_LEN), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* A log whose lines land in a memory buffer, to check what a refusal tells the operator. */
struct captured_log {
    struct log *log;
    FILE *f;
    char *buf;
    size_t len;
};

static void capture_start(struct captured_log *c)
{
    c->buf = NULL;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    struct log_config cfg = {.name = "t", .level = LOG_LEVEL_DEBUG, .sink = c->f};
    c->log = log_create(&cfg);
    assert_non_null(c->log);
}

static const char *capture_end(struct captured_log *c)
{
    log_destroy(&c->log);
    fclose(c->f);
    return c->buf;
}

static void test_curve_keys_round_trip_gives_a_working_pair(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp, back;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    assert_true(curve_key_valid(kp.public_z85));
    assert_true(curve_key_valid(kp.secret_z85));
    assert_int_equal(curve_keys_write(d->path, "sensor-1", &kp, false, NULL), 0);

    char key[PATH_LEN], pub[PATH_LEN];
    path_in(d, "sensor-1.key", key);
    path_in(d, "sensor-1.pub", pub);
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), 0);
    assert_string_equal(back.public_z85, kp.public_z85);
    assert_string_equal(back.secret_z85, kp.secret_z85);

    char pub_z85[CURVE_KEY_Z85_LEN + 1];
    assert_int_equal(curve_keys_read_public(pub, pub_z85, NULL), 0);
    assert_string_equal(pub_z85, kp.public_z85);
    /* A .key file serves as a public key file too. */
    assert_int_equal(curve_keys_read_public(key, pub_z85, NULL), 0);
    assert_string_equal(pub_z85, kp.public_z85);

    /* The pair is a real one: the secret key gives this public key. */
    char derived[CURVE_KEY_Z85_LEN + 1];
    assert_int_equal(zmq_curve_public(derived, back.secret_z85), 0);
    assert_string_equal(derived, kp.public_z85);

    /* Two pairs are not the same pair. */
    struct curve_keypair other;
    assert_int_equal(curve_keys_generate(&other, NULL), 0);
    assert_string_not_equal(other.public_z85, kp.public_z85);
}

static void test_curve_keys_files_have_exact_modes_whatever_the_umask(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    char sub[PATH_LEN], key[PATH_LEN], pub[PATH_LEN];
    path_in(d, "keys", sub);
    path_in(d, "keys/h.key", key);
    path_in(d, "keys/h.pub", pub);

    /* A strict umask would leave the .pub unreadable to peers, a loose one the .key open. */
    mode_t old = umask(0077);
    int rc = curve_keys_write(sub, "h", &kp, false, NULL);
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(file_mode(sub), 0700); /* the missing directory was created */
    assert_int_equal(file_mode(key), 0600);
    assert_int_equal(file_mode(pub), 0644);

    old = umask(0);
    rc = curve_keys_write(sub, "h", &kp, true, NULL);
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(file_mode(key), 0600);
    assert_int_equal(file_mode(pub), 0644);

    /* The .key holds both keys and its comment; the .pub only the public key. */
    char text[512] = {0};
    FILE *f = fopen(pub, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    char expect[256];
    snprintf(expect, sizeof(expect),
             "# Umbra CURVE public key \"h\". Give it to the peers that must accept this host.\n"
             "public-key = %s\n",
             kp.public_z85);
    assert_int_equal(n, strlen(expect));
    assert_string_equal(text, expect);

    assert_int_equal(unlink(key), 0);
    assert_int_equal(unlink(pub), 0);
    assert_int_equal(rmdir(sub), 0);
}

static void test_curve_keys_write_refuses_to_overwrite_without_force(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair first, second, back;
    assert_int_equal(curve_keys_generate(&first, NULL), 0);
    assert_int_equal(curve_keys_generate(&second, NULL), 0);
    assert_int_equal(curve_keys_write(d->path, "agg", &first, false, NULL), 0);
    char key[PATH_LEN], pub[PATH_LEN];
    path_in(d, "agg.key", key);
    path_in(d, "agg.pub", pub);

    assert_int_equal(curve_keys_write(d->path, "agg", &second, false, NULL), -EEXIST);
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), 0);
    assert_string_equal(back.secret_z85, first.secret_z85);

    /* Either file is enough to refuse, and nothing is written then. */
    assert_int_equal(unlink(key), 0);
    assert_int_equal(curve_keys_write(d->path, "agg", &second, false, NULL), -EEXIST);
    assert_false(exists(key));

    /* With force both are replaced, the mode of the replaced file does not survive, and no
     * temporary file is left behind. */
    assert_int_equal(chmod(pub, 0666), 0);
    assert_int_equal(curve_keys_write(d->path, "agg", &second, true, NULL), 0);
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), 0);
    assert_string_equal(back.secret_z85, second.secret_z85);
    assert_int_equal(file_mode(pub), 0644);
    assert_int_equal(dir_entries(d), 2);
}

static void test_curve_keys_refuses_a_secret_file_open_to_others(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp, back;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    assert_int_equal(curve_keys_write(d->path, "s", &kp, false, NULL), 0);
    char key[PATH_LEN];
    path_in(d, "s.key", key);

    assert_int_equal(chmod(key, 0644), 0);
    struct captured_log c;
    capture_start(&c);
    memset(&back, 'x', sizeof(back));
    assert_int_equal(curve_keys_read_secret(key, &back, c.log), -EACCES);
    const char *out = capture_end(&c);
    /* The line names the file, its mode and the fix. */
    assert_non_null(strstr(out, key));
    assert_non_null(strstr(out, "mode 0644"));
    assert_non_null(strstr(out, "chmod 600"));
    free(c.buf);
    /* Nothing of the secret is handed back. */
    assert_int_equal(back.secret_z85[0], '\0');

    assert_int_equal(chmod(key, 0640), 0); /* readable by the group */
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), -EACCES);
    assert_int_equal(chmod(key, 0602), 0); /* writable by others */
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), -EACCES);
    assert_int_equal(chmod(key, 0400), 0); /* stricter than 0600 is fine */
    assert_int_equal(curve_keys_read_secret(key, &back, NULL), 0);
    assert_string_equal(back.secret_z85, kp.secret_z85);
}

static void test_curve_keys_refuses_bad_names(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    char long_name[CURVE_KEYS_NAME_MAX + 2];
    memset(long_name, 'a', CURVE_KEYS_NAME_MAX + 1);
    long_name[CURVE_KEYS_NAME_MAX + 1] = '\0'; /* 65 characters */
    const char *bad[] = {"", "../x", ".hidden", long_name, "a/b", "a b", "caf\xc3\xa9", "x\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(curve_keys_name_valid(bad[i]));
        assert_int_equal(curve_keys_write(d->path, bad[i], &kp, false, NULL), -EINVAL);
    }
    assert_false(curve_keys_name_valid(NULL));
    assert_int_equal(dir_entries(d), 0);

    long_name[CURVE_KEYS_NAME_MAX] = '\0'; /* 64 characters */
    const char *good[] = {long_name, "a", "sensor-01.site_B", "A.b-c_9"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(curve_keys_name_valid(good[i]));
        assert_int_equal(curve_keys_write(d->path, good[i], &kp, false, NULL), 0);
    }
}

static void test_curve_key_valid_takes_exactly_40_z85_characters(void **state)
{
    (void)state;
    /* ZeroMQ RFC 32's test vector: 8 bytes 86 4F D2 6F B5 59 F7 5B encode as "HelloWorld". */
    const char *ok = "HelloWorldHelloWorldHelloWorldHelloWorld";
    assert_true(curve_key_valid(ok));
    assert_false(curve_key_valid(NULL));
    assert_false(curve_key_valid(""));
    assert_false(curve_key_valid("HelloWorldHelloWorldHelloWorldHelloWorl"));   /* 39 */
    assert_false(curve_key_valid("HelloWorldHelloWorldHelloWorldHelloWorldH")); /* 41 */
    /* '~' and '"' are not in the Z85 alphabet. */
    assert_false(curve_key_valid("HelloWorldHelloWorldHelloWorldHelloWorl~"));
    assert_false(curve_key_valid("\"elloWorldHelloWorldHelloWorldHelloWorld"));
    /* "#####" is 85^5 - 1 = 4437053124, more than a 4-byte group holds. */
    assert_false(curve_key_valid("#####WorldHelloWorldHelloWorldHelloWorld"));
}

static void test_curve_keys_refuses_bad_key_text(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp, back;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    char short_key[CURVE_KEY_Z85_LEN + 1], alien[CURVE_KEY_Z85_LEN + 1];
    memcpy(short_key, kp.public_z85, sizeof(short_key));
    short_key[CURVE_KEY_Z85_LEN - 1] = '\0';
    memcpy(alien, kp.public_z85, sizeof(alien));
    alien[7] = '~';

    char big[CURVE_KEYS_FILE_MAX + 64];
    memset(big, '#', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[0] = '\n';
    char text[9][CURVE_KEYS_FILE_MAX + 256];
    snprintf(text[0], sizeof(text[0]), "public-key = %s\nsecret-key = %s\n", short_key,
             kp.secret_z85);
    snprintf(text[1], sizeof(text[1]), "public-key = %s\nsecret-key = %s\n", alien, kp.secret_z85);
    snprintf(text[2], sizeof(text[2]), "public-key = %s\nsecret = %s\n", kp.public_z85,
             kp.secret_z85);
    snprintf(text[3], sizeof(text[3]), "public-key %s\nsecret-key = %s\n", kp.public_z85,
             kp.secret_z85);
    snprintf(text[4], sizeof(text[4]), "public-key = %s\npublic-key = %s\nsecret-key = %s\n",
             kp.public_z85, kp.public_z85, kp.secret_z85);
    snprintf(text[5], sizeof(text[5]), "public-key = %s\n", kp.public_z85); /* no secret */
    snprintf(text[6], sizeof(text[6]), "secret-key = %s\n", kp.secret_z85); /* no public */
    snprintf(text[7], sizeof(text[7]), "public-key = %s\nsecret-key = %s\n%s", kp.public_z85,
             kp.secret_z85, big); /* over 4 KiB */
    snprintf(text[8], sizeof(text[8]), "public-key = %s # mine\nsecret-key = %s\n", kp.public_z85,
             kp.secret_z85); /* no comment after a value */
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        char path[PATH_LEN], name[32];
        snprintf(name, sizeof(name), "bad%zu.key", i);
        write_text(d, name, text[i], 0600, path);
        assert_int_equal(curve_keys_read_secret(path, &back, NULL), UMBRA_ECONFIG);
    }

    /* Blank lines, comments, CRLF and any spacing around '=' are fine. */
    char path[PATH_LEN];
    snprintf(text[0], sizeof(text[0]),
             "\n# a comment\n  public-key=%s\r\n\t# more\nsecret-key   =  %s", kp.public_z85,
             kp.secret_z85);
    write_text(d, "ok.key", text[0], 0600, path);
    assert_int_equal(curve_keys_read_secret(path, &back, NULL), 0);
    assert_string_equal(back.public_z85, kp.public_z85);

    /* A missing file is the system's error. */
    path_in(d, "none.key", path);
    assert_int_equal(curve_keys_read_secret(path, &back, NULL), -ENOENT);
    char pub[CURVE_KEY_Z85_LEN + 1];
    assert_int_equal(curve_keys_read_public(path, pub, NULL), -ENOENT);
    /* A directory is not a key file. */
    assert_int_equal(curve_keys_read_public(d->path, pub, NULL), UMBRA_ECONFIG);
}

static void test_curve_keys_refuses_a_public_key_of_another_pair(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair a, b, back;
    assert_int_equal(curve_keys_generate(&a, NULL), 0);
    assert_int_equal(curve_keys_generate(&b, NULL), 0);
    char text[256], path[PATH_LEN];
    snprintf(text, sizeof(text), "public-key = %s\nsecret-key = %s\n", a.public_z85, b.secret_z85);
    write_text(d, "mixed.key", text, 0600, path);
    assert_int_equal(curve_keys_read_secret(path, &back, NULL), UMBRA_ECONFIG);
    char pub[CURVE_KEY_Z85_LEN + 1];
    assert_int_equal(curve_keys_read_public(path, pub, NULL), UMBRA_ECONFIG);

    /* Nor is such a pair written. */
    struct curve_keypair mixed = a;
    memcpy(mixed.secret_z85, b.secret_z85, sizeof(mixed.secret_z85));
    assert_int_equal(curve_keys_write(d->path, "mixed2", &mixed, false, NULL), -EINVAL);
    path_in(d, "mixed2.key", path);
    assert_false(exists(path));
}

static void write_pub(const struct tmpdir *d, const char *file, const char *z85)
{
    char text[128], path[PATH_LEN];
    snprintf(text, sizeof(text), "# test\npublic-key = %s\n", z85);
    write_text(d, file, text, 0644, path);
}

static void test_curve_allow_binds_each_pub_file_to_its_name(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair alice, bob, carol;
    assert_int_equal(curve_keys_generate(&alice, NULL), 0);
    assert_int_equal(curve_keys_generate(&bob, NULL), 0);
    assert_int_equal(curve_keys_generate(&carol, NULL), 0);
    write_pub(d, "alice.pub", alice.public_z85);
    write_pub(d, "bob.pub", bob.public_z85);
    write_pub(d, "broken.pub", "not a key");
    write_pub(d, "notes.txt", carol.public_z85); /* not a .pub: ignored, not counted */

    struct curve_allow *a = curve_allow_load(d->path, NULL);
    assert_non_null(a);
    assert_int_equal(curve_allow_count(a), 2);
    assert_int_equal(curve_allow_rejected(a), 1);

    uint8_t key[CURVE_KEY_BYTES];
    assert_non_null(zmq_z85_decode(key, alice.public_z85));
    assert_string_equal(curve_allow_lookup(a, key), "alice");
    assert_non_null(zmq_z85_decode(key, bob.public_z85));
    assert_string_equal(curve_allow_lookup(a, key), "bob");
    assert_non_null(zmq_z85_decode(key, carol.public_z85));
    assert_null(curve_allow_lookup(a, key));
    /* A secret key is not a public key. */
    assert_non_null(zmq_z85_decode(key, alice.secret_z85));
    assert_null(curve_allow_lookup(a, key));

    curve_allow_destroy(&a);
    assert_null(a);
    curve_allow_destroy(&a);
}

static void test_curve_allow_rejects_duplicates_secrets_and_bad_stems(void **state)
{
    struct tmpdir *d = *state;
    struct curve_keypair kp;
    assert_int_equal(curve_keys_generate(&kp, NULL), 0);
    write_pub(d, "b-first.pub", kp.public_z85);
    write_pub(d, "c-second.pub", kp.public_z85); /* same key: the first name keeps it */
    write_pub(d, "bad name.pub", kp.public_z85);
    write_pub(d, ".hidden.pub", kp.public_z85); /* hidden: ignored */
    /* A key pair dropped into the allow-list: refused, its secret is out of place. */
    assert_int_equal(curve_keys_write(d->path, "a-pair", &kp, false, NULL), 0);
    char key_path[PATH_LEN], pub_path[PATH_LEN];
    path_in(d, "a-pair.key", key_path);
    path_in(d, "a-pair.pub", pub_path);
    assert_int_equal(unlink(pub_path), 0);
    assert_int_equal(rename(key_path, pub_path), 0);

    struct captured_log c;
    capture_start(&c);
    struct curve_allow *a = curve_allow_load(d->path, c.log);
    const char *out = capture_end(&c);
    assert_non_null(a);
    assert_int_equal(curve_allow_count(a), 1);
    assert_int_equal(curve_allow_rejected(a), 3);
    uint8_t key[CURVE_KEY_BYTES];
    assert_non_null(zmq_z85_decode(key, kp.public_z85));
    assert_string_equal(curve_allow_lookup(a, key), "b-first");
    /* Each rejected file is named with its reason. */
    assert_non_null(strstr(out, "c-second.pub: same key as b-first.pub"));
    assert_non_null(strstr(out, "bad name.pub"));
    assert_non_null(strstr(out, "a-pair.pub: holds a secret-key"));
    free(c.buf);
    curve_allow_destroy(&a);
}

static void test_curve_allow_of_missing_or_empty_dir_allows_nothing(void **state)
{
    struct tmpdir *d = *state;
    uint8_t key[CURVE_KEY_BYTES] = {0};
    struct curve_allow *a = curve_allow_load(d->path, NULL);
    assert_non_null(a);
    assert_int_equal(curve_allow_count(a), 0);
    assert_int_equal(curve_allow_rejected(a), 0);
    assert_null(curve_allow_lookup(a, key));
    curve_allow_destroy(&a);

    char missing[PATH_LEN];
    path_in(d, "no-such-dir", missing);
    struct captured_log c;
    capture_start(&c);
    a = curve_allow_load(missing, c.log);
    const char *out = capture_end(&c);
    assert_non_null(a);
    assert_int_equal(curve_allow_count(a), 0);
    assert_null(curve_allow_lookup(a, key));
    assert_non_null(strstr(out, " warn "));
    assert_non_null(strstr(out, "no such directory"));
    free(c.buf);
    curve_allow_destroy(&a);

    assert_null(curve_allow_lookup(NULL, key));
    assert_int_equal(curve_allow_count(NULL), 0);
}

static void test_curve_keys_path_prefers_the_explicit_file_then_the_dir(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(curve_keys_path(out, sizeof(out), "my.key", "keys", "a.key"), 0);
    assert_string_equal(out, "my.key");
    assert_int_equal(curve_keys_path(out, sizeof(out), "", "keys", "a.key"), 0);
    assert_string_equal(out, "keys/a.key");
    assert_int_equal(curve_keys_path(out, sizeof(out), "", "", "a.key"), 0);
    assert_string_equal(out, "");
    assert_int_equal(curve_keys_path(out, sizeof(out), "", "a-long-keys-dir", "a.key"),
                     -ENAMETOOLONG);
    assert_string_equal(out, "");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_dir, teardown_dir)
    const struct CMUnitTest tests[] = {
            T(test_curve_keys_round_trip_gives_a_working_pair),
            T(test_curve_keys_files_have_exact_modes_whatever_the_umask),
            T(test_curve_keys_write_refuses_to_overwrite_without_force),
            T(test_curve_keys_refuses_a_secret_file_open_to_others),
            T(test_curve_keys_refuses_bad_names),
            cmocka_unit_test(test_curve_key_valid_takes_exactly_40_z85_characters),
            cmocka_unit_test(test_curve_keys_path_prefers_the_explicit_file_then_the_dir),
            T(test_curve_keys_refuses_bad_key_text),
            T(test_curve_keys_refuses_a_public_key_of_another_pair),
            T(test_curve_allow_binds_each_pub_file_to_its_name),
            T(test_curve_allow_rejects_duplicates_secrets_and_bad_stems),
            T(test_curve_allow_of_missing_or_empty_dir_allows_nothing),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * CURVE keys: key pairs, their files, and the allow-list of accepted public keys. libzmq does
 * the cryptography (key generation, Z85, deriving a public key from a secret one); this module
 * decides what goes on disk, with which modes, and what is accepted back. It owns no socket and
 * answers no ZAP request: the transport asks the allow-list whom a key belongs to.
 *
 * A secret key is kept only in its 0600 file and in the caller's struct curve_keypair: every
 * buffer here that held one is wiped before it is given back.
 */
#include "common/curve_keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/err.h"
#include "common/log.h"

#define WHY_MAX 512 /* a reason, and a path for the fix it suggests */

struct curve_allow_entry {
    uint8_t key[CURVE_KEY_BYTES];
    char name[CURVE_KEYS_NAME_MAX + 1];
};

struct curve_allow {
    struct curve_allow_entry *entries; /* sorted by key: lookups are a binary search */
    size_t n;
    size_t rejected;
    bool unreadable; /* the directory could not be listed: the list is empty for that reason */
};

/* What a key file must hold. */
enum key_file_kind {
    KEY_FILE_SECRET,      /* both keys; mode checked */
    KEY_FILE_ANY,         /* the public key, and maybe the secret one (a .pub or a .key file) */
    KEY_FILE_PUBLIC_ONLY, /* an allow-list entry: a secret key here would be a leaked one */
};

struct key_text {
    char pub[CURVE_KEY_Z85_LEN + 1]; /* "" when the file has no public-key line */
    char sec[CURVE_KEY_Z85_LEN + 1];
};

bool curve_key_valid(const char *z85)
{
    uint8_t bin[CURVE_KEY_BYTES];
    if (z85 == NULL || strnlen(z85, CURVE_KEY_Z85_LEN + 1) != CURVE_KEY_Z85_LEN)
        return false;
    /* zmq_z85_decode() also refuses a group of 5 characters worth more than 2^32 - 1. */
    return zmq_z85_decode(bin, z85) != NULL;
}

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool curve_keys_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '.')
        return false;
    for (size_t i = 0; name[i] != '\0'; i++) {
        if (i == CURVE_KEYS_NAME_MAX || !name_char_ok(name[i]))
            return false;
    }
    return true;
}

int curve_keys_generate(struct curve_keypair *kp, struct log *log)
{
    if (!zmq_has("curve")) {
        log_err(log, "curve_keys: this libzmq is built without CURVE (zmq_has(\"curve\") is 0)");
        return -ENOTSUP;
    }
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0) {
        int err = zmq_errno();
        log_err(log, "curve_keys: zmq_curve_keypair: %s", zmq_strerror(err));
        return -err;
    }
    return 0;
}

static bool pair_matches(const char *pub, const char *sec)
{
    char derived[CURVE_KEY_Z85_LEN + 1];
    return zmq_curve_public(derived, sec) == 0 && strcmp(derived, pub) == 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int parse_line(char *line, unsigned lineno, struct key_text *kt, char *why)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    /* The first '=' separates: Z85 has '=' in its alphabet, key names do not. */
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        snprintf(why, WHY_MAX, "line %u: expected KEY = VALUE", lineno);
        return UMBRA_ECONFIG;
    }
    *eq = '\0';
    const char *key = trim(s);
    const char *value = trim(eq + 1);
    char *dst;
    if (strcmp(key, "public-key") == 0) {
        dst = kt->pub;
    } else if (strcmp(key, "secret-key") == 0) {
        dst = kt->sec;
    } else {
        snprintf(why, WHY_MAX, "line %u: unknown key '%.40s' (public-key, secret-key)", lineno,
                 key);
        return UMBRA_ECONFIG;
    }
    if (dst[0] != '\0') {
        snprintf(why, WHY_MAX, "line %u: %s given twice", lineno, key);
        return UMBRA_ECONFIG;
    }
    /* The value is not quoted back: it may be a secret. */
    if (!curve_key_valid(value)) {
        snprintf(why, WHY_MAX, "line %u: %s is not a Z85 key (%d characters of the Z85 alphabet)",
                 lineno, key, CURVE_KEY_Z85_LEN);
        return UMBRA_ECONFIG;
    }
    memcpy(dst, value, CURVE_KEY_Z85_LEN + 1);
    return 0;
}

/* @buf holds @len bytes and has room for a terminating NUL. */
static int parse_text(char *buf, size_t len, struct key_text *kt, char *why)
{
    if (memchr(buf, '\0', len) != NULL) {
        snprintf(why, WHY_MAX, "holds a NUL byte: not a key file");
        return UMBRA_ECONFIG;
    }
    buf[len] = '\0';
    unsigned lineno = 0;
    char *p = buf;
    while (*p != '\0') {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol != NULL)
            *eol = '\0';
        int rc = parse_line(p, ++lineno, kt, why);
        if (rc != 0)
            return rc;
        p = next;
    }
    return 0;
}

static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *len = got;
    return 0;
}

/* Opens and checks before reading: a secret file with a wrong mode is refused unread. */
static int read_text(const char *path, enum key_file_kind kind, char *buf, size_t *len, char *why)
{
    /* O_NONBLOCK: a FIFO put in the key's place must not hang the open; fstat refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int rc = -errno;
        snprintf(why, WHY_MAX, "open: %s", umbra_strerror(rc));
        return rc;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(why, WHY_MAX, "fstat: %s", umbra_strerror(rc));
    } else if (!S_ISREG(st.st_mode)) {
        rc = UMBRA_ECONFIG;
        snprintf(why, WHY_MAX, "not a regular file");
    } else if (kind == KEY_FILE_SECRET && (st.st_mode & 077) != 0) {
        /* As ssh refuses a private key: any access for group or others. */
        rc = -EACCES;
        snprintf(why, WHY_MAX,
                 "secret key file has mode 0%03o, open to group or others; refused: run "
                 "chmod 600 %s",
                 (unsigned)(st.st_mode & 0777), path);
    } else if (st.st_size > CURVE_KEYS_FILE_MAX) {
        rc = UMBRA_ECONFIG;
        snprintf(why, WHY_MAX, "%lld bytes, more than %d: not a key file", (long long)st.st_size,
                 CURVE_KEYS_FILE_MAX);
    } else {
        /* One byte more than allowed, to see a file that grew since fstat. */
        rc = read_all(fd, buf, CURVE_KEYS_FILE_MAX + 1, len);
        if (rc != 0) {
            snprintf(why, WHY_MAX, "read: %s", umbra_strerror(rc));
        } else if (*len > CURVE_KEYS_FILE_MAX) {
            rc = UMBRA_ECONFIG;
            snprintf(why, WHY_MAX, "more than %d bytes: not a key file", CURVE_KEYS_FILE_MAX);
        }
    }
    close(fd);
    return rc;
}

static int check_keys(const struct key_text *kt, enum key_file_kind kind, char *why)
{
    if (kt->pub[0] == '\0') {
        snprintf(why, WHY_MAX, "no public-key line");
        return UMBRA_ECONFIG;
    }
    if (kind == KEY_FILE_SECRET && kt->sec[0] == '\0') {
        snprintf(why, WHY_MAX, "no secret-key line: a .pub file, not a key pair?");
        return UMBRA_ECONFIG;
    }
    if (kind == KEY_FILE_PUBLIC_ONLY && kt->sec[0] != '\0') {
        snprintf(why, WHY_MAX,
                 "holds a secret-key: a key pair, not a public key; move it away "
                 "and put its .pub here");
        return UMBRA_ECONFIG;
    }
    if (kt->sec[0] != '\0' && !pair_matches(kt->pub, kt->sec)) {
        snprintf(why, WHY_MAX, "public-key is not the one secret-key gives: the file is damaged");
        return UMBRA_ECONFIG;
    }
    return 0;
}

/* On failure @why says what is wrong, without the path: each caller logs it its own way. */
static int load_key_file(const char *path, enum key_file_kind kind, struct key_text *kt, char *why)
{
    char buf[CURVE_KEYS_FILE_MAX + 2];
    size_t len = 0;
    memset(kt, 0, sizeof(*kt));
    int rc = read_text(path, kind, buf, &len, why);
    if (rc == 0)
        rc = parse_text(buf, len, kt, why);
    if (rc == 0)
        rc = check_keys(kt, kind, why);
    explicit_bzero(buf, sizeof(buf));
    if (rc != 0)
        explicit_bzero(kt, sizeof(*kt));
    return rc;
}

int curve_keys_read_secret(const char *path, struct curve_keypair *kp, struct log *log)
{
    struct key_text kt;
    char why[WHY_MAX];
    int rc = load_key_file(path, KEY_FILE_SECRET, &kt, why);
    if (rc != 0) {
        explicit_bzero(kp, sizeof(*kp));
        log_err(log, "curve_keys: %s: %s", path, why);
        return rc;
    }
    memcpy(kp->public_z85, kt.pub, sizeof(kp->public_z85));
    memcpy(kp->secret_z85, kt.sec, sizeof(kp->secret_z85));
    explicit_bzero(&kt, sizeof(kt));
    return 0;
}

int curve_keys_read_public(const char *path, char out[CURVE_KEY_Z85_LEN + 1], struct log *log)
{
    struct key_text kt;
    char why[WHY_MAX];
    int rc = load_key_file(path, KEY_FILE_ANY, &kt, why);
    if (rc != 0) {
        log_err(log, "curve_keys: %s: %s", path, why);
        return rc;
    }
    memcpy(out, kt.pub, CURVE_KEY_Z85_LEN + 1);
    explicit_bzero(&kt, sizeof(kt));
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* One file of the pair, and what has been created for it (to undo on failure). */
struct out_file {
    char path[PATH_MAX];
    char tmp[PATH_MAX]; /* with force: written here, then renamed over path */
    char text[512];
    size_t len;
    mode_t mode;
    bool created; /* path (without force) or tmp (with force) exists and is ours */
};

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int out_write(struct out_file *f, bool force, struct log *log)
{
    const char *target = force ? f->tmp : f->path;
    int fd = force ? mkstemp(f->tmp)
                   : open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->mode);
    if (fd < 0) {
        int rc = -errno;
        if (rc == -EEXIST)
            log_err(log, "curve_keys: %s exists; not replaced without force", f->path);
        else
            log_err(log, "curve_keys: create %s: %s", target, umbra_strerror(rc));
        return rc;
    }
    f->created = true;
    const char *call = "fchmod";
    /* Exactly this mode: the umask may have removed bits, and mkstemp() gives 0600. */
    int rc = fchmod(fd, f->mode) != 0 ? -errno : 0;
    if (rc == 0) {
        call = "write";
        rc = write_all(fd, f->text, f->len);
    }
    if (rc == 0) {
        call = "fsync";
        rc = fsync(fd) != 0 ? -errno : 0;
    }
    if (close(fd) != 0 && rc == 0) {
        call = "close";
        rc = -errno;
    }
    if (rc != 0)
        log_err(log, "curve_keys: %s %s: %s", call, target, umbra_strerror(rc));
    return rc;
}

static void out_undo(struct out_file *f, bool force)
{
    if (f->created)
        unlink(force ? f->tmp : f->path);
    f->created = false;
}

static int out_prepare(struct out_file *f, const char *dir, const char *name, const char *ext,
                       mode_t mode, struct log *log)
{
    int n = snprintf(f->path, sizeof(f->path), "%s/%s.%s", dir, name, ext);
    /* Hidden, and not ending in .pub: an allow-list never takes a half-written file. */
    int m = snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.%s.XXXXXX", dir, name, ext);
    if (n < 0 || (size_t)n >= sizeof(f->path) || m < 0 || (size_t)m >= sizeof(f->tmp)) {
        log_err(log, "curve_keys: directory path too long (%zu bytes)", strlen(dir));
        return -ENAMETOOLONG;
    }
    f->mode = mode;
    f->created = false;
    return 0;
}

static int make_dir(const char *dir, struct log *log)
{
    if (mkdir(dir, 0700) == 0) {
        /* The umask may have taken more than group and others' bits. */
        if (chmod(dir, 0700) != 0) {
            int rc = -errno;
            log_err(log, "curve_keys: chmod 700 %s: %s", dir, umbra_strerror(rc));
            return rc;
        }
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    int rc = -errno;
    log_err(log, "curve_keys: mkdir %s: %s", dir, umbra_strerror(rc));
    return rc;
}

static int sync_dir(const char *dir, struct log *log)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = (fd < 0 || fsync(fd) != 0) ? -errno : 0;
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        log_err(log, "curve_keys: fsync directory %s: %s", dir, umbra_strerror(rc));
    return rc;
}

static int refuse_existing(const struct out_file *f, struct log *log)
{
    struct stat st;
    if (lstat(f->path, &st) == 0) {
        log_err(log, "curve_keys: %s exists; not replaced without force", f->path);
        return -EEXIST;
    }
    if (errno != ENOENT) {
        int rc = -errno;
        log_err(log, "curve_keys: stat %s: %s", f->path, umbra_strerror(rc));
        return rc;
    }
    return 0;
}

static int check_pair_args(const char *name, const struct curve_keypair *kp, struct log *log)
{
    if (!curve_keys_name_valid(name)) {
        log_err(log,
                "curve_keys: invalid key name: 1..%d characters of A-Z a-z 0-9 . _ -, not "
                "starting with '.'",
                CURVE_KEYS_NAME_MAX);
        return -EINVAL;
    }
    if (!curve_key_valid(kp->public_z85) || !curve_key_valid(kp->secret_z85) ||
        !pair_matches(kp->public_z85, kp->secret_z85)) {
        log_err(log, "curve_keys: %s: not a valid key pair; nothing written", name);
        return -EINVAL;
    }
    return 0;
}

static int put_files(struct out_file *f, size_t n, bool force, struct log *log)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = out_write(&f[i], force, log);
    for (size_t i = 0; rc == 0 && force && i < n; i++) {
        if (rename(f[i].tmp, f[i].path) != 0) {
            rc = -errno;
            log_err(log, "curve_keys: rename %s to %s: %s", f[i].tmp, f[i].path,
                    umbra_strerror(rc));
        } else {
            f[i].created = false;
        }
    }
    return rc;
}

int curve_keys_write(const char *dir, const char *name, const struct curve_keypair *kp, bool force,
                     struct log *log)
{
    int rc = check_pair_args(name, kp, log);
    if (rc != 0)
        return rc;
    struct out_file f[2];
    rc = out_prepare(&f[0], dir, name, "key", 0600, log);
    if (rc == 0)
        rc = out_prepare(&f[1], dir, name, "pub", 0644, log);
    if (rc != 0)
        return rc;
    f[0].len = (size_t)snprintf(f[0].text, sizeof(f[0].text),
                                "# Umbra CURVE key pair \"%s\". Secret: keep this file at mode "
                                "0600, never copy it off this host.\n"
                                "public-key = %s\nsecret-key = %s\n",
                                name, kp->public_z85, kp->secret_z85);
    f[1].len = (size_t)snprintf(f[1].text, sizeof(f[1].text),
                                "# Umbra CURVE public key \"%s\". Give it to the peers that must "
                                "accept this host.\npublic-key = %s\n",
                                name, kp->public_z85);

    rc = make_dir(dir, log);
    for (size_t i = 0; rc == 0 && !force && i < 2; i++)
        rc = refuse_existing(&f[i], log);
    if (rc == 0)
        rc = put_files(f, 2, force, log);
    if (rc != 0) {
        out_undo(&f[0], force);
        out_undo(&f[1], force);
    } else {
        rc = sync_dir(dir, log);
    }
    explicit_bzero(f[0].text, sizeof(f[0].text));
    return rc;
}

/* ---- the allow-list ----------------------------------------------------------------------- */

static int pub_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".pub") == 0;
}

/* Ties broken by name, so that of two files with one key the first in name order is kept. */
static int entry_cmp(const void *a, const void *b)
{
    const struct curve_allow_entry *x = a, *y = b;
    int c = memcmp(x->key, y->key, CURVE_KEY_BYTES);
    return c != 0 ? c : strcmp(x->name, y->name);
}

static int key_cmp(const void *key, const void *entry)
{
    return memcmp(key, ((const struct curve_allow_entry *)entry)->key, CURVE_KEY_BYTES);
}

static void allow_reject(struct curve_allow *a, const char *dir, const char *file, const char *why,
                         struct log *log)
{
    a->rejected++;
    log_warn(log, "curve_allow: skipped %s/%s: %s", dir, file, why);
}

static void allow_add_file(struct curve_allow *a, const char *dir, const char *file, size_t cap,
                           struct log *log)
{
    char why[WHY_MAX];
    char stem[CURVE_KEYS_NAME_MAX + 1];
    size_t stem_len = strlen(file) - 4;
    if (stem_len > CURVE_KEYS_NAME_MAX) {
        allow_reject(a, dir, file, "name longer than 64 characters", log);
        return;
    }
    memcpy(stem, file, stem_len);
    stem[stem_len] = '\0';
    if (!curve_keys_name_valid(stem)) {
        allow_reject(a, dir, file, "name not of A-Z a-z 0-9 . _ -", log);
        return;
    }
    if (a->n == cap) {
        snprintf(why, sizeof(why), "more than %d keys", CURVE_ALLOW_MAX);
        allow_reject(a, dir, file, why, log);
        return;
    }
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        allow_reject(a, dir, file, "path too long", log);
        return;
    }
    struct key_text kt;
    if (load_key_file(path, KEY_FILE_PUBLIC_ONLY, &kt, why) != 0) {
        allow_reject(a, dir, file, why, log);
        return;
    }
    struct curve_allow_entry *e = &a->entries[a->n++];
    zmq_z85_decode(e->key, kt.pub);
    memcpy(e->name, stem, stem_len + 1);
}

/* Sorts the entries and drops a key bound twice, keeping its first name. */
static void allow_sort(struct curve_allow *a, const char *dir, struct log *log)
{
    if (a->n == 0)
        return; /* entries may be NULL, which qsort() must not get */
    qsort(a->entries, a->n, sizeof(*a->entries), entry_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < a->n; i++) {
        struct curve_allow_entry *e = &a->entries[i];
        if (kept > 0 && memcmp(a->entries[kept - 1].key, e->key, CURVE_KEY_BYTES) == 0) {
            char why[WHY_MAX];
            snprintf(why, sizeof(why), "same key as %s.pub", a->entries[kept - 1].name);
            char file[CURVE_KEYS_NAME_MAX + 5];
            snprintf(file, sizeof(file), "%s.pub", e->name);
            allow_reject(a, dir, file, why, log);
            continue;
        }
        if (kept != i)
            a->entries[kept] = *e;
        kept++;
    }
    a->n = kept;
}

struct curve_allow *curve_allow_load(const char *dir, struct log *log)
{
    struct curve_allow *a = calloc(1, sizeof(*a));
    if (a == NULL)
        goto oom;
    struct dirent **files = NULL;
    int n = scandir(dir, &files, pub_filter, alphasort);
    if (n < 0) {
        if (errno == ENOMEM)
            goto oom_free;
        if (errno == ENOENT)
            log_warn(log, "curve_allow: %s: no such directory; no key is allowed", dir);
        else
            log_err(log, "curve_allow: scandir %s: %s; no key is allowed", dir,
                    umbra_strerror(-errno));
        a->unreadable = true;
        return a;
    }
    size_t cap = (size_t)n < CURVE_ALLOW_MAX ? (size_t)n : CURVE_ALLOW_MAX;
    if (cap > 0) {
        a->entries = calloc(cap, sizeof(*a->entries));
        if (a->entries == NULL) {
            for (int i = 0; i < n; i++)
                free(files[i]);
            free(files);
            goto oom_free;
        }
    }
    for (int i = 0; i < n; i++) {
        allow_add_file(a, dir, files[i]->d_name, cap, log);
        free(files[i]);
    }
    free(files);
    allow_sort(a, dir, log);
    if (a->n == 0)
        log_warn(log, "curve_allow: %s: no usable .pub file; no key is allowed", dir);
    else
        log_info(log, "curve_allow: %s: keys=%zu rejected=%zu", dir, a->n, a->rejected);
    return a;
oom_free:
    free(a);
oom:
    log_err(log, "curve_allow: %s: out of memory", dir);
    return NULL;
}

void curve_allow_destroy(struct curve_allow **ap)
{
    struct curve_allow *a = *ap;
    if (a == NULL)
        return;
    free(a->entries);
    free(a);
    *ap = NULL;
}

const char *curve_allow_lookup(const struct curve_allow *a, const uint8_t key[CURVE_KEY_BYTES])
{
    if (a == NULL || a->n == 0)
        return NULL;
    const struct curve_allow_entry *e =
            bsearch(key, a->entries, a->n, sizeof(*a->entries), key_cmp);
    return e ? e->name : NULL;
}

size_t curve_allow_count(const struct curve_allow *a)
{
    return a ? a->n : 0;
}

bool curve_allow_unreadable(const struct curve_allow *a)
{
    return a->unreadable;
}

size_t curve_allow_rejected(const struct curve_allow *a)
{
    return a ? a->rejected : 0;
}

int curve_keys_path(char *out, size_t cap, const char *explicit, const char *dir, const char *leaf)
{
    int n;
    if (explicit[0] != '\0')
        n = snprintf(out, cap, "%s", explicit);
    else if (dir[0] != '\0')
        n = snprintf(out, cap, "%s/%s", dir, leaf);
    else
        n = snprintf(out, cap, "%s", "");
    if (n >= 0 && (size_t)n < cap)
        return 0;
    if (cap > 0)
        out[0] = '\0';
    return -ENAMETOOLONG;
}

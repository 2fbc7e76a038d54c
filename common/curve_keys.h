/*
 * CURVE keys: the key pairs that authenticate sensors and aggregators to each other over ZeroMQ
 * (RFC 26, CurveZMQ), their files, and the allow-list of peers an endpoint accepts.
 *
 * Keys are handled as Z85 text (40 characters for 32 bytes, ZeroMQ RFC 32), as libzmq's socket
 * options take them. A host has one key pair, NAME.key, and gives NAME.pub to the peers that
 * must accept it; a peer keeps the .pub files it accepts in one directory, and a file's stem is
 * the name the key is known by there.
 *
 * NAME.key, mode 0600 (the comment is one line in the file):
 *
 *     # Umbra CURVE key pair "NAME". Secret: keep this file at mode 0600, never copy it off
 *       this host.
 *     public-key = <Z85>
 *     secret-key = <Z85>
 *
 * NAME.pub, mode 0644:
 *
 *     # Umbra CURVE public key "NAME". Give it to the peers that must accept this host.
 *     public-key = <Z85>
 *
 * Reading: one setting per line; blank lines and lines starting with '#' (after leading spaces)
 * are ignored; "key = value" with the spaces optional; no comment after a value ('#' is a Z85
 * character). Known keys are public-key and secret-key, each at most once; anything else is an
 * error. Files are at most CURVE_KEYS_FILE_MAX bytes.
 *
 * Names (NAME): 1..CURVE_KEYS_NAME_MAX characters of [A-Za-z0-9._-], not starting with '.', so
 * a name is always one plain file name in the key directory.
 *
 * Errors: 0 or a negative code. -EACCES: a secret file readable or writable by group or others
 * (refused, as ssh refuses such a private key). UMBRA_ECONFIG: a key file whose content is wrong
 * (syntax, unknown or repeated key, missing key, bad Z85, a public key that does not belong to
 * the secret one, too large, not a regular file). Other -errno values come from the system
 * calls. Every function that fails logs why, once, naming the file.
 *
 * Threads: the functions keep no state. A struct curve_allow is immutable once loaded: any
 * number of threads may look keys up in it at the same time.
 */
#ifndef UMBRA_COMMON_CURVE_KEYS_H
#define UMBRA_COMMON_CURVE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log;
struct curve_allow;

/* Z85 text of a 32-byte key: 5 characters per 4 bytes. */
#define CURVE_KEY_Z85_LEN   40
#define CURVE_KEY_BYTES     32
#define CURVE_KEYS_NAME_MAX 64
/* Largest key file read: a key file is about 200 bytes, so this leaves room for comments. */
#define CURVE_KEYS_FILE_MAX 4096
/* Most .pub files an allow-list takes; more are rejected (counted and logged). */
#define CURVE_ALLOW_MAX 65536

struct curve_keypair {
    char public_z85[CURVE_KEY_Z85_LEN + 1];
    char secret_z85[CURVE_KEY_Z85_LEN + 1];
};

/* curve_key_valid() - @z85 is exactly 40 characters that zmq_z85_decode() accepts. NULL-safe. */
bool curve_key_valid(const char *z85);

/* curve_keys_name_valid() - @name follows the rules for NAME above. NULL-safe. */
bool curve_keys_name_valid(const char *name);

/*
 * curve_keys_generate() - a new random key pair (zmq_curve_keypair()).
 *
 * Returns 0, -ENOTSUP when this libzmq was built without CURVE (zmq_has("curve")), or the
 * -errno libzmq gives.
 */
int curve_keys_generate(struct curve_keypair *kp, struct log *log);

/*
 * curve_keys_write() - write @kp as DIR/NAME.key (mode 0600, both keys) and DIR/NAME.pub (mode
 * 0644, the public key). The modes are set exactly, whatever the umask. Both files and the
 * directory are fsync'd. @dir is created with mode 0700 if it is missing (its parent must
 * exist).
 *
 * Without @force, neither file may exist: the files are created with O_EXCL and nothing is left
 * behind on failure. With @force, each file is written beside its final name and renamed over
 * it, so a reader sees the old file or the new one, never a part.
 *
 * Returns 0; -EEXIST: a file is there and !@force (nothing written); -EINVAL: @name breaks the
 * rules, or @kp is not a valid pair; -ENAMETOOLONG; or the -errno of the failing call.
 */
int curve_keys_write(const char *dir, const char *name, const struct curve_keypair *kp, bool force,
                     struct log *log);

/*
 * curve_keys_read_secret() - read a .key file into @kp and check that its public key is the
 * one its secret key gives (zmq_curve_public()).
 *
 * The file's mode is checked on the open descriptor before anything is read: any permission
 * for group or others is refused with -EACCES, and the log line gives the mode and the fix
 * (chmod 600 FILE). Returns 0, -EACCES, UMBRA_ECONFIG, or -errno (open, read). Buffers that
 * held the secret are wiped; @kp is wiped on failure.
 */
int curve_keys_read_secret(const char *path, struct curve_keypair *kp, struct log *log);

/*
 * curve_keys_read_public() - the public key of a .pub file, or of a .key file (whose public
 * key must then match its secret one), into @out as Z85 text. The mode is not checked: nothing
 * secret is used. Returns 0, UMBRA_ECONFIG or -errno.
 */
int curve_keys_read_public(const char *path, char out[CURVE_KEY_Z85_LEN + 1], struct log *log);

/*
 * curve_allow_load() - the allow-list: every DIR/NAME.pub file, binding its key to NAME.
 *
 * Hidden files and files not ending in ".pub" are ignored. A .pub file that cannot be read or
 * parsed, whose stem is not a valid name, whose key another file (earlier in name order) already
 * binds, or beyond CURVE_ALLOW_MAX is skipped, logged with its reason and counted
 * (curve_allow_rejected()). A missing or empty directory gives an empty list (a warning is
 * logged); so does one that cannot be read (an error is logged). Returns NULL only when out of
 * memory, after logging it.
 */
struct curve_allow *curve_allow_load(const char *dir, struct log *log);

/* curve_allow_destroy() - free, set *ap = NULL. NULL-safe. */
void curve_allow_destroy(struct curve_allow **ap);

/*
 * curve_allow_lookup() - the name bound to the binary public key @key (as a ZAP request carries
 * it), or NULL when the key is not allowed. The name lives as long as @a. O(log n), no
 * allocation: fit for a ZAP handler's every connection. @a may be NULL (nothing is allowed).
 */
const char *curve_allow_lookup(const struct curve_allow *a, const uint8_t key[CURVE_KEY_BYTES]);

/* curve_allow_count() - keys in the list. curve_allow_rejected() - .pub files skipped. */
size_t curve_allow_count(const struct curve_allow *a);
size_t curve_allow_rejected(const struct curve_allow *a);

/* curve_allow_unreadable() - the directory could not be listed (missing, no permission): the
 * list is empty for that reason, not because no key is allowed. A reload keeps the old list
 * then, so a directory being replaced does not lock every sensor out. */
bool curve_allow_unreadable(const struct curve_allow *a);

/*
 * curve_keys_path() - where a daemon finds a key file or directory: @explicit when it is set
 * (curve.secret_key, ...), else @dir/@leaf when @dir is set (curve.keys_dir), else "".
 * Returns 0, or -ENAMETOOLONG when it does not fit @cap bytes (@out is then "").
 */
int curve_keys_path(char *out, size_t cap, const char *explicit, const char *dir, const char *leaf);

#endif

/*
 * Umbra error codes.
 *
 * Every action function returns 0 or a negative code: either a negated errno value (-EINVAL,
 * -ENOMEM, ...) or one of Umbra's own codes below. Umbra's codes sit in a reserved range far
 * below any errno value (LMDB does the same with MDB_*), so both kinds share one int.
 */
#ifndef UMBRA_COMMON_ERR_H
#define UMBRA_COMMON_ERR_H

/* Umbra's own codes start here and grow downwards; errno values are all above -4096 on Linux. */
#define UMBRA_ERR_BASE (-30000)

/* X(name, offset, message): the one list; enum values and messages are generated from it. */
#define UMBRA_ERR_LIST(X)                                                                          \
    X(UMBRA_ECONFIG, 1, "invalid configuration")                                                   \
    X(UMBRA_EYAML, 2, "YAML syntax error")                                                         \
    X(UMBRA_EWIRE, 3, "malformed wire message")                                                    \
    X(UMBRA_ESCHEMA, 4, "unsupported schema version")                                              \
    X(UMBRA_ECHECKSUM, 5, "checksum mismatch")                                                     \
    X(UMBRA_ECAPTURE, 6, "capture error")                                                          \
    X(UMBRA_EFULL, 7, "capacity reached")

enum umbra_err {
#define UMBRA_ERR_ENUM(name, off, msg) name = UMBRA_ERR_BASE - (off),
    UMBRA_ERR_LIST(UMBRA_ERR_ENUM)
#undef UMBRA_ERR_ENUM
};

/*
 * umbra_strerror() - describe a return code.
 * @rc: 0, a negated errno value or an UMBRA_E* code. Positive values are treated as errno values.
 *
 * Returns a static string that stays valid for the life of the process; never NULL.
 * Thread-safe.
 */
const char *umbra_strerror(int rc);

/* umbra_err_name() - the symbolic name ("UMBRA_EWIRE", "EINVAL"), or "unknown"; never NULL. */
const char *umbra_err_name(int rc);

#endif

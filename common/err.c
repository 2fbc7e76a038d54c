/*
 * Error codes: messages and names for Umbra's own codes (from the X-macro list in err.h) and for
 * the errno values Umbra returns. It owns no state. It does not log: callers log once, where they
 * decide to give up.
 */
#include "common/err.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

struct err_entry {
    int code;
    const char *name;
    const char *msg;
};

static const struct err_entry umbra_errs[] = {
#define UMBRA_ERR_ENTRY(name, off, msg) {name, #name, msg},
        UMBRA_ERR_LIST(UMBRA_ERR_ENTRY)
#undef UMBRA_ERR_ENTRY
};

/*
 * The errno values Umbra returns, with fixed messages. A fixed table rather than strerror()
 * because strerror() is not guaranteed thread-safe and its text changes with the locale.
 */
static const struct err_entry errno_errs[] = {
        {EPERM, "EPERM", "operation not permitted"},
        {ENOENT, "ENOENT", "no such file or directory"},
        {EINTR, "EINTR", "interrupted system call"},
        {EIO, "EIO", "input/output error"},
        {E2BIG, "E2BIG", "argument list too long"},
        {EBADF, "EBADF", "bad file descriptor"},
        {EAGAIN, "EAGAIN", "resource temporarily unavailable"},
        {ENOMEM, "ENOMEM", "out of memory"},
        {EACCES, "EACCES", "permission denied"},
        {EFAULT, "EFAULT", "bad address"},
        {EBUSY, "EBUSY", "device or resource busy"},
        {EEXIST, "EEXIST", "file exists"},
        {ENODEV, "ENODEV", "no such device"},
        {ENOTDIR, "ENOTDIR", "not a directory"},
        {EISDIR, "EISDIR", "is a directory"},
        {EINVAL, "EINVAL", "invalid argument"},
        {ENFILE, "ENFILE", "too many open files in system"},
        {EMFILE, "EMFILE", "too many open files"},
        {EFBIG, "EFBIG", "file too large"},
        {ENOSPC, "ENOSPC", "no space left on device"},
        {EROFS, "EROFS", "read-only file system"},
        {EPIPE, "EPIPE", "broken pipe"},
        {EDOM, "EDOM", "argument out of domain"},
        {ERANGE, "ERANGE", "result out of range"},
        {ENAMETOOLONG, "ENAMETOOLONG", "file name too long"},
        {ENOSYS, "ENOSYS", "function not implemented"},
        {ENOTSUP, "ENOTSUP", "operation not supported"},
        {EBADMSG, "EBADMSG", "bad message"},
        {EMSGSIZE, "EMSGSIZE", "message too long"},
        {EPROTO, "EPROTO", "protocol error"},
        {EOVERFLOW, "EOVERFLOW", "value too large for defined data type"},
        {EADDRINUSE, "EADDRINUSE", "address already in use"},
        {EADDRNOTAVAIL, "EADDRNOTAVAIL", "cannot assign requested address"},
        {ENETDOWN, "ENETDOWN", "network is down"},
        {ENETUNREACH, "ENETUNREACH", "network is unreachable"},
        {ECONNRESET, "ECONNRESET", "connection reset by peer"},
        {ECONNREFUSED, "ECONNREFUSED", "connection refused"},
        {ETIMEDOUT, "ETIMEDOUT", "connection timed out"},
        {EHOSTUNREACH, "EHOSTUNREACH", "no route to host"},
        {EALREADY, "EALREADY", "operation already in progress"},
        {ECANCELED, "ECANCELED", "operation canceled"},
        {ENOBUFS, "ENOBUFS", "no buffer space available"},
        {ENOTCONN, "ENOTCONN", "transport endpoint is not connected"},
        {ENODATA, "ENODATA", "no data available"},
};

static const struct err_entry *err_find(int rc)
{
    int code = rc < 0 ? rc : -rc;
    for (size_t i = 0; i < sizeof(umbra_errs) / sizeof(umbra_errs[0]); i++) {
        if (umbra_errs[i].code == code)
            return &umbra_errs[i];
    }
    for (size_t i = 0; i < sizeof(errno_errs) / sizeof(errno_errs[0]); i++) {
        if (-errno_errs[i].code == code)
            return &errno_errs[i];
    }
    return NULL;
}

const char *umbra_strerror(int rc)
{
    if (rc == 0)
        return "success";
    const struct err_entry *e = err_find(rc);
    return e ? e->msg : "unknown error";
}

const char *umbra_err_name(int rc)
{
    if (rc == 0)
        return "OK";
    const struct err_entry *e = err_find(rc);
    return e ? e->name : "unknown";
}

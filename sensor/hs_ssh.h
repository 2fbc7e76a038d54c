/*
 * SSH: the clear-text start of one direction of an SSH connection (RFC 4253): the
 * identification string, the SSH_MSG_KEXINIT name-lists, and where the clear part ends (just
 * after SSH_MSG_NEWKEYS; everything after it is encrypted). From the KEXINITs of both sides:
 * HASSH and HASSH-server (salesforce/hassh) and the algorithms the two sides agree on (RFC 4253
 * 7.1). Bounded and length-checked: a malformed stream is refused with a reason, never read
 * past its end. Allocation-free and stateless: the caller keeps the first bytes of each
 * direction in order and calls hs_ssh_parse() again, from the start, as more arrive.
 */
#ifndef UMBRA_SENSOR_HS_SSH_H
#define UMBRA_SENSOR_HS_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct digest;

#define HS_SSH_BANNER_MAX     255   /* identification line with its CR LF (RFC 4253 4.2) */
#define HS_SSH_PRE_BANNER_MAX 1024  /* bytes of other lines accepted before it (see .c) */
#define HS_SSH_PACKET_MAX     35000 /* largest packet_length accepted (RFC 4253 6.1) */
#define HS_SSH_COOKIE_LEN     16
#define HS_SSH_ALG_MAX        65  /* an algorithm name (64 characters, RFC 4251 6) and a NUL */
#define HS_SSH_NAMES_MAX      128 /* names of a list that negotiation looks at */

/* The ten name-lists of SSH_MSG_KEXINIT, in their order on the wire (RFC 4253 7.1). */
enum hs_ssh_list {
    HS_SSH_KEX,
    HS_SSH_HOSTKEY,
    HS_SSH_ENC_C2S,
    HS_SSH_ENC_S2C,
    HS_SSH_MAC_C2S,
    HS_SSH_MAC_S2C,
    HS_SSH_COMP_C2S,
    HS_SSH_COMP_S2C,
    HS_SSH_LANG_C2S,
    HS_SSH_LANG_S2C,
    HS_SSH_LISTS
};

/* Bytes of the stream given to hs_ssh_parse(): valid as long as the caller keeps it. */
struct hs_ssh_view {
    const uint8_t *ptr; /* NULL when not seen */
    uint32_t len;
};

struct hs_ssh_side {
    struct hs_ssh_view banner;   /* identification line without its CR LF */
    struct hs_ssh_view version;  /* protoversion: "2.0" or "1.99" (or what refused it) */
    struct hs_ssh_view software; /* softwareversion: after "SSH-2.0-", up to a space or the end */
    size_t banner_offset;        /* where the identification line starts (after other lines) */
    size_t kexinit_offset;       /* where the KEXINIT packet starts (its packet_length) */
    size_t clear_end;            /* offset of the first encrypted byte (after NEWKEYS); else 0 */
    uint32_t packets;            /* binary packets walked in the clear */
    uint8_t cookie[HS_SSH_COOKIE_LEN];
    struct hs_ssh_view lists[HS_SSH_LISTS]; /* name-lists of the first KEXINIT, raw */
    bool first_kex_follows;                 /* first_kex_packet_follows */
    bool have_banner;
    bool have_kexinit;
    bool have_newkeys;
};

/*
 * X(name, counter name): how far a stream got, or why it was refused. INCOMPLETE is not an
 * error while bytes may still come; a caller that gives up on a stream in that state (the flow
 * ended, its buffer is full) counts it under "ssh_truncated".
 */
#define HS_SSH_STATUS_LIST(X)                                                                      \
    X(HS_SSH_OK, "ok")                                                                             \
    X(HS_SSH_INCOMPLETE, "ssh_truncated")                                                          \
    X(HS_SSH_NOT_SSH, "ssh_not_ssh")                                                               \
    X(HS_SSH_BANNER_TOO_LONG, "ssh_banner_too_long")                                               \
    X(HS_SSH_BAD_BANNER, "ssh_bad_banner")                                                         \
    X(HS_SSH_UNSUPPORTED_VERSION, "ssh_unsupported_version")                                       \
    X(HS_SSH_BAD_PACKET_LENGTH, "ssh_bad_packet_length")                                           \
    X(HS_SSH_BAD_PADDING, "ssh_bad_padding")                                                       \
    X(HS_SSH_BAD_KEXINIT, "ssh_bad_kexinit")                                                       \
    X(HS_SSH_BAD_NAME_LIST, "ssh_bad_name_list")                                                   \
    X(HS_SSH_NO_KEXINIT, "ssh_no_kexinit")

enum hs_ssh_status {
#define HS_SSH_STATUS_ENUM(name, counter) name,
    HS_SSH_STATUS_LIST(HS_SSH_STATUS_ENUM)
#undef HS_SSH_STATUS_ENUM
            HS_SSH_STATUS_COUNT
};

/*
 * hs_ssh_parse() - read one direction's stream, @len bytes from its first byte, up to and
 * including SSH_MSG_NEWKEYS. Fills @out (views point into @stream) and returns:
 * HS_SSH_OK                  NEWKEYS seen: out->clear_end is set, have_kexinit is true.
 * HS_SSH_INCOMPLETE          the bytes end before NEWKEYS; have_banner and have_kexinit say
 *                            what was read (a packet is read only once it is whole).
 * HS_SSH_NOT_SSH             no line starting "SSH-" within the first HS_SSH_PRE_BANNER_MAX
 *                            bytes, or bytes before it that are not text lines.
 * HS_SSH_BANNER_TOO_LONG     the identification line is over HS_SSH_BANNER_MAX bytes.
 * HS_SSH_BAD_BANNER          a control byte in it, or no '-' after the protoversion.
 * HS_SSH_UNSUPPORTED_VERSION protoversion other than "2.0" and "1.99" (SSH-1 packets differ).
 * HS_SSH_BAD_PACKET_LENGTH   packet_length 0 or over HS_SSH_PACKET_MAX.
 * HS_SSH_BAD_PADDING         padding_length leaves no payload in the packet.
 * HS_SSH_BAD_KEXINIT         a KEXINIT too short for its cookie or its last two fields.
 * HS_SSH_BAD_NAME_LIST       a name-list running out of the KEXINIT, or a byte in one that is
 *                            not printable US-ASCII (RFC 4251 6).
 * HS_SSH_NO_KEXINIT          NEWKEYS before any KEXINIT.
 * After a refusal @out holds what was read before it. Thread-safe; allocates nothing.
 */
enum hs_ssh_status hs_ssh_parse(const uint8_t *stream, size_t len, struct hs_ssh_side *out);

/* hs_ssh_status_name() - the counter name; "unknown" out of range. */
const char *hs_ssh_status_name(enum hs_ssh_status st);

/*
 * hs_ssh_hassh() - HASSH (client: @server false) or HASSH-server (@server true) of the KEXINIT
 * in @s, as salesforce/hassh defines them: the MD5 of the name-lists "kex;enc;mac;comp", the
 * last three those of the client-to-server direction for HASSH, server-to-client for
 * HASSH-server, each list as sent. Writes that string, NUL-ended, to @str (@cap bytes; the
 * stream's length always suffices) and its MD5 to @md5.
 * Returns 0; -EINVAL when @s has no KEXINIT; -EMSGSIZE when @str is too small (then @str is "");
 * -EIO when libcrypto fails. @d is used by one thread at a time.
 */
int hs_ssh_hassh(const struct hs_ssh_side *s, bool server, struct digest *d, char *str, size_t cap,
                 uint8_t md5[16]);

/* How an algorithm of struct hs_ssh_algs was chosen. */
enum hs_ssh_pick {
    HS_SSH_PICK_NONE = 0, /* no name in common: the connection cannot go on; name is "" */
    HS_SSH_PICK_MATCH,    /* the first name on the client's list that the server also lists */
    HS_SSH_PICK_AEAD,     /* a MAC made implicit by an AEAD cipher: name is the cipher's */
};

struct hs_ssh_alg {
    char name[HS_SSH_ALG_MAX]; /* NUL-ended; cut to 64 characters when longer */
    uint8_t pick;              /* enum hs_ssh_pick */
    bool cut;                  /* the name was longer than 64 characters */
};

struct hs_ssh_algs {
    struct hs_ssh_alg kex;
    struct hs_ssh_alg hostkey;
    struct hs_ssh_alg enc_c2s;
    struct hs_ssh_alg enc_s2c;
    struct hs_ssh_alg mac_c2s;
    struct hs_ssh_alg mac_s2c;
    struct hs_ssh_alg comp_c2s;
    struct hs_ssh_alg comp_s2c;
};

/*
 * hs_ssh_negotiate() - the algorithms @client and @server agree on (RFC 4253 7.1): for each,
 * the first name on the client's list that is also on the server's. When the cipher of a
 * direction is an AEAD one (chacha20-poly1305@openssh.com, aes128-gcm@openssh.com,
 * aes256-gcm@openssh.com, AEAD_AES_128_GCM, AEAD_AES_256_GCM) the MAC is not negotiated: that
 * direction's MAC is reported as the cipher's name with pick HS_SSH_PICK_AEAD. Only the first
 * HS_SSH_NAMES_MAX names of each list are looked at. Key exchange ignores the host-key
 * capability conditions of 7.1 (every host-key algorithm in use signs).
 * Returns 0, or -EINVAL when either side has no KEXINIT (then @out is all NONE).
 */
int hs_ssh_negotiate(const struct hs_ssh_side *client, const struct hs_ssh_side *server,
                     struct hs_ssh_algs *out);

#endif

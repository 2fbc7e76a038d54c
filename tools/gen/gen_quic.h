/*
 * Generator QUIC: version 1 packets as endpoints send them (RFC 9000, RFC 9001). Initial
 * packets are really protected, with the keys every observer can derive from the client's first
 * Destination Connection ID, so a sensor (or tshark) can decrypt them and read the TLS
 * handshake inside. Handshake, 0-RTT and 1-RTT packets carry random bytes in the right framing:
 * their keys come from a key exchange the generator does not perform, and random bytes are what
 * an observer without those keys sees.
 *
 * Cryptography is OpenSSL 3 libcrypto's (HKDF, AES-128-GCM, AES-128-ECB); nothing here is shared
 * with the sensor's QUIC code (issue 5: the generator is an independent source of truth for it).
 *
 * All functions write into the caller's buffer and keep no state; they are thread-safe for
 * distinct buffers and rngs. Length functions return 0 on bad input, when the packet does not
 * fit in @cap, or when libcrypto fails; @out's contents are then unspecified.
 */
#ifndef UMBRA_TOOLS_GEN_QUIC_H
#define UMBRA_TOOLS_GEN_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_rng;

#define GEN_QUIC_V1          0x00000001u
#define GEN_QUIC_CID_MAX     20    /* connection id bytes (RFC 9000 17.2) */
#define GEN_QUIC_ODCID_MIN   8     /* a client's first Destination Connection ID (7.2) */
#define GEN_QUIC_MIN_INITIAL 1200  /* client Initial datagrams are padded to this (14.1) */
#define GEN_QUIC_TAG_LEN     16    /* AEAD_AES_128_GCM tag */
#define GEN_QUIC_LONG_MAX    16383 /* the Length field is written as a 2-byte varint */

/* Initial packet protection material for one direction (RFC 9001 5.2). */
struct gen_quic_keys {
    uint8_t initial_secret[32]; /* HKDF-Extract(initial_salt, odcid), both directions */
    uint8_t secret[32];         /* client_initial_secret or server_initial_secret */
    uint8_t key[16];            /* AEAD key */
    uint8_t iv[12];             /* AEAD IV */
    uint8_t hp[16];             /* header protection key */
};

/* What goes into one Initial packet. Borrowed pointers are read during the call only. */
struct gen_quic_initial {
    bool from_server;     /* protect with the server's Initial keys rather than the client's */
    const uint8_t *odcid; /* the client's first Destination Connection ID: the keys of both
                           * directions derive from it (RFC 9001 5.2) */
    size_t odcid_len;     /* GEN_QUIC_ODCID_MIN..GEN_QUIC_CID_MAX */
    const uint8_t *dcid;  /* Destination Connection ID of this packet */
    size_t dcid_len;      /* 0..GEN_QUIC_CID_MAX */
    const uint8_t *scid;  /* Source Connection ID of this packet */
    size_t scid_len;      /* 0..GEN_QUIC_CID_MAX */
    const uint8_t *token; /* client: the Retry or NEW_TOKEN token; server: must be empty */
    size_t token_len;
    uint64_t packet_number;
    unsigned pn_len;       /* packet number bytes on the wire, 1..4; 0: the fewest that carry
                            * packet_number with no packet acknowledged yet (RFC 9000 17.1) */
    bool has_ack;          /* start with an ACK frame for packets 0..ack_largest */
    uint64_t ack_largest;  /* Largest Acknowledged */
    uint64_t ack_delay;    /* ACK Delay field as sent (microseconds >> ack_delay_exponent 3) */
    const uint8_t *crypto; /* CRYPTO frame data (TLS handshake bytes), or NULL for none */
    size_t crypto_len;
    uint64_t crypto_offset; /* offset of these bytes in the Initial crypto stream */
    size_t pad_to;          /* PADDING frames until the packet is at least this long; clients
                             * pass GEN_QUIC_MIN_INITIAL (less if coalescing more packets) */
};

/*
 * gen_quic_initial_keys() - the Initial secrets, key, IV and header protection key of one
 * direction for the client's first Destination Connection ID @odcid (RFC 9001 5.2, 5.1).
 * Returns 0; -EINVAL if @out is NULL or @odcid_len is outside GEN_QUIC_ODCID_MIN..
 * GEN_QUIC_CID_MAX; -EIO if libcrypto fails.
 */
int gen_quic_initial_keys(const uint8_t *odcid, size_t odcid_len, bool from_server,
                          struct gen_quic_keys *out);

/*
 * gen_quic_initial() - a protected Initial packet (RFC 9000 17.2.2, RFC 9001 5): long header,
 * then an ACK frame if asked, a CRYPTO frame if there are crypto bytes, and PADDING up to
 * @in->pad_to (and up to what header protection needs to sample, RFC 9001 5.4.2). The Length
 * field is always two bytes, as most stacks write it.
 *
 * Returns the packet's length; 0 if an argument is out of range (see the struct), the packet
 * would exceed GEN_QUIC_LONG_MAX or @cap, or libcrypto fails.
 */
size_t gen_quic_initial(uint8_t *out, size_t cap, const struct gen_quic_initial *in);

/* Long-header packet types carrying random bytes (RFC 9000 17.2). */
enum gen_quic_long_type {
    GEN_QUIC_0RTT = 1,
    GEN_QUIC_HANDSHAKE = 2,
};

/*
 * gen_quic_long_random() - a @len-byte long-header packet of @type: the header in clear (fixed
 * bit set, version 1, the connection ids, the Length of the rest) and random bytes where the
 * protected first-byte bits, packet number, payload and tag would be. Returns @len; 0 if a
 * connection id is longer than GEN_QUIC_CID_MAX, @type is not one of the above, @len is too
 * short for a packet number, header protection sample and tag (header + 20) or too long for
 * the Length field, or @len exceeds @cap.
 */
size_t gen_quic_long_random(uint8_t *out, size_t cap, enum gen_quic_long_type type,
                            const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
                            size_t scid_len, size_t len, struct gen_rng *rng);

/*
 * gen_quic_short() - a @len-byte 1-RTT packet (RFC 9000 17.3.1): header form 0, fixed bit 1,
 * the other first-byte bits random (spin bit per RFC 9000 17.4's advice for endpoints that do
 * not spin; the rest are header-protected), the @dcid_len-byte Destination Connection ID, then
 * random bytes. Returns @len; 0 if @dcid_len exceeds GEN_QUIC_CID_MAX, @len is shorter than
 * 1 + @dcid_len + 20 (packet number, sample and tag) or exceeds @cap.
 */
size_t gen_quic_short(uint8_t *out, size_t cap, const uint8_t *dcid, size_t dcid_len, size_t len,
                      struct gen_rng *rng);

#endif

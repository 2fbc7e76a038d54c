/*
 * Generator SMB2/3. This module owns the SMB2 wire format the generator emits for the start of
 * a session and for encrypted traffic after it: the Direct TCP framing, the 64-byte SMB2
 * header, NEGOTIATE with SMB 3.1.1 negotiate contexts, SESSION_SETUP, TREE_CONNECT and the
 * TRANSFORM_HEADER. It does not own authentication (the tokens are opaque random bytes in a
 * minimal SPNEGO wrapper), cryptography (signatures and ciphertext are random) or what happens
 * inside an encrypted session (the caller sizes it).
 *
 * SMB2 fields are little-endian ([MS-SMB2] 2.2: "unless otherwise specified"); the Direct TCP
 * length and all of SPNEGO's DER are big-endian.
 */
#include "tools/gen/gen_smb.h"

#include "tools/gen/gen_buf.h"

#include <string.h>

#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_spnego.h"

#define HDR_LEN       64 /* [MS-SMB2] 2.2.1.2 */
#define NBT_LEN       4  /* Direct TCP transport header */
#define PATH_MAX_CH   1000
#define FILETIME_1970 116444736000000000ull /* 100 ns ticks from 1601-01-01 to 1970-01-01 */

/* Commands ([MS-SMB2] 2.2.1.2). */
enum {
    CMD_NEGOTIATE = 0,
    CMD_SESSION_SETUP = 1,
    CMD_TREE_CONNECT = 3,
};

/* Header flags. */
enum {
    FLAG_SERVER_TO_REDIR = 0x1,
    FLAG_SIGNED = 0x8,
};

/* Dialects offered by a Windows 10/11 client, oldest first ([MS-SMB2] 2.2.3). */
static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

/* SMB2 fields count offsets from the SMB2 header, NBT_LEN bytes into the buffer. */

/* Offset from the start of the SMB2 header, as SMB2 fields count it. */
static size_t smb_off(const struct gen_buf *b)
{
    return b->len - NBT_LEN;
}

/* Zero bytes up to the next multiple of 8 from the SMB2 header ([MS-SMB2] 2.2.3.1: each
 * negotiate context starts 8-byte aligned). */
static void align8(struct gen_buf *b)
{
    gen_buf_zeros(b, (8 - smb_off(b) % 8) % 8);
}

/* The Direct TCP header's length: a zero byte, then 24 bits big-endian ([MS-SMB2] 2.1). */
static size_t finish(struct gen_buf *b)
{
    if (b->err || b->len - NBT_LEN > GEN_SMB_STREAM_MAX)
        return 0;
    gen_buf_patch_be(b, 0, b->len - NBT_LEN, NBT_LEN);
    return b->len;
}

struct hdr {
    uint16_t command;
    uint16_t credit_charge;
    uint16_t credits; /* CreditRequest in requests, CreditResponse in responses */
    uint32_t status;
    uint32_t flags;
    uint64_t message_id;
    uint32_t tree_id;
    uint64_t session_id;
};

/* The Direct TCP header (patched by finish()) and the sync SMB2 header ([MS-SMB2] 2.2.1.2). */
static void put_header(struct gen_buf *b, const struct hdr *h, struct gen_rng *rng)
{
    gen_buf_zeros(b, NBT_LEN);
    gen_buf_bytes(b, "\xfeSMB", 4);
    gen_buf_le(b, HDR_LEN, 2); /* StructureSize */
    gen_buf_le(b, h->credit_charge, 2);
    gen_buf_le(b, h->status, 4); /* ChannelSequence/Reserved in requests: 0 */
    gen_buf_le(b, h->command, 2);
    gen_buf_le(b, h->credits, 2);
    gen_buf_le(b, h->flags, 4);
    gen_buf_le(b, 0, 4); /* NextCommand: no compounding */
    gen_buf_le(b, h->message_id, 8);
    gen_buf_le(b, 0xfeff, 4); /* Reserved (ProcessId): the value Windows puts there */
    gen_buf_le(b, h->tree_id, 4);
    gen_buf_le(b, h->session_id, 8);
    if (h->flags & FLAG_SIGNED)
        gen_buf_random(b, 16, rng);
    else
        gen_buf_zeros(b, 16);
}

/* Encryption ciphers ([MS-SMB2] 2.2.3.1.2): AES-128-GCM (2), AES-128-CCM (1). */
static const uint16_t ciphers_offered[] = {0x0002, 0x0001};

/*
 * The two negotiate contexts, each behind ContextType, DataLength and 4 reserved bytes:
 * SMB2_PREAUTH_INTEGRITY_CAPABILITIES (2.2.3.1.1): one hash, SHA-512 (1), and a 32-byte salt,
 * as Windows sends (DataLength 2 + 2 + 2 + 32 = 38); then 8-byte alignment and
 * SMB2_ENCRYPTION_CAPABILITIES (2.2.3.1.2) with the first @n of @ciphers. Client and server
 * send the same shape, each with a salt of its own.
 */
static void put_contexts(struct gen_buf *b, const uint16_t *ciphers, size_t n, struct gen_rng *rng)
{
    gen_buf_le(b, 0x0001, 2);
    gen_buf_le(b, 38, 2);
    gen_buf_le(b, 0, 4);
    gen_buf_le(b, 1, 2);  /* HashAlgorithmCount */
    gen_buf_le(b, 32, 2); /* SaltLength */
    gen_buf_le(b, 0x0001, 2);
    gen_buf_random(b, 32, rng);
    align8(b);
    gen_buf_le(b, 0x0002, 2);
    gen_buf_le(b, 2 + 2 * n, 2);
    gen_buf_le(b, 0, 4);
    gen_buf_le(b, n, 2); /* CipherCount */
    for (size_t i = 0; i < n; i++)
        gen_buf_le(b, ciphers[i], 2);
}

size_t gen_smb_negotiate_request(uint8_t *out, size_t cap, uint64_t message_id, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    struct hdr h = {.command = CMD_NEGOTIATE, .credits = 1, .message_id = message_id};
    put_header(&b, &h, rng);
    size_t n = sizeof dialects / sizeof dialects[0];
    gen_buf_le(&b, 36, 2);          /* StructureSize */
    gen_buf_le(&b, (uint16_t)n, 2); /* DialectCount */
    gen_buf_le(&b, 0x0001, 2);      /* SecurityMode: SIGNING_ENABLED */
    gen_buf_le(&b, 0, 2);           /* Reserved */
    gen_buf_le(&b, 0x7f, 4);        /* Capabilities: DFS .. ENCRYPTION, all seven client bits */
    gen_buf_random(&b, GEN_SMB_GUID_LEN, rng); /* ClientGuid */
    size_t ctx_off_at = b.len;
    gen_buf_le(&b, 0, 4); /* NegotiateContextOffset, patched */
    gen_buf_le(&b, 2, 2); /* NegotiateContextCount */
    gen_buf_le(&b, 0, 2); /* Reserved2 */
    for (size_t i = 0; i < n; i++)
        gen_buf_le(&b, dialects[i], 2);
    align8(&b);
    gen_buf_patch_le(&b, ctx_off_at, (uint32_t)smb_off(&b), 4);

    put_contexts(&b, ciphers_offered, 2, rng); /* AES-128-GCM preferred, AES-128-CCM */
    return finish(&b);
}

size_t gen_smb_negotiate_response(uint8_t *out, size_t cap, uint64_t message_id,
                                  const uint8_t *server_guid, uint64_t now_ns, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    struct hdr h = {.command = CMD_NEGOTIATE,
                    .credits = 1,
                    .flags = FLAG_SERVER_TO_REDIR,
                    .message_id = message_id};
    put_header(&b, &h, rng);
    gen_buf_le(&b, 65, 2);     /* StructureSize: 64 fixed bytes and the first of the buffer */
    gen_buf_le(&b, 0x0001, 2); /* SecurityMode: SIGNING_ENABLED */
    gen_buf_le(&b, 0x0311, 2); /* DialectRevision */
    gen_buf_le(&b, 2, 2);      /* NegotiateContextCount */
    if (server_guid != NULL)
        gen_buf_bytes(&b, server_guid, GEN_SMB_GUID_LEN);
    else
        gen_buf_random(&b, GEN_SMB_GUID_LEN, rng);
    /* DFS, LEASING, LARGE_MTU, MULTI_CHANNEL, DIRECTORY_LEASING; with 3.1.1 encryption is
     * negotiated by context, not by the ENCRYPTION capability ([MS-SMB2] 3.3.5.4) */
    gen_buf_le(&b, 0x2f, 4);
    gen_buf_le(&b, 8388608, 4); /* MaxTransactSize, MaxReadSize, MaxWriteSize: 8 MiB */
    gen_buf_le(&b, 8388608, 4);
    gen_buf_le(&b, 8388608, 4);
    gen_buf_le(&b, now_ns / 100 + FILETIME_1970, 8); /* SystemTime */
    gen_buf_le(&b, 0, 8);                            /* ServerStartTime: 0 from current Windows */
    gen_buf_le(&b, HDR_LEN + 64, 2); /* SecurityBufferOffset: right after the 64 fixed bytes */
    size_t len_at = b.len;
    gen_buf_le(&b, 0, 2); /* SecurityBufferLength, patched */
    size_t ctx_off_at = b.len;
    gen_buf_le(&b, 0, 4);
    /* the mechanisms a domain member's server offers, MS Kerberos first (gen_spnego.h) */
    size_t blob = gen_spnego_init(&b, 0, NULL);
    gen_buf_patch_le(&b, len_at, (uint16_t)blob, 2);
    align8(&b);
    gen_buf_patch_le(&b, ctx_off_at, (uint32_t)smb_off(&b), 4);
    put_contexts(&b, ciphers_offered, 1, rng); /* the one cipher chosen, AES-128-GCM */
    return finish(&b);
}

/* Tokens are at least the two bytes every mechanism's token starts with (a TOK_ID or a DER
 * tag and length); shorter ones are no real token, and dissectors reading two bytes fault. */
static int token_len_ok(size_t n, int may_be_empty)
{
    return (n == 0 && may_be_empty) || (n >= 2 && n <= GEN_SMB_TOKEN_MAX);
}

size_t gen_smb_session_setup_request(uint8_t *out, size_t cap, uint64_t message_id,
                                     uint64_t session_id, size_t token_len, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || !token_len_ok(token_len, 0))
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    struct hdr h = {.command = CMD_SESSION_SETUP,
                    .credit_charge = 1,
                    .credits = 31,
                    .message_id = message_id,
                    .session_id = session_id};
    put_header(&b, &h, rng);
    gen_buf_le(&b, 25, 2);           /* StructureSize */
    gen_buf_le(&b, 0, 1);            /* Flags: not a channel binding */
    gen_buf_le(&b, 0x01, 1);         /* SecurityMode: SIGNING_ENABLED */
    gen_buf_le(&b, 0x01, 4);         /* Capabilities: DFS */
    gen_buf_le(&b, 0, 4);            /* Channel */
    gen_buf_le(&b, HDR_LEN + 24, 2); /* SecurityBufferOffset: after the 24 fixed bytes */
    size_t len_at = b.len;
    gen_buf_le(&b, 0, 2); /* SecurityBufferLength, patched */
    gen_buf_le(&b, 0, 8); /* PreviousSessionId */
    size_t blob = gen_spnego_resp(&b, token_len, false, rng);
    gen_buf_patch_le(&b, len_at, (uint16_t)blob, 2);
    return finish(&b);
}

size_t gen_smb_session_setup_response(uint8_t *out, size_t cap, uint64_t message_id,
                                      uint64_t session_id, size_t token_len, struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || !token_len_ok(token_len, 1))
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    /* The final leg is signed with the new session's key ([MS-SMB2] 3.3.5.5.3). */
    struct hdr h = {.command = CMD_SESSION_SETUP,
                    .credit_charge = 1,
                    .credits = 31,
                    .flags = FLAG_SERVER_TO_REDIR | FLAG_SIGNED,
                    .message_id = message_id,
                    .session_id = session_id};
    put_header(&b, &h, rng);
    gen_buf_le(&b, 9, 2); /* StructureSize */
    gen_buf_le(&b, 0, 2); /* SessionFlags: neither guest nor null; encryption is per share here */
    gen_buf_le(&b, HDR_LEN + 8, 2); /* SecurityBufferOffset */
    size_t len_at = b.len;
    gen_buf_le(&b, 0, 2);
    size_t blob = gen_spnego_resp(&b, token_len, true, rng);
    gen_buf_patch_le(&b, len_at, (uint16_t)blob, 2);
    return finish(&b);
}

static int name_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if (*s < 0x20 || *s > 0x7e || *s == '\\')
            return 0;
    }
    return 1;
}

/* ASCII into UTF-16LE: each character is one code unit with a zero high byte. */
static void put_utf16(struct gen_buf *b, const char *s)
{
    for (; *s != '\0'; s++)
        gen_buf_le(b, (uint16_t)(unsigned char)*s, 2);
}

size_t gen_smb_tree_connect_request(uint8_t *out, size_t cap, uint64_t message_id,
                                    uint64_t session_id, const char *server, const char *share,
                                    struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || !name_ok(server) || !name_ok(share))
        return 0;
    size_t chars = 2 + strlen(server) + 1 + strlen(share); /* \\server\share */
    if (chars > PATH_MAX_CH)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    struct hdr h = {.command = CMD_TREE_CONNECT,
                    .credit_charge = 1,
                    .credits = 31,
                    .flags = FLAG_SIGNED,
                    .message_id = message_id,
                    .session_id = session_id};
    put_header(&b, &h, rng);
    gen_buf_le(&b, 9, 2);                     /* StructureSize */
    gen_buf_le(&b, 0, 2);                     /* Flags/Reserved */
    gen_buf_le(&b, HDR_LEN + 8, 2);           /* PathOffset */
    gen_buf_le(&b, (uint16_t)(chars * 2), 2); /* PathLength in bytes, no terminator */
    put_utf16(&b, "\\\\");
    put_utf16(&b, server);
    put_utf16(&b, "\\");
    put_utf16(&b, share);
    return finish(&b);
}

size_t gen_smb_tree_connect_response(uint8_t *out, size_t cap, uint64_t message_id,
                                     uint64_t session_id, uint32_t tree_id, unsigned flags,
                                     struct gen_rng *rng)
{
    if (out == NULL || rng == NULL ||
        (flags & ~(unsigned)(GEN_SMB_SHARE_PIPE | GEN_SMB_SHARE_ENCRYPT)))
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    struct hdr h = {.command = CMD_TREE_CONNECT,
                    .credit_charge = 1,
                    .credits = 31,
                    .flags = FLAG_SERVER_TO_REDIR | FLAG_SIGNED,
                    .message_id = message_id,
                    .tree_id = tree_id,
                    .session_id = session_id};
    put_header(&b, &h, rng);
    gen_buf_le(&b, 16, 2);                                         /* StructureSize */
    gen_buf_le(&b, flags & GEN_SMB_SHARE_PIPE ? 0x02 : 0x01, 1);   /* ShareType: PIPE or DISK */
    gen_buf_le(&b, 0, 1);                                          /* Reserved */
    gen_buf_le(&b, flags & GEN_SMB_SHARE_ENCRYPT ? 0x8000 : 0, 4); /* ShareFlags: ENCRYPT_DATA */
    gen_buf_le(&b, 0, 4);                                          /* Capabilities */
    gen_buf_le(&b, 0x001f01ff, 4); /* MaximalAccess: every standard and file-specific right */
    return finish(&b);
}

size_t gen_smb_encrypted_head(uint8_t *out, size_t cap, uint64_t session_id, size_t payload_len,
                              struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || payload_len == 0 ||
        payload_len > GEN_SMB_STREAM_MAX - GEN_SMB_TRANSFORM_LEN)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    gen_buf_be(&b, GEN_SMB_TRANSFORM_LEN + payload_len, NBT_LEN); /* Direct TCP: all of it */
    gen_buf_bytes(&b, "\xfdSMB", 4);
    gen_buf_random(&b, 16, rng);              /* Signature: the AES-GCM tag */
    gen_buf_random(&b, 12, rng);              /* Nonce: 12 bytes for AES-GCM ... */
    gen_buf_zeros(&b, 4);                     /* ... and 4 reserved zero bytes */
    gen_buf_le(&b, (uint32_t)payload_len, 4); /* OriginalMessageSize */
    gen_buf_le(&b, 0, 2);                     /* Reserved */
    gen_buf_le(&b, 0x0001, 2);                /* Flags: Encrypted (3.1.1) */
    gen_buf_le(&b, session_id, 8);
    return b.err ? 0 : b.len;
}

size_t gen_smb_encrypted(uint8_t *out, size_t cap, uint64_t session_id, size_t payload_len,
                         struct gen_rng *rng)
{
    size_t head = gen_smb_encrypted_head(out, cap, session_id, payload_len, rng);
    if (head == 0 || payload_len > cap - head)
        return 0;
    gen_rng_fill(rng, out + head, payload_len);
    return head + payload_len;
}

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

/*
 * The negotiate response's security buffer: a GSS-API InitialContextToken (RFC 2743 3.1) for
 * SPNEGO (RFC 4178 4.2.1) whose negTokenInit lists the mechanisms a domain member offers:
 *   60 32                        [APPLICATION 0], 50 bytes
 *     06 06 2b0601050502         OID 1.3.6.1.5.5.2 (SPNEGO)
 *     a0 28                      [0] negTokenInit, 40 bytes
 *       30 26                    NegTokenInit SEQUENCE, 38 bytes
 *         a0 24                  [0] mechTypes, 36 bytes
 *           30 22                SEQUENCE OF, 34 bytes = 11 + 11 + 12
 *             06 09 2a864882f712010202   1.2.840.48018.1.2.2 (MS Kerberos; 48018 = 0x82f712)
 *             06 09 2a864886f712010202   1.2.840.113554.1.2.2 (Kerberos 5; 113554 = 0x86f712)
 *             06 0a 2b0601040182370202 0a 1.3.6.1.4.1.311.2.2.10 (NTLMSSP; 311 = 0x8237)
 */
static const uint8_t neg_token_init[] = {
        0x60, 0x32, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x28, 0x30,
        0x26, 0xa0, 0x24, 0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12,
        0x01, 0x02, 0x02, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02,
        0x02, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
};

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
    gen_buf_le(&b, sizeof neg_token_init, 2);
    size_t ctx_off_at = b.len;
    gen_buf_le(&b, 0, 4);
    gen_buf_bytes(&b, neg_token_init, sizeof neg_token_init);
    align8(&b);
    gen_buf_patch_le(&b, ctx_off_at, (uint32_t)smb_off(&b), 4);
    put_contexts(&b, ciphers_offered, 1, rng); /* the one cipher chosen, AES-128-GCM */
    return finish(&b);
}

/* negState [0] ENUMERATED accept-completed (0): a0 03 0a 01 00 (RFC 4178 4.2.2) */
static const uint8_t neg_state_completed[] = {0xa0, 0x03, 0x0a, 0x01, 0x00};

/*
 * A SPNEGO negTokenResp (RFC 4178 4.2.2) around @token_len random bytes:
 *   a1 L  [1] NegotiationToken.negTokenResp
 *     30 L  NegTokenResp SEQUENCE
 *       (a0 03 0a 01 00  negState accept-completed, when @completed)
 *       (a2 L  [2] responseToken, when @token_len > 0
 *         04 L  OCTET STRING, the token)
 * The token's mechanism is left unnamed (no supportedMech), so no dissector is told to take
 * the random bytes for a Kerberos message. Returns the blob's length.
 */
static size_t put_neg_token_resp(struct gen_buf *b, size_t token_len, int completed,
                                 struct gen_rng *rng)
{
    size_t start = b->len;
    size_t resp = gen_der_open(b, 0xa1);
    size_t seq = gen_der_open(b, 0x30);
    if (completed)
        gen_buf_bytes(b, neg_state_completed, sizeof neg_state_completed);
    if (token_len > 0) {
        size_t resp_token = gen_der_open(b, 0xa2);
        gen_buf_be(b, 0x04, 1);
        gen_der_len(b, token_len);
        gen_buf_random(b, token_len, rng);
        gen_der_close(b, resp_token);
    }
    gen_der_close(b, seq);
    gen_der_close(b, resp);
    /* A dissector that guesses the mechanism (Wireshark takes the negotiate response's first,
     * Kerberos) reads the token's first bytes as a GSS framing byte (0x60), a raw AP-REQ or
     * AP-REP tag (0x6e, 0x6f) or a little-endian RFC 1964/4121 TOK_ID (first byte 0x01..0x05);
     * a first byte with the top bit set is none of these, so random bytes stay opaque. */
    if (token_len > 0 && !b->err)
        b->p[b->len - token_len] |= 0x80; /* the token ends the blob */
    return b->len - start;
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
    size_t blob = put_neg_token_resp(&b, token_len, 0, rng);
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
    size_t blob = put_neg_token_resp(&b, token_len, 1, rng);
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

size_t gen_smb_encrypted(uint8_t *out, size_t cap, uint64_t session_id, size_t payload_len,
                         struct gen_rng *rng)
{
    if (out == NULL || rng == NULL || payload_len == 0 ||
        payload_len > GEN_SMB_STREAM_MAX - GEN_SMB_TRANSFORM_LEN)
        return 0;
    struct gen_buf b;
    gen_buf_init(&b, out, cap);
    gen_buf_zeros(&b, NBT_LEN);
    gen_buf_bytes(&b, "\xfdSMB", 4);
    gen_buf_random(&b, 16, rng);              /* Signature: the AES-GCM tag */
    gen_buf_random(&b, 12, rng);              /* Nonce: 12 bytes for AES-GCM ... */
    gen_buf_zeros(&b, 4);                     /* ... and 4 reserved zero bytes */
    gen_buf_le(&b, (uint32_t)payload_len, 4); /* OriginalMessageSize */
    gen_buf_le(&b, 0, 2);                     /* Reserved */
    gen_buf_le(&b, 0x0001, 2);                /* Flags: Encrypted (3.1.1) */
    gen_buf_le(&b, session_id, 8);
    gen_buf_random(&b, payload_len, rng);
    return finish(&b);
}

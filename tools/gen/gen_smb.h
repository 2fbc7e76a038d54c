/*
 * Generator SMB2/3 ([MS-SMB2]) as it crosses TCP port 445: every message behind the 4-byte
 * Direct TCP transport header ([MS-SMB2] 2.1). The clear-text start of an SMB 3.1.1 session
 * (NEGOTIATE with its negotiate contexts, SESSION_SETUP, TREE_CONNECT), then encrypted
 * messages: an SMB2 TRANSFORM_HEADER followed by random bytes standing for the ciphertext.
 *
 * Authentication tokens are opaque here: a session setup carries a minimal SPNEGO negTokenResp
 * (RFC 4178 4.2.2) whose responseToken is random bytes of the caller's length, standing for a
 * Kerberos AP-REQ or AP-REP, so the sizes are real while nothing pretends to be a valid ticket.
 *
 * Written from [MS-SMB2] (2.1, 2.2.1.2, 2.2.3-2.2.6, 2.2.9, 2.2.10, 2.2.41), [MS-SPNG] and
 * RFC 4178, sharing nothing with the sensor (issue 5). Every function writes into the caller's
 * buffer, keeps no state and draws its randomness from the caller's rng; those returning a
 * length return 0 when the output does not fit in @cap or an argument is invalid. Thread-safe
 * for distinct rngs and buffers.
 */
#ifndef UMBRA_TOOLS_GEN_SMB_H
#define UMBRA_TOOLS_GEN_SMB_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng;

#define GEN_SMB_GUID_LEN      16
#define GEN_SMB_TRANSFORM_LEN 52        /* [MS-SMB2] 2.2.41 */
#define GEN_SMB_TOKEN_MAX     60000     /* SecurityBufferLength is 16 bits, less the wrapper */
#define GEN_SMB_STREAM_MAX    0xffffffu /* Direct TCP: a 24-bit length ([MS-SMB2] 2.1) */

/* Flags for gen_smb_tree_connect_response(). */
enum {
    GEN_SMB_SHARE_PIPE = 1,    /* a named-pipe share (IPC$) rather than a disk */
    GEN_SMB_SHARE_ENCRYPT = 2, /* SMB2_SHAREFLAG_ENCRYPT_DATA: later messages are encrypted */
};

/*
 * gen_smb_negotiate_request() - a Windows-style NEGOTIATE request ([MS-SMB2] 2.2.3): dialects
 * 2.0.2, 2.1, 3.0, 3.0.2 and 3.1.1, signing enabled, every client capability, a random client
 * GUID, and the SMB 3.1.1 negotiate contexts: preauth integrity (SHA-512 with a 32-byte random
 * salt) and encryption capabilities (AES-128-GCM, then AES-128-CCM).
 *
 * Return: the bytes written (Direct TCP header included), or 0 if @rng is NULL or they do not
 * fit in @cap.
 */
size_t gen_smb_negotiate_request(uint8_t *out, size_t cap, uint64_t message_id,
                                 struct gen_rng *rng);

/*
 * gen_smb_negotiate_response() - a server's NEGOTIATE response ([MS-SMB2] 2.2.4) choosing
 * dialect 3.1.1: @server_guid (GEN_SMB_GUID_LEN bytes; NULL draws a random one, but a server
 * keeps one GUID), the system time @now_ns (Unix ns) as a FILETIME, 8 MiB transact/read/write
 * sizes, an SPNEGO negTokenInit listing MS Kerberos, Kerberos and NTLMSSP as the security
 * buffer, and negotiate contexts selecting SHA-512 (random salt) and AES-128-GCM.
 *
 * Return: the bytes written, or 0 if @rng is NULL or they do not fit in @cap.
 */
size_t gen_smb_negotiate_response(uint8_t *out, size_t cap, uint64_t message_id,
                                  const uint8_t *server_guid, uint64_t now_ns, struct gen_rng *rng);

/*
 * gen_smb_session_setup_request() - SESSION_SETUP request ([MS-SMB2] 2.2.5) on session
 * @session_id (0 on the first leg) whose security buffer is a SPNEGO negTokenResp around
 * @token_len random bytes (a Kerberos AP-REQ from a Windows client is 1.5 to 2.5 kB).
 *
 * Return: the bytes written, or 0 if @rng is NULL, @token_len is below 2 (no mechanism's token
 * is shorter) or above GEN_SMB_TOKEN_MAX, or they do not fit in @cap.
 */
size_t gen_smb_session_setup_request(uint8_t *out, size_t cap, uint64_t message_id,
                                     uint64_t session_id, size_t token_len, struct gen_rng *rng);

/*
 * gen_smb_session_setup_response() - the server's final SESSION_SETUP response ([MS-SMB2]
 * 2.2.6): STATUS_SUCCESS, session @session_id, signed (random signature), with a negTokenResp
 * (negState accept-completed) around @token_len random bytes (a Kerberos AP-REP, about 150);
 * with @token_len 0 the negTokenResp holds negState alone, as when no token is returned.
 *
 * Return: as gen_smb_session_setup_request(), except that @token_len may be 0.
 */
size_t gen_smb_session_setup_response(uint8_t *out, size_t cap, uint64_t message_id,
                                      uint64_t session_id, size_t token_len, struct gen_rng *rng);

/*
 * gen_smb_tree_connect_request() - TREE_CONNECT request ([MS-SMB2] 2.2.9) for
 * "\\@server\@share" in UTF-16LE, signed. @server and @share are printable ASCII without '\'.
 *
 * Return: the bytes written, or 0 if @rng, @server or @share is NULL or invalid (empty, not
 * printable ASCII, or a path of more than 1000 characters) or they do not fit in @cap.
 */
size_t gen_smb_tree_connect_request(uint8_t *out, size_t cap, uint64_t message_id,
                                    uint64_t session_id, const char *server, const char *share,
                                    struct gen_rng *rng);

/*
 * gen_smb_tree_connect_response() - TREE_CONNECT response ([MS-SMB2] 2.2.10) giving tree
 * @tree_id, signed: a disk share (or with GEN_SMB_SHARE_PIPE a pipe share), full maximal
 * access, and with GEN_SMB_SHARE_ENCRYPT the share flag that makes the client encrypt.
 *
 * Return: the bytes written, or 0 if @rng is NULL, @flags has unknown bits or they do not fit
 * in @cap.
 */
size_t gen_smb_tree_connect_response(uint8_t *out, size_t cap, uint64_t message_id,
                                     uint64_t session_id, uint32_t tree_id, unsigned flags,
                                     struct gen_rng *rng);

/*
 * gen_smb_encrypted() - an encrypted message ([MS-SMB2] 2.2.41): TRANSFORM_HEADER (0xFD 'S'
 * 'M' 'B', random 16-byte signature, AES-GCM nonce of 12 random bytes and 4 zero, the
 * OriginalMessageSize @payload_len, Flags 1 = encrypted, @session_id), then @payload_len
 * random bytes.
 *
 * Return: the bytes written, or 0 if @rng is NULL, @payload_len is 0 or too large for the
 * Direct TCP length, or they do not fit in @cap.
 */
size_t gen_smb_encrypted(uint8_t *out, size_t cap, uint64_t session_id, size_t payload_len,
                         struct gen_rng *rng);

/*
 * gen_smb_encrypted_head() - the first NBT + GEN_SMB_TRANSFORM_LEN bytes of what
 * gen_smb_encrypted() writes, for a message whose @payload_len random bytes the caller sends
 * after them without holding them (a megabyte of file data). The Direct TCP length counts them.
 *
 * Return: the bytes written (56), or 0 as gen_smb_encrypted().
 */
size_t gen_smb_encrypted_head(uint8_t *out, size_t cap, uint64_t session_id, size_t payload_len,
                              struct gen_rng *rng);

#endif

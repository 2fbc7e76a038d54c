/*
 * Generator SSH: the clear-text start of an SSH connection as five real implementations put it
 * on the wire: the identification string, SSH_MSG_KEXINIT with each one's algorithm lists in
 * its own order, the ECDH-style key exchange (curve25519-sha256, or OpenSSH's sntrup761x25519
 * hybrid, which uses the same message numbers) and SSH_MSG_NEWKEYS. Everything after NEWKEYS is
 * encrypted, and the caller fills it with random bytes of the right sizes.
 *
 * Written from RFC 4253 (transport), 4250 (numbers), 5656 (ECDH messages, ECDSA keys), 8731
 * (curve25519-sha256), 8709 (ssh-ed25519), 8308 (ext-info) and OpenSSH's PROTOCOL file
 * (kex-strict), with the algorithm lists taken from the implementations' defaults and from
 * published client and server logs. Shares nothing with the sensor's parsers (issue 5).
 *
 * Every function writes into the caller's buffer, keeps no state and draws its randomness
 * (cookie, keys, signatures, padding) from the caller's rng. Functions returning a length
 * return 0 when the output does not fit in @cap or an argument is invalid. They are thread-safe
 * for distinct rngs and buffers.
 */
#ifndef UMBRA_TOOLS_GEN_SSH_H
#define UMBRA_TOOLS_GEN_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_rng;

/* The implementations (exact versions and lists are in gen_ssh.c's profile table). */
enum gen_ssh_profile {
    GEN_SSH_OPENSSH9_CLIENT, /* OpenSSH 9.6p1 client, Ubuntu 24.04 */
    GEN_SSH_OPENSSH9_SERVER, /* OpenSSH 9.2p1 server, Debian 12 (Debian-2+deb12u3) */
    GEN_SSH_PUTTY,           /* PuTTY 0.81 client */
    GEN_SSH_PARAMIKO,        /* Paramiko 3.4.0 client */
    GEN_SSH_WIN32_OPENSSH,   /* OpenSSH_for_Windows_8.1, the client built into Windows 10/11 */
    GEN_SSH_PROFILES
};

/* The key exchanges this module can write (both use messages 30 and 31). */
enum gen_ssh_kex {
    GEN_SSH_KEX_CURVE25519,      /* curve25519-sha256 (RFC 8731), also the @libssh.org name */
    GEN_SSH_KEX_SNTRUP761X25519, /* sntrup761x25519-sha512@openssh.com */
};

/* The host key types this module can write. */
enum gen_ssh_hostkey {
    GEN_SSH_HOSTKEY_ED25519,    /* ssh-ed25519 (RFC 8709) */
    GEN_SSH_HOSTKEY_ECDSA_P256, /* ecdsa-sha2-nistp256 (RFC 5656) */
};

#define GEN_SSH_MSG_MAX 4096 /* room for any message these functions write */

/*
 * gen_ssh_profile_name() - the profile's short name ("openssh9-client", "openssh9-server",
 * "putty", "paramiko", "win32-openssh"), or NULL if @p is not a profile.
 */
const char *gen_ssh_profile_name(enum gen_ssh_profile p);

/*
 * gen_ssh_profile_parse() - the profile called @name (as gen_ssh_profile_name() spells it) into
 * *@out. Returns 0, or -EINVAL if @name is NULL or names no profile (*@out is then untouched).
 */
int gen_ssh_profile_parse(const char *name, enum gen_ssh_profile *out);

/* gen_ssh_profile_is_server() - whether @p is a server (false too for a non-profile). */
bool gen_ssh_profile_is_server(enum gen_ssh_profile p);

/*
 * gen_ssh_banner() - the identification string (RFC 4253 4.2): "SSH-2.0-", the profile's
 * software version and comments, CR LF. @rng is not used and may be NULL.
 *
 * Return: the bytes written, or 0 if @p is not a profile or it does not fit in @cap.
 */
size_t gen_ssh_banner(uint8_t *out, size_t cap, enum gen_ssh_profile p, struct gen_rng *rng);

/*
 * gen_ssh_kexinit() - SSH_MSG_KEXINIT (RFC 4253 7.1) of profile @p as a binary packet (RFC 4253
 * 6, no MAC: none is negotiated yet): a random 16-byte cookie, the profile's ten name-lists
 * (including the ext-info-c and kex-strict-c/s-v00@openssh.com markers where that version sends
 * them), first_kex_packet_follows FALSE and a zero reserved field; padded with random bytes to
 * a multiple of 8, at least 4 of them.
 *
 * Return: the packet length (a little over 1 kB for the OpenSSH client), or 0 if @p is not a
 * profile, @rng is NULL or the packet does not fit in @cap.
 */
size_t gen_ssh_kexinit(uint8_t *out, size_t cap, enum gen_ssh_profile p, struct gen_rng *rng);

/*
 * gen_ssh_kex_negotiate() - what a connection from @client to @server agrees on (RFC 4253
 * 7.1: the first algorithm on the client's list that the server also lists), into *@kex and
 * *@hostkey.
 *
 * Return: 0; -EINVAL if @client is not a client profile or @server not a server profile;
 * -ENOTSUP if the agreed algorithm is one this module cannot write (no pair of the profiles
 * above does that).
 */
int gen_ssh_kex_negotiate(enum gen_ssh_profile client, enum gen_ssh_profile server,
                          enum gen_ssh_kex *kex, enum gen_ssh_hostkey *hostkey);

/*
 * gen_ssh_kex_ecdh_init() - the client's SSH_MSG_KEX_ECDH_INIT (30; RFC 5656 4, RFC 8731 3):
 * string Q_C, a random ephemeral public key: 32 bytes for curve25519, and for sntrup761x25519
 * the 1158-byte Streamlined NTRU Prime public key followed by the 32-byte X25519 key.
 *
 * Return: the packet length, or 0 if @kex is unknown, @rng is NULL or it does not fit in @cap.
 */
size_t gen_ssh_kex_ecdh_init(uint8_t *out, size_t cap, enum gen_ssh_kex kex, struct gen_rng *rng);

/*
 * gen_ssh_kex_ecdh_reply() - the server's SSH_MSG_KEX_ECDH_REPLY (31; RFC 5656 4): string K_S,
 * the host key blob; string Q_S, the server's ephemeral key (32 bytes, or for sntrup761x25519
 * the 1039-byte ciphertext and the 32-byte X25519 key); string, the signature blob. The host
 * key is @host_key (32 bytes for ed25519, 65 for an uncompressed P-256 point: 0x04, X, Y), or
 * random bytes when NULL; a server keeps one host key for all connections, so callers that
 * model a server should pass the same key every time. (64 random bytes are almost never a
 * point on P-256: a peer that validates the key, as OpenSSH does, rejects them as "invalid
 * format"; pass a real point where that matters.) The signature is random bytes of the
 * right shape (RFC 8709 6: 64 bytes; RFC 5656 3.1.2: mpint r, mpint s).
 *
 * Return: the packet length, or 0 for an unknown @kex or @hostkey, a NULL @rng, or when it does
 * not fit in @cap.
 */
size_t gen_ssh_kex_ecdh_reply(uint8_t *out, size_t cap, enum gen_ssh_kex kex,
                              enum gen_ssh_hostkey hostkey, const uint8_t *host_key,
                              struct gen_rng *rng);

/*
 * gen_ssh_newkeys() - SSH_MSG_NEWKEYS (21; RFC 4253 7.3), the last clear-text packet of each
 * side: 16 bytes with 10 of random padding.
 *
 * Return: 16, or 0 if @rng is NULL or @cap is less than 16.
 */
size_t gen_ssh_newkeys(uint8_t *out, size_t cap, struct gen_rng *rng);

#endif

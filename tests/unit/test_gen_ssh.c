/*
 * gen_ssh: identification strings and KEXINIT lists are each implementation's, every message is
 * a correctly framed RFC 4253 binary packet, the key-exchange messages have the sizes real ones
 * have, negotiation picks what RFC 4253 7.1 picks, and bad arguments or short buffers give 0.
 *
 * Expected values: the packet framing is worked out by hand from RFC 4253 6 in each test; the
 * Debian 12 server's and the OpenSSH client's name-lists are as `ssh -vvv` prints them in
 * published logs (and, for the client, as the local OpenSSH 9.2p1 Debian client printed its
 * own proposal, which differs from 9.6's only by the later sntrup761x25519-sha512 alias); the
 * sntrup761x25519 ECDH_INIT size is the one a real OpenSSH 9.2p1 client sent (packet_length
 * 1204, captured on loopback).
 *
 * Checked outside the repository (throwaway harness in /tmp):
 * - tshark 4.0.17 on a pcap of one TCP connection per client profile to the Debian server
 *   profile on port 22 (handshake, banners, both KEXINITs, ECDH init/reply, both NEWKEYS):
 *   `tshark -T fields -e _ws.malformed -e _ws.expert.message -e ssh.protocol -e
 *   ssh.message_code -e ssh.kex_algorithms -e ssh.packet_length -e ssh.padding_length` read
 *   back the banners, message codes 20/30/31/21, every name-list and the lengths as built, with
 *   no malformed packet. tshark 4.0 adds expert info that real traffic gets too: "Invalid key
 *   length: 1190/1071" on sntrup761x25519 messages (it has no dissector for that hybrid; a real
 *   OpenSSH 9.2p1 client's KEX_ECDH_INIT captured on loopback gets the same) and "Decoded 19
 *   bytes, but packet legnth is 83" on ed25519/ECDSA signatures (4.0's packet-ssh.c leaves the
 *   ssh-ed* and ecdsa-sha2-* branches of its signature dissector empty, so every real one gets
 *   it).
 * - The local OpenSSH 9.2p1 client (`ssh -vvv`) against a socket that sent this module's
 *   Debian banner, KEXINIT and KEX_ECDH_REPLY: it parsed the KEXINIT ("will use strict KEX
 *   ordering"), agreed on curve25519-sha256 or sntrup761x25519 as forced, read the reply's
 *   host key ("Server host key: ssh-ed25519 SHA256:...") and stopped only at "incorrect
 *   signature", for ed25519 and, given a real P-256 point, for ecdsa-sha2-nistp256.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tests/unit/support/short_cap.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_ssh.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 4253 6: check the framing of the packet at @p (@n bytes); returns the payload length. */
static size_t check_packet(const uint8_t *p, size_t n)
{
    assert_true(n >= 16);
    uint32_t plen = be32(p);
    uint8_t pad = p[4];
    assert_int_equal(plen + 4, n);          /* no MAC before NEWKEYS takes effect */
    assert_int_equal(n % 8, 0);             /* block size 8 with no cipher */
    assert_in_range(pad, 4, 11);            /* at least 4, and the least that aligns */
    assert_true(plen >= (uint32_t)pad + 1); /* padding_length byte and padding inside */
    return plen - pad - 1;
}

/* The name-list number @which of the KEXINIT packet @p, as a NUL-terminated copy in @out. */
static void kexinit_list(const uint8_t *p, size_t n, int which, char *out, size_t cap)
{
    size_t off = 5 + 1 + 16; /* packet header, message number, cookie */
    for (int i = 0; i <= which; i++) {
        assert_true(off + 4 <= n);
        uint32_t len = be32(p + off);
        assert_true(off + 4 + len <= n);
        if (i == which) {
            assert_true(len < cap);
            memcpy(out, p + off + 4, len);
            out[len] = '\0';
        }
        off += 4 + len;
    }
}

static void test_gen_ssh_banners_are_the_implementations_own(void **state)
{
    (void)state;
    static const char *const want[GEN_SSH_PROFILES] = {
            [GEN_SSH_OPENSSH9_CLIENT] = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n",
            [GEN_SSH_OPENSSH9_SERVER] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
            [GEN_SSH_PUTTY] = "SSH-2.0-PuTTY_Release_0.81\r\n",
            [GEN_SSH_PARAMIKO] = "SSH-2.0-paramiko_3.4.0\r\n",
            [GEN_SSH_WIN32_OPENSSH] = "SSH-2.0-OpenSSH_for_Windows_8.1\r\n",
    };
    for (int p = 0; p < GEN_SSH_PROFILES; p++) {
        uint8_t out[256];
        size_t n = gen_ssh_banner(out, sizeof out, (enum gen_ssh_profile)p, NULL);
        assert_int_equal(n, strlen(want[p]));
        assert_memory_equal(out, want[p], n);
    }
}

static void test_gen_ssh_kexinit_is_a_framed_packet_for_every_profile(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    for (int p = 0; p < GEN_SSH_PROFILES; p++) {
        uint8_t out[GEN_SSH_MSG_MAX];
        size_t n = gen_ssh_kexinit(out, sizeof out, (enum gen_ssh_profile)p, &rng);
        size_t payload = check_packet(out, n);
        assert_int_equal(out[5], 20); /* SSH_MSG_KEXINIT */
        /* after the ten lists: first_kex_packet_follows FALSE, reserved 0 */
        size_t off = 5 + 17;
        for (int i = 0; i < 10; i++)
            off += 4 + be32(out + off);
        assert_int_equal(off + 5, 5 + payload);
        assert_int_equal(out[off], 0);
        assert_int_equal(be32(out + off + 1), 0);
        /* languages are empty */
        char lang[8];
        kexinit_list(out, n, 8, lang, sizeof lang);
        assert_string_equal(lang, "");
        kexinit_list(out, n, 9, lang, sizeof lang);
        assert_string_equal(lang, "");
    }
}

static void test_gen_ssh_debian_server_kexinit_lists_match_its_ssh_vvv_output(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 2, 2);
    uint8_t out[GEN_SSH_MSG_MAX];
    size_t n = gen_ssh_kexinit(out, sizeof out, GEN_SSH_OPENSSH9_SERVER, &rng);
    char list[2048];
    kexinit_list(out, n, 0, list, sizeof list);
    assert_string_equal(list, "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                              "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
                              "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                              "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                              "diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com");
    kexinit_list(out, n, 1, list, sizeof list);
    assert_string_equal(list, "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519");
    for (int i = 2; i <= 3; i++) {
        kexinit_list(out, n, i, list, sizeof list);
        assert_string_equal(list, "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
                                  "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
    }
    for (int i = 4; i <= 5; i++) {
        kexinit_list(out, n, i, list, sizeof list);
        assert_string_equal(list, "umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
                                  "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
                                  "hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
                                  "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1");
    }
    for (int i = 6; i <= 7; i++) {
        kexinit_list(out, n, i, list, sizeof list);
        assert_string_equal(list, "none,zlib@openssh.com");
    }
}

static void test_gen_ssh_openssh9_client_kexinit_lists_match_its_ssh_vvv_output(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 3, 3);
    uint8_t out[GEN_SSH_MSG_MAX];
    size_t n = gen_ssh_kexinit(out, sizeof out, GEN_SSH_OPENSSH9_CLIENT, &rng);
    char list[2048];
    kexinit_list(out, n, 0, list, sizeof list);
    assert_string_equal(list, "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                              "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
                              "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                              "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
                              "diffie-hellman-group14-sha256,ext-info-c,"
                              "kex-strict-c-v00@openssh.com");
    kexinit_list(out, n, 1, list, sizeof list);
    assert_string_equal(list, "ssh-ed25519-cert-v01@openssh.com,"
                              "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                              "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
                              "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
                              "sk-ssh-ed25519-cert-v01@openssh.com,"
                              "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
                              "rsa-sha2-512-cert-v01@openssh.com,"
                              "rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,"
                              "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
                              "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256");
    kexinit_list(out, n, 6, list, sizeof list);
    assert_string_equal(list, "none,zlib@openssh.com,zlib");
}

/* Which profiles end their kex list with which markers (RFC 8308 2.1; OpenSSH PROTOCOL 1.10). */
static void test_gen_ssh_kex_lists_end_in_the_markers_each_version_sends(void **state)
{
    (void)state;
    static const char *const tail[GEN_SSH_PROFILES] = {
            [GEN_SSH_OPENSSH9_CLIENT] = ",ext-info-c,kex-strict-c-v00@openssh.com",
            [GEN_SSH_OPENSSH9_SERVER] = "-group14-sha256,kex-strict-s-v00@openssh.com",
            [GEN_SSH_PUTTY] = ",ext-info-c,kex-strict-c-v00@openssh.com",
            [GEN_SSH_PARAMIKO] = ",ext-info-c,kex-strict-c-v00@openssh.com",
            /* 8.1 (2019) predates strict KEX (9.6, 2023) */
            [GEN_SSH_WIN32_OPENSSH] = ",diffie-hellman-group14-sha1,ext-info-c",
    };
    struct gen_rng rng;
    gen_rng_init(&rng, 4, 4);
    for (int p = 0; p < GEN_SSH_PROFILES; p++) {
        uint8_t out[GEN_SSH_MSG_MAX];
        size_t n = gen_ssh_kexinit(out, sizeof out, (enum gen_ssh_profile)p, &rng);
        char list[2048];
        kexinit_list(out, n, 0, list, sizeof list);
        size_t l = strlen(list), t = strlen(tail[p]);
        assert_true(l > t);
        assert_string_equal(list + l - t, tail[p]);
    }
}

static void test_gen_ssh_kexinit_cookie_and_padding_come_from_the_rng(void **state)
{
    (void)state;
    struct gen_rng a, b, c;
    gen_rng_init(&a, 5, 1);
    gen_rng_init(&b, 5, 1);
    gen_rng_init(&c, 5, 2);
    uint8_t x[GEN_SSH_MSG_MAX], y[GEN_SSH_MSG_MAX], z[GEN_SSH_MSG_MAX];
    size_t nx = gen_ssh_kexinit(x, sizeof x, GEN_SSH_PARAMIKO, &a);
    size_t ny = gen_ssh_kexinit(y, sizeof y, GEN_SSH_PARAMIKO, &b);
    size_t nz = gen_ssh_kexinit(z, sizeof z, GEN_SSH_PARAMIKO, &c);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    assert_int_equal(nx, nz);
    assert_memory_not_equal(x + 6, z + 6, 16);           /* cookie */
    assert_memory_equal(x + 22, z + 22, nx - 22 - x[4]); /* the lists */
}

static void test_gen_ssh_curve25519_init_is_48_bytes_with_a_32_byte_key(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 6, 1);
    uint8_t out[64];
    size_t n = gen_ssh_kex_ecdh_init(out, sizeof out, GEN_SSH_KEX_CURVE25519, &rng);
    /* payload: byte 30, string Q_C (4 + 32) = 37; 4 + 1 + 37 = 42, padded to 48 with 6 bytes;
     * packet_length 44 */
    assert_int_equal(n, 48);
    static const uint8_t head[] = {0x00, 0x00, 0x00, 0x2c, 0x06, 0x1e, 0x00, 0x00, 0x00, 0x20};
    assert_memory_equal(out, head, sizeof head);
    assert_int_equal(check_packet(out, n), 37);
}

static void test_gen_ssh_sntrup761_init_has_the_size_openssh_sends(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 7, 1);
    uint8_t out[GEN_SSH_MSG_MAX];
    size_t n = gen_ssh_kex_ecdh_init(out, sizeof out, GEN_SSH_KEX_SNTRUP761X25519, &rng);
    /* Q_C = 1158-byte sntrup761 key + 32-byte X25519 key; payload 1 + 4 + 1190 = 1195;
     * 4 + 1 + 1195 = 1200, padded with 8 to 1208: packet_length 1204, as captured */
    assert_int_equal(n, 1208);
    assert_int_equal(be32(out), 1204);
    assert_int_equal(out[5], 30);
    assert_int_equal(be32(out + 6), 1190);
}

static void test_gen_ssh_ed25519_reply_holds_key_ephemeral_and_signature(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 8, 1);
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    uint8_t out[GEN_SSH_MSG_MAX];
    size_t n = gen_ssh_kex_ecdh_reply(out, sizeof out, GEN_SSH_KEX_CURVE25519,
                                      GEN_SSH_HOSTKEY_ED25519, key, &rng);
    /* K_S: string (string "ssh-ed25519" 4+11, string key 4+32) = 4+51; Q_S 4+32; signature:
     * string (string "ssh-ed25519" 4+11, string sig 4+64) = 4+83. Payload 1+55+36+87 = 179;
     * 4+1+179 = 184, padded with 8 to 192. */
    assert_int_equal(n, 192);
    assert_int_equal(check_packet(out, n), 179);
    const uint8_t *p = out + 5;
    assert_int_equal(p[0], 31);
    assert_int_equal(be32(p + 1), 51);
    assert_int_equal(be32(p + 5), 11);
    assert_memory_equal(p + 9, "ssh-ed25519", 11);
    assert_int_equal(be32(p + 20), 32);
    assert_memory_equal(p + 24, key, 32);
    assert_int_equal(be32(p + 56), 32); /* Q_S */
    assert_int_equal(be32(p + 92), 83); /* signature blob */
    assert_int_equal(be32(p + 96), 11);
    assert_memory_equal(p + 100, "ssh-ed25519", 11);
    assert_int_equal(be32(p + 111), 64);
}

static void test_gen_ssh_ecdsa_reply_holds_point_and_two_mpints(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 64; seed++) {
        struct gen_rng rng;
        gen_rng_init(&rng, seed, 9);
        uint8_t out[GEN_SSH_MSG_MAX];
        size_t n = gen_ssh_kex_ecdh_reply(out, sizeof out, GEN_SSH_KEX_CURVE25519,
                                          GEN_SSH_HOSTKEY_ECDSA_P256, NULL, &rng);
        size_t payload = check_packet(out, n);
        const uint8_t *p = out + 5;
        /* K_S: 4+19 "ecdsa-sha2-nistp256", 4+8 "nistp256", 4+65 point = 104 */
        assert_int_equal(be32(p + 1), 104);
        assert_memory_equal(p + 9, "ecdsa-sha2-nistp256", 19);
        assert_memory_equal(p + 32, "nistp256", 8);
        assert_int_equal(be32(p + 40), 65);
        assert_int_equal(p[44], 0x04); /* uncompressed point */
        assert_int_equal(be32(p + 109), 32);
        size_t off = 1 + 4 + 104 + 4 + 32;
        uint32_t sig = be32(p + off);
        assert_int_equal(off + 4 + sig, payload);
        assert_memory_equal(p + off + 8, "ecdsa-sha2-nistp256", 19);
        uint32_t inner = be32(p + off + 27);
        assert_int_equal(sig, 4 + 19 + 4 + inner);
        /* RFC 4251 5: each mpint is minimal and non-negative */
        size_t m = off + 31;
        for (int i = 0; i < 2; i++) {
            uint32_t len = be32(p + m);
            assert_in_range(len, 1, 33);
            if (len == 33)
                assert_true(p[m + 4] == 0 && (p[m + 5] & 0x80));
            else
                assert_true(p[m + 4] != 0 && !(p[m + 4] & 0x80));
            m += 4 + len;
        }
        assert_int_equal(m, off + 4 + sig);
    }
}

static void test_gen_ssh_sntrup761_reply_carries_ciphertext_and_x25519_key(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 10, 1);
    uint8_t out[GEN_SSH_MSG_MAX];
    size_t n = gen_ssh_kex_ecdh_reply(out, sizeof out, GEN_SSH_KEX_SNTRUP761X25519,
                                      GEN_SSH_HOSTKEY_ED25519, NULL, &rng);
    /* as the ed25519 reply with Q_S 1039 + 32 = 1071 bytes: payload 179 - 32 + 1071 = 1218;
     * 4+1+1218 = 1223, padded with 9 to 1232 */
    assert_int_equal(n, 1232);
    assert_int_equal(check_packet(out, n), 1218);
    assert_int_equal(be32(out + 5 + 56), 1071);
}

static void test_gen_ssh_newkeys_is_sixteen_bytes(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 11, 1);
    uint8_t out[16];
    /* payload 1 byte; 4+1+1 = 6, padded with 10 to 16: packet_length 12 */
    assert_int_equal(gen_ssh_newkeys(out, sizeof out, &rng), 16);
    static const uint8_t head[] = {0x00, 0x00, 0x00, 0x0c, 0x0a, 0x15};
    assert_memory_equal(out, head, sizeof head);
}

static void test_gen_ssh_negotiation_picks_the_first_client_choice_the_server_lists(void **state)
{
    (void)state;
    static const struct {
        enum gen_ssh_profile client;
        enum gen_ssh_kex kex;
        enum gen_ssh_hostkey hostkey;
    } want[] = {
            /* as `ssh -vvv` reports against a Debian 12 server: "kex: algorithm:
             * sntrup761x25519-sha512@openssh.com", "host key algorithm: ssh-ed25519" */
            {GEN_SSH_OPENSSH9_CLIENT, GEN_SSH_KEX_SNTRUP761X25519, GEN_SSH_HOSTKEY_ED25519},
            {GEN_SSH_PUTTY, GEN_SSH_KEX_SNTRUP761X25519, GEN_SSH_HOSTKEY_ED25519},
            /* curve25519-sha256@libssh.org is paramiko's first and the server has it */
            {GEN_SSH_PARAMIKO, GEN_SSH_KEX_CURVE25519, GEN_SSH_HOSTKEY_ED25519},
            /* OpenSSH 8.1 put ECDSA before Ed25519 in its host key list */
            {GEN_SSH_WIN32_OPENSSH, GEN_SSH_KEX_CURVE25519, GEN_SSH_HOSTKEY_ECDSA_P256},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        enum gen_ssh_kex kex;
        enum gen_ssh_hostkey hk;
        assert_int_equal(gen_ssh_kex_negotiate(want[i].client, GEN_SSH_OPENSSH9_SERVER, &kex, &hk),
                         0);
        assert_int_equal(kex, want[i].kex);
        assert_int_equal(hk, want[i].hostkey);
    }
}

static void test_gen_ssh_negotiation_needs_a_client_and_a_server(void **state)
{
    (void)state;
    enum gen_ssh_kex kex;
    enum gen_ssh_hostkey hk;
    assert_int_equal(
            gen_ssh_kex_negotiate(GEN_SSH_OPENSSH9_SERVER, GEN_SSH_OPENSSH9_SERVER, &kex, &hk),
            -EINVAL);
    assert_int_equal(gen_ssh_kex_negotiate(GEN_SSH_PUTTY, GEN_SSH_PARAMIKO, &kex, &hk), -EINVAL);
    assert_int_equal(gen_ssh_kex_negotiate(GEN_SSH_PROFILES, GEN_SSH_OPENSSH9_SERVER, &kex, &hk),
                     -EINVAL);
    assert_int_equal(gen_ssh_kex_negotiate(GEN_SSH_PUTTY, GEN_SSH_OPENSSH9_SERVER, NULL, &hk),
                     -EINVAL);
    assert_false(gen_ssh_profile_is_server(GEN_SSH_PUTTY));
    assert_true(gen_ssh_profile_is_server(GEN_SSH_OPENSSH9_SERVER));
    assert_false(gen_ssh_profile_is_server(GEN_SSH_PROFILES));
}

static void test_gen_ssh_profile_names_round_trip(void **state)
{
    (void)state;
    for (int p = 0; p < GEN_SSH_PROFILES; p++) {
        const char *name = gen_ssh_profile_name((enum gen_ssh_profile)p);
        assert_non_null(name);
        enum gen_ssh_profile back = GEN_SSH_PROFILES;
        assert_int_equal(gen_ssh_profile_parse(name, &back), 0);
        assert_int_equal(back, p);
    }
    assert_string_equal(gen_ssh_profile_name(GEN_SSH_WIN32_OPENSSH), "win32-openssh");
    assert_null(gen_ssh_profile_name(GEN_SSH_PROFILES));
    enum gen_ssh_profile out = GEN_SSH_PUTTY;
    assert_int_equal(gen_ssh_profile_parse("openssh", &out), -EINVAL);
    assert_int_equal(gen_ssh_profile_parse(NULL, &out), -EINVAL);
    assert_int_equal(out, GEN_SSH_PUTTY);
}

static void test_gen_ssh_bad_arguments_give_zero(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 12, 1);
    uint8_t out[GEN_SSH_MSG_MAX];
    assert_int_equal(gen_ssh_banner(out, sizeof out, GEN_SSH_PROFILES, NULL), 0);
    assert_int_equal(gen_ssh_kexinit(out, sizeof out, GEN_SSH_PROFILES, &rng), 0);
    assert_int_equal(gen_ssh_kexinit(out, sizeof out, GEN_SSH_PUTTY, NULL), 0);
    assert_int_equal(gen_ssh_kex_ecdh_init(out, sizeof out, (enum gen_ssh_kex)7, &rng), 0);
    assert_int_equal(gen_ssh_kex_ecdh_reply(out, sizeof out, GEN_SSH_KEX_CURVE25519,
                                            (enum gen_ssh_hostkey)7, NULL, &rng),
                     0);
    assert_int_equal(gen_ssh_kex_ecdh_reply(out, sizeof out, (enum gen_ssh_kex)7,
                                            GEN_SSH_HOSTKEY_ED25519, NULL, &rng),
                     0);
    assert_int_equal(gen_ssh_newkeys(out, sizeof out, NULL), 0);
}

struct built {
    int which;
    struct gen_rng rng;
};

static size_t build_one(void *ctx, uint8_t *out, size_t cap)
{
    struct built *b = ctx;
    switch (b->which) {
    case 0:
        return gen_ssh_banner(out, cap, GEN_SSH_PUTTY, NULL);
    case 1:
        return gen_ssh_kexinit(out, cap, GEN_SSH_PUTTY, &b->rng);
    case 2:
        return gen_ssh_kex_ecdh_init(out, cap, GEN_SSH_KEX_CURVE25519, &b->rng);
    case 3:
        return gen_ssh_kex_ecdh_reply(out, cap, GEN_SSH_KEX_CURVE25519, GEN_SSH_HOSTKEY_ECDSA_P256,
                                      NULL, &b->rng);
    default:
        return gen_ssh_newkeys(out, cap, &b->rng);
    }
}

static void test_gen_ssh_short_buffers_give_zero_and_nothing_past_cap(void **state)
{
    (void)state;
    for (int which = 0; which < 5; which++) {
        struct built b = {.which = which};
        gen_rng_init(&b.rng, 13, 1);
        short_cap_check(build_one, &b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_ssh_banners_are_the_implementations_own),
            cmocka_unit_test(test_gen_ssh_kexinit_is_a_framed_packet_for_every_profile),
            cmocka_unit_test(test_gen_ssh_debian_server_kexinit_lists_match_its_ssh_vvv_output),
            cmocka_unit_test(test_gen_ssh_openssh9_client_kexinit_lists_match_its_ssh_vvv_output),
            cmocka_unit_test(test_gen_ssh_kex_lists_end_in_the_markers_each_version_sends),
            cmocka_unit_test(test_gen_ssh_kexinit_cookie_and_padding_come_from_the_rng),
            cmocka_unit_test(test_gen_ssh_curve25519_init_is_48_bytes_with_a_32_byte_key),
            cmocka_unit_test(test_gen_ssh_sntrup761_init_has_the_size_openssh_sends),
            cmocka_unit_test(test_gen_ssh_ed25519_reply_holds_key_ephemeral_and_signature),
            cmocka_unit_test(test_gen_ssh_ecdsa_reply_holds_point_and_two_mpints),
            cmocka_unit_test(test_gen_ssh_sntrup761_reply_carries_ciphertext_and_x25519_key),
            cmocka_unit_test(test_gen_ssh_newkeys_is_sixteen_bytes),
            cmocka_unit_test(
                    test_gen_ssh_negotiation_picks_the_first_client_choice_the_server_lists),
            cmocka_unit_test(test_gen_ssh_negotiation_needs_a_client_and_a_server),
            cmocka_unit_test(test_gen_ssh_profile_names_round_trip),
            cmocka_unit_test(test_gen_ssh_bad_arguments_give_zero),
            cmocka_unit_test(test_gen_ssh_short_buffers_give_zero_and_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * hs_ssh: streams built byte by byte (RFC 4253 layout, sizes worked out in the comments), the
 * two published HASSH examples of the salesforce/hassh README, and three real captures in
 * tests/data whose expected values come from tshark 4.0 (-d tcp.port==2299,ssh for the
 * ML-KEM one): -T fields -e ssh.protocol -e ssh.kex.hassh -e ssh.kex.hasshserver -e
 * ssh.cookie -e ssh.host_key.type, and tcp.seq / tcp.len / ssh.packet_length of the NEWKEYS
 * segments for clear_end (arithmetic in the comments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "common/digest.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/hs_ssh.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

/* A stream under construction. */
struct buf {
    uint8_t b[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4];
    wr_be32(x, v);
    put(b, x, 4);
}

static void put_str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* One binary packet (RFC 4253 6): packet_length = 1 + payload + padding, then zero padding. */
static void put_packet(struct buf *b, const uint8_t *payload, size_t n, uint8_t pad)
{
    static const uint8_t zeros[256];
    put_u32(b, (uint32_t)(1 + n + pad));
    uint8_t p = pad;
    put(b, &p, 1);
    put(b, payload, n);
    put(b, zeros, pad);
}

/* A KEXINIT payload (RFC 4253 7.1): 20, cookie 0..15, ten name-lists, follows, reserved 0. */
static void put_kexinit_payload(struct buf *b, const char *const lists[HS_SSH_LISTS], bool follows)
{
    uint8_t head[17] = {20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    put(b, head, sizeof(head));
    for (int i = 0; i < HS_SSH_LISTS; i++) {
        put_u32(b, (uint32_t)strlen(lists[i]));
        put_str(b, lists[i]);
    }
    uint8_t f = follows;
    put(b, &f, 1);
    put_u32(b, 0);
}

static void put_kexinit(struct buf *b, const char *const lists[HS_SSH_LISTS], uint8_t pad)
{
    struct buf p = {.n = 0};
    put_kexinit_payload(&p, lists, false);
    put_packet(b, p.b, p.n, pad);
}

static void view_is(struct hs_ssh_view v, const char *want)
{
    char got[512];
    assert_non_null(v.ptr);
    assert_true(v.len < sizeof(got));
    memcpy(got, v.ptr, v.len);
    got[v.len] = '\0';
    assert_string_equal(got, want);
}

static const char *const small_lists[HS_SSH_LISTS] = {
        "curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256",
        "hmac-sha2-256",     "none",        "none",       "",           ""};

/*
 * banner "SSH-2.0-OpenSSH_9.6 Ubuntu\r\n": 28 bytes, 0..27.
 * KEXINIT payload: 1 + 16 + 10 * 4 + lists (17 + 11 + 10 + 10 + 13 + 13 + 4 + 4 = 82) + 1 + 4
 * = 144; with 11 bytes of padding 4 + 1 + 144 + 11 = 160 (a multiple of 8): 28..187.
 * A KEX_ECDH_INIT (30) with 36 bytes after its number: 4 + 1 + 37 + 6 = 48: 188..235.
 * NEWKEYS (21): 4 + 1 + 1 + 10 = 16: 236..251, so the clear part ends at 252.
 * Then 32 bytes of "encrypted" data.
 */
static size_t build_session(struct buf *b, size_t *banner_end, size_t *kexinit_end)
{
    b->n = 0;
    put_str(b, "SSH-2.0-OpenSSH_9.6 Ubuntu\r\n");
    *banner_end = b->n;
    put_kexinit(b, small_lists, 11);
    *kexinit_end = b->n;
    uint8_t ecdh[37] = {30, 0, 0, 0, 32};
    put_packet(b, ecdh, sizeof(ecdh), 6);
    uint8_t newkeys = 21;
    put_packet(b, &newkeys, 1, 10);
    size_t clear = b->n;
    uint8_t junk[32];
    memset(junk, 0xa5, sizeof(junk));
    put(b, junk, sizeof(junk));
    return clear;
}

static void test_hs_ssh_reads_banner_kexinit_and_clear_end(void **state)
{
    (void)state;
    struct buf b;
    size_t banner_end, kexinit_end;
    size_t clear = build_session(&b, &banner_end, &kexinit_end);
    assert_int_equal(banner_end, 28);
    assert_int_equal(kexinit_end, 188);
    assert_int_equal(clear, 252);
    struct hs_ssh_side s;
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_OK);
    view_is(s.banner, "SSH-2.0-OpenSSH_9.6 Ubuntu");
    view_is(s.version, "2.0");
    view_is(s.software, "OpenSSH_9.6");
    assert_int_equal(s.banner_offset, 0);
    assert_true(s.have_banner && s.have_kexinit && s.have_newkeys);
    assert_int_equal(s.kexinit_offset, 28);
    assert_int_equal(s.clear_end, 252);
    assert_int_equal(s.packets, 3);
    assert_int_equal(s.cookie[0], 0);
    assert_int_equal(s.cookie[15], 15);
    assert_false(s.first_kex_follows);
    view_is(s.lists[HS_SSH_KEX], "curve25519-sha256");
    view_is(s.lists[HS_SSH_HOSTKEY], "ssh-ed25519");
    view_is(s.lists[HS_SSH_MAC_S2C], "hmac-sha2-256");
    view_is(s.lists[HS_SSH_COMP_S2C], "none");
    assert_int_equal(s.lists[HS_SSH_LANG_S2C].len, 0);
    /* The views point into the stream: the KEX list right after 28 + 4 + 1 + 17 + 4. */
    assert_ptr_equal(s.lists[HS_SSH_KEX].ptr, b.b + 54);
}

/* RFC 4253 4.2: other lines may come first; LF alone ends a line; "1.99" is SSH-2. */
static void test_hs_ssh_skips_lines_before_the_banner_and_accepts_lf(void **state)
{
    (void)state;
    struct buf b = {.n = 0};
    put_str(&b, "Welcome to the\tbox\r\nsecond line\nSSH-1.99-srv_1.0\n");
    put_kexinit(&b, small_lists, 11);
    uint8_t newkeys = 21;
    put_packet(&b, &newkeys, 1, 10);
    struct hs_ssh_side s;
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_OK);
    /* "Welcome to the\tbox\r\n" is 20 bytes, "second line\n" 12: the banner starts at 32. */
    assert_int_equal(s.banner_offset, 32);
    view_is(s.banner, "SSH-1.99-srv_1.0");
    view_is(s.version, "1.99");
    view_is(s.software, "srv_1.0");
    assert_int_equal(s.kexinit_offset, 32 + 17);
    assert_int_equal(s.clear_end, b.n);
}

/* Every prefix of the session is INCOMPLETE, with the banner and the KEXINIT marked exactly
 * when they are whole; the whole session is OK. */
static void test_hs_ssh_every_split_is_incomplete_then_ok(void **state)
{
    (void)state;
    struct buf b;
    size_t banner_end, kexinit_end;
    size_t clear = build_session(&b, &banner_end, &kexinit_end);
    struct hs_ssh_side s;
    for (size_t n = 0; n < clear; n++) {
        assert_int_equal(hs_ssh_parse(b.b, n, &s), HS_SSH_INCOMPLETE);
        assert_int_equal(s.have_banner, n >= banner_end);
        assert_int_equal(s.have_kexinit, n >= kexinit_end);
        assert_false(s.have_newkeys);
        assert_int_equal(s.clear_end, 0);
    }
    for (size_t n = clear; n <= b.n; n++) {
        assert_int_equal(hs_ssh_parse(b.b, n, &s), HS_SSH_OK);
        assert_int_equal(s.clear_end, clear);
    }
}

static enum hs_ssh_status parse_text(const char *text, struct hs_ssh_side *s)
{
    return hs_ssh_parse((const uint8_t *)text, strlen(text), s);
}

static void test_hs_ssh_refuses_what_is_not_ssh(void **state)
{
    (void)state;
    struct hs_ssh_side s;
    const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
    assert_int_equal(hs_ssh_parse(tls, sizeof(tls), &s), HS_SSH_NOT_SSH);
    assert_int_equal(parse_text("hello\r\nbin\001ary\r\n", &s), HS_SSH_NOT_SSH);
    assert_int_equal(parse_text("", &s), HS_SSH_INCOMPLETE);
    assert_int_equal(parse_text("SS", &s), HS_SSH_INCOMPLETE);
    assert_int_equal(parse_text("SSH-2.0-x", &s), HS_SSH_INCOMPLETE);
    assert_false(s.have_banner);
    assert_int_equal(parse_text("GET / HTTP/1.1\r\nHost: a\r\n", &s), HS_SSH_INCOMPLETE);
    /* More than HS_SSH_PRE_BANNER_MAX (1024) bytes of lines without an identification. */
    static char lines[1100];
    for (size_t i = 0; i < sizeof(lines) - 1; i++)
        lines[i] = (i % 50 == 49) ? '\n' : 'a';
    assert_int_equal(parse_text(lines, &s), HS_SSH_NOT_SSH);
}

static void test_hs_ssh_banner_limits(void **state)
{
    (void)state;
    struct hs_ssh_side s;
    static char line[300];
    /* 253 characters and CR LF: 255, the most RFC 4253 4.2 allows. */
    memcpy(line, "SSH-2.0-", 8);
    memset(line + 8, 'v', 245);
    memcpy(line + 253, "\r\n", 3);
    assert_int_equal(parse_text(line, &s), HS_SSH_INCOMPLETE);
    assert_true(s.have_banner);
    assert_int_equal(s.banner.len, 253);
    /* 254 and CR LF: 256. */
    memset(line + 8, 'v', 246);
    memcpy(line + 254, "\r\n", 3);
    assert_int_equal(parse_text(line, &s), HS_SSH_BANNER_TOO_LONG);
    /* 254 and a bare LF: 255. */
    memcpy(line + 254, "\n", 2);
    assert_int_equal(parse_text(line, &s), HS_SSH_INCOMPLETE);
    assert_int_equal(s.banner.len, 254);
    /* 255 bytes and no LF yet: it can only be too long. */
    memset(line + 8, 'v', 247);
    line[255] = '\0';
    assert_int_equal(parse_text(line, &s), HS_SSH_BANNER_TOO_LONG);
    line[254] = '\0';
    assert_int_equal(parse_text(line, &s), HS_SSH_INCOMPLETE);

    assert_int_equal(parse_text("SSH-2.0\r\n", &s), HS_SSH_BAD_BANNER);
    assert_int_equal(parse_text("SSH--x\r\n", &s), HS_SSH_BAD_BANNER);
    assert_int_equal(parse_text("SSH-2.0-a\tb\r\n", &s), HS_SSH_BAD_BANNER);
    const uint8_t nul[] = "SSH-2.0-a\0b\r\n";
    assert_int_equal(hs_ssh_parse(nul, sizeof(nul) - 1, &s), HS_SSH_BAD_BANNER);
    /* SSH-1 packets have another layout: the banner is read, nothing after it. */
    assert_int_equal(parse_text("SSH-1.5-OldServer\r\n", &s), HS_SSH_UNSUPPORTED_VERSION);
    assert_true(s.have_banner);
    view_is(s.version, "1.5");
    /* libssh puts a '-' in its softwareversion; the comments follow the first space. */
    assert_int_equal(parse_text("SSH-2.0-libssh-0.7.3 a b\r\n", &s), HS_SSH_INCOMPLETE);
    view_is(s.software, "libssh-0.7.3");
    assert_int_equal(parse_text("SSH-2.0-\r\n", &s), HS_SSH_INCOMPLETE);
    assert_int_equal(s.software.len, 0);
}

static void test_hs_ssh_refuses_bad_packets(void **state)
{
    (void)state;
    struct hs_ssh_side s;
    struct buf b = {.n = 0};
    put_str(&b, "SSH-2.0-x\r\n"); /* 11 bytes */
    size_t base = b.n;

    /* 35001: over RFC 4253 6.1's 35000, refused from its 4 bytes alone. */
    put_u32(&b, 35001);
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_BAD_PACKET_LENGTH);
    assert_true(s.have_banner);
    b.n = base;
    put_u32(&b, 35000);
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_INCOMPLETE);
    b.n = base;
    put_u32(&b, 0);
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_BAD_PACKET_LENGTH);

    /* packet_length 12 with padding_length 11 leaves no message number; 255 overruns it. */
    b.n = base;
    put_u32(&b, 12);
    uint8_t pad = 11;
    put(&b, &pad, 1);
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_BAD_PADDING);
    b.b[base + 4] = 255;
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_BAD_PADDING);
    b.b[base + 4] = 10; /* a valid NEWKEYS, but before any KEXINIT */
    uint8_t rest[11] = {21};
    put(&b, rest, sizeof(rest));
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_NO_KEXINIT);
    assert_int_equal(s.clear_end, base + 16);
}

/* Offsets in a KEXINIT packet after "SSH-2.0-x\r\n" (11 bytes): packet_length 11..14, padding
 * length 15, message number 16, cookie 17..32, first list length 33..36. */
static void test_hs_ssh_refuses_name_lists_running_out(void **state)
{
    (void)state;
    struct hs_ssh_side s;
    struct buf b = {.n = 0};
    put_str(&b, "SSH-2.0-x\r\n");
    put_kexinit(&b, small_lists, 11);
    struct buf bad = b;
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_INCOMPLETE);
    assert_true(s.have_kexinit);

    wr_be32(bad.b + 33, 145); /* the kex list longer than the whole payload (144) */
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_NAME_LIST);
    assert_false(s.have_kexinit);
    /* The payload has 144 - 21 = 123 bytes after the first length: 124 runs out of it; 123
     * fits but swallows the other lists' binary lengths, and leaves none for the next one. */
    wr_be32(bad.b + 33, 124);
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_NAME_LIST);
    wr_be32(bad.b + 33, 123);
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_NAME_LIST);

    bad = b;
    bad.b[37] = '\n'; /* a control byte in "curve25519-sha256" */
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_NAME_LIST);

    /* A KEXINIT whose lists are all there but not first_kex_packet_follows and reserved. */
    struct buf p = {.n = 0};
    put_kexinit_payload(&p, small_lists, false);
    bad.n = 11;
    put_packet(&bad, p.b, p.n - 5, 16);
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_KEXINIT);
    /* Too short for its cookie. */
    bad.n = 11;
    put_packet(&bad, p.b, 10, 5);
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_KEXINIT);
    /* The cookie, then a list length cut by the end of the payload. */
    bad.n = 11;
    put_packet(&bad, p.b, 19, 4);
    assert_int_equal(hs_ssh_parse(bad.b, bad.n, &s), HS_SSH_BAD_NAME_LIST);
    assert_string_equal(hs_ssh_status_name(HS_SSH_BAD_NAME_LIST), "ssh_bad_name_list");
    assert_string_equal(hs_ssh_status_name(HS_SSH_INCOMPLETE), "ssh_truncated");
    assert_string_equal(hs_ssh_status_name(HS_SSH_STATUS_COUNT), "unknown");
}

/* The salesforce/hassh README's two examples. Client: Cyberduck 6.7.1, whose hasshAlgorithms
 * the README spells out and whose hassh it lists as 8a8ae540028bf433cd68356c1b9e8d5b. Server:
 * OpenSSH 5.3, whose hasshServerAlgorithms the README spells out (without the MD5, which is
 * `printf '%s' STRING | md5sum` on that string: b1c6c0d56317555b85c7005a3de29325). */
#define CYBERDUCK_KEX                                                                              \
    "curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp521,"        \
    "ecdh-sha2-nistp384,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha1,diffie-hellman-"     \
    "group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-"        \
    "group15-sha512,diffie-hellman-group16-sha512,diffie-hellman-group17-sha512,diffie-hellman-"   \
    "group18-sha512,diffie-hellman-group14-sha256@ssh.com,diffie-hellman-group15-sha256,diffie-"   \
    "hellman-group15-sha256@ssh.com,diffie-hellman-group15-sha384@ssh.com,diffie-hellman-"         \
    "group16-sha256,diffie-hellman-group16-sha384@ssh.com,diffie-hellman-group16-sha512@ssh.com,"  \
    "diffie-hellman-group18-sha512@ssh.com"
#define CYBERDUCK_ENC                                                                              \
    "aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,blowfish-cbc,blowfish-ctr," \
    "cast128-cbc,cast128-ctr,idea-cbc,idea-ctr,serpent128-cbc,serpent128-ctr,serpent192-cbc,"      \
    "serpent192-ctr,serpent256-cbc,serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-"    \
    "ctr,twofish192-cbc,twofish192-ctr,twofish256-cbc,twofish256-ctr,twofish-cbc,arcfour,"         \
    "arcfour128,arcfour256"
#define CYBERDUCK_MAC "hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512"
#define CYBERDUCK_CMP "zlib@openssh.com,zlib,none"

#define OPENSSH53_KEX                                                                              \
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-"      \
    "group14-sha1,diffie-hellman-group1-sha1"
#define OPENSSH53_ENC                                                                              \
    "aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,"     \
    "cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se"
#define OPENSSH53_MAC                                                                              \
    "hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-"  \
    "96,hmac-md5-96"
#define OPENSSH53_CMP "none,zlib@openssh.com"

static void hassh_of(const char *const lists[HS_SSH_LISTS], bool server, const char *want_str,
                     const char *want_md5)
{
    struct buf b = {.n = 0};
    put_str(&b, "SSH-2.0-x\r\n");
    put_kexinit(&b, lists, 4);
    struct hs_ssh_side s;
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_INCOMPLETE);
    assert_true(s.have_kexinit);
    struct digest *d = digest_create(NULL);
    assert_non_null(d);
    static char str[4096];
    uint8_t md5[16];
    char hex[33];
    assert_int_equal(hs_ssh_hassh(&s, server, d, str, sizeof(str), md5), 0);
    digest_hex(md5, sizeof(md5), hex);
    assert_string_equal(str, want_str);
    assert_string_equal(hex, want_md5);
    /* The stream's length is always room enough; one byte less than needed is not. */
    assert_int_equal(hs_ssh_hassh(&s, server, d, str, b.n, md5), 0);
    assert_int_equal(hs_ssh_hassh(&s, server, d, str, strlen(want_str), md5), -EMSGSIZE);
    assert_string_equal(str, "");
    digest_destroy(&d);
}

static void test_hs_ssh_hassh_matches_the_published_examples(void **state)
{
    (void)state;
    /* The other direction's lists differ, to show which ones each fingerprint takes. */
    const char *const cyberduck[HS_SSH_LISTS] = {
            CYBERDUCK_KEX, "ssh-rsa",     CYBERDUCK_ENC, "other-enc", CYBERDUCK_MAC,
            "other-mac",   CYBERDUCK_CMP, "other-cmp",   "",          ""};
    hassh_of(cyberduck, false, CYBERDUCK_KEX ";" CYBERDUCK_ENC ";" CYBERDUCK_MAC ";" CYBERDUCK_CMP,
             "8a8ae540028bf433cd68356c1b9e8d5b");
    const char *const openssh53[HS_SSH_LISTS] = {OPENSSH53_KEX,
                                                 "ssh-rsa",
                                                 "other-enc",
                                                 OPENSSH53_ENC,
                                                 "other-mac",
                                                 OPENSSH53_MAC,
                                                 "other-cmp",
                                                 OPENSSH53_CMP,
                                                 "",
                                                 ""};
    hassh_of(openssh53, true, OPENSSH53_KEX ";" OPENSSH53_ENC ";" OPENSSH53_MAC ";" OPENSSH53_CMP,
             "b1c6c0d56317555b85c7005a3de29325");
    /* Empty lists stay empty between the separators (hassh.py joins the fields as they are);
     * `printf '%s' ';;;' | md5sum` gives 95420f9d932ddd22833f17b96a80bedb. */
    const char *const empty[HS_SSH_LISTS] = {"", "", "", "", "", "", "", "", "", ""};
    struct buf b = {.n = 0};
    put_str(&b, "SSH-2.0-x\r\n");
    put_kexinit(&b, empty, 4);
    struct hs_ssh_side s;
    assert_int_equal(hs_ssh_parse(b.b, b.n, &s), HS_SSH_INCOMPLETE);
    struct digest *d = digest_create(NULL);
    char str[8];
    uint8_t md5[16];
    char hex[33];
    assert_int_equal(hs_ssh_hassh(&s, false, d, str, sizeof(str), md5), 0);
    assert_string_equal(str, ";;;");
    digest_hex(md5, sizeof(md5), hex);
    assert_string_equal(hex, "95420f9d932ddd22833f17b96a80bedb");
    memset(&s, 0, sizeof(s));
    assert_int_equal(hs_ssh_hassh(&s, false, d, str, sizeof(str), md5), -EINVAL);
    digest_destroy(&d);
}

static void side_with(struct buf *b, struct hs_ssh_side *s, const char *const lists[HS_SSH_LISTS])
{
    b->n = 0;
    put_str(b, "SSH-2.0-x\r\n");
    put_kexinit(b, lists, 4);
    assert_int_equal(hs_ssh_parse(b->b, b->n, s), HS_SSH_INCOMPLETE);
    assert_true(s->have_kexinit);
}

/* RFC 4253 7.1, worked by hand on the lists below. */
static void test_hs_ssh_negotiates_per_rfc4253(void **state)
{
    (void)state;
#define LONG_NAME "a-name-of-seventy-characters-which-is-more-than-rfc4251-allows-xxxxxxx"
    const char *const cl[HS_SSH_LISTS] = {"k1,k2,k3",
                                          "h1,h2",
                                          "aes128-ctr,chacha20-poly1305@openssh.com",
                                          "chacha20-poly1305@openssh.com,aes128-ctr",
                                          "m1,m2",
                                          "m1,m2",
                                          "none",
                                          LONG_NAME ",none",
                                          "",
                                          ""};
    const char *const sv[HS_SSH_LISTS] = {"k3,k2",
                                          "h3",
                                          "chacha20-poly1305@openssh.com,aes128-ctr",
                                          "chacha20-poly1305@openssh.com,aes128-ctr",
                                          "m2,m1",
                                          "m9",
                                          "zlib",
                                          "none," LONG_NAME,
                                          "",
                                          ""};
    static struct buf bc, bs;
    struct hs_ssh_side c, s;
    side_with(&bc, &c, cl);
    side_with(&bs, &s, sv);
    struct hs_ssh_algs a;
    assert_int_equal(hs_ssh_negotiate(&c, &s, &a), 0);
    /* The client's order wins: k2 before k3, m1 before m2. */
    assert_string_equal(a.kex.name, "k2");
    assert_int_equal(a.kex.pick, HS_SSH_PICK_MATCH);
    assert_string_equal(a.hostkey.name, "");
    assert_int_equal(a.hostkey.pick, HS_SSH_PICK_NONE);
    assert_string_equal(a.enc_c2s.name, "aes128-ctr");
    assert_string_equal(a.mac_c2s.name, "m1");
    assert_int_equal(a.mac_c2s.pick, HS_SSH_PICK_MATCH);
    /* An AEAD cipher: the MAC is the cipher, even with no MAC in common (m1,m2 vs m9). */
    assert_string_equal(a.enc_s2c.name, "chacha20-poly1305@openssh.com");
    assert_string_equal(a.mac_s2c.name, "chacha20-poly1305@openssh.com");
    assert_int_equal(a.mac_s2c.pick, HS_SSH_PICK_AEAD);
    assert_int_equal(a.comp_c2s.pick, HS_SSH_PICK_NONE);
    /* A 70-character name in common: cut to 64, flagged. */
    assert_int_equal(a.comp_s2c.pick, HS_SSH_PICK_MATCH);
    assert_true(a.comp_s2c.cut);
    assert_int_equal(strlen(a.comp_s2c.name), 64);
    assert_memory_equal(a.comp_s2c.name, LONG_NAME, 64);
    assert_false(a.kex.cut);

    struct hs_ssh_side none;
    memset(&none, 0, sizeof(none));
    assert_int_equal(hs_ssh_negotiate(&c, &none, &a), -EINVAL);
    assert_int_equal(a.kex.pick, HS_SSH_PICK_NONE);
#undef LONG_NAME
}

/* One direction's TCP payloads placed by sequence number (relative to the SYN), so
 * retransmissions and reordering do not matter. */
#define STREAM_MAX 8192
struct dir {
    uint32_t isn;
    bool have_isn;
    size_t len;
    uint8_t buf[STREAM_MAX];
};

struct conn {
    uint16_t client_port;
    struct dir d[2]; /* 0: client to server, 1: server to client */
};

struct streams {
    uint16_t server_port;
    int n;
    struct conn c[8];
};

static void on_frame(void *ctx, const struct capture_frame *f)
{
    struct streams *st = ctx;
    struct pkt p;
    if (decode_frame(f, &p) != DECODE_OK || p.proto != 6 ||
        (p.sport != st->server_port && p.dport != st->server_port))
        return;
    int to_client = p.sport == st->server_port;
    uint16_t cport = to_client ? p.dport : p.sport;
    struct conn *c = NULL;
    for (int i = 0; i < st->n; i++) {
        if (st->c[i].client_port == cport)
            c = &st->c[i];
    }
    if (c == NULL) {
        assert_true(st->n < 8);
        c = &st->c[st->n++];
        c->client_port = cport;
    }
    struct dir *d = &c->d[to_client];
    if (p.tcp_flags & TCP_SYN) {
        d->isn = p.tcp_seq;
        d->have_isn = true;
        return;
    }
    if (p.payload_caplen == 0)
        return;
    assert_true(d->have_isn);
    size_t off = (uint32_t)(p.tcp_seq - d->isn - 1);
    if (off >= STREAM_MAX)
        return;
    size_t n = p.payload_caplen < STREAM_MAX - off ? p.payload_caplen : STREAM_MAX - off;
    memcpy(d->buf + off, p.payload, n);
    if (off + n > d->len)
        d->len = off + n;
}

static struct streams *read_streams(const char *file, uint16_t port)
{
    static struct streams st;
    memset(&st, 0, sizeof(st));
    st.server_port = port;
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = file};
    struct capture *cap = capture_create(&cfg, on_frame, &st, NULL);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    capture_destroy(&cap);
    return &st;
}

struct expect {
    const char *banner;
    const char *hassh; /* HASSH for the client, HASSH-server for the server */
    size_t clear_end;
};

static void side_is(const struct dir *d, bool server, const struct expect *e, struct hs_ssh_side *s)
{
    assert_int_equal(hs_ssh_parse(d->buf, d->len, s), HS_SSH_OK);
    view_is(s->banner, e->banner);
    assert_int_equal(s->clear_end, e->clear_end);
    struct digest *dg = digest_create(NULL);
    assert_non_null(dg);
    static char str[STREAM_MAX];
    uint8_t md5[16];
    char hex[33];
    assert_int_equal(hs_ssh_hassh(s, server, dg, str, sizeof(str), md5), 0);
    digest_hex(md5, sizeof(md5), hex);
    assert_string_equal(hex, e->hassh);
    digest_destroy(&dg);
}

/*
 * ssh-interactive-kali-joy.pcap, one connection. Client: banner at relative seq 1 (offset 0),
 * NEWKEYS alone in a 16-byte segment at seq 1514 (packet_length 12 + 4 = 16), so the clear
 * part ends at offset 1513 + 16 = 1529. Server: its NEWKEYS follows the ECDH reply in one
 * 280-byte segment at seq 1692 (packet lengths 260 and 12: 264 + 16 = 280), so 1691 + 280 =
 * 1971. tshark's cookie for the client: 40e02f55cc5b1219279b12407ad8ec66.
 */
static void test_hs_ssh_agrees_with_tshark_on_an_interactive_session(void **state)
{
    (void)state;
    struct streams *st = read_streams(DATA("ssh-interactive-kali-joy.pcap"), 22);
    assert_int_equal(st->n, 1);
    struct hs_ssh_side c, s;
    const struct expect ce = {"SSH-2.0-OpenSSH_7.4p1 Debian-10", "0df0d56bb50c6b2426d8d40234bf1826",
                              1529};
    const struct expect se = {"SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.8",
                              "ba6d3d2aecbd0d91b01dfa7828110d70", 1971};
    side_is(&st->c[0].d[0], false, &ce, &c);
    side_is(&st->c[0].d[1], true, &se, &s);
    const uint8_t cookie[16] = {0x40, 0xe0, 0x2f, 0x55, 0xcc, 0x5b, 0x12, 0x19,
                                0x27, 0x9b, 0x12, 0x40, 0x7a, 0xd8, 0xec, 0x66};
    assert_memory_equal(c.cookie, cookie, 16);
    assert_false(c.first_kex_follows);
    /* The client's banner is its whole first 33-byte segment; KEXINIT follows at 33. */
    assert_int_equal(c.kexinit_offset, 33);
    assert_int_equal(s.kexinit_offset, 43);

    /* By hand from tshark's lists: curve25519-sha256 is not on the server's (6.6.1 lists only
     * the @libssh.org name), which comes second on the client's. The first host-key type the
     * server has is ecdsa-sha2-nistp256 (tshark's ssh.host_key.type agrees). The client's first
     * cipher, chacha20-poly1305@openssh.com, is on the server's list: an AEAD, so no MAC. */
    struct hs_ssh_algs a;
    assert_int_equal(hs_ssh_negotiate(&c, &s, &a), 0);
    assert_string_equal(a.kex.name, "curve25519-sha256@libssh.org");
    assert_string_equal(a.hostkey.name, "ecdsa-sha2-nistp256");
    assert_string_equal(a.enc_c2s.name, "chacha20-poly1305@openssh.com");
    assert_string_equal(a.enc_s2c.name, "chacha20-poly1305@openssh.com");
    assert_int_equal(a.mac_c2s.pick, HS_SSH_PICK_AEAD);
    assert_int_equal(a.mac_s2c.pick, HS_SSH_PICK_AEAD);
    assert_string_equal(a.comp_c2s.name, "none");
    assert_string_equal(a.comp_s2c.name, "none");
}

/*
 * ssh-bruteforce-hydra-joy.pcap: seven libssh 0.7.3 connections, all alike. Client: NEWKEYS
 * alone in a 16-byte segment at seq 590: 589 + 16 = 605. Server: ECDH reply (188 + 4) and
 * NEWKEYS (12 + 4) in one 208-byte segment at seq 1692: 1691 + 208 = 1899.
 */
static void test_hs_ssh_agrees_with_tshark_on_seven_brute_force_connections(void **state)
{
    (void)state;
    struct streams *st = read_streams(DATA("ssh-bruteforce-hydra-joy.pcap"), 22);
    assert_int_equal(st->n, 7);
    const struct expect ce = {"SSH-2.0-libssh-0.7.3", "c8c5fbf80b7b0a1b0e4de5e683f3c5ad", 605};
    const struct expect se = {"SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.8",
                              "ba6d3d2aecbd0d91b01dfa7828110d70", 1899};
    for (int i = 0; i < st->n; i++) {
        struct hs_ssh_side c, s;
        side_is(&st->c[i].d[0], false, &ce, &c);
        side_is(&st->c[i].d[1], true, &se, &s);
        view_is(c.software, "libssh-0.7.3");
        /* By hand: libssh's first of each list is on OpenSSH 6.6.1's; ssh-ed25519 is also
         * tshark's ssh.host_key.type. aes256-ctr is no AEAD, so the MAC is negotiated. */
        struct hs_ssh_algs a;
        assert_int_equal(hs_ssh_negotiate(&c, &s, &a), 0);
        assert_string_equal(a.kex.name, "curve25519-sha256@libssh.org");
        assert_string_equal(a.hostkey.name, "ssh-ed25519");
        assert_string_equal(a.enc_c2s.name, "aes256-ctr");
        assert_string_equal(a.mac_c2s.name, "hmac-sha2-256");
        assert_int_equal(a.mac_s2c.pick, HS_SSH_PICK_MATCH);
        assert_string_equal(a.comp_s2c.name, "none");
    }
}

/*
 * ssh-mlkem-kex-zeek.pcap (the first 20 frames of Zeek's ssh_kex_mlkem.pcap, port 2299).
 * Client: the 84-byte segment at seq 2823 holds NEWKEYS (12 + 4 = 16 bytes) and then 68
 * encrypted bytes: the clear part ends at 2822 + 16 = 2838, inside the segment. Server: the
 * 1580-byte segment at seq 1190 holds the KEM reply (1276 + 4), NEWKEYS (16) and 284
 * encrypted bytes: 1189 + 1280 + 16 = 2485.
 */
static void test_hs_ssh_agrees_with_tshark_on_an_mlkem_key_exchange(void **state)
{
    (void)state;
    struct streams *st = read_streams(DATA("ssh-mlkem-kex-zeek.pcap"), 2299);
    assert_int_equal(st->n, 1);
    struct hs_ssh_side c, s;
    const struct expect ce = {"SSH-2.0-OpenSSH_10.2", "eeca2460550b9ded084ecf2f70a75356", 2838};
    const struct expect se = {"SSH-2.0-OpenSSH_9.9", "bbd3df916ddc675cc91c127ab1a90657", 2485};
    side_is(&st->c[0].d[0], false, &ce, &c);
    side_is(&st->c[0].d[1], true, &se, &s);
    assert_true(st->c[0].d[0].len > c.clear_end);
    assert_true(st->c[0].d[1].len > s.clear_end);
    /* By hand: the client's first kex is on the server's list; its first host-key type the
     * server has is ssh-ed25519 (tshark's ssh.host_key.type); ext-info-c and
     * kex-strict-c-v00@openssh.com are never on a server's list. */
    struct hs_ssh_algs a;
    assert_int_equal(hs_ssh_negotiate(&c, &s, &a), 0);
    assert_string_equal(a.kex.name, "mlkem768x25519-sha256");
    assert_string_equal(a.hostkey.name, "ssh-ed25519");
    assert_string_equal(a.enc_c2s.name, "chacha20-poly1305@openssh.com");
    assert_int_equal(a.mac_c2s.pick, HS_SSH_PICK_AEAD);
    assert_string_equal(a.comp_c2s.name, "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hs_ssh_reads_banner_kexinit_and_clear_end),
            cmocka_unit_test(test_hs_ssh_skips_lines_before_the_banner_and_accepts_lf),
            cmocka_unit_test(test_hs_ssh_every_split_is_incomplete_then_ok),
            cmocka_unit_test(test_hs_ssh_refuses_what_is_not_ssh),
            cmocka_unit_test(test_hs_ssh_banner_limits),
            cmocka_unit_test(test_hs_ssh_refuses_bad_packets),
            cmocka_unit_test(test_hs_ssh_refuses_name_lists_running_out),
            cmocka_unit_test(test_hs_ssh_hassh_matches_the_published_examples),
            cmocka_unit_test(test_hs_ssh_negotiates_per_rfc4253),
            cmocka_unit_test(test_hs_ssh_agrees_with_tshark_on_an_interactive_session),
            cmocka_unit_test(test_hs_ssh_agrees_with_tshark_on_seven_brute_force_connections),
            cmocka_unit_test(test_hs_ssh_agrees_with_tshark_on_an_mlkem_key_exchange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

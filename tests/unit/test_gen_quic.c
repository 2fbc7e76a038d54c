/*
 * gen_quic: Initial packet protection reproduced byte for byte from RFC 9001 Appendix A (the
 * keys of A.1, the client Initial of A.2 and the server Initial of A.3, copied from the RFC's
 * text), the framing of the random-payload packets checked field by field, and a ClientHello
 * from gen_tls carried through an Initial and taken back out by an unprotect written here from
 * RFC 9001 5.3-5.4 (libcrypto's AES only).
 *
 * Checked once by hand against tshark 4.0.17 (throwaway pcap in /tmp, not kept): client
 * Initials carrying the chrome, firefox and safari QUIC ClientHellos (chrome's split over two
 * Initials at CRYPTO offsets 0 and 1162, as its 1.5 kB hello needs) and the server's Initial
 * with ACK + ServerHello coalesced with a Handshake packet of random bytes, then 1-RTT packets:
 * `tshark -T fields -e quic.long.packet_type -e tls.handshake.type
 * -e tls.handshake.extensions_server_name -e _ws.malformed -e _ws.expert.message` decrypted
 * every Initial, read back the SNI of each ClientHello and the ServerHello (type 2), showed
 * the Handshake packet as type 2 it cannot decrypt and the 1-RTT packets as protected
 * payload, with no malformed packet and no expert message other than its notes on packets it
 * holds no keys for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "tests/unit/support/hexpat.h"
#include "tools/gen/gen_quic.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_tls.h"

/* RFC 9001 A: the client's Destination Connection ID. */
static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* RFC 9001 A.2: the CRYPTO frame of the client Initial. */
static const char a2_crypto_frame[] =
        "060040f1010000ed0303ebf8fa56f129 39b9584a3896472ec40bb863cfd3e868"
        "04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
        "616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
        "04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
        "baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
        "0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
        "3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
        "75300901100f088394c8f03e51570806 048000ffff";

/* RFC 9001 A.2: the resulting protected packet. */
static const char a2_packet[] = "c000000001088394c8f03e5157080000 449e7b9aec34d1b1c98dd7689fb8ec11"
                                "d242b123dc9bd8bab936b47d92ec356c 0bab7df5976d27cd449f63300099f399"
                                "1c260ec4c60d17b31f8429157bb35a12 82a643a8d2262cad67500cadb8e7378c"
                                "8eb7539ec4d4905fed1bee1fc8aafba1 7c750e2c7ace01e6005f80fcb7df6212"
                                "30c83711b39343fa028cea7f7fb5ff89 eac2308249a02252155e2347b63d58c5"
                                "457afd84d05dfffdb20392844ae81215 4682e9cf012f9021a6f0be17ddd0c208"
                                "4dce25ff9b06cde535d0f920a2db1bf3 62c23e596d11a4f5a6cf3948838a3aec"
                                "4e15daf8500a6ef69ec4e3feb6b1d98e 610ac8b7ec3faf6ad760b7bad1db4ba3"
                                "485e8a94dc250ae3fdb41ed15fb6a8e5 eba0fc3dd60bc8e30c5c4287e53805db"
                                "059ae0648db2f64264ed5e39be2e20d8 2df566da8dd5998ccabdae053060ae6c"
                                "7b4378e846d29f37ed7b4ea9ec5d82e7 961b7f25a9323851f681d582363aa5f8"
                                "9937f5a67258bf63ad6f1a0b1d96dbd4 faddfcefc5266ba6611722395c906556"
                                "be52afe3f565636ad1b17d508b73d874 3eeb524be22b3dcbc2c7468d54119c74"
                                "68449a13d8e3b95811a198f3491de3e7 fe942b330407abf82a4ed7c1b311663a"
                                "c69890f4157015853d91e923037c227a 33cdd5ec281ca3f79c44546b9d90ca00"
                                "f064c99e3dd97911d39fe9c5d0b23a22 9a234cb36186c4819e8b9c5927726632"
                                "291d6a418211cc2962e20fe47feb3edf 330f2c603a9d48c0fcb5699dbfe58964"
                                "25c5bac4aee82e57a85aaf4e2513e4f0 5796b07ba2ee47d80506f8d2c25e50fd"
                                "14de71e6c418559302f939b0e1abd576 f279c4b2e0feb85c1f28ff18f58891ff"
                                "ef132eef2fa09346aee33c28eb130ff2 8f5b766953334113211996d20011a198"
                                "e3fc433f9f2541010ae17c1bf202580f 6047472fb36857fe843b19f5984009dd"
                                "c324044e847a4f4a0ab34f719595de37 252d6235365e9b84392b061085349d73"
                                "203a4a13e96f5432ec0fd4a1ee65accd d5e3904df54c1da510b0ff20dcc0c77f"
                                "cb2c0e0eb605cb0504db87632cf3d8b4 dae6e705769d1de354270123cb11450e"
                                "fc60ac47683d7b8d0f811365565fd98c 4c8eb936bcab8d069fc33bd801b03ade"
                                "a2e1fbc5aa463d08ca19896d2bf59a07 1b851e6c239052172f296bfb5e724047"
                                "90a2181014f3b94a4e97d117b4381303 68cc39dbb2d198065ae3986547926cd2"
                                "162f40a29f0c3c8745c0f50fba3852e5 66d44575c29d39a03f0cda721984b6f4"
                                "40591f355e12d439ff150aab7613499d bd49adabc8676eef023b15b65bfc5ca0"
                                "6948109f23f350db82123535eb8a7433 bdabcb909271a6ecbcb58b936a88cd4e"
                                "8f2e6ff5800175f113253d8fa9ca8885 c2f552e657dc603f252e1a8e308f76f0"
                                "be79e2fb8f5d5fbbe2e30ecadd220723 c8c0aea8078cdfcb3868263ff8f09400"
                                "54da48781893a7e49ad5aff4af300cd8 04a6b6279ab3ff3afb64491c85194aab"
                                "760d58a606654f9f4400e8b38591356f bf6425aca26dc85244259ff2b19c41b9"
                                "f96f3ca9ec1dde434da7d2d392b905dd f3d1f9af93d1af5950bd493f5aa731b4"
                                "056df31bd267b6b90a079831aaf579be 0a39013137aac6d404f518cfd4684064"
                                "7e78bfe706ca4cf5e9c5453e9f7cfd2b 8b4c8d169a44e55c88d4a9a7f9474241"
                                "e221af44860018ab0856972e194cd934";

/* RFC 9001 A.3: the server's payload (an ACK frame, then a CRYPTO frame) and packet. */
static const char a3_payload[] = "02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
                                 "88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
                                 "0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
                                 "020304";
static const char a3_packet[] = "cf000000010008f067a5502a4262b500 4075c0d95a482cd0991cd25b0aac406a"
                                "5816b6394100f37a1c69797554780bb3 8cc5a99f5ede4cf73c3ec2493a1839b3"
                                "dbcba3f6ea46c5b7684df3548e7ddeb9 c3bf9c73cc3f3bded74b562bfb19fb84"
                                "022f8ef4cdd93795d77d06edbb7aaf2f 58891850abbdca3d20398c276456cbc4"
                                "2158407dd074ee";

static void test_gen_quic_initial_keys_match_rfc9001_a1(void **state)
{
    (void)state;
    struct gen_quic_keys c, s;
    assert_int_equal(gen_quic_initial_keys(rfc_dcid, sizeof(rfc_dcid), false, &c), 0);
    assert_int_equal(gen_quic_initial_keys(rfc_dcid, sizeof(rfc_dcid), true, &s), 0);
    hexpat_assert(c.initial_secret, 32,
                  "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
    hexpat_assert(s.initial_secret, 32,
                  "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
    hexpat_assert(c.secret, 32, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
    hexpat_assert(c.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
    hexpat_assert(c.iv, 12, "fa044b2f42a3fd3b46fb255c");
    hexpat_assert(c.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
    hexpat_assert(s.secret, 32, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
    hexpat_assert(s.key, 16, "cf3a5331653c364c88f0f379b6067e37");
    hexpat_assert(s.iv, 12, "0ac1493ca1905853b0bba03e");
    hexpat_assert(s.hp, 16, "c206b8d9b9f0f37644430b490eeaa314");
}

/* A.2: CRYPTO frame (its 241 data bytes after the 4-byte frame header), PADDING to a 1162-byte
 * payload, packet number 2 in 4 bytes, no source connection id, no token. */
static void a2_input(struct gen_quic_initial *in, uint8_t *crypto, size_t cap)
{
    size_t n = hexpat_decode(a2_crypto_frame, crypto, cap);
    assert_int_equal(n, 4 + 241);
    *in = (struct gen_quic_initial){.odcid = rfc_dcid,
                                    .odcid_len = sizeof(rfc_dcid),
                                    .dcid = rfc_dcid,
                                    .dcid_len = sizeof(rfc_dcid),
                                    .packet_number = 2,
                                    .pn_len = 4,
                                    .crypto = crypto + 4,
                                    .crypto_len = n - 4,
                                    .pad_to = GEN_QUIC_MIN_INITIAL};
}

static void test_gen_quic_client_initial_matches_rfc9001_a2(void **state)
{
    (void)state;
    uint8_t crypto[256];
    struct gen_quic_initial in;
    a2_input(&in, crypto, sizeof(crypto));
    uint8_t pkt[1500];
    size_t n = gen_quic_initial(pkt, sizeof(pkt), &in);
    assert_int_equal(n, 1200);
    hexpat_assert(pkt, n, a2_packet);
}

static void test_gen_quic_server_initial_matches_rfc9001_a3(void **state)
{
    (void)state;
    uint8_t payload[128];
    size_t pn = hexpat_decode(a3_payload, payload, sizeof(payload));
    assert_int_equal(pn, 5 + 4 + 90);
    static const uint8_t scid[8] = {0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5};
    struct gen_quic_initial in = {.from_server = true,
                                  .odcid = rfc_dcid,
                                  .odcid_len = sizeof(rfc_dcid),
                                  .scid = scid,
                                  .scid_len = sizeof(scid),
                                  .packet_number = 1,
                                  .pn_len = 2,
                                  .has_ack = true,
                                  .ack_largest = 0,
                                  .crypto = payload + 5 + 4,
                                  .crypto_len = 90};
    uint8_t pkt[512];
    size_t n = gen_quic_initial(pkt, sizeof(pkt), &in);
    hexpat_assert(pkt, n, a3_packet);
}

static void test_gen_quic_initial_refuses_a_buffer_one_byte_short(void **state)
{
    (void)state;
    uint8_t crypto[256];
    struct gen_quic_initial in;
    a2_input(&in, crypto, sizeof(crypto));
    uint8_t pkt[1200];
    assert_int_equal(gen_quic_initial(pkt, 1199, &in), 0);
    assert_int_equal(gen_quic_initial(pkt, 1200, &in), 1200);
}

static void test_gen_quic_initial_refuses_bad_arguments(void **state)
{
    (void)state;
    uint8_t crypto[256];
    uint8_t pkt[1500];
    struct gen_quic_initial in;
    struct gen_quic_keys k;
    a2_input(&in, crypto, sizeof(crypto));
    assert_int_equal(gen_quic_initial_keys(rfc_dcid, 7, false, &k), -EINVAL);
    assert_int_equal(gen_quic_initial_keys(NULL, 8, false, &k), -EINVAL);
    struct gen_quic_initial bad = in;
    bad.odcid_len = 7; /* shorter than a client may choose (RFC 9000 7.2) */
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    bad = in;
    bad.dcid_len = 21;
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    bad = in;
    bad.pn_len = 5;
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    bad = in;
    bad.from_server = true;
    bad.token = crypto;
    bad.token_len = 4; /* servers send no token in an Initial */
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    bad = in;
    bad.crypto = NULL;
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    bad = in;
    bad.pad_to = 20000; /* beyond a 2-byte Length */
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), &bad), 0);
    assert_int_equal(gen_quic_initial(pkt, sizeof(pkt), NULL), 0);
}

/* The reverse of RFC 9001 5.3-5.4, written here: header protection off, payload decrypted. The
 * long-header fields are read as RFC 9000 17.2 lays them out. Returns the payload length. */
static size_t unprotect(const uint8_t *pkt, size_t n, bool from_server, const uint8_t *odcid,
                        size_t odcid_len, uint8_t *payload, uint64_t *pn_out)
{
    struct gen_quic_keys k;
    assert_int_equal(gen_quic_initial_keys(odcid, odcid_len, from_server, &k), 0);
    size_t off = 5;
    off += 1 + pkt[off]; /* DCID */
    off += 1 + pkt[off]; /* SCID */
    assert_int_equal(pkt[off] >> 6, 0);
    off += 1 + pkt[off]; /* token, length < 64 in these tests */
    assert_int_equal(pkt[off] >> 6, 1);
    size_t length = (size_t)(pkt[off] & 0x3f) << 8 | pkt[off + 1];
    off += 2;
    assert_int_equal(off + length, n);
    uint8_t mask[32];
    int ml = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &ml, pkt + off + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    uint8_t hdr[64];
    assert_true(off + 4 <= sizeof(hdr));
    memcpy(hdr, pkt, off + 4);
    hdr[0] ^= mask[0] & 0x0f;
    assert_int_equal(hdr[0] & 0xf0, 0xc0); /* long header, fixed bit, Initial */
    size_t pn_len = (size_t)(hdr[0] & 3) + 1;
    uint64_t pn = 0;
    for (size_t i = 0; i < pn_len; i++) {
        hdr[off + i] ^= mask[1 + i];
        pn = pn << 8 | hdr[off + i];
    }
    *pn_out = pn;
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (size_t i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    size_t ct_len = length - pn_len - 16;
    int l1 = 0, l2 = 0;
    c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
    assert_int_equal(EVP_DecryptUpdate(c, NULL, &l1, hdr, (int)(off + pn_len)), 1);
    assert_int_equal(EVP_DecryptUpdate(c, payload, &l1, pkt + off + pn_len, (int)ct_len), 1);
    assert_int_equal(
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(pkt + off + pn_len + ct_len)),
            1);
    assert_int_equal(EVP_DecryptFinal_ex(c, payload + l1, &l2), 1); /* the tag verifies */
    EVP_CIPHER_CTX_free(c);
    return ct_len;
}

static void test_gen_quic_initial_carries_a_gen_tls_client_hello_that_decrypts(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 9001, 1);
    uint8_t ch[GEN_TLS_MSG_MAX];
    size_t chn = gen_tls_client_hello(ch, sizeof(ch), GEN_TLS_FIREFOX, "quic.example.net",
                                      GEN_TLS_QUIC, &rng);
    assert_true(chn > 0 && chn < 1100);
    uint8_t dcid[8], scid[8];
    gen_rng_fill(&rng, dcid, sizeof(dcid));
    gen_rng_fill(&rng, scid, sizeof(scid));
    struct gen_quic_initial in = {.odcid = dcid,
                                  .odcid_len = 8,
                                  .dcid = dcid,
                                  .dcid_len = 8,
                                  .scid = scid,
                                  .scid_len = 8,
                                  .crypto = ch,
                                  .crypto_len = chn,
                                  .pad_to = GEN_QUIC_MIN_INITIAL};
    uint8_t pkt[1500], payload[1500];
    size_t n = gen_quic_initial(pkt, sizeof(pkt), &in);
    assert_int_equal(n, GEN_QUIC_MIN_INITIAL);
    uint64_t pn = 99;
    size_t pl = unprotect(pkt, n, false, dcid, 8, payload, &pn);
    assert_int_equal(pn, 0);
    /* CRYPTO frame at offset 0 with a 2-byte length, then nothing but PADDING. */
    assert_int_equal(payload[0], 0x06);
    assert_int_equal(payload[1], 0x00);
    assert_int_equal(((size_t)(payload[2] & 0x3f) << 8 | payload[3]), chn);
    assert_memory_equal(payload + 4, ch, chn);
    for (size_t i = 4 + chn; i < pl; i++)
        assert_int_equal(payload[i], 0);
}

static void
test_gen_quic_initial_picks_the_shortest_packet_number_and_pads_tiny_payloads(void **state)
{
    (void)state;
    uint8_t dcid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct gen_quic_initial in = {
            .from_server = true, .odcid = dcid, .odcid_len = 8, .has_ack = true, .ack_largest = 0};
    uint8_t pkt[256], payload[256];
    size_t n = gen_quic_initial(pkt, sizeof(pkt), &in);
    assert_true(n > 0);
    uint64_t pn = 99;
    size_t pl = unprotect(pkt, n, true, dcid, 8, payload, &pn);
    assert_int_equal(pn, 0);
    /* A 1-byte packet number, and the 5-byte ACK already puts the 4 bytes the header
     * protection sample skips (RFC 9001 5.4.2) before the tag: no PADDING added. */
    assert_int_equal(pl, 5);
    static const uint8_t ack[] = {0x02, 0, 0, 0, 0};
    assert_memory_equal(payload, ack, sizeof(ack));
    /* No frames at all: PADDING fills the 3 bytes the sample needs past a 1-byte number. */
    in.has_ack = false;
    n = gen_quic_initial(pkt, sizeof(pkt), &in);
    pl = unprotect(pkt, n, true, dcid, 8, payload, &pn);
    assert_int_equal(pl, 3);
    /* Packet number 300 needs 2 bytes. */
    in.packet_number = 300;
    n = gen_quic_initial(pkt, sizeof(pkt), &in);
    unprotect(pkt, n, true, dcid, 8, payload, &pn);
    assert_int_equal(pn, 300);
}

static void test_gen_quic_handshake_packet_has_long_header_framing(void **state)
{
    (void)state;
    struct gen_rng a, b;
    gen_rng_init(&a, 5, 5);
    gen_rng_init(&b, 5, 5);
    uint8_t dcid[4] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t scid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t p1[1500], p2[1500];
    size_t n = gen_quic_long_random(p1, sizeof(p1), GEN_QUIC_HANDSHAKE, dcid, 4, scid, 8, 1000, &a);
    assert_int_equal(n, 1000);
    assert_int_equal(
            gen_quic_long_random(p2, sizeof(p2), GEN_QUIC_HANDSHAKE, dcid, 4, scid, 8, 1000, &b),
            1000);
    assert_memory_equal(p1, p2, n);       /* a function of the rng alone */
    assert_int_equal(p1[0] & 0xf0, 0xe0); /* long, fixed bit, type 2 (RFC 9000 17.2.4) */
    static const uint8_t ver[] = {0, 0, 0, 1, 4, 0xde, 0xad, 0xbe, 0xef, 8};
    assert_memory_equal(p1 + 1, ver, sizeof(ver));
    assert_memory_equal(p1 + 11, scid, 8);
    size_t hdr = 1 + 4 + 1 + 4 + 1 + 8 + 2;
    assert_int_equal(p1[19] >> 6, 1); /* 2-byte varint Length */
    assert_int_equal(((size_t)(p1[19] & 0x3f) << 8 | p1[20]), 1000 - hdr);
    n = gen_quic_long_random(p1, sizeof(p1), GEN_QUIC_0RTT, dcid, 4, scid, 8, 100, &a);
    assert_int_equal(n, 100);
    assert_int_equal(p1[0] & 0xf0, 0xd0); /* type 1 */
    /* Too short for packet number + sample, too long for the buffer, bad type. */
    assert_int_equal(gen_quic_long_random(p1, sizeof(p1), GEN_QUIC_HANDSHAKE, dcid, 4, scid, 8,
                                          hdr + 19, &a),
                     0);
    assert_int_equal(gen_quic_long_random(p1, 999, GEN_QUIC_HANDSHAKE, dcid, 4, scid, 8, 1000, &a),
                     0);
    assert_int_equal(gen_quic_long_random(p1, sizeof(p1), (enum gen_quic_long_type)0, dcid, 4, scid,
                                          8, 1000, &a),
                     0);
}

static void test_gen_quic_short_packet_sets_fixed_bit_and_carries_dcid(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 6, 6);
    uint8_t dcid[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    uint8_t pkt[1500];
    for (int i = 0; i < 64; i++) {
        size_t len = 29 + (size_t)i * 20;
        assert_int_equal(gen_quic_short(pkt, sizeof(pkt), dcid, 8, len, &rng), len);
        assert_int_equal(pkt[0] & 0xc0, 0x40); /* short header, fixed bit (RFC 9000 17.3.1) */
        assert_memory_equal(pkt + 1, dcid, 8);
    }
    assert_int_equal(gen_quic_short(pkt, sizeof(pkt), dcid, 8, 28, &rng), 0);
    assert_int_equal(gen_quic_short(pkt, 99, dcid, 8, 100, &rng), 0);
    assert_int_equal(gen_quic_short(pkt, sizeof(pkt), dcid, 21, 100, &rng), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_quic_initial_keys_match_rfc9001_a1),
            cmocka_unit_test(test_gen_quic_client_initial_matches_rfc9001_a2),
            cmocka_unit_test(test_gen_quic_server_initial_matches_rfc9001_a3),
            cmocka_unit_test(test_gen_quic_initial_refuses_a_buffer_one_byte_short),
            cmocka_unit_test(test_gen_quic_initial_refuses_bad_arguments),
            cmocka_unit_test(test_gen_quic_initial_carries_a_gen_tls_client_hello_that_decrypts),
            cmocka_unit_test(
                    test_gen_quic_initial_picks_the_shortest_packet_number_and_pads_tiny_payloads),
            cmocka_unit_test(test_gen_quic_handshake_packet_has_long_header_framing),
            cmocka_unit_test(test_gen_quic_short_packet_sets_fixed_bit_and_carries_dcid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * gen_smb: each message is the [MS-SMB2] layout behind a Direct TCP header with its length,
 * offsets and counts right, the SPNEGO wrappers are valid DER in short and long form, random
 * fields are random, and bad arguments or short buffers give 0 without writing past the buffer.
 *
 * Expected bytes are assembled by hand in each test from [MS-SMB2] 2.1 (Direct TCP transport),
 * 2.2.1.2 (SYNC header), 2.2.3 and 2.2.3.1.x (NEGOTIATE request and contexts), 2.2.4, 2.2.5,
 * 2.2.6, 2.2.9, 2.2.10 and 2.2.41 (TRANSFORM_HEADER), RFC 4178 4.2 and X.690 8.1.3 (DER
 * lengths), with offsets worked out in the comments; "??" marks a random byte.
 *
 * Checked with tshark 4.0.17 (throwaway harness in /tmp, not in the repository): one TCP
 * connection to port 445 (handshake; NEGOTIATE request and response; SESSION_SETUP with an
 * 1800-byte and a 160-byte token; TREE_CONNECT to \\fs1.corp.example\projects with
 * ENCRYPT_DATA and to IPC$; encrypted messages of 120 and 3000 bytes, the latter across three
 * segments). `tshark -V` decoded every field as built: dialects 0x0202..0x0311, both negotiate
 * contexts (SHA-512 with salt, AES-128-GCM/CCM), the negTokenInit's three mechTypes (MS KRB5,
 * KRB5, NTLMSSP), the negTokenResp's negResult accept-completed and responseToken, the UTF-16
 * tree paths, share types disk/pipe and the encrypt_data flag, and the transform header's
 * nonce, message size, flags and session id. `tshark -T fields -e _ws.malformed -e
 * _ws.expert.severity -e smb2.cmd -e smb2.dialect -e smb2.tree -e smb2.sesid -e
 * spnego.negResult -e smb2.share_type -e smb2.share_flags.encrypt_data` showed no malformed
 * packet and no expert info beyond TCP's chat-level SYN notes. A second pcap of 300 sessions
 * (tokens of 100..2193 bytes and 0..299 bytes, random seeds) had none either, once tokens of one
 * byte were refused (tshark reads a two-byte token id and faulted on them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/support/hexpat.h"
#include "tests/unit/support/short_cap.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_smb.h"

#define RAND16 "????????????????????????????????"
#define RAND32 RAND16 RAND16

/* The 64-byte SYNC header's fixed start ([MS-SMB2] 2.2.1.2): ProtocolId, StructureSize 64. */
#define SMB2 "fe534d42 4000"

static void test_gen_smb_negotiate_request_offers_five_dialects_and_two_contexts(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    uint8_t out[512];
    size_t n = gen_smb_negotiate_request(out, sizeof out, 0, &rng);
    hexpat_assert(out, n,
                  "00 0000ae"                        /* Direct TCP: 174 bytes follow */
                  SMB2 "0000"                        /* CreditCharge 0 */
                  "00000000"                         /* ChannelSequence/Reserved */
                  "0000 0100"                        /* Command NEGOTIATE, CreditRequest 1 */
                  "00000000 00000000"                /* Flags, NextCommand */
                  "0000000000000000"                 /* MessageId 0 */
                  "fffe0000 00000000"                /* Reserved (ProcessId 0xfeff), TreeId */
                  "0000000000000000"                 /* SessionId */
                  "00000000000000000000000000000000" /* Signature: unsigned */
                  /* NEGOTIATE at 64 */
                  "2400 0500"                /* StructureSize 36, DialectCount 5 */
                  "0100 0000"                /* SecurityMode SIGNING_ENABLED, Reserved */
                  "7f000000" RAND16          /* Capabilities, ClientGuid */
                  "70000000 0200 0000"       /* NegotiateContextOffset 112, count 2 */
                  "0202 1002 0003 0203 1103" /* dialects, ending at 110 */
                  "0000"                     /* padding to 112 */
                  "0100 2600 00000000"       /* PREAUTH_INTEGRITY, DataLength 38 */
                  "0100 2000 0100" RAND32    /* one hash, 32-byte salt, SHA-512, salt */
                  "0000"                     /* 158 padded to 160 */
                  "0200 0600 00000000"       /* ENCRYPTION_CAPABILITIES, DataLength 6 */
                  "0200 0200 0100");         /* two ciphers: AES-128-GCM, AES-128-CCM */
}

static void test_gen_smb_negotiate_response_chooses_311_with_spnego_blob(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 2, 1);
    uint8_t guid[16];
    for (int i = 0; i < 16; i++)
        guid[i] = (uint8_t)(i + 1);
    uint8_t out[512];
    /* 2024-11-23 07:07:58.123456789 UTC: ns / 100 + 116444736000000000 = 133768192781234567
     * = 0x01db3d766cf8b187 */
    size_t n = gen_smb_negotiate_response(out, sizeof out, 0, guid, 1732345678123456789ull, &rng);
    hexpat_assert(out, n,
                  "00 0000f4" SMB2 "0000 00000000"
                  "0000 0100"         /* NEGOTIATE, 1 credit granted */
                  "01000000 00000000" /* Flags SERVER_TO_REDIR */
                  "0000000000000000 fffe0000 00000000 0000000000000000"
                  "00000000000000000000000000000000" /* not signed */
                  "4100 0100 1103 0200"              /* size 65, signing, 3.1.1, 2 contexts */
                  "0102030405060708090a0b0c0d0e0f10" /* ServerGuid */
                  "2f000000"                         /* Capabilities */
                  "00008000 00008000 00008000"       /* Max sizes: 8 MiB */
                  "87b1f86c763ddb01"                 /* SystemTime */
                  "0000000000000000"                 /* ServerStartTime */
                  "8000 3400"                        /* blob at 128, 52 bytes */
                  "b8000000"                         /* NegotiateContextOffset 184 */
                  /* the negTokenInit, its derivation in gen_smb.c */
                  "6032 0606 2b0601050502 a028 3026 a024 3022"
                  "0609 2a864882f712010202 0609 2a864886f712010202 060a 2b06010401823702020a"
                  "00000000"                                 /* 180 padded to 184 */
                  "0100 2600 00000000 0100 2000 0100" RAND32 /* PREAUTH, SHA-512, salt */
                  "0000"                                     /* 230 padded to 232 */
                  "0200 0400 00000000 0100 0200");           /* ENCRYPTION: AES-128-GCM */
}

static void test_gen_smb_session_setup_request_wraps_token_in_neg_token_resp(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 3, 1);
    uint8_t out[512];
    size_t n = gen_smb_session_setup_request(out, sizeof out, 1, 0, 4, &rng);
    hexpat_assert(out, n,
                  "00 000064" SMB2 "0100 00000000" /* 100 bytes; CreditCharge 1 */
                  "0100 1f00"                      /* SESSION_SETUP, CreditRequest 31 */
                  "00000000 00000000 0100000000000000 fffe0000 00000000 0000000000000000"
                  "00000000000000000000000000000000"
                  "1900 00 01"          /* StructureSize 25, Flags, SecurityMode */
                  "01000000 00000000"   /* Capabilities DFS, Channel */
                  "5800 0c00"           /* blob at 88, 12 bytes */
                  "0000000000000000"    /* PreviousSessionId */
                  "a10a 3008 a206 0404" /* [1] { SEQUENCE { [2] { OCTET STRING ( */
                  "????????");          /* 4 token bytes ) } } } */
    assert_true(out[n - 4] & 0x80);     /* see gen_spnego_resp() */
}

static void test_gen_smb_neg_token_resp_uses_long_form_lengths(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 4, 1);
    uint8_t out[1024];
    size_t n = gen_smb_session_setup_request(out, sizeof out, 1, 0, 300, &rng);
    /* OCTET STRING 1+3+300 = 304 = 0x130; [2] 1+3+304 = 308 = 0x134; SEQUENCE content 308, so
     * SEQUENCE 1+3+308 = 312 = 0x138; [1] 1+3+312 = 316 bytes of blob */
    assert_int_equal(n, 4 + 64 + 24 + 316);
    assert_int_equal(out[4 + 64 + 14] | out[4 + 64 + 15] << 8, 316);
    const uint8_t *blob = out + 4 + 88;
    static const uint8_t head[] = {0xa1, 0x82, 0x01, 0x38, 0x30, 0x82, 0x01, 0x34,
                                   0xa2, 0x82, 0x01, 0x30, 0x04, 0x82, 0x01, 0x2c};
    assert_memory_equal(blob, head, sizeof head);
    /* 200 bytes: 0x81 one-byte long form: 04 81 c8, a2 81 cb, 30 81 ce, a1 81 d1 */
    n = gen_smb_session_setup_request(out, sizeof out, 1, 0, 200, &rng);
    static const uint8_t head200[] = {0xa1, 0x81, 0xd1, 0x30, 0x81, 0xce,
                                      0xa2, 0x81, 0xcb, 0x04, 0x81, 0xc8};
    assert_memory_equal(out + 4 + 88, head200, sizeof head200);
    assert_int_equal(n, 4 + 88 + 3 + 0xd1);
}

static void test_gen_smb_session_setup_response_is_signed_and_completed(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 5, 1);
    uint8_t out[512];
    size_t n = gen_smb_session_setup_response(out, sizeof out, 1, 0x0000100000000041ull, 4, &rng);
    hexpat_assert(out, n,
                  "00 000059" SMB2 "0100 00000000" /* 89 bytes; STATUS_SUCCESS */
                  "0100 1f00"
                  "09000000" /* Flags SERVER_TO_REDIR | SIGNED */
                  "00000000 0100000000000000 fffe0000 00000000"
                  "4100000000100000" RAND16 /* SessionId, Signature */
                  "0900 0000"               /* StructureSize 9, SessionFlags */
                  "4800 1100"               /* blob at 72, 17 bytes */
                  "a10f 300d a0030a0100"    /* negState accept-completed */
                  "a206 0404 ????????");
}

static void test_gen_smb_session_setup_response_without_token_holds_neg_state_only(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 6, 1);
    uint8_t out[512];
    size_t n = gen_smb_session_setup_response(out, sizeof out, 1, 7, 0, &rng);
    assert_int_equal(n, 4 + 72 + 9);
    static const uint8_t blob[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00};
    assert_memory_equal(out + 4 + 72, blob, sizeof blob);
}

static void test_gen_smb_tree_connect_request_spells_unc_path_in_utf16le(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 7, 1);
    uint8_t out[512];
    size_t n = gen_smb_tree_connect_request(out, sizeof out, 2, 9, "fs1", "d$", &rng);
    /* \\fs1\d$: 8 characters, 16 bytes; 64 + 8 + 16 = 88 */
    hexpat_assert(out, n,
                  "00 000058" SMB2 "0100 00000000 0300 1f00"
                  "08000000 00000000 0200000000000000 fffe0000 00000000"
                  "0900000000000000" RAND16 /* SessionId 9, Signature */
                  "0900 0000 4800 1000"     /* size 9, Reserved, path at 72, 16 bytes */
                  "5c005c00 66007300 31005c00 64002400");
}

static void test_gen_smb_tree_connect_response_sets_type_flags_and_tree(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 8, 1);
    uint8_t out[512];
    size_t n = gen_smb_tree_connect_response(out, sizeof out, 2, 9, 5, GEN_SMB_SHARE_ENCRYPT, &rng);
    hexpat_assert(out, n,
                  "00 000050" SMB2 "0100 00000000 0300 1f00"
                  "09000000 00000000 0200000000000000 fffe0000"
                  "05000000"                             /* TreeId 5 */
                  "0900000000000000" RAND16 "1000 01 00" /* size 16, DISK, Reserved */
                  "00800000"                             /* ShareFlags ENCRYPT_DATA */
                  "00000000 ff011f00");                  /* Capabilities, MaximalAccess */
    n = gen_smb_tree_connect_response(out, sizeof out, 3, 9, 1, GEN_SMB_SHARE_PIPE, &rng);
    assert_int_equal(n, 84);
    assert_int_equal(out[4 + 66], 0x02); /* PIPE */
    assert_int_equal(out[4 + 68], 0x00); /* no ENCRYPT_DATA */
}

static void test_gen_smb_encrypted_is_transform_header_and_payload(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 9, 1);
    uint8_t out[512];
    size_t n = gen_smb_encrypted(out, sizeof out, 0x0000100000000041ull, 8, &rng);
    hexpat_assert(out, n,
                  "00 00003c"                        /* 52 + 8 = 60 */
                  "fd534d42" RAND16                  /* ProtocolId, Signature */
                  "????????????????????????00000000" /* Nonce: 12 random, 4 zero */
                  "08000000 0000 0100"               /* OriginalMessageSize 8, Flags encrypted */
                  "4100000000100000"                 /* SessionId */
                  "????????????????");
    /* large messages keep the 24-bit Direct TCP length right: 52 + 70000 = 70052 = 0x0111a4 */
    static uint8_t big[80000];
    n = gen_smb_encrypted(big, sizeof big, 1, 70000, &rng);
    assert_int_equal(n, 4 + 52 + 70000);
    assert_int_equal(big[1], 0x01);
    assert_int_equal(big[2], 0x11);
    assert_int_equal(big[3], 0xa4);
    assert_int_equal(big[4 + 36] | big[4 + 37] << 8 | big[4 + 38] << 16, 70000);
}

static void test_gen_smb_random_fields_differ_between_streams(void **state)
{
    (void)state;
    struct gen_rng a, b;
    gen_rng_init(&a, 10, 1);
    gen_rng_init(&b, 10, 2);
    uint8_t x[512], y[512];
    size_t nx = gen_smb_negotiate_request(x, sizeof x, 0, &a);
    size_t ny = gen_smb_negotiate_request(y, sizeof y, 0, &b);
    assert_int_equal(nx, ny);
    assert_memory_not_equal(x + 4 + 76, y + 4 + 76, 16);   /* ClientGuid */
    assert_memory_not_equal(x + 4 + 126, y + 4 + 126, 32); /* salt */
    assert_memory_equal(x, y, 4 + 76);
}

static void test_gen_smb_rejects_bad_arguments(void **state)
{
    (void)state;
    struct gen_rng rng;
    gen_rng_init(&rng, 11, 1);
    uint8_t out[512];
    assert_int_equal(gen_smb_negotiate_request(out, sizeof out, 0, NULL), 0);
    assert_int_equal(gen_smb_negotiate_response(out, sizeof out, 0, NULL, 0, NULL), 0);
    assert_int_equal(gen_smb_session_setup_request(out, sizeof out, 1, 0, 0, &rng), 0);
    assert_int_equal(gen_smb_session_setup_request(out, sizeof out, 1, 0, 1, &rng), 0);
    assert_int_equal(gen_smb_session_setup_response(out, sizeof out, 1, 0, 1, &rng), 0);
    assert_int_equal(
            gen_smb_session_setup_request(out, sizeof out, 1, 0, GEN_SMB_TOKEN_MAX + 1, &rng), 0);
    assert_int_equal(gen_smb_tree_connect_request(out, sizeof out, 2, 9, "", "s", &rng), 0);
    assert_int_equal(gen_smb_tree_connect_request(out, sizeof out, 2, 9, "a\\b", "s", &rng), 0);
    assert_int_equal(gen_smb_tree_connect_request(out, sizeof out, 2, 9, "srv", NULL, &rng), 0);
    assert_int_equal(gen_smb_tree_connect_request(out, sizeof out, 2, 9, "srv", "s\n", &rng), 0);
    assert_int_equal(gen_smb_tree_connect_response(out, sizeof out, 2, 9, 1, 4, &rng), 0);
    assert_int_equal(gen_smb_encrypted(out, sizeof out, 1, 0, &rng), 0);
    assert_int_equal(gen_smb_encrypted(out, sizeof out, 1, GEN_SMB_STREAM_MAX, &rng), 0);
    char longname[1001];
    memset(longname, 'a', 1000);
    longname[1000] = '\0';
    assert_int_equal(gen_smb_tree_connect_request(out, sizeof out, 2, 9, longname, "s", &rng), 0);
}

static size_t build(int which, uint8_t *out, size_t cap, struct gen_rng *rng)
{
    switch (which) {
    case 0:
        return gen_smb_negotiate_request(out, cap, 0, rng);
    case 1:
        return gen_smb_negotiate_response(out, cap, 0, NULL, 0, rng);
    case 2:
        return gen_smb_session_setup_request(out, cap, 1, 0, 300, rng);
    case 3:
        return gen_smb_session_setup_response(out, cap, 1, 2, 150, rng);
    case 4:
        return gen_smb_tree_connect_request(out, cap, 2, 2, "fs1", "share", rng);
    case 5:
        return gen_smb_tree_connect_response(out, cap, 2, 2, 3, 0, rng);
    default:
        return gen_smb_encrypted(out, cap, 2, 100, rng);
    }
}

static void test_gen_smb_short_buffers_give_zero_and_nothing_past_cap(void **state)
{
    (void)state;
    short_cap_check_family(build, 7, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_smb_negotiate_request_offers_five_dialects_and_two_contexts),
            cmocka_unit_test(test_gen_smb_negotiate_response_chooses_311_with_spnego_blob),
            cmocka_unit_test(test_gen_smb_session_setup_request_wraps_token_in_neg_token_resp),
            cmocka_unit_test(test_gen_smb_neg_token_resp_uses_long_form_lengths),
            cmocka_unit_test(test_gen_smb_session_setup_response_is_signed_and_completed),
            cmocka_unit_test(
                    test_gen_smb_session_setup_response_without_token_holds_neg_state_only),
            cmocka_unit_test(test_gen_smb_tree_connect_request_spells_unc_path_in_utf16le),
            cmocka_unit_test(test_gen_smb_tree_connect_response_sets_type_flags_and_tree),
            cmocka_unit_test(test_gen_smb_encrypted_is_transform_header_and_payload),
            cmocka_unit_test(test_gen_smb_random_fields_differ_between_streams),
            cmocka_unit_test(test_gen_smb_rejects_bad_arguments),
            cmocka_unit_test(test_gen_smb_short_buffers_give_zero_and_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

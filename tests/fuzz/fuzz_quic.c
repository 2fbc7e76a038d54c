/*
 * Fuzz target: one UDP datagram per input, through hs_quic_parse_initial(), then its CRYPTO
 * frames through the reassembler. The first input byte picks the mode:
 *   bit 0 clear: the rest is the datagram, as captured (seeds: real and RFC Initials);
 *   bit 0 set:   the rest is an Initial's PLAINTEXT, protected here (tests/unit/support/
 *                quic_seal.c, the RFC keys) as version 1 or 2 (bit 1) with a packet number of
 *                1..4 bytes (bits 2-3) and reserved bits (bits 4-5) before parsing, so the
 *                fuzzer reaches the frame walk, which a random datagram never does;
 *   bit 7:       a scratch buffer of 64 bytes instead of 2048.
 * Any status is fine; reading outside the input, a frame outside the plaintext, counts over
 * their caps, or a sealed packet that fails to authenticate or comes back changed is not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/hs_quic.h"
#include "tests/unit/support/quic_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frames(const struct hs_quic_initial *in, const uint8_t *scratch)
{
    if (in->n_crypto > HS_QUIC_CRYPTO_MAX || in->n_crypto > in->crypto_total)
        abort();
    static struct hs_quic_crypto c;
    hs_quic_crypto_init(&c);
    for (uint16_t i = 0; i < in->n_crypto; i++) {
        const struct hs_quic_crypto_frame *f = &in->crypto[i];
        if (f->data < scratch || f->data + f->len > scratch + in->payload_len)
            abort();
        int rc = hs_quic_crypto_add(&c, f->offset, f->data, f->len);
        if (rc != 0 && !c.cut)
            abort();
    }
    size_t n = hs_quic_crypto_contiguous(&c);
    if (n > HS_QUIC_CRYPTO_CAP)
        abort();
    /* Every reassembled byte came from a frame that holds it. */
    for (size_t at = 0; at < n; at += 97) {
        bool found = false;
        for (uint16_t i = 0; i < in->n_crypto && !found; i++) {
            const struct hs_quic_crypto_frame *f = &in->crypto[i];
            found = f->offset <= at && at - f->offset < f->len;
        }
        if (!found)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hs_quic *q;
    static uint8_t scratch[2048];
    static uint8_t sealed[1500];
    if (!q && !(q = hs_quic_create(NULL)))
        abort();
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *dgram = data + 1;
    size_t len = size - 1;
    size_t cap = mode & 0x80 ? 64 : sizeof(scratch);
    bool seal = mode & 1;
    if (seal) {
        uint32_t version = mode & 2 ? HS_QUIC_V2 : HS_QUIC_V1;
        unsigned pn_len = ((mode >> 2) & 3) + 1;
        len = quic_seal(version, data + 1, size - 1, 0x01020304, pn_len, (mode >> 4) & 3, sealed,
                        sizeof(sealed));
        if (len == 0)
            return 0; /* too long, or too short to sample */
        dgram = sealed;
    }
    struct hs_quic_initial in;
    enum hs_quic_status st = hs_quic_parse_initial(q, dgram, len, scratch, cap, &in);
    if ((unsigned)st >= HS_QUIC_STATUS_COUNT || in.dcid.len > HS_QUIC_CID_MAX ||
        in.scid.len > HS_QUIC_CID_MAX || in.packet_len > len || in.payload_len > cap)
        abort();
    if (seal) {
        bool reserved = (mode >> 4) & 3;
        if (st == HS_QUIC_TOO_BIG && size - 1 > cap)
            return 0;
        if (reserved && st != HS_QUIC_BAD_HEADER)
            abort();
        if (reserved)
            return 0;
        if (st != HS_QUIC_OK && st != HS_QUIC_BAD_FRAME && st != HS_QUIC_FRAME_NOT_ALLOWED)
            abort();
        uint64_t pn = 0x01020304 & ((UINT64_C(1) << (8 * in.pn_len)) - 1);
        if (in.payload_len != size - 1 || memcmp(scratch, data + 1, size - 1) != 0 ||
            in.packet_len != len || in.pn_len != ((mode >> 2) & 3) + 1 || in.pn != pn)
            abort();
    }
    if (st == HS_QUIC_OK || st == HS_QUIC_BAD_FRAME || st == HS_QUIC_FRAME_NOT_ALLOWED)
        check_frames(&in, scratch);
    return 0;
}

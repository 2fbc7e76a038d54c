/*
 * Test support: protect a payload as a client's QUIC Initial packet, with the Initial keys that
 * RFC 9001 A.1 (version 1) and RFC 9369 A.1 (version 2) publish for the Destination Connection
 * ID 0x8394c8f03e515708. The keys are the RFCs' numbers, not derived here, and the AES calls are
 * libcrypto's, so packets made here test sensor/hs_quic's frame walk without trusting its key
 * derivation. Used by tests/unit/test_hs_quic.c and tests/fuzz/fuzz_quic.c.
 */
#ifndef UMBRA_TESTS_SUPPORT_QUIC_SEAL_H
#define UMBRA_TESTS_SUPPORT_QUIC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define QUIC_SEAL_DCID_LEN 8
extern const uint8_t quic_seal_dcid[QUIC_SEAL_DCID_LEN];

/*
 * quic_seal() - an Initial of @version (1 or 0x6b3343cf) to quic_seal_dcid, empty SCID and
 * token, a 2-byte Length, packet number @pn on @pn_len (1..4) bytes, the unprotected first
 * byte's reserved bits set to @reserved (0..3), carrying @plain (@plain_len bytes), into @out.
 * Returns the packet's length, or 0 when it does not fit @cap or a 2-byte Length, when
 * @plain_len is too short to sample for header protection (RFC 9001 5.4.2), or on bad arguments.
 */
size_t quic_seal(uint32_t version, const uint8_t *plain, size_t plain_len, uint32_t pn,
                 unsigned pn_len, unsigned reserved, uint8_t *out, size_t cap);

#endif

/*
 * Decode, transport layer: TCP, UDP, ICMP and ICMPv6 headers, and the hand-off of GRE and VXLAN
 * to decode_tunnel. Internal to the decoder: callers use decode_frame() (sensor/decode.h).
 */
#ifndef UMBRA_SENSOR_DECODE_L4_H
#define UMBRA_SENSOR_DECODE_L4_H

#include <stdint.h>

#include "sensor/decode.h"

/*
 * decode_l4() - decode the transport bytes at @p for out->proto and out->frag (set by the IP
 * layer). @cap: bytes captured at @p; @len: transport header + payload per the IP header
 * (>= @cap). Sets every transport field of @out (zero for protocols without them).
 * Returns DECODE_OK, DECODE_TCP_TRUNCATED, DECODE_TCP_BAD_OFFSET, DECODE_UDP_TRUNCATED,
 * DECODE_UDP_BAD_LENGTH, DECODE_ICMP_TRUNCATED or a tunnel status.
 */
enum decode_status decode_l4(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len);

#endif

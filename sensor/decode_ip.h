/*
 * Decode, network layer: IPv4 (options, fragments) and IPv6 (extension headers, fragments).
 * Internal to the decoder: callers use decode_frame() (sensor/decode.h).
 */
#ifndef UMBRA_SENSOR_DECODE_IP_H
#define UMBRA_SENSOR_DECODE_IP_H

#include <stdint.h>

#include "sensor/decode.h"

/*
 * decode_ip_v4() - decode the IPv4 packet at @p and what it carries.
 * @cap: bytes captured at @p; @wire: bytes the layers below allow on the wire (>= @cap).
 * Sets the network-layer fields of @out, then hands the payload to decode_l4().
 * Returns DECODE_OK, DECODE_IP_TRUNCATED, DECODE_IP_BAD_VERSION, DECODE_IPV4_BAD_IHL,
 * DECODE_IP_BAD_LENGTH or a transport-layer status.
 */
enum decode_status decode_ip_v4(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire);

/*
 * decode_ip_v6() - the same for IPv6; walks the extension headers (at most DECODE_MAX_IPV6_EXT).
 * Returns DECODE_OK, DECODE_IP_TRUNCATED, DECODE_IP_BAD_VERSION, DECODE_IP_BAD_LENGTH,
 * DECODE_IPV6_BAD_EXT or a transport-layer status.
 */
enum decode_status decode_ip_v6(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire);

#endif

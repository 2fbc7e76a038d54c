/*
 * Decode, link layer: the capture's link-layer header (Ethernet, Linux cooked SLL/SLL2, raw IP,
 * BSD null/loopback) down to the IP header, and Ethernet frames found inside tunnels.
 * Internal to the decoder: callers use decode_frame() (sensor/decode.h).
 */
#ifndef UMBRA_SENSOR_DECODE_LINK_H
#define UMBRA_SENSOR_DECODE_LINK_H

#include <stdint.h>

#include "sensor/decode.h"

/*
 * decode_link_frame() - decode a frame of link type @linktype (DLT_*) that starts at @p.
 * @cap: bytes captured at @p; @wire: bytes on the wire at @p (>= @cap).
 * Returns DECODE_OK or the status of the first layer that failed; DECODE_LINK_UNSUPPORTED for a
 * link type not listed in sensor/decode.h.
 */
enum decode_status decode_link_frame(struct pkt *out, int linktype, const uint8_t *p, uint32_t cap,
                                     uint32_t wire);

/*
 * decode_link_ether() - decode an Ethernet frame at @p (@cap captured, @wire on the wire), with
 * its VLAN tags, LLC/SNAP and PPPoE headers. Tags are stored in @out only while
 * out->tunnel_depth is 0 (the capture's own link layer).
 */
enum decode_status decode_link_ether(struct pkt *out, const uint8_t *p, uint32_t cap,
                                     uint32_t wire);

#endif

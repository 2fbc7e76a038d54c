/*
 * Decode, tunnels: GRE and VXLAN decapsulation. Internal to the decoder: callers use
 * decode_frame() (sensor/decode.h).
 */
#ifndef UMBRA_SENSOR_DECODE_TUNNEL_H
#define UMBRA_SENSOR_DECODE_TUNNEL_H

#include <stdint.h>

#include "sensor/decode.h"

/*
 * decode_tunnel_gre() - the GRE packet at @p (IP protocol 47). @cap: bytes captured at @p;
 * @len: GRE header + payload per the outer headers (>= @cap). The caller has filled @out as
 * for an outer packet without ports; when the payload is IPv4, IPv6 or Ethernet, it is decoded
 * over those fields and the outer header goes into out->tunnel (if it is the outermost).
 * Returns DECODE_OK (also for GRE versions and payloads not decapsulated, left as they are),
 * DECODE_TUNNEL_BAD, DECODE_TUNNEL_TOO_DEEP or the inner packet's status.
 */
enum decode_status decode_tunnel_gre(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len);

/*
 * decode_tunnel_vxlan() - the VXLAN header at @p (UDP payload to port 4789), then the inner
 * Ethernet frame. @cap, @len: UDP payload captured and per the UDP length.
 * Returns DECODE_TUNNEL_BAD, DECODE_TUNNEL_TOO_DEEP or the inner frame's status.
 */
enum decode_status decode_tunnel_vxlan(struct pkt *out, const uint8_t *p, uint32_t cap,
                                       uint32_t len);

#endif

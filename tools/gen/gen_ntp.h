/*
 * Generator NTP (RFC 5905): a client's mode-3 request and a stratum-2 server's mode-4 reply to
 * it, as UDP payloads of 48 bytes (no extension fields, no MAC). Times are the generator's
 * uint64_t nanoseconds since the Unix epoch, converted to NTP's 32.32 fixed point counted from
 * 1900 (RFC 5905 6).
 *
 * Independent of the sensor on purpose (issue 5): written from the RFC, sharing nothing with the
 * decoders it tests.
 */
#ifndef UMBRA_TOOLS_GEN_NTP_H
#define UMBRA_TOOLS_GEN_NTP_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng;

#define GEN_NTP_LEN 48 /* header only: RFC 5905 7.3 without extension fields or MAC */

/*
 * gen_ntp_timestamp() - @unix_ns as an NTP timestamp (RFC 5905 6): seconds since 1900-01-01 in
 * the high 32 bits, taken modulo 2^32 (so 2036-02-07 06:28:16 UTC, the start of era 1, is 0),
 * and the fraction of a second in units of 2^-32 s in the low 32 bits, rounded up so that
 * converting back with a truncating division gives @unix_ns's nanoseconds again.
 */
uint64_t gen_ntp_timestamp(uint64_t unix_ns);

/*
 * gen_ntp_request() - a client request (mode 3, version 4) sent at @xmt_ns: only the version,
 * mode, poll (6: 64 s) and the transmit timestamp are set, as data-minimising clients such as
 * chrony and systemd-timesyncd send them. @rng is not used and may be NULL.
 *
 * Return: GEN_NTP_LEN, or 0 if @out is NULL or @cap is less than GEN_NTP_LEN.
 */
size_t gen_ntp_request(uint8_t *out, size_t cap, uint64_t xmt_ns, struct gen_rng *rng);

/*
 * gen_ntp_reply() - a stratum-2 server's reply (mode 4) to the request @req (@req_len bytes)
 * that arrived at @rx_ns and is answered at @tx_ns. As RFC 5905's fast_xmit() (appendix A.5.5)
 * does, it copies the request's version and poll and its transmit timestamp bits into the
 * originate timestamp. The reference id is an upstream server's IPv4 address and the reference
 * timestamp the last clock update, both derived from @rx_ns so that they stay put for a while
 * as a real server's do; root delay and dispersion are drawn from @rng (a few to a few tens of
 * milliseconds).
 *
 * @out may be @req: the request is read before the reply is written.
 *
 * Return: GEN_NTP_LEN, or 0 if @out, @req or @rng is NULL, @req is shorter than GEN_NTP_LEN or
 * is not a client request (mode 3, version 1..4), @tx_ns is before @rx_ns, or @cap is less
 * than GEN_NTP_LEN.
 */
size_t gen_ntp_reply(uint8_t *out, size_t cap, const uint8_t *req, size_t req_len, uint64_t rx_ns,
                     uint64_t tx_ns, struct gen_rng *rng);

#endif

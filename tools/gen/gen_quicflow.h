/*
 * Generator QUIC connections: a whole HTTP/3 connection over QUIC version 1 (RFC 9000, RFC 9001,
 * RFC 9114) as a browser makes it, laid out as the datagrams of a gen_script for a UDP flow.
 *
 * What the script holds, in order (C: client, S: server; every datagram fits GEN_FRAME_MAX):
 *
 *  1. C: the ClientHello (gen_tls_client_hello_quic) in really protected Initial packets, each
 *     in its own datagram padded to the browser's size: Chrome's 1.8 kB hello takes two
 *     datagrams of 1250 bytes (quiche's kDefaultMaxPacketSize), Firefox's fits one of 1357
 *     (neqo's IPv4 path MTU). Destination Connection ID: 8 random bytes. Source Connection ID:
 *     empty for Chrome (quiche clients use no connection id of their own), 3 random bytes for
 *     Firefox (neqo_glue's connection id generator).
 *  2. S: after @server_ms, an Initial (ACK of the client's Initials, a real ServerHello from
 *     gen_tls_server_hello13) coalesced with a Handshake packet, then Handshake packets: the
 *     encrypted EncryptedExtensions, Certificate (2.5 to 4 kB of chain), CertificateVerify and
 *     Finished as random bytes, in datagrams of up to 1252 bytes. The server's packets go to
 *     the client's Source Connection ID from its own new 8-byte one. The server sends no more
 *     than three times the bytes it has received until the client's first Handshake packet
 *     validates its address (RFC 9000 8.1): a flight that does not fit waits for the client's
 *     Initial and Handshake ACKs.
 *  3. C: Initial ACK + Handshake (ACK, Finished) + a 1-RTT packet with the HTTP/3 control and
 *     QPACK streams and, when it fits, the first request, in one datagram padded to the
 *     browser's size (RFC 9000 14.1: every client datagram with an Initial; a client that
 *     has already sent a Handshake packet has dropped its Initial keys and sends none). 1-RTT
 *     packets go to the server's connection id.
 *  4. For each exchange: the request (its plaintext plus 25..40 bytes of HTTP/3 and QUIC
 *     framing; after @think_ns[i] for i > 0), then, after a server time drawn around 8 ms, the
 *     response in 1-RTT datagrams of up to 1252 bytes, sent in round trips as a congestion
 *     window of 10 datagrams in slow start allows (RFC 9002 7.2, 7.3.1). The first response
 *     also carries the server's HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_ID and control
 *     stream. After each round the client sends one short ACK packet (32 to 35 bytes) per two
 *     datagrams received (RFC 9000 13.2.2); an odd last datagram is acknowledged after
 *     max_ack_delay (25 ms), or by the client's next packet if that comes sooner. Think times
 *     run from the response's arrival.
 *  5. C: a CONNECTION_CLOSE in a short packet (37 to 44 bytes), @idle_ns after the last
 *     response; the caller's gen_script_end() linger follows it.
 *
 * Steps of a burst (the datagrams of a flight, the ACKs of a round) are no_wait steps, so they
 * leave back to back at the sender's link rate; the last step of a burst waits for its arrival.
 * A script holds GEN_SCRIPT_STEPS steps: when the ACKs at one per two datagrams would not fit,
 * the client acknowledges every third, fourth, ... datagram instead (fewer ACKs, as quiche's
 * ACK decimation sends on long transfers), never less than once per round trip; when even
 * that does not fit, the connection does not fit a script.
 *
 * Long-header datagrams are stored in the script whole (the Initial packets are encrypted);
 * of a datagram ending in a packet of random bytes only the header is stored, and the session
 * fills the rest with random bytes (GEN_FILL_BYTES).
 *
 * Stateless and thread-safe for distinct scripts and rngs.
 */
#ifndef UMBRA_TOOLS_GEN_QUICFLOW_H
#define UMBRA_TOOLS_GEN_QUICFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_tls.h"

struct gen_rng;
struct gen_script;

/* One connection. Borrowed pointers are read during the call only. */
struct gen_quicflow {
    enum gen_tls_profile profile; /* GEN_TLS_CHROME or GEN_TLS_FIREFOX (browsers that speak QUIC) */
    const char *sni;              /* server name, or NULL / "" for none */
    uint64_t server_ms;           /* server processing before its first flight, ms */
    const uint64_t *responses;    /* plaintext bytes of each HTTP/3 response */
    const uint64_t *requests;     /* plaintext bytes of each request */
    const uint64_t *think_ns;     /* before each request (first: 0; NULL: all 0) */
    size_t nx;                    /* exchanges; 0 is a connection that only shakes hands */
    uint64_t idle_ns;             /* idle time before the client's CONNECTION_CLOSE */
};

/*
 * gen_quicflow_script() - append the connection's datagrams to @sc as steps (side, bytes,
 * think time), drawing connection ids, sizes and times from @rng. End the script with
 * gen_script_end() without a TLS alert (the close is QUIC's own). @sc must have room for
 * gen_quicflow_bytes() bytes of given content besides what it already holds.
 *
 * Returns 0; -EINVAL if an argument is NULL (@q->requests and @q->responses may be NULL only
 * when @q->nx is 0), the profile is neither Chrome nor Firefox, or the server name is longer
 * than a DNS name; -ENOSPC if the connection needs more steps than @sc has left (a response
 * too large: the caller can fall back to TLS over TCP), in which case @sc is left as it was,
 * or if @sc's byte store is full, in which case @sc holds part of the connection; -EIO if
 * libcrypto fails.
 */
int gen_quicflow_script(struct gen_script *sc, const struct gen_quicflow *q, struct gen_rng *rng);

/*
 * gen_quicflow_bytes() - the most bytes of given content gen_quicflow_script() adds to a script
 * for @q (for gen_script_create()). Does not depend on the exchanges' sizes: only the handshake
 * and packet headers are stored.
 */
size_t gen_quicflow_bytes(const struct gen_quicflow *q);

#endif

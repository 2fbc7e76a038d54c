/*
 * Transport: the ZeroMQ plumbing both daemons share. Socket options every Umbra socket is
 * given (CURVE as client or server, linger, reconnect, ZMTP heartbeats, message-size cap), the
 * socket monitor that says when a connection came up, went away or was refused, and the
 * edge-triggered readiness test that event loops need.
 *
 * A ZeroMQ socket's file descriptor (ZMQ_FD) signals edges, not levels: it becomes readable when
 * the socket's state *may* have changed, and stays quiet until the next change even while
 * messages are waiting. So after every wake-up, and after every send or receive, the owner asks
 * transport_readable() (ZMQ_EVENTS) and keeps reading until it says no; otherwise messages sit
 * unread until some unrelated traffic wakes the loop again. The same goes for a socket just
 * created or connected: read it once before the first wait, or its descriptor may never fire.
 *
 * Sockets belong to one thread; these functions keep no state of their own.
 */
#ifndef UMBRA_COMMON_TRANSPORT_H
#define UMBRA_COMMON_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/curve_keys.h"

struct log;

/* The ZAP domain of Umbra's CURVE servers; the ZAP handler answers only for it. */
#define TRANSPORT_ZAP_DOMAIN "umbra"

/* Options every socket gets. */
struct transport_opts {
    uint64_t max_message;  /* ZMQ_MAXMSGSIZE, bytes: a peer that sends more is disconnected */
    int sndhwm, rcvhwm;    /* messages queued per peer before sends fail with EAGAIN */
    uint64_t heartbeat_ns; /* ZMTP PING interval; a peer silent for 3 of them is dropped */
    uint64_t reconnect_ns; /* first reconnect delay (clients); it doubles up to 30 s */
};

/* transport_configure() - apply @o and linger 0 to @sock (pending sends are in a spool or are
 * acks the peer will ask for again, so none is worth delaying exit for). 0 or -errno, logged. */
int transport_configure(void *sock, const struct transport_opts *o, const char *what,
                        struct log *log);

/*
 * transport_curve_server() - make @sock a CURVE server with the secret key of @own; every
 * connection is then put to the ZAP handler of the socket's context (domain TRANSPORT_ZAP_DOMAIN).
 * transport_curve_client() - make @sock a CURVE client of the server whose public key is
 * @server_pub (Z85), with the key pair @own.
 * Both return 0 or -errno, logged with @what (e.g. "ingest tcp://0.0.0.0:7730").
 */
int transport_curve_server(void *sock, const struct curve_keypair *own, const char *what,
                           struct log *log);
int transport_curve_client(void *sock, const struct curve_keypair *own, const char *server_pub,
                           const char *what, struct log *log);

/* transport_readable() - whether a message can be received from @sock now (ZMQ_EVENTS). */
bool transport_readable(void *sock);

/* One event of a socket monitor. */
struct transport_event {
    uint16_t event;     /* ZMQ_EVENT_* */
    uint32_t value;     /* the event's value: an fd, an errno, a ZAP status, a protocol error */
    char endpoint[256]; /* the endpoint the event concerns, cut to fit */
};

/*
 * transport_monitor_open() - watch @sock's connection events: returns a PAIR socket, in @ctx,
 * that transport_monitor_read() reads; close it with zmq_close() before @sock. @tag makes the
 * inproc name unique in the process (e.g. "export-0"). NULL after logging why.
 */
void *transport_monitor_open(void *ctx, void *sock, const char *tag, struct log *log);

/* transport_monitor_read() - the next event, without waiting: 0, or -EAGAIN when there is none,
 * or -EPROTO for a message that is not a monitor event (skipped). */
int transport_monitor_read(void *mon, struct transport_event *ev);

/* transport_event_name() - "connected", "handshake_failed_auth", ...; never NULL. */
const char *transport_event_name(uint16_t event);

/* transport_protocol_error_name() - what a ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL value means, e.g.
 * "mechanism mismatch" for a plain-TCP peer at a CURVE server; never NULL. */
const char *transport_protocol_error_name(uint32_t value);

#endif

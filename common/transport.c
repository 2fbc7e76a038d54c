/*
 * Transport: ZeroMQ socket options, CURVE roles and socket monitors (see transport.h).
 */
#include "common/transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "common/log.h"

#define NS_PER_MS 1000000ull

static int ms_of(uint64_t ns)
{
    uint64_t ms = ns / NS_PER_MS;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

static int set_opt(void *sock, int opt, const void *val, size_t len, const char *name,
                   const char *what, struct log *log)
{
    if (zmq_setsockopt(sock, opt, val, len) == 0)
        return 0;
    int rc = -errno;
    log_err(log, "%s: zmq_setsockopt(%s): %s", what, name, zmq_strerror(errno));
    return rc;
}

static int set_int(void *sock, int opt, int v, const char *name, const char *what, struct log *log)
{
    return set_opt(sock, opt, &v, sizeof(v), name, what, log);
}

int transport_configure(void *sock, const struct transport_opts *o, const char *what,
                        struct log *log)
{
    int64_t maxmsg = o->max_message > INT64_MAX ? -1 : (int64_t)o->max_message;
    int hb = ms_of(o->heartbeat_ns);
    int rc = set_int(sock, ZMQ_LINGER, 0, "ZMQ_LINGER", what, log);
    if (rc == 0)
        rc = set_opt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg), "ZMQ_MAXMSGSIZE", what, log);
    if (rc == 0 && o->sndhwm > 0)
        rc = set_int(sock, ZMQ_SNDHWM, o->sndhwm, "ZMQ_SNDHWM", what, log);
    if (rc == 0 && o->rcvhwm > 0)
        rc = set_int(sock, ZMQ_RCVHWM, o->rcvhwm, "ZMQ_RCVHWM", what, log);
    if (rc == 0 && hb > 0) {
        /* ZMTP PINGs find a peer that vanished without a FIN (a dropped WAN link) in three
         * intervals, where TCP alone could take many minutes. */
        rc = set_int(sock, ZMQ_HEARTBEAT_IVL, hb, "ZMQ_HEARTBEAT_IVL", what, log);
        if (rc == 0)
            rc = set_int(sock, ZMQ_HEARTBEAT_TIMEOUT, 3 * hb, "ZMQ_HEARTBEAT_TIMEOUT", what, log);
    }
    if (rc == 0 && o->reconnect_ns > 0) {
        rc = set_int(sock, ZMQ_RECONNECT_IVL, ms_of(o->reconnect_ns), "ZMQ_RECONNECT_IVL", what,
                     log);
        if (rc == 0)
            rc = set_int(sock, ZMQ_RECONNECT_IVL_MAX, 30000, "ZMQ_RECONNECT_IVL_MAX", what, log);
    }
    return rc;
}

int transport_curve_server(void *sock, const struct curve_keypair *own, const char *what,
                           struct log *log)
{
    int rc = set_int(sock, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER", what, log);
    if (rc == 0)
        rc = set_opt(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85, CURVE_KEY_Z85_LEN + 1,
                     "ZMQ_CURVE_SECRETKEY", what, log);
    if (rc == 0)
        rc = set_opt(sock, ZMQ_ZAP_DOMAIN, TRANSPORT_ZAP_DOMAIN, strlen(TRANSPORT_ZAP_DOMAIN),
                     "ZMQ_ZAP_DOMAIN", what, log);
    return rc;
}

int transport_curve_client(void *sock, const struct curve_keypair *own, const char *server_pub,
                           const char *what, struct log *log)
{
    int rc = set_opt(sock, ZMQ_CURVE_SERVERKEY, server_pub, CURVE_KEY_Z85_LEN + 1,
                     "ZMQ_CURVE_SERVERKEY", what, log);
    if (rc == 0)
        rc = set_opt(sock, ZMQ_CURVE_PUBLICKEY, own->public_z85, CURVE_KEY_Z85_LEN + 1,
                     "ZMQ_CURVE_PUBLICKEY", what, log);
    if (rc == 0)
        rc = set_opt(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85, CURVE_KEY_Z85_LEN + 1,
                     "ZMQ_CURVE_SECRETKEY", what, log);
    return rc;
}

bool transport_readable(void *sock)
{
    int events = 0;
    size_t len = sizeof(events);
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) != 0)
        return false;
    return (events & ZMQ_POLLIN) != 0;
}

void *transport_monitor_open(void *ctx, void *sock, const char *tag, struct log *log)
{
    char name[128];
    /* The socket's address keeps two monitors in one process apart even with equal tags. */
    snprintf(name, sizeof(name), "inproc://umbra-monitor-%s-%p", tag, sock);
    int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                 ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_BIND_FAILED;
    if (zmq_socket_monitor(sock, name, events) != 0) {
        log_err(log, "%s: zmq_socket_monitor: %s", tag, zmq_strerror(errno));
        return NULL;
    }
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    if (mon == NULL || zmq_connect(mon, name) != 0) {
        log_err(log, "%s: monitor socket: %s", tag, zmq_strerror(errno));
        if (mon != NULL)
            zmq_close(mon);
        zmq_socket_monitor(sock, NULL, 0);
        return NULL;
    }
    int zero = 0;
    zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof(zero));
    return mon;
}

int transport_monitor_read(void *mon, struct transport_event *ev)
{
    /* Two frames: 6 bytes of event (16-bit id, 32-bit value, host order), then the endpoint. */
    uint8_t head[6];
    int n = zmq_recv(mon, head, sizeof(head), ZMQ_DONTWAIT);
    if (n < 0)
        return -EAGAIN;
    int more = 0;
    size_t len = sizeof(more);
    zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &len);
    ev->endpoint[0] = '\0';
    if (more) {
        int m = zmq_recv(mon, ev->endpoint, sizeof(ev->endpoint) - 1, 0);
        if (m < 0)
            m = 0;
        if ((size_t)m > sizeof(ev->endpoint) - 1)
            m = (int)sizeof(ev->endpoint) - 1;
        ev->endpoint[m] = '\0';
        /* Drain anything after the two frames a future libzmq might add. */
        for (zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &len); more;
             zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &len)) {
            char skip[8];
            if (zmq_recv(mon, skip, sizeof(skip), 0) < 0)
                break;
        }
    }
    if (n != (int)sizeof(head))
        return -EPROTO;
    memcpy(&ev->event, head, sizeof(ev->event));
    memcpy(&ev->value, head + 2, sizeof(ev->value));
    return 0;
}

const char *transport_event_name(uint16_t event)
{
    switch (event) {
    case ZMQ_EVENT_CONNECTED:
        return "connected";
    case ZMQ_EVENT_ACCEPTED:
        return "accepted";
    case ZMQ_EVENT_DISCONNECTED:
        return "disconnected";
    case ZMQ_EVENT_CLOSED:
        return "closed";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        return "handshake_succeeded";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return "handshake_failed";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        return "handshake_failed_protocol";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        return "handshake_failed_auth";
    case ZMQ_EVENT_BIND_FAILED:
        return "bind_failed";
    default:
        return "other";
    }
}

const char *transport_protocol_error_name(uint32_t value)
{
    switch (value) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
        return "security mechanism mismatch (one side uses CURVE, the other does not)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
        return "cryptographic error (wrong server key?)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND:
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE:
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED:
        return "malformed ZMTP handshake";
    case ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED:
    case ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY:
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID:
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION:
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE:
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA:
        return "ZAP handler error";
    default:
        return "protocol error";
    }
}

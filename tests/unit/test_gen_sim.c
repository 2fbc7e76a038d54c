/*
 * Generator simulation: TCP as a tap sees it. Each test runs real sessions and reads the frames
 * back with a parser of its own (fixed offsets of Ethernet/IPv4/TCP, RFC 793 fields), checking
 * what any TCP receiver would: the handshake's numbers, a byte stream that reassembles whole
 * and unchanged from what was captured, even with loss, FIN handshakes, and resets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/gen/gen_sim.h"
#include "tools/gen/gen_wire.h"

#define MAX_FRAMES 20000

struct cap {
    size_t n;
    uint64_t t[MAX_FRAMES];
    uint8_t *f[MAX_FRAMES];
    size_t len[MAX_FRAMES];
    int flows;
    uint64_t flow_packets;
    int refused;
};

static void on_out(void *ctx, uint32_t point, uint64_t t, const uint8_t *frame, size_t len)
{
    (void)point;
    struct cap *c = ctx;
    assert_true(c->n < MAX_FRAMES);
    assert_true(c->n == 0 || t >= c->t[c->n - 1]); /* in time order */
    c->t[c->n] = t;
    c->f[c->n] = malloc(len);
    memcpy(c->f[c->n], frame, len);
    c->len[c->n++] = len;
}

static void on_flow(void *ctx, const struct gen_flow_info *fi)
{
    struct cap *c = ctx;
    c->flows++;
    c->flow_packets += fi->packets;
}

static void cap_free(struct cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->f[i]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TCP fields of a captured frame. */
struct seg {
    uint32_t src;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *payload;
    size_t plen;
};

static struct seg parse(const struct cap *c, size_t i)
{
    const uint8_t *ip = c->f[i] + 14;
    const uint8_t *tcp = ip + 20;
    size_t hl = (size_t)(tcp[12] >> 4) * 4;
    struct seg s = {
            .src = be32(ip + 12),
            .seq = be32(tcp + 4),
            .ack = be32(tcp + 8),
            .flags = tcp[13],
            .payload = tcp + hl,
            .plen = (size_t)(ip[2] << 8 | ip[3]) - 20 - hl,
    };
    return s;
}

/* The app: the client sends 500 bytes, the server answers @resp bytes, the client closes. */
struct app_ctx {
    uint64_t resp;
};

static void app_up(struct gen_sess *s)
{
    gen_sess_send(s, GEN_CLIENT, GEN_FILL_RANDOM, NULL, 0, 500, 1);
}

static void app_message(struct gen_sess *s, int dir, uint32_t tag)
{
    (void)tag;
    struct app_ctx *a = gen_sess_app_ctx(s);
    if (dir == GEN_CLIENT)
        gen_sess_send(s, GEN_SERVER, GEN_FILL_RANDOM, NULL, 0, a->resp, 2);
    else
        gen_sess_close(s, GEN_CLIENT);
}

static void app_refused(struct gen_sess *s)
{
    (void)s;
}

static const struct gen_app app = {.up = app_up, .message = app_message, .refused = app_refused};

#define CLIENT_IP 0x0a000001u
#define SERVER_IP 0xc6120001u

static void run(struct cap *c, uint64_t resp, double loss, bool listening, bool probe,
                uint64_t seed)
{
    struct gen_sim_config cfg = {.out = on_out, .flow_done = on_flow, .ctx = c, .seed = seed};
    struct gen_sim *sim = gen_sim_create(&cfg);
    assert_non_null(sim);
    struct app_ctx *a = calloc(1, sizeof *a);
    a->resp = resp;
    struct gen_flow_params p = {
            .proto = 6,
            .ep = {{.ip = CLIENT_IP, .port = 50000, .stack = &gen_stack_windows},
                   {.ip = SERVER_IP, .port = 443, .stack = &gen_stack_linux}},
            .d_ns = {1000000, 10000000},
            .loss = loss,
            .bps = {100000000, 100000000},
            .listening = listening,
            .syn_probe = probe,
            .app = &app,
            .app_ctx = a,
    };
    assert_non_null(gen_sess_start(sim, 0, &p));
    assert_int_equal(gen_sim_run(sim, UINT64_MAX), 0);
    assert_int_equal(gen_sim_stats(sim)->sessions_live, 0);
    gen_sim_destroy(&sim);
}

/* Reassemble @src's stream from the capture; every byte must be seen, each time the same. */
static size_t reassemble(const struct cap *c, uint32_t src, uint32_t isn, uint8_t *buf,
                         uint8_t *have, size_t cap_bytes, int *retransmits)
{
    size_t end = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct seg s = parse(c, i);
        if (s.src != src || s.plen == 0)
            continue;
        size_t off = (uint32_t)(s.seq - isn - 1);
        assert_true(off + s.plen <= cap_bytes);
        for (size_t k = 0; k < s.plen; k++) {
            if (have[off + k]) {
                assert_int_equal(buf[off + k], s.payload[k]); /* a resend carries the same bytes */
                if (k == 0)
                    (*retransmits)++;
            }
            buf[off + k] = s.payload[k];
            have[off + k] = 1;
        }
        if (off + s.plen > end)
            end = off + s.plen;
    }
    for (size_t k = 0; k < end; k++)
        assert_true(have[k]);
    return end;
}

static void check_exchange(double loss, uint64_t resp)
{
    struct cap *c = calloc(1, sizeof *c);
    run(c, resp, loss, true, false, 42);
    assert_true(c->n > 5);
    struct seg syn = parse(c, 0), synack = parse(c, 1);
    assert_int_equal(syn.flags, GEN_TCP_SYN);
    assert_int_equal(synack.flags, GEN_TCP_SYN | GEN_TCP_ACK);
    assert_int_equal(synack.ack, syn.seq + 1);
    struct seg third = parse(c, 2);
    assert_int_equal(third.flags, GEN_TCP_ACK);
    assert_int_equal(third.seq, syn.seq + 1);
    assert_int_equal(third.ack, synack.seq + 1);

    static uint8_t buf[2][1 << 21], have[2][1 << 21];
    memset(have, 0, sizeof have);
    int retrans = 0;
    assert_int_equal(reassemble(c, CLIENT_IP, syn.seq, buf[0], have[0], sizeof buf[0], &retrans),
                     500);
    assert_int_equal(reassemble(c, SERVER_IP, synack.seq, buf[1], have[1], sizeof buf[1], &retrans),
                     resp);
    if (loss > 0)
        assert_true(retrans > 0);
    else
        assert_int_equal(retrans, 0);

    /* Both FINs, each at the end of its stream, and the last frame acknowledges the second. */
    int fins = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct seg s = parse(c, i);
        if (s.flags & GEN_TCP_FIN) {
            uint32_t isn = s.src == CLIENT_IP ? syn.seq : synack.seq;
            uint64_t len = s.src == CLIENT_IP ? 500 : resp;
            assert_int_equal(s.seq, (uint32_t)(isn + 1 + len));
            fins++;
        }
    }
    assert_true(fins >= 2);
    struct seg last = parse(c, c->n - 1);
    assert_int_equal(last.flags, GEN_TCP_ACK);
    assert_int_equal(c->flows, 1);
    assert_int_equal(c->flow_packets, c->n);
    cap_free(c);
    free(c);
}

static void test_gen_sim_tcp_exchange_reassembles_whole(void **state)
{
    (void)state;
    check_exchange(0, 300000);
}

static void test_gen_sim_tcp_recovers_from_loss_with_the_same_bytes(void **state)
{
    (void)state;
    check_exchange(0.03, 1500000);
}

static void test_gen_sim_is_deterministic(void **state)
{
    (void)state;
    struct cap *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    run(a, 200000, 0.02, true, false, 7);
    run(b, 200000, 0.02, true, false, 7);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->t[i], b->t[i]);
        assert_int_equal(a->len[i], b->len[i]);
        assert_memory_equal(a->f[i], b->f[i], a->len[i]);
    }
    cap_free(a);
    cap_free(b);
    free(a);
    free(b);
}

static void test_gen_sim_closed_port_answers_rst(void **state)
{
    (void)state;
    struct cap *c = calloc(1, sizeof *c);
    run(c, 0, 0, false, false, 1);
    assert_int_equal(c->n, 2);
    struct seg syn = parse(c, 0), rst = parse(c, 1);
    assert_int_equal(rst.flags, GEN_TCP_RST | GEN_TCP_ACK);
    assert_int_equal(rst.seq, 0);
    assert_int_equal(rst.ack, syn.seq + 1);
    cap_free(c);
    free(c);
}

static void test_gen_sim_half_open_probe_resets_the_syn_ack(void **state)
{
    (void)state;
    struct cap *c = calloc(1, sizeof *c);
    run(c, 0, 0, true, true, 1);
    assert_int_equal(c->n, 3);
    struct seg syn = parse(c, 0), rst = parse(c, 2);
    assert_int_equal(parse(c, 1).flags, GEN_TCP_SYN | GEN_TCP_ACK);
    assert_int_equal(rst.flags, GEN_TCP_RST);
    assert_int_equal(rst.seq, syn.seq + 1);
    cap_free(c);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_sim_tcp_exchange_reassembles_whole),
            cmocka_unit_test(test_gen_sim_tcp_recovers_from_loss_with_the_same_bytes),
            cmocka_unit_test(test_gen_sim_is_deterministic),
            cmocka_unit_test(test_gen_sim_closed_port_answers_rst),
            cmocka_unit_test(test_gen_sim_half_open_probe_resets_the_syn_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

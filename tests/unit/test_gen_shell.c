/*
 * Generator interactive shells: each test runs a real gen_sim with one gen_shell session and
 * reads the frames back with a parser of its own (fixed offsets of Ethernet II, IPv4 without
 * options and TCP: RFC 791, 793), checking what a tap would see of a human typing: one small
 * packet per keystroke and its echo, human intervals between keystrokes, the preamble first
 * and unchanged, both FINs at the end, and for TLS records that parse.
 *
 * Sizes by hand: an SSH CHANNEL_DATA payload (RFC 4254 5.2) of one byte is 1 + 4 + 4 + 1 = 10
 * bytes; with the padding-length byte 11, padded with 5 to 16 (RFC 4253 6; the length field is
 * not aligned for chacha20-poly1305@openssh.com), plus the 4-byte length and the 16-byte tag:
 * 36. A TLS 1.3 record of one byte (RFC 8446 5.2): 5 + 1 + 1 (content type) + 16 (tag) = 23.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_shell.h"
#include "tools/gen/gen_ssh.h"

#define CLIENT_IP 0x0a000001u
#define SERVER_IP 0xc6120001u

/* TCP flags (RFC 793 3.1). */
#define FIN 0x01
#define SYN 0x02
#define ACK 0x10

#define KEY_GAP_NS (200 * GEN_NS_PER_MS)
#define COMMANDS   20
#define KEYS       10.0

struct cap {
    size_t n, room;
    uint64_t *t;
    uint8_t **f;
    size_t *len;
};

static void on_out(void *ctx, uint32_t point, uint64_t t, const uint8_t *frame, size_t len)
{
    (void)point;
    struct cap *c = ctx;
    if (c->n == c->room) {
        c->room = c->room ? 2 * c->room : 1024;
        c->t = realloc(c->t, c->room * sizeof *c->t);
        c->f = realloc(c->f, c->room * sizeof *c->f);
        c->len = realloc(c->len, c->room * sizeof *c->len);
        assert_true(c->t != NULL && c->f != NULL && c->len != NULL);
    }
    c->t[c->n] = t;
    c->f[c->n] = malloc(len);
    assert_non_null(c->f[c->n]);
    memcpy(c->f[c->n], frame, len);
    c->len[c->n++] = len;
}

static void cap_free(struct cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->f[i]);
    free(c->t);
    free(c->f);
    free(c->len);
    free(c);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A captured TCP segment. */
struct seg {
    uint64_t t;
    int from; /* 0: the client, 1: the server */
    uint32_t seq;
    uint8_t flags;
    const uint8_t *payload;
    size_t plen;
    size_t off; /* stream offset of the first payload byte */
};

static struct seg parse(const struct cap *c, size_t i)
{
    const uint8_t *ip = c->f[i] + 14;
    const uint8_t *tcp = ip + 20;
    size_t hl = (size_t)(tcp[12] >> 4) * 4;
    struct seg s = {
            .t = c->t[i],
            .from = be32(ip + 12) == CLIENT_IP ? 0 : 1,
            .seq = be32(tcp + 4),
            .flags = tcp[13],
            .payload = tcp + hl,
            .plen = (size_t)(ip[2] << 8 | ip[3]) - 20 - hl,
    };
    return s;
}

/* Every segment of the capture, with stream offsets from the two SYNs' sequence numbers. */
struct flow {
    size_t n;
    struct seg *s;
    uint8_t *stream[2]; /* each side's bytes, reassembled */
    size_t stream_len[2];
};

static struct flow *flow_parse(const struct cap *c)
{
    struct flow *fl = calloc(1, sizeof *fl);
    assert_non_null(fl);
    fl->n = c->n;
    fl->s = calloc(c->n, sizeof *fl->s);
    assert_non_null(fl->s);
    uint32_t isn[2] = {0, 0};
    for (size_t i = 0; i < c->n; i++) {
        struct seg s = parse(c, i);
        if (s.flags & SYN)
            isn[s.from] = s.seq;
        s.off = (uint32_t)(s.seq - isn[s.from] - 1);
        fl->s[i] = s;
        if (s.plen > 0 && s.off + s.plen > fl->stream_len[s.from])
            fl->stream_len[s.from] = s.off + s.plen;
    }
    for (int d = 0; d < 2; d++) {
        fl->stream[d] = calloc(1, fl->stream_len[d] + 1);
        uint8_t *have = calloc(1, fl->stream_len[d] + 1);
        assert_true(fl->stream[d] != NULL && have != NULL);
        for (size_t i = 0; i < fl->n; i++) {
            const struct seg *s = &fl->s[i];
            if (s->from != d || s->plen == 0)
                continue;
            memcpy(fl->stream[d] + s->off, s->payload, s->plen);
            memset(have + s->off, 1, s->plen);
        }
        for (size_t k = 0; k < fl->stream_len[d]; k++)
            assert_true(have[k]); /* no hole */
        free(have);
    }
    return fl;
}

static void flow_free(struct flow *fl)
{
    free(fl->stream[0]);
    free(fl->stream[1]);
    free(fl->s);
    free(fl);
}

struct pre {
    int side;
    enum gen_fill fill;
    const uint8_t *bytes;
    size_t n;
    uint64_t len;
    uint64_t think_ns;
};

static struct gen_shell_params params(enum gen_shell_framing framing, int typist)
{
    struct gen_shell_params p = {
            .framing = framing,
            .typist = typist,
            .commands = COMMANDS,
            .keys_per_command = KEYS,
            .key_gap_ns = KEY_GAP_NS,
            .think_ns = 3 * GEN_NS_PER_S,
            .output_bytes = 600,
    };
    return p;
}

static struct cap *run(const struct gen_shell_params *p, const struct pre *pre, size_t npre,
                       uint64_t seed)
{
    struct cap *c = calloc(1, sizeof *c);
    assert_non_null(c);
    struct gen_sim_config cfg = {.out = on_out, .ctx = c, .seed = seed};
    struct gen_sim *sim = gen_sim_create(&cfg);
    assert_non_null(sim);
    size_t bytes = 0;
    for (size_t i = 0; i < npre; i++)
        bytes += pre[i].n;
    struct gen_shell *sh = gen_shell_create(p, bytes);
    assert_non_null(sh);
    for (size_t i = 0; i < npre; i++)
        assert_int_equal(gen_shell_preamble(sh, pre[i].side, pre[i].fill, pre[i].bytes, pre[i].n,
                                            pre[i].len, pre[i].think_ns, false),
                         0);
    struct gen_flow_params fp = {
            .proto = 6,
            .ep = {{.ip = CLIENT_IP, .port = 50022, .stack = &gen_stack_linux},
                   {.ip = SERVER_IP, .port = 22, .stack = &gen_stack_linux}},
            .d_ns = {1000000, 10000000},
            .bps = {100000000, 100000000},
            .listening = true,
            .app = &gen_shell_app,
            .app_ctx = sh,
    };
    assert_non_null(gen_sess_start(sim, 0, &fp));
    assert_int_equal(gen_sim_run(sim, UINT64_MAX), 0);
    assert_int_equal(gen_sim_stats(sim)->sessions_live, 0);
    gen_sim_destroy(&sim);
    return c;
}

/* An OpenSSH client and server: banners and KEXINITs as given bytes, then the encrypted rest
 * of the handshake (authentication, channel and pty) and the server's welcome as sizes. */
struct ssh_pre {
    uint8_t cb[256], sb[256], ck[GEN_SSH_MSG_MAX], sk[GEN_SSH_MSG_MAX];
    struct pre steps[6];
    size_t pre_len[2]; /* preamble bytes from each side */
    size_t given_len[2];
};

static void ssh_preamble(struct ssh_pre *sp)
{
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 2);
    size_t cb = gen_ssh_banner(sp->cb, sizeof sp->cb, GEN_SSH_OPENSSH9_CLIENT, NULL);
    size_t sb = gen_ssh_banner(sp->sb, sizeof sp->sb, GEN_SSH_OPENSSH9_SERVER, NULL);
    size_t ck = gen_ssh_kexinit(sp->ck, sizeof sp->ck, GEN_SSH_OPENSSH9_CLIENT, &rng);
    size_t sk = gen_ssh_kexinit(sp->sk, sizeof sp->sk, GEN_SSH_OPENSSH9_SERVER, &rng);
    assert_true(cb > 0 && sb > 0 && ck > 0 && sk > 0);
    struct pre steps[6] = {
            {GEN_CLIENT, GEN_FILL_BYTES, sp->cb, cb, cb, 0},
            {GEN_SERVER, GEN_FILL_BYTES, sp->sb, sb, sb, GEN_NS_PER_MS},
            {GEN_CLIENT, GEN_FILL_BYTES, sp->ck, ck, ck, 0},
            {GEN_SERVER, GEN_FILL_BYTES, sp->sk, sk, sk, GEN_NS_PER_MS},
            {GEN_CLIENT, GEN_FILL_RANDOM, NULL, 0, 1500, 0},
            {GEN_SERVER, GEN_FILL_RANDOM, NULL, 0, 900, 20 * GEN_NS_PER_MS},
    };
    memcpy(sp->steps, steps, sizeof steps);
    sp->pre_len[0] = cb + ck + 1500;
    sp->pre_len[1] = sb + sk + 900;
    sp->given_len[0] = cb + ck;
    sp->given_len[1] = sb + sk;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Payload segments of side @from after its first @skip stream bytes, of exactly @len bytes
 * (0: any length), into @idx; returns how many. */
static size_t select_segs(const struct flow *fl, int from, size_t skip, size_t len, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < fl->n; i++) {
        const struct seg *s = &fl->s[i];
        if (s->from == from && s->plen > 0 && s->off >= skip && (len == 0 || s->plen == len))
            idx[k++] = i;
    }
    return k;
}

/* The next payload segment from side @from after segment @i, or fl->n. */
static size_t next_payload(const struct flow *fl, size_t i, int from)
{
    for (size_t j = i + 1; j < fl->n; j++)
        if (fl->s[j].from == from && fl->s[j].plen > 0)
            return j;
    return fl->n;
}

/* Keystrokes of the whole session: each line's mean plus "exit" and Enter. */
static void assert_keystroke_count(size_t keys)
{
    double want = COMMANDS * KEYS + 5;
    assert_in_range(keys, (uint64_t)(0.5 * want), (uint64_t)(1.5 * want));
}

/* Fraction, in percent, of the segments @idx[0..@n) whose next payload from the other side is
 * @len1 or @len2 bytes. */
static size_t percent_answered(const struct flow *fl, const size_t *idx, size_t n, size_t len1,
                               size_t len2)
{
    size_t ok = 0;
    for (size_t k = 0; k < n; k++) {
        size_t j = next_payload(fl, idx[k], fl->s[idx[k]].from ^ 1);
        if (j < fl->n && (fl->s[j].plen == len1 || fl->s[j].plen == len2))
            ok++;
    }
    return n ? 100 * ok / n : 0;
}

static uint64_t median_gap(const struct flow *fl, const size_t *idx, size_t n)
{
    assert_true(n > 2);
    uint64_t *gap = calloc(n - 1, sizeof *gap);
    assert_non_null(gap);
    for (size_t k = 1; k < n; k++)
        gap[k - 1] = fl->s[idx[k]].t - fl->s[idx[k - 1]].t;
    qsort(gap, n - 1, sizeof *gap, cmp_u64);
    uint64_t m = gap[(n - 1) / 2];
    free(gap);
    return m;
}

/* Both sides sent a FIN, nothing followed it from that side but ACKs, and the capture's last
 * frame is an ACK. */
static void assert_both_fins(const struct flow *fl)
{
    size_t fin[2] = {fl->n, fl->n};
    for (size_t i = 0; i < fl->n; i++) {
        const struct seg *s = &fl->s[i];
        if ((s->flags & FIN) && fin[s->from] == fl->n)
            fin[s->from] = i;
        if (fin[s->from] < i)
            assert_int_equal(s->plen, 0);
    }
    assert_true(fin[0] < fl->n);
    assert_true(fin[1] < fl->n);
    assert_int_equal(fl->s[fl->n - 1].flags, ACK);
}

/* Walk a stream as TLS records: each is application data (23), version 0x0303, and the
 * records cover the stream exactly. Counts records with a @body-byte body into *@count. */
static void assert_tls_records(const uint8_t *p, size_t len, size_t body, size_t *count)
{
    size_t off = 0;
    *count = 0;
    while (off < len) {
        assert_true(off + 5 <= len);
        assert_int_equal(p[off], 23);
        assert_int_equal(p[off + 1], 3);
        assert_int_equal(p[off + 2], 3);
        size_t n = (size_t)p[off + 3] << 8 | p[off + 4];
        assert_true(n >= 17 && n <= 16384 + 256);
        if (n == body)
            (*count)++;
        off += 5 + n;
    }
    assert_int_equal(off, len);
}

static void test_gen_shell_ssh_len_matches_rfc4253_by_hand(void **state)
{
    (void)state;
    assert_int_equal(gen_shell_ssh_len(10), 36); /* CHANNEL_DATA of 1 byte: 11 + 5 padding */
    assert_int_equal(gen_shell_ssh_len(11), 36); /* of 2 bytes: 12 + 4 */
    assert_int_equal(gen_shell_ssh_len(12), 44); /* of 3 bytes: 13 + 11 (3 is below 4) */
    assert_int_equal(gen_shell_ssh_len(5), 36);  /* CHANNEL_CLOSE: 6 + 10 */
    assert_int_equal(gen_shell_ssh_len(33), 60); /* DISCONNECT: 34 + 6 */
    assert_int_equal(gen_shell_ssh_len(3), 28);  /* 4 + 4 */
    assert_int_equal(gen_shell_ssh_len(9 + 4096), 4132); /* 4106 + 6 */
}

static void test_gen_shell_refuses_bad_params_and_a_full_preamble(void **state)
{
    (void)state;
    struct gen_shell_params p = params(GEN_SHELL_SSH, GEN_CLIENT);
    p.keys_per_command = 0.5;
    assert_null(gen_shell_create(&p, 0));
    p = params(GEN_SHELL_SSH, GEN_CLIENT);
    p.key_gap_ns = 0;
    assert_null(gen_shell_create(&p, 0));
    p = params(GEN_SHELL_SSH, 2);
    assert_null(gen_shell_create(&p, 0));
    p = params((enum gen_shell_framing)7, GEN_CLIENT);
    assert_null(gen_shell_create(&p, 0));

    p = params(GEN_SHELL_TLS, GEN_CLIENT);
    struct gen_shell *sh = gen_shell_create(&p, 4);
    assert_non_null(sh);
    const uint8_t b[5] = {1, 2, 3, 4, 5};
    assert_int_equal(gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, b, 5, 5, 0, false),
                     -ENOSPC);
    assert_int_equal(gen_shell_preamble(sh, 3, GEN_FILL_BYTES, b, 1, 1, 0, false), -EINVAL);
    assert_int_equal(gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, b, 4, 4, 0, false), 0);
    for (int i = 1; i < GEN_SHELL_PREAMBLE_STEPS; i++)
        assert_int_equal(gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_RANDOM, NULL, 0, 9, 0, true),
                         0);
    assert_int_equal(gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_RANDOM, NULL, 0, 9, 0, true),
                     -ENOSPC);
    free(sh); /* never started */
}

static void test_gen_shell_ssh_keystrokes_are_36_bytes_each_echoed(void **state)
{
    (void)state;
    struct ssh_pre sp;
    ssh_preamble(&sp);
    struct gen_shell_params p = params(GEN_SHELL_SSH, GEN_CLIENT);
    struct cap *c = run(&p, sp.steps, 6, 42);
    struct flow *fl = flow_parse(c);
    size_t *idx = calloc(fl->n, sizeof *idx);
    assert_non_null(idx);

    /* After the preamble the client sends keystrokes, then one segment with CHANNEL_CLOSE and
     * DISCONNECT (36 + 60 bytes, by hand above). */
    size_t all = select_segs(fl, 0, sp.pre_len[0], 0, idx);
    size_t keys = select_segs(fl, 0, sp.pre_len[0], 36, idx);
    assert_int_equal(all, keys + 1);
    assert_int_equal(fl->stream_len[0], sp.pre_len[0] + 36 * keys + 96);
    assert_keystroke_count(keys);

    /* Every keystroke's next server segment is its 36-byte echo. */
    assert_true(percent_answered(fl, idx, keys, 36, 36) >= 95);

    /* Human typing: the median interval is the configured one within a factor of 2. */
    uint64_t m = median_gap(fl, idx, keys);
    assert_in_range(m, KEY_GAP_NS / 2, KEY_GAP_NS * 2);

    /* The server wrote command output besides the echoes. */
    assert_true(fl->stream_len[1] > sp.pre_len[1] + 36 * keys + 1000);
    assert_both_fins(fl);
    free(idx);
    flow_free(fl);
    cap_free(c);
}

static void test_gen_shell_preamble_comes_first_byte_for_byte(void **state)
{
    (void)state;
    struct ssh_pre sp;
    ssh_preamble(&sp);
    struct gen_shell_params p = params(GEN_SHELL_SSH, GEN_CLIENT);
    p.commands = 2;
    struct cap *c = run(&p, sp.steps, 6, 5);
    struct flow *fl = flow_parse(c);
    assert_true(fl->stream_len[0] > sp.given_len[0]);
    assert_true(fl->stream_len[1] > sp.given_len[1]);
    size_t cb = sp.steps[0].n, sb = sp.steps[1].n;
    assert_memory_equal(fl->stream[0], sp.cb, cb);
    assert_memory_equal(fl->stream[0] + cb, sp.ck, sp.steps[2].n);
    assert_memory_equal(fl->stream[1], sp.sb, sb);
    assert_memory_equal(fl->stream[1] + sb, sp.sk, sp.steps[3].n);
    assert_memory_equal(fl->stream[0], "SSH-2.0-", 8);

    /* The server's banner is only sent once the client's has arrived: it follows in time. */
    size_t first[2] = {fl->n, fl->n};
    for (size_t i = 0; i < fl->n; i++)
        if (fl->s[i].plen > 0 && first[fl->s[i].from] == fl->n)
            first[fl->s[i].from] = i;
    assert_true(first[0] < first[1]);
    flow_free(fl);
    cap_free(c);
}

static void test_gen_shell_is_deterministic(void **state)
{
    (void)state;
    struct ssh_pre sp;
    ssh_preamble(&sp);
    struct gen_shell_params p = params(GEN_SHELL_SSH, GEN_CLIENT);
    p.commands = 5;
    struct cap *a = run(&p, sp.steps, 6, 7), *b = run(&p, sp.steps, 6, 7);
    struct cap *other = run(&p, sp.steps, 6, 8);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->t[i], b->t[i]);
        assert_int_equal(a->len[i], b->len[i]);
        assert_memory_equal(a->f[i], b->f[i], a->len[i]);
    }
    bool differs = other->n != a->n;
    for (size_t i = 0; !differs && i < a->n; i++)
        differs = a->t[i] != other->t[i];
    assert_true(differs);
    cap_free(a);
    cap_free(b);
    cap_free(other);
}

static void test_gen_shell_tls_client_segments_are_application_data(void **state)
{
    (void)state;
    struct gen_shell_params p = params(GEN_SHELL_TLS, GEN_CLIENT);
    struct cap *c = run(&p, NULL, 0, 11);
    struct flow *fl = flow_parse(c);
    size_t *idx = calloc(fl->n, sizeof *idx);
    assert_non_null(idx);

    size_t all = select_segs(fl, 0, 0, 0, idx);
    assert_true(all > 0);
    for (size_t k = 0; k < all; k++) {
        const struct seg *s = &fl->s[idx[k]];
        assert_true(s->plen >= 5);
        assert_int_equal(s->payload[0], 23);
        assert_int_equal(s->payload[1], 3);
        assert_int_equal(s->payload[2], 3);
        assert_int_equal((size_t)s->payload[3] << 8 | s->payload[4], s->plen - 5);
    }
    size_t keys = select_segs(fl, 0, 0, 23, idx);
    assert_keystroke_count(keys);
    /* Echo: one byte, or "\r\n" for Enter (24). */
    assert_true(percent_answered(fl, idx, keys, 23, 24) >= 95);
    assert_in_range(median_gap(fl, idx, keys), KEY_GAP_NS / 2, KEY_GAP_NS * 2);

    /* Both streams are whole records; the server's last is its close_notify (19-byte body). */
    size_t n;
    assert_tls_records(fl->stream[0], fl->stream_len[0], 18, &n);
    assert_int_equal(n, keys);
    assert_tls_records(fl->stream[1], fl->stream_len[1], 19, &n);
    assert_true(n >= 1);
    assert_both_fins(fl);
    free(idx);
    flow_free(fl);
    cap_free(c);
}

static void test_gen_shell_reverse_shell_types_from_the_server(void **state)
{
    (void)state;
    struct gen_shell_params p = params(GEN_SHELL_TLS, GEN_SERVER);
    struct cap *c = run(&p, NULL, 0, 12);
    struct flow *fl = flow_parse(c);
    size_t *idx = calloc(fl->n, sizeof *idx);
    assert_non_null(idx);
    size_t keys = select_segs(fl, 1, 0, 23, idx);
    assert_keystroke_count(keys);
    assert_true(percent_answered(fl, idx, keys, 23, 24) >= 95);
    assert_in_range(median_gap(fl, idx, keys), KEY_GAP_NS / 2, KEY_GAP_NS * 2);
    /* The client (the victim's shell) writes the output: far more than the typist. */
    assert_true(fl->stream_len[0] > fl->stream_len[1] + 1000);
    assert_both_fins(fl);
    free(idx);
    flow_free(fl);
    cap_free(c);
}

static void test_gen_shell_rdp_sends_a_press_and_a_release_per_key(void **state)
{
    (void)state;
    struct gen_shell_params p = params(GEN_SHELL_RDP, GEN_CLIENT);
    p.output_bytes = 20000;
    struct cap *c = run(&p, NULL, 0, 13);
    struct flow *fl = flow_parse(c);
    /* A fast-path keyboard PDU is 4 bytes ([MS-RDPBCGR] 2.2.8.1.2), a record body of 21. */
    size_t events, small;
    assert_tls_records(fl->stream[0], fl->stream_len[0], 21, &events);
    assert_int_equal(events % 2, 0);
    assert_keystroke_count(events / 2);
    /* The server does not echo bytes: no record of the server is a keystroke's size, and it
     * sent more than the client. */
    assert_tls_records(fl->stream[1], fl->stream_len[1], 21, &small);
    assert_int_equal(small, 0);
    assert_true(fl->stream_len[1] > 10 * fl->stream_len[0]);
    assert_both_fins(fl);
    flow_free(fl);
    cap_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_shell_ssh_len_matches_rfc4253_by_hand),
            cmocka_unit_test(test_gen_shell_refuses_bad_params_and_a_full_preamble),
            cmocka_unit_test(test_gen_shell_ssh_keystrokes_are_36_bytes_each_echoed),
            cmocka_unit_test(test_gen_shell_preamble_comes_first_byte_for_byte),
            cmocka_unit_test(test_gen_shell_is_deterministic),
            cmocka_unit_test(test_gen_shell_tls_client_segments_are_application_data),
            cmocka_unit_test(test_gen_shell_reverse_shell_types_from_the_server),
            cmocka_unit_test(test_gen_shell_rdp_sends_a_press_and_a_release_per_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Scripts. Steps run strictly in order; timers carry the step index so that a step runs once.
 */
#include "tools/gen/gen_script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct step {
    uint64_t len;
    uint64_t think_ns;
    uint32_t at; /* offset of its given bytes in the store */
    uint32_t n;
    uint8_t side;
    uint8_t fill;
    bool no_wait;
};

struct gen_script {
    struct step steps[GEN_SCRIPT_STEPS];
    size_t nsteps;
    size_t next; /* the next step to run */
    enum gen_script_end how;
    uint64_t linger_ns;
    bool tls_alert;
    gen_script_done_fn *done;
    void *owner;
    uint64_t cookie;
    size_t used, cap;
    uint8_t store[];
};

/* Timer arguments: a step index, or the end. */
#define ARG_END 0xffffffffu

struct gen_script *gen_script_create(size_t bytes_cap)
{
    struct gen_script *sc = calloc(1, sizeof *sc + bytes_cap);
    if (sc != NULL)
        sc->cap = bytes_cap;
    return sc;
}

int gen_script_add(struct gen_script *sc, int side, enum gen_fill fill, const uint8_t *bytes,
                   size_t n, uint64_t len, uint64_t think_ns, bool no_wait)
{
    if (sc->nsteps == GEN_SCRIPT_STEPS || n > sc->cap - sc->used)
        return -ENOSPC;
    struct step *st = &sc->steps[sc->nsteps++];
    st->side = (uint8_t)side;
    st->fill = (uint8_t)fill;
    st->at = (uint32_t)sc->used;
    st->n = (uint32_t)n;
    st->len = len > n ? len : n;
    st->think_ns = think_ns;
    st->no_wait = no_wait;
    if (n > 0)
        memcpy(sc->store + sc->used, bytes, n);
    sc->used += n;
    return 0;
}

void gen_script_end(struct gen_script *sc, enum gen_script_end how, uint64_t linger_ns,
                    bool tls_alert)
{
    sc->how = how;
    sc->linger_ns = linger_ns;
    sc->tls_alert = tls_alert;
}

void gen_script_on_done(struct gen_script *sc, gen_script_done_fn *fn, void *owner, uint64_t cookie)
{
    sc->done = fn;
    sc->owner = owner;
    sc->cookie = cookie;
}

size_t gen_script_steps(const struct gen_script *sc)
{
    return sc->nsteps;
}

static void run_step(struct gen_sess *s, struct gen_script *sc, size_t i)
{
    const struct step *st = &sc->steps[i];
    sc->next = i + 1;
    (void)gen_sess_send(s, st->side, (enum gen_fill)st->fill, sc->store + st->at, st->n, st->len,
                        (uint32_t)i);
    if (st->no_wait && sc->next < sc->nsteps)
        (void)gen_sess_timer(s, sc->steps[sc->next].think_ns, (uint32_t)sc->next);
}

static void schedule(struct gen_sess *s, struct gen_script *sc, size_t i)
{
    if (sc->steps[i].think_ns == 0)
        run_step(s, sc, i);
    else
        (void)gen_sess_timer(s, sc->steps[i].think_ns, (uint32_t)i);
}

static void on_up(struct gen_sess *s)
{
    struct gen_script *sc = gen_sess_app_ctx(s);
    if (sc->nsteps > 0)
        schedule(s, sc, 0);
    else
        (void)gen_sess_timer(s, sc->linger_ns, ARG_END);
}

static void finish(struct gen_sess *s, struct gen_script *sc)
{
    int closer = sc->how == GEN_END_SERVER_FIN ? GEN_SERVER : GEN_CLIENT;
    if (sc->how == GEN_END_CLIENT_RST) {
        gen_sess_reset(s, GEN_CLIENT);
        return;
    }
    if (sc->tls_alert) /* close_notify: 2 bytes of alert, content type, 16-byte tag */
        (void)gen_sess_send(s, closer, GEN_FILL_TLS, NULL, 0, 5 + 19, ARG_END);
    gen_sess_close(s, closer);
}

static void on_message(struct gen_sess *s, int dir, uint32_t tag)
{
    (void)dir;
    struct gen_script *sc = gen_sess_app_ctx(s);
    if (tag == ARG_END || tag + 1 != sc->next || (sc->steps[tag].no_wait && sc->next < sc->nsteps))
        return; /* the close_notify, or a step whose successor did not wait for it */
    if (sc->next < sc->nsteps) {
        schedule(s, sc, sc->next);
        return;
    }
    if (sc->done != NULL)
        sc->done(s, sc->owner, sc->cookie);
    (void)gen_sess_timer(s, sc->linger_ns, ARG_END);
}

static void on_timer(struct gen_sess *s, uint32_t arg)
{
    struct gen_script *sc = gen_sess_app_ctx(s);
    if (arg == ARG_END)
        finish(s, sc);
    else if (arg == sc->next)
        run_step(s, sc, arg);
}

static void on_peer_closed(struct gen_sess *s, int side)
{
    gen_sess_close(s, side);
}

const struct gen_app gen_script_app = {
        .up = on_up,
        .message = on_message,
        .timer = on_timer,
        .peer_closed = on_peer_closed,
};

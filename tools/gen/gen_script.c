/*
 * Scripts. This module owns how a script ends (linger, close or reset, a TLS close_notify) and
 * the call that tells its starter it is done; gen_steps runs the steps themselves.
 */
#include "tools/gen/gen_script.h"

#include <stdlib.h>

#include "tools/gen/gen_steps.h"

struct gen_script {
    struct gen_steps list;
    struct gen_step steps[GEN_SCRIPT_STEPS];
    enum gen_script_end how;
    uint64_t linger_ns;
    bool tls_alert;
    gen_script_done_fn *done;
    void *owner;
    uint64_t cookie;
    uint8_t store[];
};

/* Timer arguments: a step index, or the end. */
#define ARG_END 0xffffffffu

struct gen_script *gen_script_create(size_t bytes_cap)
{
    struct gen_script *sc = calloc(1, sizeof *sc + bytes_cap);
    if (sc != NULL)
        gen_steps_init(&sc->list, sc->steps, GEN_SCRIPT_STEPS, sc->store, bytes_cap);
    return sc;
}

int gen_script_add(struct gen_script *sc, int side, enum gen_fill fill, const uint8_t *bytes,
                   size_t n, uint64_t len, uint64_t think_ns, bool no_wait)
{
    return gen_steps_add(&sc->list, side, fill, bytes, n, len, think_ns, no_wait);
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
    return sc->list.nsteps;
}

static void on_up(struct gen_sess *s)
{
    struct gen_script *sc = gen_sess_app_ctx(s);
    if (!gen_steps_start(s, &sc->list))
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
    if (!gen_steps_message(s, &sc->list, tag))
        return; /* the close_notify, or steps still to come */
    if (sc->done != NULL)
        sc->done(s, sc->owner, sc->cookie);
    (void)gen_sess_timer(s, sc->linger_ns, ARG_END);
}

static void on_timer(struct gen_sess *s, uint32_t arg)
{
    struct gen_script *sc = gen_sess_app_ctx(s);
    if (arg == ARG_END)
        finish(s, sc);
    else
        gen_steps_timer(s, &sc->list, arg);
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

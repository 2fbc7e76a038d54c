/*
 * Step lists. This module owns the order of a list of messages and the times between them:
 * steps run strictly in order, and timers and tags carry the step index so that a step runs
 * once. It does not own what comes after the last step (the owner's end or interactive part)
 * nor the storage (the owner's, so that the owner is one allocation).
 */
#include "tools/gen/gen_steps.h"

#include <errno.h>
#include <string.h>

void gen_steps_init(struct gen_steps *st, struct gen_step *steps, uint32_t max, uint8_t *store,
                    size_t cap)
{
    *st = (struct gen_steps){.steps = steps, .max = max, .store = store, .cap = cap};
}

int gen_steps_add(struct gen_steps *st, int side, enum gen_fill fill, const uint8_t *bytes,
                  size_t n, uint64_t len, uint64_t think_ns, bool no_wait)
{
    if (st->nsteps == st->max || n > st->cap - st->used)
        return -ENOSPC;
    struct gen_step *p = &st->steps[st->nsteps++];
    p->side = (uint8_t)side;
    p->fill = (uint8_t)fill;
    p->at = (uint32_t)st->used;
    p->n = (uint32_t)n;
    p->len = len > n ? len : n;
    p->think_ns = think_ns;
    p->no_wait = no_wait;
    if (n > 0)
        memcpy(st->store + st->used, bytes, n);
    st->used += n;
    return 0;
}

static void run(struct gen_sess *s, struct gen_steps *st, uint32_t i)
{
    const struct gen_step *p = &st->steps[i];
    st->next = i + 1;
    (void)gen_sess_send(s, p->side, (enum gen_fill)p->fill, st->store + p->at, p->n, p->len, i);
    if (p->no_wait && st->next < st->nsteps)
        (void)gen_sess_timer(s, st->steps[st->next].think_ns, st->next);
}

static void schedule(struct gen_sess *s, struct gen_steps *st, uint32_t i)
{
    if (st->steps[i].think_ns == 0)
        run(s, st, i);
    else
        (void)gen_sess_timer(s, st->steps[i].think_ns, i);
}

bool gen_steps_start(struct gen_sess *s, struct gen_steps *st)
{
    if (st->nsteps == 0)
        return false;
    schedule(s, st, 0);
    return true;
}

bool gen_steps_message(struct gen_sess *s, struct gen_steps *st, uint32_t i)
{
    /* Only the step run last counts, and only when its successor waits for it. */
    if (st->next == 0 || i != st->next - 1 || (st->steps[i].no_wait && st->next < st->nsteps))
        return false;
    if (st->next < st->nsteps) {
        schedule(s, st, st->next);
        return false;
    }
    return true;
}

void gen_steps_timer(struct gen_sess *s, struct gen_steps *st, uint32_t i)
{
    if (i == st->next && i < st->nsteps)
        run(s, st, i);
}

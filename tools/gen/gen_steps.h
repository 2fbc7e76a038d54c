/*
 * Step lists: the part of an application that plays a fixed list of messages in order ("the
 * client sends 517 bytes; 3 ms after they arrive the server sends 4 KB; ..."). gen_script is
 * such a list and an end; gen_shell runs one as the clear-text preamble of a session.
 *
 * The list lives in storage its owner provides (the step array and the byte store), so the
 * owner stays one allocation. The owner's gen_app callbacks hand the list what is about steps:
 * a step's message tag and timer argument are its index (0 to the capacity less one), so the
 * owner's own tags and timer arguments must lie outside that range.
 */
#ifndef UMBRA_TOOLS_GEN_STEPS_H
#define UMBRA_TOOLS_GEN_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_sim.h"

struct gen_step {
    uint64_t len;      /* bytes on the wire */
    uint64_t think_ns; /* after the previous step's message arrived (or was sent, no_wait) */
    uint32_t at;       /* offset of its given bytes in the store */
    uint32_t n;        /* bytes given */
    uint8_t side;
    uint8_t fill; /* enum gen_fill */
    bool no_wait; /* the next step does not wait for this one's message to arrive */
};

struct gen_steps {
    struct gen_step *steps; /* the owner's, @max of them */
    uint32_t max;
    uint32_t nsteps; /* added so far */
    uint32_t next;   /* the next step to run */
    uint8_t *store;  /* the owner's, @cap bytes */
    size_t used, cap;
};

/*
 * gen_steps_init() - an empty list in the owner's @steps (room for @max) and @store (@cap
 * bytes). Both are borrowed for the list's life and must not move: the owner's allocation
 * holds them next to @st.
 */
void gen_steps_init(struct gen_steps *st, struct gen_step *steps, uint32_t max, uint8_t *store,
                    size_t cap);

/*
 * gen_steps_add() - a step: @think_ns after the previous step's message arrived (or, with
 * @no_wait, right after it was sent), @side sends @len bytes made as gen_sess_send() says, the
 * first @n given in @bytes (copied). @side is not checked.
 *
 * Return: 0, or -ENOSPC when @max steps are there already or @n bytes do not fit in what is
 * left of the store.
 */
int gen_steps_add(struct gen_steps *st, int side, enum gen_fill fill, const uint8_t *bytes,
                  size_t n, uint64_t len, uint64_t think_ns, bool no_wait);

/*
 * gen_steps_start() - from the owner's up(): run the first step, or set its timer.
 *
 * Return: false when the list is empty, so that it is done at once (nothing was done).
 */
bool gen_steps_start(struct gen_sess *s, struct gen_steps *st);

/*
 * gen_steps_message() - from the owner's message(): step @i's message arrived. Runs the next
 * step (or sets its timer) when it was waiting for this one; ignores a step whose successor
 * did not wait for it, and an @i that is no step.
 *
 * Return: true when this was the arrival of the last step's message: the list is done.
 */
bool gen_steps_message(struct gen_sess *s, struct gen_steps *st, uint32_t i);

/* gen_steps_timer() - from the owner's timer(): step @i's time has come; run it if it is the
 * next one (a stale or foreign @i is ignored). */
void gen_steps_timer(struct gen_sess *s, struct gen_steps *st, uint32_t i);

#endif

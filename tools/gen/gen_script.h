/*
 * Scripts: the application side of most flows as a list of steps ("the client sends 517 bytes;
 * 3 ms after they arrive the server sends 4 KB; ..."), then an idle time and a close. A script
 * is a struct gen_app with its steps as the session's app_ctx; whoever starts the flow can be
 * told when the last step has arrived (a DNS answer that lets a connection start).
 */
#ifndef UMBRA_TOOLS_GEN_SCRIPT_H
#define UMBRA_TOOLS_GEN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_sim.h"

#define GEN_SCRIPT_STEPS 128

struct gen_script;

/* Called when the last step's message has fully arrived; @cookie as given. */
typedef void gen_script_done_fn(struct gen_sess *s, void *owner, uint64_t cookie);

/* How a script ends after its last step. */
enum gen_script_end {
    GEN_END_CLIENT_FIN, /* the client closes, then the server */
    GEN_END_SERVER_FIN, /* the server closes, then the client */
    GEN_END_CLIENT_RST, /* the client resets */
};

/* gen_script_create() - an empty script with room for @bytes_cap bytes of given content.
 * NULL on out-of-memory. Passed as app_ctx, it is freed with the session. */
struct gen_script *gen_script_create(size_t bytes_cap);

/*
 * gen_script_add() - a step: @think_ns after the previous step's message arrived (or, with
 * @no_wait, right after it was sent), @side sends @len bytes made as gen_sess_send() says, the
 * first @n given in @bytes (copied). -ENOSPC when the script is full.
 */
int gen_script_add(struct gen_script *sc, int side, enum gen_fill fill, const uint8_t *bytes,
                   size_t n, uint64_t len, uint64_t think_ns, bool no_wait);

/* gen_script_end() - after the last step, wait @linger_ns, then end as @how says. A @tls_alert
 * sends an encrypted close_notify (a 24-byte record) before the FIN. */
void gen_script_end(struct gen_script *sc, enum gen_script_end how, uint64_t linger_ns,
                    bool tls_alert);

/* gen_script_on_done() - call @fn(@owner, @cookie) when the last step has arrived. */
void gen_script_on_done(struct gen_script *sc, gen_script_done_fn *fn, void *owner,
                        uint64_t cookie);

/* gen_script_steps() - steps added so far. */
size_t gen_script_steps(const struct gen_script *sc);

extern const struct gen_app gen_script_app;

#endif

/*
 * Interactive shells: the application side of a flow in which a human types at a remote shell
 * inside an already encrypted channel (SSH, a TLS tunnel or reverse shell, RDP). One message
 * per keystroke, the shell's echo of it, the command's output after Enter, the human's thinking
 * before the next command, and at the end "exit" and the channel's close.
 *
 * The clear-text start (banners, key exchange, a TLS handshake) is the caller's: it is given as
 * a preamble of steps that run first, exactly as gen_script's steps do. The interactive part
 * starts when the last preamble step has arrived (at once when there is none).
 *
 * A gen_shell is a struct gen_app (gen_shell_app) with the gen_shell as the session's app_ctx;
 * like a gen_script it is one allocation, and the simulation frees it with the session. All of
 * its randomness comes from the session's stream (gen_sess_rng()), so a capture is a function
 * of the seed. Nothing is allocated once the flow runs.
 *
 * Not modelled: OpenSSH 9.5 and later clients obscure keystroke timing by default
 * (ObscureKeystrokeTiming: keystrokes go out on a 20 ms clock, with chaff packets of the same
 * size for a while after typing stops); GEN_SHELL_SSH is an older OpenSSH, PuTTY or any client
 * with that option off. Mouse input in RDP sessions is not modelled either.
 */
#ifndef UMBRA_TOOLS_GEN_SHELL_H
#define UMBRA_TOOLS_GEN_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_sim.h"

#define GEN_SHELL_PREAMBLE_STEPS 16

struct gen_shell;

/* How the channel wraps what the two ends write. */
enum gen_shell_framing {
    /* SSH binary packets (RFC 4253 6) with chacha20-poly1305@openssh.com, random bytes on the
     * wire: channel data of n bytes is gen_shell_ssh_len(9 + n), 36 bytes for a keystroke or
     * its echo. */
    GEN_SHELL_SSH,
    /* TLS 1.3 application-data records: n bytes written are gen_sim_tls_len(n) on the wire
     * (23 for a keystroke). A TLS tunnel, or a reverse shell behind socat/ncat --ssl. */
    GEN_SHELL_TLS,
    /* RDP inside TLS: a keystroke is a fast-path input PDU for the key press and another for
     * its release; the server answers with screen updates (a few hundred bytes per keystroke,
     * the command's output as a larger update), not with the typed bytes. */
    GEN_SHELL_RDP,
};

struct gen_shell_params {
    enum gen_shell_framing framing;
    int typist;              /* side at the keyboard: GEN_CLIENT, or GEN_SERVER (reverse shell) */
    uint32_t commands;       /* commands typed before "exit" */
    double keys_per_command; /* mean keystrokes of a command line, Enter included; >= 1 */
    uint64_t key_gap_ns;     /* median time between keystrokes; > 0 */
    uint64_t think_ns;       /* median pause between a command's prompt and the next command */
    uint64_t output_bytes;   /* median bytes a command writes (RDP: of its screen update) */
};

/*
 * gen_shell_create() - a shell session as @p says, with room for @preamble_bytes_cap bytes of
 * given preamble content. Pass it as the flow's app_ctx with gen_shell_app; the simulation
 * frees it with the session (free() it yourself only if the flow is never started).
 *
 * Return: the shell, or NULL on out-of-memory or when @p is invalid (an unknown framing or
 * typist, keys_per_command below 1 or not finite, key_gap_ns 0).
 */
struct gen_shell *gen_shell_create(const struct gen_shell_params *p, size_t preamble_bytes_cap);

/*
 * gen_shell_preamble() - a preamble step, as gen_script_add(): @think_ns after the previous
 * step's message arrived (or, with @no_wait, right after it was sent), @side sends @len bytes
 * made as gen_sess_send() says, the first @n given in @bytes (copied). Steps run in the order
 * added, before the interactive part.
 *
 * Return: 0; -ENOSPC when GEN_SHELL_PREAMBLE_STEPS steps are there already or @n bytes do not
 * fit in what is left of the capacity; -EINVAL for a @side that is neither side.
 */
int gen_shell_preamble(struct gen_shell *sh, int side, enum gen_fill fill, const uint8_t *bytes,
                       size_t n, uint64_t len, uint64_t think_ns, bool no_wait);

/*
 * gen_shell_ssh_len() - bytes on the wire of an SSH packet with a @payload-byte payload (message
 * type included) under chacha20-poly1305@openssh.com: the 4-byte length, the padding-length
 * byte, the payload and 4 to 11 bytes of padding that make the last three a multiple of 8 (the
 * length is not counted for this cipher), then the 16-byte Poly1305 tag. For the encrypted
 * messages of a preamble (service request, authentication, channel open) as well.
 */
uint64_t gen_shell_ssh_len(uint64_t payload);

extern const struct gen_app gen_shell_app;

#endif

/*
 * Interactive shells. This module owns the dynamics of one typed session: when keys are
 * pressed, what the far end answers and when, how big each message is on the wire for the
 * framing, and how the session ends. It does not own TCP (gen_sim segments, acknowledges and
 * retransmits), the clear-text handshake (the caller's preamble) or the content of encrypted
 * bytes (random, or TLS records made by gen_sim).
 *
 * The two ends: the "typist" presses keys; the "shell" end echoes them and writes command
 * output. In SSH and in a TLS tunnel the typist is the client; in a reverse shell the victim
 * connects out, so the typist is the server.
 *
 * Sequence of one command line: the typist presses keys one after another at human intervals,
 * not waiting for echoes (timers); each key's message, once arrived, makes the shell echo it
 * after a short processing time; the echo of Enter is followed by the command's output and the
 * next prompt; the prompt's arrival starts the typist's thinking, then the next line. Timers
 * and message tags carry a kind and a small value, so each callback knows what it is about.
 *
 * Numbers and their sources:
 * - Inter-key intervals are log-normal (sigma 0.5) around key_gap_ns. Dhakal, Feit, Kristensson
 *   and Oulasvirta, "Observations on Typing from 136 Million Keystrokes" (CHI 2018), report a
 *   mean inter-key interval of about 238 ms and a long right tail; we add a pause of about a
 *   second to 5% of keys for that tail (recalling a path or an option; rate and length are our
 *   modelling choice, not from the paper).
 * - One packet per keystroke, echoed by the server: Song, Wagner and Tian, "Timing Analysis of
 *   Keystrokes and Timing Attacks on SSH" (USENIX Security 2001), section 2.
 * - SSH sizes: RFC 4253 6 (binary packet: length, padding length, payload, at least 4 bytes of
 *   random padding to a multiple of the cipher's block size), RFC 4254 5.2 (CHANNEL_DATA: type,
 *   recipient channel, string data), OpenSSH's PROTOCOL.chacha20poly1305 (length encrypted
 *   separately, 16-byte Poly1305 tag) and packet.c (for AEAD ciphers the 4-byte length is left
 *   out of the block alignment; chacha's block size is 8).
 * - SSH end (OpenSSH): sshd sends exit-status and eow@openssh.com channel requests, then
 *   CHANNEL_EOF and CHANNEL_CLOSE (session.c, channels.c); the client answers CHANNEL_CLOSE,
 *   and client_loop() ends with SSH_MSG_DISCONNECT "disconnected by user" (clientloop.c) before
 *   it closes the socket.
 * - Output is read from a pty in pieces of at most 4096 bytes (Linux N_TTY_BUF_SIZE), so a
 *   large output becomes several messages; RDP updates are capped at one TLS record.
 * - RDP: [MS-RDPBCGR] 2.2.8.1.2 fast-path input: fpInputHeader (1 byte), a 1-byte length, and a
 *   TS_FP_KEYBOARD_EVENT (eventHeader, keyCode: 2 bytes); no FIPS or signature fields under
 *   TLS. A key's press and release are two events sent when they happen; key hold times are
 *   of the order of 100 ms (Killourhy and Maxion, "Comparing Anomaly-Detection Algorithms for
 *   Keystroke Dynamics", DSN 2009). The server's screen updates (100 to 400 bytes for a typed
 *   character, 1 to 40 ms after the key as the encoder works in frames) are estimates, not
 *   measurements. The client leaves with an MCS Disconnect Provider Ultimatum ([MS-RDPBCGR]
 *   1.3.1.4.1: TPKT 4 + X.224 data 3 + MCS 2 bytes).
 * - TLS: RFC 8446 6.1, each side sends close_notify before closing its write side.
 * Everything else (processing and run times, output sizes, the prompt) is a modelling choice
 * stated where it is drawn.
 */
#include "tools/gen/gen_shell.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "tools/gen/gen_steps.h"

#define US 1000ull
#define MS GEN_NS_PER_MS
#define S  GEN_NS_PER_S

#define PTY_CHUNK    4096     /* Linux N_TTY_BUF_SIZE: the most one read of a pty returns */
#define RDP_CHUNK    16384    /* one TLS record of update */
#define RDP_KEY_PDU  4        /* fpInputHeader, length, eventHeader, keyCode */
#define RDP_DPUM     9        /* TPKT, X.224 data TPDU, MCS Disconnect Provider Ultimatum */
#define CLOSE_NOTIFY (5 + 19) /* record header, 2-byte alert, content type, 16-byte tag */
#define EXIT_KEYS    5        /* "exit" and Enter */
#define OUTPUT_MAX   (4ull << 20)
#define NO_OUTPUT_P  0.15 /* commands such as cd print nothing but the next prompt */
#define HESITATE_P   0.05

/* SSH payloads (RFC 4254 5.2, 5.3, 6.10; RFC 4253 11.1) in bytes, message type included. */
#define SSH_DATA_HDR    (1 + 4 + 4)              /* CHANNEL_DATA: type, channel, data length */
#define SSH_EXIT_STATUS (1 + 4 + 4 + 11 + 1 + 4) /* CHANNEL_REQUEST "exit-status", status */
#define SSH_EOW         (1 + 4 + 4 + 15 + 1)     /* CHANNEL_REQUEST "eow@openssh.com" */
#define SSH_EOF         (1 + 4)                  /* CHANNEL_EOF */
#define SSH_CLOSE       (1 + 4)                  /* CHANNEL_CLOSE */
#define SSH_DISCONNECT  (1 + 4 + 4 + 20 + 4)     /* reason, "disconnected by user", language "" */
#define SSH_LOGOUT      8                        /* a login shell's "logout\r\n" */

_Static_assert(SSH_EXIT_STATUS == SSH_EOW, "exit-status and eow@openssh.com are the same size");

struct gen_shell {
    struct gen_shell_params p;
    struct gen_steps preamble;
    struct gen_step steps[GEN_SHELL_PREAMBLE_STEPS];
    uint32_t lines;     /* command lines started, "exit" included */
    uint32_t keys_left; /* keys of the current line not yet pressed, Enter included */
    uint64_t out_left;  /* bytes of the current command's output not yet written */
    uint32_t prompt;    /* bytes of the shell's prompt */
    bool exiting;       /* the current line is "exit" */
    uint8_t store[];
};

/* Timer arguments and message tags: a kind in the top four bits, a value below. */
enum kind {
    K_STEP,   /* preamble step (value: its index, the tag gen_steps gives it) */
    K_LINE,   /* timer: the typist starts a line */
    K_KEY,    /* a key press (value: 1 for Enter) */
    K_KEYUP,  /* RDP: a key release */
    K_ECHO,   /* the shell's echo (value: 1 for Enter) */
    K_OUT,    /* the next piece of output */
    K_PROMPT, /* tag: the prompt after a command's output */
    K_CLOSE,  /* timer: the shell end goes; tag: SSH's channel close from the shell end */
    K_BYE,    /* timer: the RDP typist disconnects */
    K_NOTIFY, /* tag: a close_notify */
};

#define KIND_SHIFT 28
_Static_assert(K_STEP == 0, "a preamble step's tag is its gen_steps index, kind and all");
#define VALUE_MASK ((1u << KIND_SHIFT) - 1)

static uint32_t arg(enum kind k, uint32_t v)
{
    return (uint32_t)k << KIND_SHIFT | v;
}

uint64_t gen_shell_ssh_len(uint64_t payload)
{
    uint64_t body = 1 + payload; /* padding length and payload; the length field is left out */
    uint64_t pad = 8 - body % 8;
    if (pad < 4)
        pad += 8;
    return 4 + body + pad + 16;
}

struct gen_shell *gen_shell_create(const struct gen_shell_params *p, size_t preamble_bytes_cap)
{
    if (p->framing != GEN_SHELL_SSH && p->framing != GEN_SHELL_TLS && p->framing != GEN_SHELL_RDP)
        return NULL;
    if ((p->typist != GEN_CLIENT && p->typist != GEN_SERVER) || !isfinite(p->keys_per_command) ||
        p->keys_per_command < 1 || p->key_gap_ns == 0)
        return NULL;
    struct gen_shell *sh = calloc(1, sizeof *sh + preamble_bytes_cap);
    if (sh == NULL)
        return NULL;
    sh->p = *p;
    gen_steps_init(&sh->preamble, sh->steps, GEN_SHELL_PREAMBLE_STEPS, sh->store,
                   preamble_bytes_cap);
    return sh;
}

int gen_shell_preamble(struct gen_shell *sh, int side, enum gen_fill fill, const uint8_t *bytes,
                       size_t n, uint64_t len, uint64_t think_ns, bool no_wait)
{
    if (side != GEN_CLIENT && side != GEN_SERVER)
        return -EINVAL;
    return gen_steps_add(&sh->preamble, side, fill, bytes, n, len, think_ns, no_wait);
}

/* ---- sizes and times ---- */

static int shell_side(const struct gen_shell *sh)
{
    return sh->p.typist ^ 1;
}

static enum gen_fill fill_of(const struct gen_shell *sh)
{
    return sh->p.framing == GEN_SHELL_SSH ? GEN_FILL_RANDOM : GEN_FILL_TLS;
}

/* Bytes on the wire of @n bytes written by either end. */
static uint64_t wire_len(const struct gen_shell *sh, uint64_t n)
{
    if (sh->p.framing == GEN_SHELL_SSH)
        return gen_shell_ssh_len(SSH_DATA_HDR + n);
    return gen_sim_tls_len(n);
}

static uint64_t clamp(double x, uint64_t lo, uint64_t hi)
{
    if (!(x > (double)lo)) /* NaN too */
        return lo;
    return x < (double)hi ? (uint64_t)x : hi;
}

static uint64_t lognormal(struct gen_sess *s, double median, double sigma, uint64_t lo, uint64_t hi)
{
    return clamp(gen_rng_lognormal(gen_sess_rng(s), median, sigma), lo, hi);
}

/* The next inter-key interval: sigma 0.5 around the median, and now and then a pause. */
static uint64_t key_gap(struct gen_sess *s, const struct gen_shell *sh)
{
    uint64_t gap = lognormal(s, (double)sh->p.key_gap_ns, 0.5, US, 60 * S);
    if (gen_rng_chance(gen_sess_rng(s), HESITATE_P))
        gap += lognormal(s, 1.0 * S, 0.7, 100 * MS, 30 * S);
    return gap;
}

/* From a message's arrival to the shell's answer: a wakeup of sshd or the relay and a pty
 * round trip take a fraction of a millisecond; an RDP server sends the screen change with
 * its next encoded frame. */
static uint64_t echo_delay(struct gen_sess *s, const struct gen_shell *sh)
{
    if (sh->p.framing == GEN_SHELL_RDP)
        return lognormal(s, 8.0 * MS, 0.6, 1 * MS, 40 * MS);
    return lognormal(s, 300.0 * US, 0.7, 100 * US, 2 * MS);
}

/* An RDP screen update for a typed character or a prompt line. */
static uint64_t rdp_small_update(struct gen_sess *s)
{
    return gen_rng_range(gen_sess_rng(s), 100, 400);
}

static uint64_t think(struct gen_sess *s, const struct gen_shell *sh)
{
    return lognormal(s, (double)sh->p.think_ns, 1.0, 0, 3600 * S);
}

/* Keys of a command line: log-normal (sigma 0.5) with the given mean, so median = mean /
 * exp(sigma^2 / 2); at least a character and Enter. */
static uint32_t line_keys(struct gen_sess *s, const struct gen_shell *sh)
{
    double median = sh->p.keys_per_command / exp(0.125);
    return (uint32_t)clamp(gen_rng_lognormal(gen_sess_rng(s), median, 0.5) + 0.5, 2, 1000);
}

/* ---- the interactive part ---- */

static void start_interactive(struct gen_sess *s, struct gen_shell *sh)
{
    /* "user@host:~$ " and its kin: 12 to 40 bytes, fixed for the session. */
    sh->prompt = (uint32_t)gen_rng_range(gen_sess_rng(s), 12, 40);
    (void)gen_sess_timer(s, think(s, sh), arg(K_LINE, 0));
}

static void press(struct gen_sess *s, struct gen_shell *sh)
{
    uint32_t enter = --sh->keys_left == 0;
    uint64_t len = sh->p.framing == GEN_SHELL_RDP ? gen_sim_tls_len(RDP_KEY_PDU) : wire_len(sh, 1);
    (void)gen_sess_send(s, sh->p.typist, fill_of(sh), NULL, 0, len, arg(K_KEY, enter));
    if (sh->p.framing == GEN_SHELL_RDP) /* released after the hold time */
        (void)gen_sess_timer(s, lognormal(s, 100.0 * MS, 0.3, 20 * MS, S), arg(K_KEYUP, 0));
    if (!enter)
        (void)gen_sess_timer(s, key_gap(s, sh), arg(K_KEY, 0));
}

static void start_line(struct gen_sess *s, struct gen_shell *sh)
{
    sh->exiting = sh->lines == sh->p.commands;
    sh->lines++;
    sh->keys_left = sh->exiting ? EXIT_KEYS : line_keys(s, sh);
    press(s, sh);
}

/* A command's output: none now and then, else log-normal around the median with a heavy tail
 * (sigma 1.2: most commands print a few lines, a few print pages). */
static uint64_t output_size(struct gen_sess *s, const struct gen_shell *sh)
{
    if (sh->p.output_bytes == 0 || gen_rng_chance(gen_sess_rng(s), NO_OUTPUT_P))
        return 0;
    return lognormal(s, (double)sh->p.output_bytes, 1.2, 1, OUTPUT_MAX);
}

/* The shell end leaves after "exit": SSH's channel close requests, or TLS's close_notify. */
static void shell_close(struct gen_sess *s, struct gen_shell *sh)
{
    int side = shell_side(sh);
    if (sh->p.framing == GEN_SHELL_SSH) {
        uint64_t len = 2 * gen_shell_ssh_len(SSH_EXIT_STATUS) + gen_shell_ssh_len(SSH_EOF) +
                       gen_shell_ssh_len(SSH_CLOSE);
        (void)gen_sess_send(s, side, GEN_FILL_RANDOM, NULL, 0, len, arg(K_CLOSE, 0));
        return;
    }
    (void)gen_sess_send(s, side, GEN_FILL_TLS, NULL, 0, CLOSE_NOTIFY, arg(K_NOTIFY, 0));
    gen_sess_close(s, side);
}

static void echo(struct gen_sess *s, struct gen_shell *sh, bool enter)
{
    int side = shell_side(sh);
    uint64_t n = sh->p.framing == GEN_SHELL_RDP ? rdp_small_update(s) : enter ? 2 : 1; /* \r\n */
    (void)gen_sess_send(s, side, fill_of(sh), NULL, 0, wire_len(sh, n), arg(K_ECHO, enter));
    if (!enter)
        return;
    if (sh->exiting && sh->p.framing == GEN_SHELL_SSH) {
        (void)gen_sess_send(s, side, GEN_FILL_RANDOM, NULL, 0, wire_len(sh, SSH_LOGOUT),
                            arg(K_OUT, 0));
        (void)gen_sess_timer(s, echo_delay(s, sh), arg(K_CLOSE, 0));
        return;
    }
    if (sh->exiting && sh->p.framing == GEN_SHELL_TLS) {
        (void)gen_sess_timer(s, echo_delay(s, sh), arg(K_CLOSE, 0));
        return;
    }
    /* RDP's "exit" closes the console window: a screen update like any output. The command
     * runs for a few milliseconds, now and then for seconds. */
    sh->out_left = output_size(s, sh);
    (void)gen_sess_timer(s, lognormal(s, 5.0 * MS, 1.2, 200 * US, 10 * S), arg(K_OUT, 0));
}

/* The next piece of output, or the prompt once all is written. */
static void output(struct gen_sess *s, struct gen_shell *sh)
{
    int side = shell_side(sh);
    if (sh->out_left == 0) {
        uint64_t n = sh->p.framing == GEN_SHELL_RDP ? rdp_small_update(s) : sh->prompt;
        (void)gen_sess_send(s, side, fill_of(sh), NULL, 0, wire_len(sh, n), arg(K_PROMPT, 0));
        return;
    }
    uint64_t chunk = sh->p.framing == GEN_SHELL_RDP ? RDP_CHUNK : PTY_CHUNK;
    uint64_t n = sh->out_left < chunk ? sh->out_left : chunk;
    sh->out_left -= n;
    (void)gen_sess_send(s, side, fill_of(sh), NULL, 0, wire_len(sh, n), arg(K_OUT, 0));
    /* A command writes as it goes: pieces a millisecond or so apart; the prompt follows the
     * last one after the shell has reaped the command. */
    uint64_t gap =
            sh->out_left > 0 ? lognormal(s, 1.0 * MS, 1.0, 20 * US, 200 * MS) : echo_delay(s, sh);
    (void)gen_sess_timer(s, gap, arg(K_OUT, 0));
}

/* The typist got the prompt: think, then type the next line (or, in RDP, leave). */
static void prompt_arrived(struct gen_sess *s, struct gen_shell *sh)
{
    enum kind next = sh->exiting ? K_BYE : K_LINE;
    (void)gen_sess_timer(s, think(s, sh), arg(next, 0));
}

/* The typist leaves: SSH answers the channel close and disconnects, RDP sends the MCS
 * Disconnect Provider Ultimatum and a close_notify; then the FIN. */
static void typist_close(struct gen_sess *s, struct gen_shell *sh)
{
    int side = sh->p.typist;
    if (sh->p.framing == GEN_SHELL_SSH) {
        uint64_t len = gen_shell_ssh_len(SSH_CLOSE) + gen_shell_ssh_len(SSH_DISCONNECT);
        (void)gen_sess_send(s, side, GEN_FILL_RANDOM, NULL, 0, len, arg(K_BYE, 0));
    } else {
        (void)gen_sess_send(s, side, GEN_FILL_TLS, NULL, 0, gen_sim_tls_len(RDP_DPUM),
                            arg(K_BYE, 0));
        (void)gen_sess_send(s, side, GEN_FILL_TLS, NULL, 0, CLOSE_NOTIFY, arg(K_NOTIFY, 0));
    }
    gen_sess_close(s, side);
}

/* ---- callbacks ---- */

static void on_up(struct gen_sess *s)
{
    struct gen_shell *sh = gen_sess_app_ctx(s);
    if (!gen_steps_start(s, &sh->preamble))
        start_interactive(s, sh);
}

static void on_message(struct gen_sess *s, int dir, uint32_t tag)
{
    (void)dir;
    struct gen_shell *sh = gen_sess_app_ctx(s);
    uint32_t v = tag & VALUE_MASK;
    switch ((enum kind)(tag >> KIND_SHIFT)) {
    case K_STEP:
        if (gen_steps_message(s, &sh->preamble, v))
            start_interactive(s, sh);
        break;
    case K_KEY:
        (void)gen_sess_timer(s, echo_delay(s, sh), arg(K_ECHO, v));
        break;
    case K_PROMPT:
        prompt_arrived(s, sh);
        break;
    case K_CLOSE:
        typist_close(s, sh);
        break;
    default: /* echoes, output, releases, good-byes: nothing to answer */
        break;
    }
}

static void on_timer(struct gen_sess *s, uint32_t a)
{
    struct gen_shell *sh = gen_sess_app_ctx(s);
    uint32_t v = a & VALUE_MASK;
    switch ((enum kind)(a >> KIND_SHIFT)) {
    case K_STEP:
        gen_steps_timer(s, &sh->preamble, v);
        break;
    case K_LINE:
        start_line(s, sh);
        break;
    case K_KEY:
        press(s, sh);
        break;
    case K_KEYUP:
        (void)gen_sess_send(s, sh->p.typist, GEN_FILL_TLS, NULL, 0, gen_sim_tls_len(RDP_KEY_PDU),
                            arg(K_KEYUP, 0));
        break;
    case K_ECHO:
        echo(s, sh, v != 0);
        break;
    case K_OUT:
        output(s, sh);
        break;
    case K_CLOSE:
        shell_close(s, sh);
        break;
    case K_BYE:
        typist_close(s, sh);
        break;
    default:
        break;
    }
}

/* The peer's FIN: TLS ends answer with their own close_notify (RFC 8446 6.1), then close. */
static void on_peer_closed(struct gen_sess *s, int side)
{
    struct gen_shell *sh = gen_sess_app_ctx(s);
    if (sh->p.framing != GEN_SHELL_SSH)
        (void)gen_sess_send(s, side, GEN_FILL_TLS, NULL, 0, CLOSE_NOTIFY, arg(K_NOTIFY, 0));
    gen_sess_close(s, side);
}

const struct gen_app gen_shell_app = {
        .up = on_up,
        .message = on_message,
        .timer = on_timer,
        .peer_closed = on_peer_closed,
};

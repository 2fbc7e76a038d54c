/*
 * Conversations with framing of their own, shared by benign and attack behaviour: interactive
 * sessions (SSH, RDP, a shell inside TLS), WinRM, LDAP, and web visits over QUIC. Each builds
 * the clear-text start with the protocol builders and leaves the encrypted rest to random
 * bytes of the right sizes.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/gen/gen_actor.h"
#include "tools/gen/gen_buf.h"
#include "tools/gen/gen_ldap.h"
#include "tools/gen/gen_spnego.h"
#include "tools/gen/gen_quicflow.h"
#include "tools/gen/gen_rdp.h"
#include "tools/gen/gen_script.h"
#include "tools/gen/gen_shell.h"
#include "tools/gen/gen_ssh.h"

#define MS  GEN_MS
#define SEC GEN_SEC
#define US  1000ull

/* ---- interactive sessions ---- */

/* The SSH start: identification strings, KEXINITs, the ECDH exchange and NEWKEYS, then (all
 * encrypted) the user-auth service, a public-key login, a session channel with a pty and a
 * shell, and the server's banner and prompt. */
static int ssh_preamble(struct gen_shell *sh, struct actor *a, enum gen_ssh_profile client)
{
    const enum gen_ssh_profile server = GEN_SSH_OPENSSH9_SERVER;
    enum gen_ssh_kex kex;
    enum gen_ssh_hostkey hostkey;
    if (gen_ssh_kex_negotiate(client, server, &kex, &hostkey) != 0)
        return -EINVAL;
    uint8_t m[2 * GEN_SSH_MSG_MAX];
    size_t n;
    int rc = 0;
#define STEP(side, len, think)                                                                     \
    rc |= gen_shell_preamble(sh, side, GEN_FILL_BYTES, m, n, len, think, false)
    n = gen_ssh_banner(m, 16384, client, NULL);
    STEP(GEN_CLIENT, n, 0);
    n = gen_ssh_banner(m, 16384, server, NULL);
    STEP(GEN_SERVER, n, 200 * US);
    n = gen_ssh_kexinit(m, 16384, client, &a->rng);
    STEP(GEN_CLIENT, n, 100 * US);
    n = gen_ssh_kexinit(m, 16384, server, &a->rng);
    STEP(GEN_SERVER, n, 100 * US);
    n = gen_ssh_kex_ecdh_init(m, 16384, kex, &a->rng);
    STEP(GEN_CLIENT, n, 300 * US);
    n = gen_ssh_kex_ecdh_reply(m, 16384, kex, hostkey, NULL, &a->rng);
    n += gen_ssh_newkeys(m + n, sizeof m - n, &a->rng);
    STEP(GEN_SERVER, n, 2 * MS);
#undef STEP
    n = gen_ssh_newkeys(m, 16384, &a->rng);
    /* NEWKEYS, then at once SERVICE_REQUEST "ssh-userauth" under the new keys. */
    rc |= gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, m, n, n + gen_shell_ssh_len(17),
                             1 * MS, false);
    const struct {
        int side;
        uint64_t payload; /* SSH payload bytes, message type included */
        uint64_t think_ns;
    } enc[] = {
            {GEN_SERVER, 17 + 40, 300 * US}, /* SERVICE_ACCEPT, EXT_INFO */
            {GEN_CLIENT, 430, 5 * MS},       /* USERAUTH_REQUEST: ed25519 key and signature */
            {GEN_SERVER, 1, 3 * MS},         /* USERAUTH_SUCCESS */
            {GEN_CLIENT, 24, 1 * MS},        /* CHANNEL_OPEN "session" */
            {GEN_SERVER, 17, 500 * US},      /* CHANNEL_OPEN_CONFIRMATION */
            {GEN_CLIENT, 300, 1 * MS},       /* pty-req with its terminal modes, shell */
            {GEN_SERVER, 600, 20 * MS},      /* CHANNEL_SUCCESS, the banner and the prompt */
    };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++)
        rc |= gen_shell_preamble(sh, enc[i].side, GEN_FILL_RANDOM, NULL, 0,
                                 gen_shell_ssh_len(enc[i].payload), enc[i].think_ns, false);
    return rc != 0 ? -ENOSPC : 0;
}

/* A TLS 1.3 start as actor_tls() makes it, into a shell's preamble. */
static int tls13_preamble(struct gen_shell *sh, struct actor *a, enum gen_tls_profile profile,
                          const char *name)
{
    uint8_t ch[4096], sh_[1024];
    size_t chn = gen_tls_client_hello(ch, sizeof ch, profile, name, 0, &a->rng);
    size_t shn = chn ? gen_tls_server_hello13(sh_, sizeof sh_, ch, chn, 0, &a->rng) : 0;
    if (chn == 0 || shn == 0)
        return -EINVAL;
    uint64_t chain = (uint64_t)gen_rng_lognormal(&a->rng, 3000, 0.3);
    static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    int rc = gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, ch, chn, chn, 0, false);
    rc |= gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_TLS, sh_, shn,
                             shn + gen_sim_tls_len(40 + chain + 264 + 36), 2 * MS, false);
    rc |= gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_TLS, ccs, sizeof ccs,
                             sizeof ccs + gen_sim_tls_len(36), 0, false);
    return rc != 0 ? -ENOSPC : 0;
}

/* The RDP start ([MS-RDPBCGR] 1.3.1.1): X.224 connection request and confirm, a TLS 1.2
 * handshake (what Windows' RDP listener negotiates with Schannel), CredSSP's TSRequests
 * ([MS-CSSP] 3.1.5: SPNEGO token, its answer, the public-key echo both ways, the credentials),
 * then MCS, security and capability exchange as a few larger messages. */
static int rdp_preamble(struct gen_shell *sh, struct actor *a, const char *name)
{
    char user[GEN_NAME_MAX + 8];
    actor_user(a, user, sizeof user);
    uint8_t m[8192];
    size_t n = gen_rdp_connection_request(m, 16384, user, NULL);
    int rc = gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, m, n, n, 0, false);
    n = gen_rdp_connection_confirm(m, 16384, NULL);
    rc |= gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_BYTES, m, n, n, 1 * MS, false);
    uint8_t ch[4096];
    size_t chn = gen_tls_client_hello(ch, sizeof ch, GEN_TLS_SCHANNEL, name, 0, &a->rng);
    n = chn ? gen_tls_server_hello12(m, 16384, ch, chn, 0, &a->rng) : 0;
    if (chn == 0 || n == 0)
        return -EINVAL;
    rc |= gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, ch, chn, chn, 0, false);
    rc |= gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_BYTES, m, n, n, 1 * MS, false);
    /* ClientKeyExchange (x25519), ChangeCipherSpec, the encrypted Finished (AES-GCM: 8-byte
     * explicit nonce, 16 bytes of message, 16 of tag) ... */
    uint8_t fin[5 + 37 + 6 + 5 + 40] = {0x16, 3, 3, 0, 37, 0x10, 0, 0, 33, 32};
    gen_rng_fill(&a->rng, fin + 10, 32);
    memcpy(fin + 42, (const uint8_t[]){0x14, 3, 3, 0, 1, 1, 0x16, 3, 3, 0, 40}, 11);
    gen_rng_fill(&a->rng, fin + 53, 40);
    rc |= gen_shell_preamble(sh, GEN_CLIENT, GEN_FILL_BYTES, fin, sizeof fin, sizeof fin, 0, false);
    /* ... and the server's ChangeCipherSpec and Finished. */
    memcpy(fin, (const uint8_t[]){0x14, 3, 3, 0, 1, 1, 0x16, 3, 3, 0, 40}, 11);
    gen_rng_fill(&a->rng, fin + 11, 40);
    rc |= gen_shell_preamble(sh, GEN_SERVER, GEN_FILL_BYTES, fin, 51, 51, 1 * MS, false);
    const struct {
        int side;
        uint64_t plain;
        uint64_t think_ns;
    } enc[] = {
            {GEN_CLIENT, 2100, 0},        /* TSRequest: SPNEGO with the Kerberos AP-REQ */
            {GEN_SERVER, 250, 3 * MS},    /* TSRequest: the AP-REP and the public-key echo */
            {GEN_CLIENT, 350, 1 * MS},    /* TSRequest: credentials (TSCredentials) */
            {GEN_CLIENT, 450, 100 * MS},  /* MCS Connect Initial with the client's data */
            {GEN_SERVER, 350, 5 * MS},    /* MCS Connect Response */
            {GEN_CLIENT, 400, 1 * MS},    /* erect domain, attach user, channel joins, info */
            {GEN_SERVER, 3500, 30 * MS},  /* licensing, Demand Active with capabilities */
            {GEN_CLIENT, 600, 2 * MS},    /* Confirm Active, synchronize, control, fonts */
            {GEN_SERVER, 60000, 50 * MS}, /* the first screen: the desktop's bitmaps */
    };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++)
        rc |= gen_shell_preamble(sh, enc[i].side, GEN_FILL_TLS, NULL, 0,
                                 gen_sim_tls_len(enc[i].plain), enc[i].think_ns, false);
    return rc != 0 ? -ENOSPC : 0;
}

void actor_remote(struct actor *a, uint32_t target, const struct remote_session *rs)
{
    struct gen_world *w = a->w;
    const struct host *h = &w->hosts[a->host];
    char name[2 * GEN_NAME_MAX + 2];
    actor_target_name(w, target, name, sizeof name);
    struct gen_shell_params sp = {
            .typist = rs->reverse ? GEN_SERVER : GEN_CLIENT,
            .commands = rs->commands,
            /* Command lines of shell work: a dozen keys ("ls -la", "whoami /all", paths). */
            .keys_per_command = 12,
            .key_gap_ns = rs->key_gap_ns,
            .think_ns = rs->think_ns,
            .output_bytes = rs->output,
    };
    uint16_t port;
    switch (rs->via) {
    case GEN_VIA_RDP:
        sp.framing = GEN_SHELL_RDP;
        port = 3389;
        break;
    case GEN_VIA_TLS:
        sp.framing = GEN_SHELL_TLS;
        port = 443;
        break;
    default:
        sp.framing = GEN_SHELL_SSH;
        port = 22;
        break;
    }
    struct gen_shell *sh = gen_shell_create(&sp, 16384);
    if (sh == NULL)
        return;
    int rc;
    if (rs->via == GEN_VIA_RDP)
        rc = rdp_preamble(sh, a, name);
    else if (rs->via == GEN_VIA_TLS)
        rc = tls13_preamble(sh, a, GEN_TLS_CURL, name);
    else
        rc = ssh_preamble(
                sh, a, h->os == GEN_OS_WINDOWS ? GEN_SSH_WIN32_OPENSSH : GEN_SSH_OPENSSH9_CLIENT);
    if (rc != 0) {
        free(sh);
        return;
    }
    struct gen_flow_params p;
    actor_flow(a, target, 6, 0, port, &p);
    p.app = &gen_shell_app;
    p.app_ctx = sh;
    (void)actor_start(a, &p);
}

/* ---- WinRM ---- */

/* Base64 of @n random bytes: an opaque token in an HTTP header. */
static void b64_random(struct actor *a, size_t n, char *out, size_t cap)
{
    uint8_t raw[3072];
    if (n > sizeof raw || cap < 4 * ((n + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    gen_rng_fill(&a->rng, raw, n);
    EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
}

/* An encrypted WinRM body ([MS-WSMV] 2.2.9.1: multipart/encrypted, the GSS-API wrap of the
 * SOAP message after a 4-byte header length) of @soap plaintext bytes, into @out. */
static size_t winrm_body(struct actor *a, uint8_t *out, size_t cap, uint64_t soap, bool server)
{
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "--Encrypted Boundary\r\n"
                      "\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n"
                      "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%llu\r\n"
                      "--Encrypted Boundary\r\n"
                      "\tContent-Type: application/octet-stream\r\n",
                      (unsigned long long)soap);
    static const char tail[] = "--Encrypted Boundary--\r\n";
    /* The Kerberos wrap token (RFC 4121 4.2.6.2) as Windows sends it with AES: a 16-byte
     * header, then with RRC 28 the rotated EC and checksum ahead of the cipher text. */
    size_t sig = GEN_SPNEGO_WRAP_HEAD_LEN + 28 + 16,
           total = (size_t)hn + 4 + sig + soap + sizeof tail - 1;
    if (total > cap)
        return 0;
    uint8_t *p = out;
    memcpy(p, head, (size_t)hn);
    p += hn;
    struct gen_buf b;
    gen_buf_init(&b, p, 4 + GEN_SPNEGO_WRAP_HEAD_LEN);
    gen_buf_le(&b, sig, 4); /* the signature's length, little-endian */
    gen_spnego_wrap_head(&b, server, gen_rng_next(&a->rng));
    /* then the rotated EC and checksum, and the cipher text */
    gen_rng_fill(&a->rng, p + 4 + GEN_SPNEGO_WRAP_HEAD_LEN, sig - GEN_SPNEGO_WRAP_HEAD_LEN + soap);
    p += 4 + sig + soap;
    memcpy(p, tail, sizeof tail - 1);
    return total;
}

static void http_date(const struct gen_world *w, char *buf, size_t cap)
{
    time_t t = (time_t)((w->sc->start_unix_ns + gen_sim_now(w->sim)) / SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void actor_winrm(struct actor *a, uint32_t host, uint32_t exchanges)
{
    struct gen_world *w = a->w;
    char name[2 * GEN_NAME_MAX + 2], date[64];
    actor_target_name(w, target_host(w, host), name, sizeof name);
    struct gen_script *sc = gen_script_create(64 * 1024 + exchanges * 16384);
    char *token = malloc(4200);
    uint8_t *m = malloc(16384), *body = malloc(12288);
    if (sc == NULL || token == NULL || m == NULL || body == NULL) {
        free(sc);
        free(token);
        free(m);
        free(body);
        return;
    }
    /* PowerShell remoting authenticates with an empty POST carrying the Kerberos AP-REQ... */
    b64_random(a, (size_t)gen_rng_range(&a->rng, 1500, 2300), token, 4200);
    int n = snprintf(
            (char *)m, 16384,
            "POST /wsman HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Type: "
            "application/soap+xml;charset=UTF-8\r\nAuthorization: Kerberos %s\r\n"
            "User-Agent: Microsoft WinRM Client\r\nContent-Length: 0\r\nHost: %s:5985\r\n\r\n",
            token, name);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, m, (size_t)n, (size_t)n, 0, false);
    b64_random(a, (size_t)gen_rng_range(&a->rng, 140, 170), token, 4200);
    http_date(w, date, sizeof date);
    n = snprintf(
            (char *)m, 16384,
            "HTTP/1.1 200 \r\nWWW-Authenticate: Kerberos %s\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
            "Date: %s\r\nContent-Length: 0\r\n\r\n",
            token, date);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, m, (size_t)n, (size_t)n, 3 * MS, false);
    /* ... then the shell: create, each command and its output, delete, all sealed. */
    static const char ctype[] = "multipart/encrypted;protocol=\"application/"
                                "HTTP-Kerberos-session-encrypted\";boundary=\"Encrypted Boundary\"";
    for (uint32_t i = 0; i < exchanges && gen_script_steps(sc) + 2 <= GEN_SCRIPT_STEPS; i++) {
        size_t bn = winrm_body(a, body, 12288, gen_rng_range(&a->rng, 1500, 4000), false);
        n = snprintf((char *)m, 16384,
                     "POST /wsman HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Type: %s\r\n"
                     "User-Agent: Microsoft WinRM Client\r\nContent-Length: %zu\r\nHost: "
                     "%s:5985\r\n\r\n",
                     ctype, bn, name);
        if (bn == 0 || (size_t)n + bn > 16384)
            break;
        memcpy(m + n, body, bn);
        (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, m, (size_t)n + bn, (size_t)n + bn,
                             i == 0 ? 0 : (uint64_t)gen_rng_lognormal(&a->rng, 3.0 * SEC, 1.0),
                             false);
        bn = winrm_body(a, body, 12288,
                        (uint64_t)gen_rng_lognormal(&a->rng, 2500, 0.8) % 8000 + 800, true);
        http_date(w, date, sizeof date);
        n = snprintf((char *)m, 16384,
                     "HTTP/1.1 200 \r\nContent-Type: %s\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
                     "Date: %s\r\nContent-Length: %zu\r\n\r\n",
                     ctype, date, bn);
        if (bn == 0 || (size_t)n + bn > 16384)
            break;
        memcpy(m + n, body, bn);
        (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, m, (size_t)n + bn, (size_t)n + bn,
                             (uint64_t)gen_rng_range(&a->rng, 5, 400) * MS, false);
    }
    free(token);
    free(m);
    free(body);
    gen_script_end(sc, GEN_END_CLIENT_FIN, (uint64_t)gen_rng_range(&a->rng, 1, 30) * SEC, false);
    struct gen_flow_params p;
    actor_flow(a, target_host(w, host), 6, 0, 5985, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- LDAP ---- */

void actor_ldap(struct actor *a, uint32_t dc, uint32_t searches)
{
    struct gen_world *w = a->w;
    /* The bind is held whole; sealed messages only their 20-byte heads (the session sends
     * the random cipher text after them). */
    struct gen_script *sc = gen_script_create(8192 + (size_t)GEN_SCRIPT_STEPS * 20);
    uint8_t m[4096];
    if (sc == NULL)
        return;
    size_t n = gen_ldap_bind_request(m, sizeof m, 1, (size_t)gen_rng_range(&a->rng, 1500, 2300),
                                     &a->rng);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, m, n, n, 0, false);
    n = gen_ldap_bind_response(m, sizeof m, 1, (size_t)gen_rng_range(&a->rng, 140, 170), &a->rng);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, m, n, n, 2 * MS, false);
    uint64_t seq[2] = {gen_rng_next(&a->rng) & 0x7fffffff, gen_rng_next(&a->rng) & 0x7fffffff};
    /* Searches of group policy and the user's groups: a few hundred bytes asked, answers
     * from hundreds of bytes to tens of kB. */
    for (uint32_t i = 0; i < searches && gen_script_steps(sc) + 2 <= GEN_SCRIPT_STEPS; i++) {
        size_t q = (size_t)gen_rng_range(&a->rng, 150, 400) + GEN_LDAP_WRAP_CIPHER_MIN;
        size_t r = (size_t)gen_rng_lognormal(&a->rng, 1500, 1.2);
        r = (r > 60000 ? 60000 : r) + GEN_LDAP_WRAP_CIPHER_MIN + 7;
        n = gen_ldap_sealed_head(m, sizeof m, false, seq[0]++, q);
        (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, m, n, n + q, i == 0 ? 0 : 5 * MS,
                             false);
        n = gen_ldap_sealed_head(m, sizeof m, true, seq[1]++, r);
        (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, m, n, n + r,
                             (uint64_t)gen_rng_range(&a->rng, 1, 20) * MS, false);
    }
    gen_script_end(sc, GEN_END_CLIENT_FIN, (uint64_t)gen_rng_range(&a->rng, 1, 10) * SEC, false);
    struct gen_flow_params p;
    actor_flow(a, target_host(w, dc), 6, 0, GEN_LDAP_PORT, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- QUIC ---- */

int actor_quic(struct actor *a, uint32_t target, enum gen_tls_profile profile,
               const struct exchange *x, size_t nx, uint64_t linger_ns)
{
    struct gen_world *w = a->w;
    if ((profile != GEN_TLS_CHROME && profile != GEN_TLS_FIREFOX) ||
        !gen_rng_chance(&a->rng, w->sc->svc.quic_share))
        return -ENOTSUP;
    char name[2 * GEN_NAME_MAX + 2];
    actor_target_name(w, target, name, sizeof name);
    uint64_t req[GEN_SCRIPT_STEPS], resp[GEN_SCRIPT_STEPS], think[GEN_SCRIPT_STEPS];
    if (nx > GEN_SCRIPT_STEPS)
        nx = GEN_SCRIPT_STEPS;
    for (size_t i = 0; i < nx; i++) {
        req[i] = x[i].request;
        resp[i] = x[i].response;
        think[i] = x[i].think_ns;
    }
    struct gen_quicflow q = {.profile = profile,
                             .sni = name,
                             .server_ms = gen_rng_range(&a->rng, 1, 5),
                             .requests = req,
                             .responses = resp,
                             .think_ns = think,
                             .nx = nx,
                             .idle_ns = linger_ns};
    struct gen_script *sc = gen_script_create(gen_quicflow_bytes(&q));
    if (sc == NULL)
        return -ENOMEM;
    /* A visit too big for one script goes over TLS, as a browser falls back to TCP. */
    if (gen_quicflow_script(sc, &q, &a->rng) != 0) {
        free(sc);
        return -ENOSPC;
    }
    gen_script_end(sc, GEN_END_CLIENT_FIN, 0, false);
    struct gen_flow_params p;
    actor_flow(a, target, 17, 0, 443, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    return actor_start(a, &p);
}

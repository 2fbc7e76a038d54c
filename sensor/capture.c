/*
 * Capture: owns the libpcap handle, live or offline, the BPF filter, realtime pacing of files and
 * the capture-level counters (frames, bytes, truncation, time going backwards, kernel drops).
 * It does not decode anything: frames go to the sink as libpcap gives them.
 */
#include "sensor/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"

/* Frames per pcap_dispatch() call: large enough to amortise the call, small enough to see stop. */
#define CAPTURE_BATCH 512

struct capture {
    pcap_t *pcap;
    struct capture_config cfg;
    capture_sink_fn *sink;
    void *ctx;
    struct log *log;
    int linktype;
    atomic_bool stop;
    uint64_t remaining;           /* frames left before capture_run() returns 1; 0 = unlimited */
    uint64_t pace_mono0;          /* realtime: monotonic time of the first frame */
    uint64_t pace_ts0;            /* realtime: packet time of the first frame */
    struct pcap_stat kernel_last; /* pcap_stats() as last read, to add its 32-bit deltas */
    struct capture_stats st;
};

static bool capture_stopping(const struct capture *cap)
{
    return atomic_load(&cap->stop) || (cap->cfg.stop_flag != NULL && *cap->cfg.stop_flag != 0);
}

static void capture_pace(struct capture *cap, uint64_t ts_ns)
{
    uint64_t now = clock_mono_ns();
    if (cap->st.packets == 0) {
        cap->pace_mono0 = now;
        cap->pace_ts0 = ts_ns;
        return;
    }
    /* A frame older than the first one is sent at once: pacing follows the file, not the clock. */
    if (ts_ns <= cap->pace_ts0)
        return;
    uint64_t due = cap->pace_mono0 + (ts_ns - cap->pace_ts0);
    while (now < due && !capture_stopping(cap)) {
        /* Sleep in slices of at most 100 ms so a stop is honoured during long gaps. */
        uint64_t wait = due - now;
        if (wait > 100 * CLOCK_NS_PER_MS)
            wait = 100 * CLOCK_NS_PER_MS;
        struct timespec ts = {.tv_sec = (time_t)(wait / CLOCK_NS_PER_SEC),
                              .tv_nsec = (long)(wait % CLOCK_NS_PER_SEC)};
        nanosleep(&ts, NULL);
        if (cap->cfg.wait_fn != NULL)
            cap->cfg.wait_fn(cap->cfg.wait_ctx);
        now = clock_mono_ns();
    }
}

static void capture_on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct capture *cap = (struct capture *)user;
    /* Nanosecond precision was asked for at open, so tv_usec holds nanoseconds. */
    uint64_t ts = clock_ns_from_parts((int64_t)h->ts.tv_sec, (uint64_t)h->ts.tv_usec);
    if (cap->cfg.mode == CAPTURE_OFFLINE && cap->cfg.realtime)
        capture_pace(cap, ts);

    struct capture_stats *st = &cap->st;
    if (st->packets == 0)
        st->first_ts_ns = ts;
    else if (ts < st->last_ts_ns)
        st->ts_backwards++;
    if (st->packets == 0 || ts > st->last_ts_ns)
        st->last_ts_ns = ts;
    st->packets++;
    st->bytes_wire += h->len;
    st->bytes_cap += h->caplen;
    if (h->caplen < h->len)
        st->truncated++;

    struct capture_frame f = {
            .data = bytes,
            .caplen = h->caplen,
            .wirelen = h->len,
            .ts_ns = ts,
            .linktype = cap->linktype,
    };
    cap->sink(cap->ctx, &f);

    if ((cap->remaining != 0 && --cap->remaining == 0) || capture_stopping(cap))
        pcap_breakloop(cap->pcap);
}

static pcap_t *capture_open_offline(const struct capture_config *cfg, struct log *log)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(cfg->source, PCAP_TSTAMP_PRECISION_NANO,
                                                        errbuf);
    if (p == NULL)
        log_err(log, "capture: cannot open capture file file=%s reason=\"%s\"", cfg->source,
                errbuf);
    return p;
}

/* Applies one pcap_set_*() result; logs and returns false when it failed. */
static bool capture_set_ok(int rc, pcap_t *p, const char *what, const char *iface, struct log *log)
{
    if (rc == 0)
        return true;
    log_err(log, "capture: %s failed iface=%s reason=\"%s\"", what, iface, pcap_geterr(p));
    return false;
}

static pcap_t *capture_open_live(const struct capture_config *cfg, struct log *log)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(cfg->source, errbuf);
    if (p == NULL) {
        log_err(log, "capture: pcap_create failed iface=%s reason=\"%s\"", cfg->source, errbuf);
        return NULL;
    }
    if (!capture_set_ok(pcap_set_snaplen(p, (int)cfg->snaplen), p, "pcap_set_snaplen", cfg->source,
                        log) ||
        !capture_set_ok(pcap_set_promisc(p, cfg->promisc), p, "pcap_set_promisc", cfg->source,
                        log) ||
        !capture_set_ok(pcap_set_timeout(p, (int)cfg->poll_timeout_ms), p, "pcap_set_timeout",
                        cfg->source, log) ||
        !capture_set_ok(pcap_set_buffer_size(p, (int)cfg->buffer_size), p, "pcap_set_buffer_size",
                        cfg->source, log))
        goto out_close;
    /* Nanosecond stamps where the platform has them; microseconds are still correct, only
     * coarser, so a refusal is not an error. */
    (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);

    int rc = pcap_activate(p);
    if (rc < 0) {
        const char *why = (rc == PCAP_ERROR || rc == PCAP_ERROR_NO_SUCH_DEVICE ||
                           rc == PCAP_ERROR_PERM_DENIED)
                                  ? pcap_geterr(p)
                                  : pcap_statustostr(rc);
        log_err(log, "capture: pcap_activate failed iface=%s status=%s reason=\"%s\"", cfg->source,
                pcap_statustostr(rc), why);
        goto out_close;
    }
    if (rc > 0)
        log_warn(log, "capture: pcap_activate warning iface=%s status=%s reason=\"%s\"",
                 cfg->source, pcap_statustostr(rc), pcap_geterr(p));
    /* Non-blocking, with our own poll(): a blocking read on Linux (TPACKET_V3) may wait for a
     * packet past the timeout, and restarts after a signal, so a stop would go unseen. */
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
        log_err(log, "capture: pcap_setnonblock failed iface=%s reason=\"%s\"", cfg->source,
                errbuf);
        goto out_close;
    }
    return p;

out_close:
    pcap_close(p);
    return NULL;
}

static int capture_apply_filter(pcap_t *p, const struct capture_config *cfg, struct log *log)
{
    if (cfg->filter == NULL || cfg->filter[0] == '\0')
        return 0;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        log_err(log, "capture: BPF filter does not compile filter=\"%s\" reason=\"%s\"",
                cfg->filter, pcap_geterr(p));
        return -EINVAL;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        log_err(log, "capture: pcap_setfilter failed filter=\"%s\" reason=\"%s\"", cfg->filter,
                pcap_geterr(p));
        return UMBRA_ECAPTURE;
    }
    return 0;
}

struct capture *capture_create(const struct capture_config *cfg, capture_sink_fn *sink, void *ctx,
                               struct log *log)
{
    if (cfg->source == NULL || cfg->source[0] == '\0') {
        log_err(log, "capture: no source given (a file with -r or an interface with -i)");
        return NULL;
    }
    struct capture *cap = calloc(1, sizeof(*cap));
    if (cap == NULL) {
        log_err(log, "capture: out of memory");
        return NULL;
    }
    cap->cfg = *cfg;
    cap->sink = sink;
    cap->ctx = ctx;
    cap->log = log;
    atomic_init(&cap->stop, false);

    cap->pcap = cfg->mode == CAPTURE_LIVE ? capture_open_live(cfg, log)
                                          : capture_open_offline(cfg, log);
    if (cap->pcap == NULL)
        goto out_free;
    if (capture_apply_filter(cap->pcap, cfg, log) != 0)
        goto out_close;
    cap->linktype = pcap_datalink(cap->pcap);
    log_info(log, "capture: opened %s=%s linktype=%s snaplen=%d filter=\"%s\"",
             cfg->mode == CAPTURE_LIVE ? "iface" : "file", cfg->source, capture_linktype_name(cap),
             pcap_snapshot(cap->pcap), cfg->filter ? cfg->filter : "");
    return cap;

out_close:
    pcap_close(cap->pcap);
out_free:
    free(cap);
    return NULL;
}

void capture_destroy(struct capture **capp)
{
    if (capp == NULL || *capp == NULL)
        return;
    pcap_close((*capp)->pcap);
    free(*capp);
    *capp = NULL;
}

/* Live: waits up to the poll timeout for packets. Returns 1 ("more may follow") in every case
 * but a poll failure, so the caller looks at its timers and signals between waits. */
static int capture_wait(struct capture *cap)
{
    struct pollfd pfd = {.fd = pcap_get_selectable_fd(cap->pcap), .events = POLLIN};
    if (pfd.fd < 0)
        return 1;
    if (poll(&pfd, 1, (int)cap->cfg.poll_timeout_ms) < 0 && errno != EINTR) {
        log_err(cap->log, "capture: poll failed iface=%s reason=\"%s\"", cap->cfg.source,
                umbra_strerror(-errno));
        return UMBRA_ECAPTURE;
    }
    return 1;
}

int capture_run(struct capture *cap, uint64_t max_packets)
{
    cap->remaining = max_packets;
    while (!capture_stopping(cap)) {
        int n = pcap_dispatch(cap->pcap, CAPTURE_BATCH, capture_on_packet, (u_char *)cap);
        if (n == PCAP_ERROR_BREAK) {
            if (max_packets != 0 && cap->remaining == 0)
                return 1;
            continue; /* a stop: the loop condition ends it */
        }
        if (n == PCAP_ERROR) {
            log_err(cap->log, "capture: read failed %s=%s after_packets=%llu reason=\"%s\"",
                    cap->cfg.mode == CAPTURE_LIVE ? "iface" : "file", cap->cfg.source,
                    (unsigned long long)cap->st.packets, pcap_geterr(cap->pcap));
            return UMBRA_ECAPTURE;
        }
        if (n == 0 && cap->cfg.mode == CAPTURE_OFFLINE)
            return 0; /* end of file */
        if (n == 0)
            return capture_wait(cap);
        if (max_packets != 0 && cap->remaining == 0)
            return 1;
    }
    return 0;
}

void capture_stop(struct capture *cap)
{
    atomic_store(&cap->stop, true);
    pcap_breakloop(cap->pcap);
}

void capture_stats(struct capture *cap, struct capture_stats *out)
{
    if (cap->cfg.mode == CAPTURE_LIVE) {
        struct pcap_stat ps;
        if (pcap_stats(cap->pcap, &ps) == 0) {
            /* libpcap's counters are 32-bit and wrap on a busy link within hours: add the
             * (unsigned, so wrap-safe) difference since the last reading instead. */
            cap->st.kernel_recv += (u_int)(ps.ps_recv - cap->kernel_last.ps_recv);
            cap->st.kernel_drop += (u_int)(ps.ps_drop - cap->kernel_last.ps_drop);
            cap->st.iface_drop += (u_int)(ps.ps_ifdrop - cap->kernel_last.ps_ifdrop);
            cap->kernel_last = ps;
        }
    }
    *out = cap->st;
}

int capture_linktype(const struct capture *cap)
{
    return cap->linktype;
}

const char *capture_linktype_name(const struct capture *cap)
{
    const char *name = pcap_datalink_val_to_name(cap->linktype);
    return name ? name : "unknown";
}

/*
 * Capture: packets from a live interface or a capture file (pcap or pcapng), behind one API.
 *
 * The capture hands every frame to a sink callback and knows nothing of what comes after it.
 * Frame bytes are borrowed: valid only during the callback.
 */
#ifndef UMBRA_SENSOR_CAPTURE_H
#define UMBRA_SENSOR_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct log;

enum capture_mode {
    CAPTURE_OFFLINE, /* read a file, as fast as possible or at recorded speed */
    CAPTURE_LIVE,    /* capture from an interface */
};

struct capture_config {
    enum capture_mode mode;
    const char *source;       /* file path (offline) or interface name (live); borrowed */
    const char *filter;       /* BPF expression, or NULL/"" for everything; borrowed */
    uint32_t snaplen;         /* live: bytes kept per packet */
    uint32_t buffer_size;     /* live: kernel ring buffer, bytes */
    bool promisc;             /* live: promiscuous mode */
    bool realtime;            /* offline: pace packets at their recorded timing */
    uint32_t poll_timeout_ms; /* live: longest wait before the loop checks for a stop */
    /* Optional flag a signal handler sets; when non-zero, capture_run() returns as after
     * capture_stop(). Checked between batches and during realtime pacing. Borrowed. */
    const volatile sig_atomic_t *stop_flag;
    /* Optional: called about every 100 ms while realtime pacing waits for a packet's time, so
     * the caller can answer signals during long gaps. Called from inside capture_run(). */
    void (*wait_fn)(void *ctx);
    void *wait_ctx;
};

/* One frame as captured. Borrowed for the callback only. */
struct capture_frame {
    const uint8_t *data;
    uint32_t caplen;  /* bytes at data */
    uint32_t wirelen; /* length on the wire; > caplen when the snap length cut it */
    uint64_t ts_ns;   /* packet time, ns since the Unix epoch */
    int linktype;     /* DLT_* of the capture */
};

typedef void capture_sink_fn(void *ctx, const struct capture_frame *frame);

struct capture_stats {
    uint64_t packets;      /* frames handed to the sink */
    uint64_t bytes_wire;   /* sum of wirelen */
    uint64_t bytes_cap;    /* sum of caplen */
    uint64_t truncated;    /* frames with caplen < wirelen */
    uint64_t ts_backwards; /* frames older than the latest frame before them */
    uint64_t first_ts_ns;  /* time of the first frame, 0 before any */
    uint64_t last_ts_ns;   /* time of the latest frame */
    uint64_t kernel_recv;  /* live: pcap_stats ps_recv */
    uint64_t kernel_drop;  /* live: dropped for lack of buffer space (ps_drop) */
    uint64_t iface_drop;   /* live: dropped by the interface or driver (ps_ifdrop) */
};

struct capture;

/*
 * capture_create() - open the source and apply the filter.
 * @sink, @ctx: called for every frame from capture_run(), in the caller's thread.
 * Returns NULL after logging why (file missing or not a capture, no such interface, permission,
 * a filter that does not compile).
 */
struct capture *capture_create(const struct capture_config *cfg, capture_sink_fn *sink, void *ctx,
                               struct log *log);

/* capture_destroy() - close and free; NULL-safe; sets *capp = NULL. */
void capture_destroy(struct capture **capp);

/*
 * capture_run() - hand frames to the sink until the file ends, capture_stop() is called, or
 * @max_packets frames (0 = no limit) have been handed over.
 * Returns 0 at the end of a file or after a stop; 1 when @max_packets was reached, or (live) a
 * poll timeout passed with no packet, and more may follow; or UMBRA_ECAPTURE on a read error (a
 * corrupt or truncated file: logged, and the frames before the error were delivered).
 */
int capture_run(struct capture *cap, uint64_t max_packets);

/* capture_stop() - make capture_run() return soon. Safe to call from the sink or a signal path. */
void capture_stop(struct capture *cap);

/* capture_stats() - counters so far; for live captures also refreshes the kernel counters. */
void capture_stats(struct capture *cap, struct capture_stats *out);

/* capture_linktype() - DLT_* of the source; capture_linktype_name() - e.g. "EN10MB". */
int capture_linktype(const struct capture *cap);
const char *capture_linktype_name(const struct capture *cap);

#endif

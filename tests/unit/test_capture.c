/*
 * capture: reading real captures and built ones. Expected counts, lengths and times come from
 * capinfos and tshark (-T fields -e frame.len -e frame.cap_len -e frame.time_epoch) run on the
 * same files, not from this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "sensor/capture.h"
#include "tests/unit/support/tmpfile.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

struct seen {
    uint64_t n;
    uint64_t wire;
    uint64_t first_ts;
    uint64_t last_ts;
    int linktype;
    uint64_t stop_after; /* call capture_stop() after this many frames; 0 = never */
    struct capture *cap;
};

static void sink(void *ctx, const struct capture_frame *f)
{
    struct seen *s = ctx;
    if (s->n == 0)
        s->first_ts = f->ts_ns;
    s->last_ts = f->ts_ns;
    s->n++;
    s->wire += f->wirelen;
    s->linktype = f->linktype;
    assert_true(f->caplen <= f->wirelen);
    assert_non_null(f->data);
    if (s->stop_after != 0 && s->n == s->stop_after)
        capture_stop(s->cap);
}

static struct capture *open_file(const char *path, const char *filter, struct seen *s)
{
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = path, .filter = filter};
    struct capture *cap = capture_create(&cfg, sink, s, NULL);
    s->cap = cap;
    return cap;
}

/* capinfos: 22 packets, 8225 bytes, 2013-01-04 19:47:28.512314 .. 19:47:31.807191 UTC. */
static void test_capture_reads_pcap_with_tshark_counts(void **state)
{
    (void)state;
    struct seen s = {0};
    struct capture *cap = open_file(DATA("tls12-zeek-sample.pcap"), NULL, &s);
    assert_non_null(cap);
    assert_int_equal(capture_linktype(cap), DLT_EN10MB);
    assert_string_equal(capture_linktype_name(cap), "EN10MB");
    assert_int_equal(capture_run(cap, 0), 0);
    assert_int_equal(s.n, 22);
    assert_int_equal(s.wire, 8225);
    assert_int_equal(s.first_ts, 1357328848512314000ULL);
    assert_int_equal(s.last_ts, 1357328851807191000ULL);

    struct capture_stats st;
    capture_stats(cap, &st);
    assert_int_equal(st.packets, 22);
    assert_int_equal(st.bytes_wire, 8225);
    assert_int_equal(st.bytes_cap, 8225);
    assert_int_equal(st.truncated, 0);
    assert_int_equal(st.ts_backwards, 0);
    assert_int_equal(st.last_ts_ns - st.first_ts_ns, 3294877000ULL);
    capture_destroy(&cap);
    assert_null(cap);
}

/* tshark: 6 frames, 798 bytes, the first stamped 1767663089.500330493 (nanoseconds kept). */
static void test_capture_reads_pcapng_with_nanosecond_stamps(void **state)
{
    (void)state;
    struct seen s = {0};
    struct capture *cap = open_file(DATA("pcapng-multi-interface-zeek.pcapng"), NULL, &s);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.wire, 798);
    assert_int_equal(s.first_ts, 1767663089500330493ULL);
    assert_int_equal(s.last_ts, 1767663437140942000ULL);
    capture_destroy(&cap);
}

/* tshark -Y "tcp.flags.reset==1": 1 of the 2 frames. */
static void test_capture_applies_bpf_filter(void **state)
{
    (void)state;
    struct seen s = {0};
    struct capture *cap =
            open_file(DATA("tcp-syn-then-rst-zeek.pcap"), "tcp[tcpflags] & tcp-rst != 0", &s);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.first_ts, 1599865259118961000ULL);
    capture_destroy(&cap);
}

static void test_capture_refuses_filter_that_does_not_compile(void **state)
{
    (void)state;
    struct seen s = {0};
    assert_null(open_file(DATA("tcp-syn-then-rst-zeek.pcap"), "tcp and and", &s));
}

static void test_capture_refuses_missing_file_and_non_capture(void **state)
{
    (void)state;
    struct seen s = {0};
    assert_null(open_file(DATA("no-such-file.pcap"), NULL, &s));
    assert_null(open_file(DATA("PROVENANCE.tsv"), NULL, &s));
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = ""};
    assert_null(capture_create(&cfg, sink, &s, NULL));
}

static void test_capture_stops_after_max_packets_and_resumes(void **state)
{
    (void)state;
    struct seen s = {0};
    struct capture *cap = open_file(DATA("tls12-zeek-sample.pcap"), NULL, &s);
    assert_int_equal(capture_run(cap, 5), 1);
    assert_int_equal(s.n, 5);
    assert_int_equal(capture_run(cap, 20), 0);
    assert_int_equal(s.n, 22);
    capture_destroy(&cap);
}

static void test_capture_stop_from_sink_ends_run(void **state)
{
    (void)state;
    struct seen s = {.stop_after = 3};
    struct capture *cap = open_file(DATA("tls12-zeek-sample.pcap"), NULL, &s);
    assert_int_equal(capture_run(cap, 0), 0);
    assert_int_equal(s.n, 3);
    capture_destroy(&cap);
}

/* A file cut at byte 5000 of tls12-zeek-sample.pcap: libpcap reads 8 whole records, then fails. */
static void test_capture_reports_truncated_file_after_delivering_whole_frames(void **state)
{
    (void)state;
    FILE *in = fopen(DATA("tls12-zeek-sample.pcap"), "rb");
    assert_non_null(in);
    static uint8_t buf[5000];
    assert_int_equal(fread(buf, 1, sizeof(buf), in), sizeof(buf));
    fclose(in);
    struct tmpdir d;
    char path[512];
    assert_int_equal(tmpdir_create(&d), 0);
    assert_int_equal(tmpdir_write(&d, "cut.pcap", buf, sizeof(buf), path, sizeof(path)), 0);

    struct seen s = {0};
    struct capture *cap = open_file(path, NULL, &s);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), UMBRA_ECAPTURE);
    assert_int_equal(s.n, 8);
    capture_destroy(&cap);
    tmpdir_remove(&d);
}

/* Writes frames with the given times and lengths through libpcap's dump API. */
static void write_pcap(const char *path, const uint64_t *ts_us, const uint32_t *caplen,
                       const uint32_t *len, size_t n)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    assert_non_null(p);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    assert_non_null(d);
    static uint8_t frame[2048];
    for (size_t i = 0; i < n; i++) {
        struct pcap_pkthdr h = {.caplen = caplen[i], .len = len[i]};
        h.ts.tv_sec = (time_t)(ts_us[i] / 1000000);
        h.ts.tv_usec = (suseconds_t)(ts_us[i] % 1000000);
        pcap_dump((u_char *)d, &h, frame);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static void test_capture_counts_truncation_and_time_going_backwards(void **state)
{
    (void)state;
    const uint64_t ts[] = {10000000, 5000000, 20000000, 19000000};
    const uint32_t caplen[] = {60, 64, 64, 1514};
    const uint32_t len[] = {60, 1514, 64, 1514};
    struct tmpdir d;
    char path[512];
    assert_int_equal(tmpdir_create(&d), 0);
    assert_int_equal(tmpdir_file(&d, "built.pcap", path, sizeof(path)), 0);
    write_pcap(path, ts, caplen, len, 4);

    struct seen s = {0};
    struct capture *cap = open_file(path, NULL, &s);
    assert_int_equal(capture_run(cap, 0), 0);
    struct capture_stats st;
    capture_stats(cap, &st);
    assert_int_equal(st.packets, 4);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.ts_backwards, 2);
    assert_int_equal(st.bytes_wire, 60 + 1514 + 64 + 1514);
    assert_int_equal(st.bytes_cap, 60 + 64 + 64 + 1514);
    assert_int_equal(st.first_ts_ns, 10 * CLOCK_NS_PER_SEC);
    assert_int_equal(st.last_ts_ns, 20 * CLOCK_NS_PER_SEC);
    capture_destroy(&cap);
    tmpdir_remove(&d);
}

/* Realtime replay of frames 0.5 s apart takes at least 0.5 s; the fast read does not. */
static void test_capture_realtime_replays_at_recorded_pace(void **state)
{
    (void)state;
    const uint64_t ts[] = {1000000, 1500000};
    const uint32_t lens[] = {60, 60};
    struct tmpdir d;
    char path[512];
    assert_int_equal(tmpdir_create(&d), 0);
    assert_int_equal(tmpdir_file(&d, "paced.pcap", path, sizeof(path)), 0);
    write_pcap(path, ts, lens, lens, 2);

    struct seen s = {0};
    struct capture_config cfg = {.mode = CAPTURE_OFFLINE, .source = path, .realtime = true};
    struct capture *cap = capture_create(&cfg, sink, &s, NULL);
    uint64_t t0 = clock_mono_ns();
    assert_int_equal(capture_run(cap, 0), 0);
    uint64_t elapsed = clock_mono_ns() - t0;
    assert_int_equal(s.n, 2);
    assert_true(elapsed >= 500 * CLOCK_NS_PER_MS);
    capture_destroy(&cap);
    tmpdir_remove(&d);
}

static void test_capture_destroy_accepts_null(void **state)
{
    (void)state;
    struct capture *cap = NULL;
    capture_destroy(&cap);
    capture_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_capture_reads_pcap_with_tshark_counts),
            cmocka_unit_test(test_capture_reads_pcapng_with_nanosecond_stamps),
            cmocka_unit_test(test_capture_applies_bpf_filter),
            cmocka_unit_test(test_capture_refuses_filter_that_does_not_compile),
            cmocka_unit_test(test_capture_refuses_missing_file_and_non_capture),
            cmocka_unit_test(test_capture_stops_after_max_packets_and_resumes),
            cmocka_unit_test(test_capture_stop_from_sink_ends_run),
            cmocka_unit_test(test_capture_reports_truncated_file_after_delivering_whole_frames),
            cmocka_unit_test(test_capture_counts_truncation_and_time_going_backwards),
            cmocka_unit_test(test_capture_realtime_replays_at_recorded_pace),
            cmocka_unit_test(test_capture_destroy_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

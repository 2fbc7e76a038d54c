/*
 * umbra-gen: writes a labelled capture of the enterprise traffic a scenario describes.
 * Usage and exit statuses: umbra-gen --help. docs/SCENARIOS.md describes the scenarios.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "common/config.h"
#include "tools/gen/gen_scenario.h"
#include "tools/gen/gen_sim.h"
#include "tools/gen/gen_world.h"

/* Exit statuses, documented in --help. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define SNAPLEN 65535

struct out {
    pcap_t *dead;
    pcap_dumper_t *all;        /* one capture of every point, or NULL */
    pcap_dumper_t **per_point; /* --split: one per point, or NULL */
    uint32_t npoints;
    FILE *labels;
    const struct gen_world *world;
    uint64_t start_unix_ns;
    int write_error;
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [OPTION]... SCENARIO.yaml\n"
            "Write the capture and the labels of the traffic SCENARIO describes.\n"
            "\n"
            "  -s, --seed N          random seed (default: the scenario's seed, else 1);\n"
            "                        the same scenario and seed give the same bytes\n"
            "  -o, --output FILE     capture to write (default: NAME.pcap, NAME from the\n"
            "                        scenario)\n"
            "  -l, --labels FILE     labels to write, JSON lines (default: NAME.labels.jsonl)\n"
            "      --split DIR       also write one capture per sensor point, DIR/POINT.pcap\n"
            "  -d, --duration TIME   override the scenario's duration (\"90s\", \"2h\")\n"
            "  -q, --quiet           no summary on stderr\n"
            "  -h, --help            this text\n"
            "\n"
            "Exit status: 0 done, 1 could not write or ran out of memory, 2 bad usage or\n"
            "scenario (the message says which key and why).\n",
            prog);
}

static void iso_time(uint64_t unix_ns, char *buf, size_t cap)
{
    time_t s = (time_t)(unix_ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&s, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%09lluZ", date, (unsigned long long)(unix_ns % 1000000000ull));
}

static void ip_text(uint32_t ip, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void on_frame(void *ctx, uint32_t point, uint64_t t_ns, const uint8_t *frame, size_t len)
{
    struct out *o = ctx;
    uint64_t t = o->start_unix_ns + t_ns;
    struct pcap_pkthdr h = {
            .ts = {.tv_sec = (time_t)(t / 1000000000ull),
                   .tv_usec = (suseconds_t)(t % 1000000000ull)}, /* ns: a nanosecond dumper */
            .caplen = (bpf_u_int32)len,
            .len = (bpf_u_int32)len,
    };
    if (o->all != NULL)
        pcap_dump((u_char *)o->all, &h, frame);
    if (o->per_point != NULL && point < o->npoints)
        pcap_dump((u_char *)o->per_point[point], &h, frame);
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static void on_flow(void *ctx, const struct gen_flow_info *fi)
{
    struct out *o = ctx;
    char src[16], dst[16], start[48], end[48];
    ip_text(fi->src_ip, src, sizeof src);
    ip_text(fi->dst_ip, dst, sizeof dst);
    iso_time(o->start_unix_ns + fi->first_ns, start, sizeof start);
    iso_time(o->start_unix_ns + fi->last_ns, end, sizeof end);
    const struct gen_label *l = fi->label;
    json_t *j = json_object();
    json_object_set_new(j, "proto", json_string(fi->proto == 6 ? "tcp" : "udp"));
    json_object_set_new(j, "src", json_string(src));
    json_object_set_new(j, "sport", json_integer(fi->sport));
    json_object_set_new(j, "dst", json_string(dst));
    json_object_set_new(j, "dport", json_integer(fi->dport));
    json_object_set_new(j, "start", json_string(start));
    json_object_set_new(j, "end", json_string(end));
    json_object_set_new(j, "start_ns", json_integer((json_int_t)(o->start_unix_ns + fi->first_ns)));
    json_object_set_new(j, "end_ns", json_integer((json_int_t)(o->start_unix_ns + fi->last_ns)));
    json_object_set_new(j, "packets", json_integer((json_int_t)fi->packets));
    json_object_set_new(j, "bytes", json_integer((json_int_t)fi->bytes));
    json_object_set_new(j, "sensor", json_string(gen_world_point_name(o->world, fi->point)));
    json_object_set_new(j, "src_host", str_or_null(gen_world_host_name(o->world, fi->src_ip)));
    json_object_set_new(j, "dst_host", str_or_null(gen_world_host_name(o->world, fi->dst_ip)));
    json_object_set_new(j, "label", json_string(l && l->malicious ? "malicious" : "benign"));
    json_object_set_new(j, "behaviour", json_string(l ? l->behaviour : "unknown"));
    json_object_set_new(j, "campaign", str_or_null(l ? l->campaign : NULL));
    json_object_set_new(j, "technique", str_or_null(l ? l->technique : NULL));
    json_object_set_new(j, "hop", fi->hop ? json_integer(fi->hop) : json_null());
    if (json_dumpf(j, o->labels, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', o->labels) == EOF)
        o->write_error = errno ? errno : EIO;
    json_decref(j);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
            {"seed", required_argument, NULL, 's'},     {"output", required_argument, NULL, 'o'},
            {"labels", required_argument, NULL, 'l'},   {"split", required_argument, NULL, 'S'},
            {"duration", required_argument, NULL, 'd'}, {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *seed_arg = NULL, *out_path = NULL, *labels_path = NULL, *split_dir = NULL;
    const char *duration_arg = NULL;
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "s:o:l:d:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            seed_arg = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'l':
            labels_path = optarg;
            break;
        case 'S':
            split_dir = optarg;
            break;
        case 'd':
            duration_arg = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout, argv[0]);
            return EXIT_OK;
        default:
            fprintf(stderr, "Try '%s --help'.\n", argv[0]);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "umbra-gen: %s\nTry '%s --help'.\n",
                optind == argc ? "no scenario file given" : "more than one scenario file given",
                argv[0]);
        return EXIT_USAGE;
    }

    static struct gen_scenario sc; /* large (its tables are fixed-size): not on the stack */
    char err[512];
    if (gen_scenario_load(argv[optind], &sc, err, sizeof err) != 0) {
        fprintf(stderr, "umbra-gen: %s\n", err);
        return EXIT_USAGE;
    }
    if (seed_arg != NULL) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed_arg, &end, 10);
        if (end == seed_arg || *end != '\0' || errno != 0 || seed_arg[0] == '-') {
            fprintf(stderr, "umbra-gen: --seed: expected a whole number, got '%s'\n", seed_arg);
            return EXIT_USAGE;
        }
        sc.seed = v;
    }
    if (duration_arg != NULL) {
        uint64_t d;
        if (config_parse_duration(duration_arg, &d) != 0 || d == 0) {
            fprintf(stderr, "umbra-gen: --duration: expected a duration like 90s or 2h, got '%s'\n",
                    duration_arg);
            return EXIT_USAGE;
        }
        sc.duration_ns = d;
    }
    char default_out[GEN_NAME_MAX + 16], default_labels[GEN_NAME_MAX + 16];
    snprintf(default_out, sizeof default_out, "%s.pcap", sc.name);
    snprintf(default_labels, sizeof default_labels, "%s.labels.jsonl", sc.name);
    if (out_path == NULL)
        out_path = default_out;
    if (labels_path == NULL)
        labels_path = default_labels;

    int status = EXIT_FAILED;
    struct out o = {.start_unix_ns = sc.start_unix_ns};
    struct gen_sim *sim = NULL;
    struct gen_world *world = NULL;
    o.dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (o.dead == NULL) {
        fprintf(stderr, "umbra-gen: pcap_open_dead: out of memory\n");
        goto out;
    }
    o.all = pcap_dump_open(o.dead, out_path);
    if (o.all == NULL) {
        fprintf(stderr, "umbra-gen: %s: %s\n", out_path, pcap_geterr(o.dead));
        goto out;
    }
    o.labels = fopen(labels_path, "w");
    if (o.labels == NULL) {
        fprintf(stderr, "umbra-gen: %s: %s\n", labels_path, strerror(errno));
        goto out;
    }
    struct gen_sim_config cfg = {.out = on_frame, .flow_done = on_flow, .ctx = &o, .seed = sc.seed};
    sim = gen_sim_create(&cfg);
    world = sim ? gen_world_create(&sc, sim, err, sizeof err) : NULL;
    if (world == NULL) {
        fprintf(stderr, "umbra-gen: %s\n", sim ? err : "out of memory");
        goto out;
    }
    o.world = world;
    if (split_dir != NULL) {
        o.npoints = gen_world_points(world);
        o.per_point = calloc(o.npoints, sizeof *o.per_point);
        if (o.per_point == NULL) {
            fprintf(stderr, "umbra-gen: out of memory\n");
            goto out;
        }
        /* Like -o, the directory is the user's to name; making it saves a failed first run. */
        if (mkdir(split_dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "umbra-gen: --split %s: %s\n", split_dir, strerror(errno));
            goto out;
        }
        for (uint32_t i = 0; i < o.npoints; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.pcap", split_dir, gen_world_point_name(world, i));
            o.per_point[i] = pcap_dump_open(o.dead, path);
            if (o.per_point[i] == NULL) {
                /* libpcap's message already names the file. */
                fprintf(stderr, "umbra-gen: %s\n", pcap_geterr(o.dead));
                goto out;
            }
        }
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = gen_sim_run(sim, sc.duration_ns);
    if (rc == 0) {
        /* The scenario's time is up: no new activity, but flows under way finish. */
        gen_sim_stop_new(sim);
        rc = gen_sim_run(sim, UINT64_MAX);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        fprintf(stderr, "umbra-gen: simulation stopped: %s\n", strerror(-rc));
        goto out;
    }
    const struct gen_sim_stats *st = gen_sim_stats(sim);
    if (st->sessions_live != 0) {
        fprintf(stderr, "umbra-gen: internal error: %llu flows never finished\n",
                (unsigned long long)st->sessions_live);
        goto out;
    }
    if (pcap_dump_flush(o.all) != 0 || fflush(o.labels) != 0 || o.write_error != 0) {
        fprintf(stderr, "umbra-gen: writing %s or %s failed: %s\n", out_path, labels_path,
                strerror(o.write_error ? o.write_error : errno));
        goto out;
    }
    if (!quiet) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr,
                "umbra-gen: %s seed %llu: %llu packets, %llu bytes, %llu flows in %.2f s "
                "(%.0f packets/s); peak %llu flows live, %llu frames in flight, %ld KiB RSS; "
                "%llu segments lost, %llu retransmitted\n",
                sc.name, (unsigned long long)sc.seed, (unsigned long long)st->frames,
                (unsigned long long)st->bytes, (unsigned long long)st->flows, secs,
                secs > 0 ? (double)st->frames / secs : 0.0, (unsigned long long)st->sessions_peak,
                (unsigned long long)st->frames_peak, peak_rss_kib(), (unsigned long long)st->lost,
                (unsigned long long)st->retransmits);
    }
    status = EXIT_OK;
out:
    gen_world_destroy(&world);
    gen_sim_destroy(&sim);
    if (o.per_point != NULL) {
        for (uint32_t i = 0; i < o.npoints; i++)
            if (o.per_point[i] != NULL)
                pcap_dump_close(o.per_point[i]);
        free(o.per_point);
    }
    if (o.all != NULL)
        pcap_dump_close(o.all);
    if (o.labels != NULL && fclose(o.labels) != 0 && status == EXIT_OK) {
        fprintf(stderr, "umbra-gen: %s: %s\n", labels_path, strerror(errno));
        status = EXIT_FAILED;
    }
    if (o.dead != NULL)
        pcap_close(o.dead);
    return status;
}

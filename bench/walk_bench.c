/*
 * walk_bench: what the aggregator's loop spends per record on one batch, step by step, with no
 * network and no disk: the envelope check (wire_open: XXH3 over the batch), the walk with
 * batch_check's rules (batch_check_wire), XXH3 of the payload alone, a plain copy of it, and for
 * comparison protobuf-c's unpack followed by batch_check on the structs.
 *
 * Input: one sealed FlowBatch envelope, as `transport_load --dump FILE` writes it (the
 * transport benchmark's record mix) or as a sensor's spool holds it. Each step runs over the
 * same batch until at least --min-ms have passed, --rounds times; the best round is reported,
 * because on a shared machine the slower rounds measure the neighbours. Numbers are for
 * comparing steps with each other in one run, on one machine (docs/BENCHMARKS.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "aggregator/batch_check.h"
#include "aggregator/flow_summary.h"
#include "common/clock.h"
#include "common/pb_walk.h"
#include "common/wire.h"

struct bench {
    const uint8_t *env;
    size_t env_len;
    const uint8_t *payload;
    size_t payload_len;
    const struct pb_walk_plan *plan;
    struct batch_check_limits lim;
    uint8_t *scratch;
    struct flow_summary *sum; /* lim.max_records of them */
    uint64_t sink;            /* results folded in, so the compiler keeps every step */
};

typedef int step_fn(struct bench *b);

static int step_open(struct bench *b)
{
    const uint8_t *p;
    size_t n;
    int rc = wire_open(WIRE_FLOW_BATCH, b->env, b->env_len, WIRE_LEN_MAX, &p, &n);
    b->sink += n;
    return rc;
}

static int step_walk(struct bench *b)
{
    struct batch_check_header h;
    enum batch_check_cause cause;
    char why[128];
    int rc = batch_check_wire(b->plan, b->payload, b->payload_len, &b->lim, &h, NULL, &cause, why,
                              sizeof(why));
    b->sink += h.n_records;
    return rc != 0 || cause != BATCH_OK ? -1 : 0;
}

static int step_summary(struct bench *b)
{
    struct batch_check_header h;
    enum batch_check_cause cause;
    char why[128];
    int rc = batch_check_wire(b->plan, b->payload, b->payload_len, &b->lim, &h, b->sum, &cause, why,
                              sizeof(why));
    b->sink += h.n_records + b->sum[0].bytes[0];
    return rc != 0 || cause != BATCH_OK ? -1 : 0;
}

static int step_hash(struct bench *b)
{
    b->sink += XXH3_64bits(b->payload, b->payload_len);
    return 0;
}

static int step_copy(struct bench *b)
{
    memcpy(b->scratch, b->payload, b->payload_len);
    b->sink += b->scratch[b->payload_len / 2];
    return 0;
}

static int step_unpack(struct bench *b)
{
    Umbra__FlowBatch *m = umbra__flow_batch__unpack(NULL, b->payload_len, b->payload);
    if (m == NULL)
        return -1;
    char why[128];
    enum batch_check_cause cause = batch_check(m, &b->lim, why, sizeof(why));
    b->sink += m->n_records;
    umbra__flow_batch__free_unpacked(m, NULL);
    return cause == BATCH_OK ? 0 : -1;
}

/* Best round's nanoseconds per call of @fn, or a negative value when a call failed. */
static double time_step(struct bench *b, step_fn *fn, unsigned rounds, unsigned min_ms)
{
    double best = -1;
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t calls = 0, t0 = clock_mono_ns(), t1;
        do {
            for (int i = 0; i < 16; i++) {
                if (fn(b) != 0)
                    return -1;
            }
            calls += 16;
            t1 = clock_mono_ns();
        } while (t1 - t0 < (uint64_t)min_ms * 1000000u);
        double ns = (double)(t1 - t0) / (double)calls;
        if (best < 0 || ns < best)
            best = ns;
    }
    return best;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: walk_bench [--rounds N] [--min-ms MS] ENVELOPE_FILE\n"
               "Times the aggregator's per-batch steps on one sealed FlowBatch envelope (from\n"
               "`transport_load --dump FILE`) and prints nanoseconds per record for each.\n"
               "  --rounds N   rounds per step; the best is reported (default 7)\n"
               "  --min-ms MS  least time per round (default 200)\n");
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap != 0 ? 2 * cap : 1u << 20;
            uint8_t *nb = cap <= WIRE_LEN_MAX + WIRE_OVERHEAD ? realloc(buf, cap) : NULL;
            if (nb == NULL) {
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
            {"rounds", required_argument, NULL, 'r'},
            {"min-ms", required_argument, NULL, 'm'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    unsigned rounds = 7, min_ms = 200;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end;
        unsigned long v;
        switch (c) {
        case 'r':
        case 'm':
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v == 0 || v > 100000) {
                fprintf(stderr, "walk_bench: bad number '%s'\n", optarg);
                return 2;
            }
            *(c == 'r' ? &rounds : &min_ms) = (unsigned)v;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    struct bench b = {.lim = {.max_records = 100000}};
    uint8_t *env = read_file(path, &b.env_len);
    if (env == NULL) {
        fprintf(stderr, "walk_bench: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    b.env = env;
    int rc = wire_open(WIRE_FLOW_BATCH, env, b.env_len, WIRE_LEN_MAX, &b.payload, &b.payload_len);
    struct pb_walk_plan *plan = batch_check_plan_create();
    b.plan = plan;
    b.scratch = malloc(b.payload_len + 1);
    b.sum = calloc(b.lim.max_records, sizeof(*b.sum));
    if (rc != 0 || plan == NULL || b.scratch == NULL || b.sum == NULL) {
        fprintf(stderr, "walk_bench: %s: %s\n", path,
                rc != 0 ? "not a sealed FlowBatch envelope" : "out of memory");
        free(env);
        free(b.scratch);
        free(b.sum);
        pb_walk_plan_destroy(&plan);
        return 1;
    }
    struct batch_check_header h;
    enum batch_check_cause cause;
    char why[160];
    if (batch_check_wire(plan, b.payload, b.payload_len, &b.lim, &h, NULL, &cause, why,
                         sizeof(why)) != 0 ||
        cause != BATCH_OK || h.n_records == 0) {
        fprintf(stderr, "walk_bench: %s: the batch does not pass batch_check: %s\n", path, why);
        free(env);
        free(b.scratch);
        free(b.sum);
        pb_walk_plan_destroy(&plan);
        return 1;
    }
    printf("batch: %zu records, %zu envelope bytes (%.1f per record)\n", h.n_records, b.env_len,
           (double)b.env_len / (double)h.n_records);
    static const struct {
        const char *name;
        step_fn *fn;
    } steps[] = {
            {"wire_open (envelope XXH3 check)", step_open},
            {"batch_check_wire (walk + rules)", step_walk},
            {"the same, with the record summaries", step_summary},
            {"XXH3 of the payload", step_hash},
            {"memcpy of the payload", step_copy},
            {"protobuf-c unpack + batch_check", step_unpack},
    };
    int status = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        double ns = time_step(&b, steps[i].fn, rounds, min_ms);
        if (ns < 0) {
            fprintf(stderr, "walk_bench: step '%s' failed\n", steps[i].name);
            status = 1;
            continue;
        }
        printf("%-34s %9.1f ns per record  %7.0f MB/s\n", steps[i].name, ns / (double)h.n_records,
               (double)b.payload_len * 1e3 / ns);
    }
    printf("(checksum of results, ignore: %" PRIu64 ")\n", b.sink);
    free(env);
    free(b.scratch);
    free(b.sum);
    pb_walk_plan_destroy(&plan);
    return status;
}

/*
 * umbra-ctl: the operator's tool, one subcommand per task. Each command is a function and a row
 * of the command table, which is also what --help lists: adding a command touches nothing else.
 * Commands parse their own options and keep no state between runs. The work itself (keys,
 * records) lives in the libraries; this file only turns arguments into calls and results into
 * text and exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <jansson.h>
#include <xxhash.h>

#include "aggregator/flow_store.h"
#include "common/curve_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pb_json.h"
#include "common/wire.h"

/* Exit statuses, the same for every command and listed in --help. */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1, /* the command ran and failed, or refused (files exist) */
    EXIT_USAGE = 2,   /* bad command line: nothing was done */
};

/* A command: @argv[0] is "umbra-ctl NAME", for messages. Returns an exit status. */
typedef int command_fn(int argc, char **argv);

struct command {
    const char *name;
    command_fn *run;
    const char *help; /* one line for the command list */
};

static int cmd_keygen(int argc, char **argv);
static int cmd_flows(int argc, char **argv);
static int cmd_sensors(int argc, char **argv);

static const struct command commands[] = {
        {"keygen", cmd_keygen, "generate a CURVE key pair for a sensor or an aggregator"},
        {"flows", cmd_flows, "dump the flow records an aggregator has stored"},
        {"sensors", cmd_sensors, "list the sensors an aggregator has applied batches from"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: umbra-ctl [-h|--help] [-V|--version] COMMAND [ARGS]\n"
               "\n"
               "Umbra's operator tool.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n"
               "'umbra-ctl COMMAND --help' describes a command.\n"
               "Exit status: 0 done; 1 the command failed or refused; 2 bad usage.\n");
}

/* A log for the libraries' reasons, on stderr. */
static struct log *open_log(void)
{
    struct log_config cfg = {.name = "umbra-ctl", .level = LOG_LEVEL_WARN};
    struct log *log = log_create(&cfg);
    if (log == NULL)
        fprintf(stderr, "umbra-ctl: out of memory\n");
    return log;
}

/* ---- keygen ------------------------------------------------------------------------------- */

static void keygen_usage(FILE *f)
{
    fprintf(f,
            "Usage: umbra-ctl keygen [--dir DIR] [--force] NAME\n"
            "\n"
            "Generate a CURVE key pair for the host NAME: DIR/NAME.key holds both keys (mode\n"
            "0600; it never leaves this host) and DIR/NAME.pub the public key (mode 0644; give\n"
            "it to the peers that must accept this host). DIR is created (mode 0700) if missing.\n"
            "\n"
            "  -d, --dir DIR   where to write the files (default: the current directory)\n"
            "  -f, --force     replace existing files of that name\n"
            "  -h, --help      this text\n"
            "\n"
            "NAME: 1 to %d characters of A-Z a-z 0-9 . _ -, not starting with '.'.\n"
            "Prints the two paths and the public key.\n"
            "Exit status: 0 written; 1 not written (the files exist and no --force, or a\n"
            "system error); 2 bad usage.\n",
            CURVE_KEYS_NAME_MAX);
}

struct keygen_args {
    const char *dir;
    const char *name;
    bool force;
};

/* Returns -1 for EXIT_USAGE, 1 for EXIT_OK (help), 0 to go on. */
static int keygen_parse(int argc, char **argv, struct keygen_args *a)
{
    static const struct option longopts[] = {
            {"dir", required_argument, NULL, 'd'},
            {"force", no_argument, NULL, 'f'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "d:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->dir = optarg;
            break;
        case 'f':
            a->force = true;
            break;
        case 'h':
            keygen_usage(stdout);
            return 1;
        default:
            fprintf(stderr, "Try 'umbra-ctl keygen --help'.\n");
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "%s: %s\nTry 'umbra-ctl keygen --help'.\n", argv[0],
                optind == argc ? "give the NAME of the host" : "give exactly one NAME");
        return -1;
    }
    a->name = argv[optind];
    if (!curve_keys_name_valid(a->name)) {
        fprintf(stderr,
                "%s: '%.80s' is not a key name: 1 to %d characters of A-Z a-z 0-9 . _ -, not "
                "starting with '.'\n",
                argv[0], a->name, CURVE_KEYS_NAME_MAX);
        return -1;
    }
    if (a->dir[0] == '\0') {
        fprintf(stderr, "%s: --dir is empty\n", argv[0]);
        return -1;
    }
    return 0;
}

static int cmd_keygen(int argc, char **argv)
{
    struct keygen_args a = {.dir = "."};
    int rc = keygen_parse(argc, argv, &a);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    struct log *log = open_log();
    if (log == NULL)
        return EXIT_RUNTIME;

    struct curve_keypair kp;
    rc = curve_keys_generate(&kp, log);
    if (rc == 0)
        rc = curve_keys_write(a.dir, a.name, &kp, a.force, log);
    /* The secret is on disk now, or nowhere: not in this process's memory either. */
    explicit_bzero(kp.secret_z85, sizeof(kp.secret_z85));
    int status = EXIT_OK;
    if (rc == -EEXIST) {
        fprintf(stderr, "%s: keys named '%s' already exist in %s; use --force to replace them\n",
                argv[0], a.name, a.dir);
        status = EXIT_RUNTIME;
    } else if (rc != 0) {
        fprintf(stderr, "%s: no key pair written: %s\n", argv[0], umbra_strerror(rc));
        status = EXIT_RUNTIME;
    } else {
        printf("secret-key-file = %s/%s.key\n"
               "public-key-file = %s/%s.pub\n"
               "public-key = %s\n",
               a.dir, a.name, a.dir, a.name, kp.public_z85);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "%s: cannot write to stdout\n", argv[0]);
            status = EXIT_RUNTIME;
        }
    }
    log_destroy(&log);
    return status;
}

/* ---- flows and sensors: read an aggregator's store ---------------------------------------- */

static void data_usage(FILE *f, const char *cmd, const char *what, const char *extra)
{
    fprintf(f,
            "Usage: umbra-ctl %s --data DIR%s\n"
            "\n"
            "%s\n"
            "It reads the aggregator's store (store.dir, umbra-aggregator --data) from a "
            "snapshot,\n"
            "and may run while the aggregator does.\n"
            "\n"
            "  -d, --data DIR   the aggregator's data directory\n"
            "%s"
            "  -h, --help       this text\n"
            "\n"
            "Exit status: 0 done; 1 no store in DIR or a read error; 2 bad usage.\n",
            cmd, strstr(extra, "--summary") ? " [--json | --summary]" : " [--json]", what, extra);
}

struct data_args {
    const char *dir;
    bool json;
    bool summary;
};

/* Returns -1 for EXIT_USAGE, 1 for EXIT_OK (help), 0 to go on. */
static int data_parse(int argc, char **argv, struct data_args *a, const char *cmd, const char *what,
                      const char *extra)
{
    static const struct option longopts[] = {
            {"data", required_argument, NULL, 'd'},
            {"json", no_argument, NULL, 'j'},
            {"summary", no_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "d:jsh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->dir = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 's':
            a->summary = true;
            break;
        case 'h':
            data_usage(stdout, cmd, what, extra);
            return 1;
        default:
            fprintf(stderr, "Try 'umbra-ctl %s --help'.\n", cmd);
            return -1;
        }
    }
    if (optind != argc || a->dir == NULL || (a->summary && !strstr(extra, "--summary"))) {
        fprintf(stderr, "%s: give --data DIR and no other argument\nTry 'umbra-ctl %s --help'.\n",
                argv[0], cmd);
        return -1;
    }
    return 0;
}

struct flows_ctx {
    bool json;
    bool summary;
    uint64_t batches, records, checksum, bad;
    uint8_t *buf;
    size_t cap;
};

static int print_json(json_t *o)
{
    int rc = o != NULL ? json_dumpf(o, stdout, JSON_COMPACT) : -1;
    json_decref(o);
    return rc == 0 && putchar('\n') != EOF ? 0 : -EIO;
}

static int on_batch(void *ctx, const struct flow_store_batch *b)
{
    struct flows_ctx *c = ctx;
    c->batches++;
    Umbra__FlowBatch *fb = umbra__flow_batch__unpack(NULL, b->len, b->payload);
    if (fb == NULL) {
        /* The aggregator checked it before storing it: this is damage on disk. */
        c->bad++;
        fprintf(stderr, "umbra-ctl flows: batch %s/%" PRIu64 "/%" PRIu64 " does not decode\n",
                b->sensor_id, b->epoch, b->seq);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fb->n_records; i++) {
        const Umbra__FlowRecord *r = fb->records[i];
        c->records++;
        if (c->summary) {
            /* The same sum the sensor prints (export_N_checksum): XXH3 of each packed record,
             * added, so that order does not matter. */
            size_t len = protobuf_c_message_get_packed_size(&r->base);
            if (len > c->cap) {
                uint8_t *nb = realloc(c->buf, len);
                if (nb == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                c->buf = nb;
                c->cap = len;
            }
            protobuf_c_message_pack(&r->base, c->buf);
            c->checksum += XXH3_64bits(c->buf, len);
        }
        if (c->json) {
            json_t *o = pb_json_message(&r->base);
            if (o != NULL) {
                json_object_set_new(o, "sensor_id", json_string(b->sensor_id));
                json_object_set_new(o, "batch_sequence", json_integer((json_int_t)b->seq));
            }
            rc = print_json(o);
        }
    }
    umbra__flow_batch__free_unpacked(fb, NULL);
    return rc;
}

static int cmd_flows(int argc, char **argv)
{
    static const char what[] =
            "Print the flow records an aggregator has stored: with --json one JSON\n"
            "object per record (the FlowRecord's fields as named in\n"
            "proto/umbra.proto, plus sensor_id and batch_sequence), in the\n"
            "order of sensor, stream and batch.";
    static const char extra[] =
            "  -j, --json       one JSON object per record (the default output)\n"
            "  -s, --summary    print only: batches, records, and the sum of the XXH3 of each\n"
            "                   packed record (compare with the sensor's export_N_checksum)\n";
    struct data_args a = {0};
    int rc = data_parse(argc, argv, &a, "flows", what, extra);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    struct log *log = open_log();
    if (log == NULL)
        return EXIT_RUNTIME;
    struct flows_ctx c = {.json = !a.summary, .summary = a.summary};
    rc = flow_store_scan(a.dir, on_batch, &c, log);
    if (rc == 0 && a.summary)
        printf("batches %" PRIu64 "\nrecords %" PRIu64 "\nchecksum %" PRIu64 "\n", c.batches,
               c.records, c.checksum);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -EIO;
    free(c.buf);
    log_destroy(&log);
    if (rc != 0)
        fprintf(stderr, "%s: %s: %s\n", argv[0], a.dir, umbra_strerror(rc));
    return rc == 0 && c.bad == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int on_sensor(void *ctx, const char *id, const struct flow_store_sensor *s)
{
    bool json = *(const bool *)ctx;
    if (json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sensor_id", id,
                              "stream_epoch", (json_int_t)s->epoch, "sequence", (json_int_t)s->hwm,
                              "batches", (json_int_t)s->batches, "records", (json_int_t)s->records,
                              "rejected_batches", (json_int_t)s->rejected_batches, "batches_lost",
                              (json_int_t)s->batches_lost, "last_apply_ts",
                              (json_int_t)s->last_apply_ts);
        return print_json(o);
    }
    printf("%-24s %20" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %9" PRIu64 " %9" PRIu64
           "\n",
           id, s->epoch, s->hwm, s->batches, s->records, s->rejected_batches, s->batches_lost);
    return 0;
}

static int cmd_sensors(int argc, char **argv)
{
    static const char what[] =
            "List the sensors whose batches the aggregator applied: stream epoch,\n"
            "last sequence applied, batches, records, batches rejected as\n"
            "invalid, and batches lost at the sensor's spool cap.";
    struct data_args a = {0};
    static const char extra[] = "  -j, --json       one JSON object per sensor\n";
    int rc = data_parse(argc, argv, &a, "sensors", what, extra);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    struct log *log = open_log();
    if (log == NULL)
        return EXIT_RUNTIME;
    if (!a.json)
        printf("%-24s %20s %10s %10s %12s %9s %9s\n", "sensor", "epoch", "sequence", "batches",
               "records", "rejected", "lost");
    rc = flow_store_scan_sensors(a.dir, on_sensor, &a.json, log);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -EIO;
    log_destroy(&log);
    if (rc != 0)
        fprintf(stderr, "%s: %s: %s\n", argv[0], a.dir, umbra_strerror(rc));
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* ---- main --------------------------------------------------------------------------------- */

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int i = 1;
    /* Options before the command are umbra-ctl's; after it, the command's. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
            printf("umbra-ctl %s\n", UMBRA_VERSION);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        fprintf(stderr, "umbra-ctl: unknown option '%s'\nTry 'umbra-ctl --help'.\n", argv[i]);
        return EXIT_USAGE;
    }
    if (i == argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const struct command *cmd = find_command(argv[i]);
    if (cmd == NULL) {
        fprintf(stderr, "umbra-ctl: unknown command '%s'\nTry 'umbra-ctl --help'.\n", argv[i]);
        return EXIT_USAGE;
    }
    /* getopt_long() names argv[0] in its messages: make that "umbra-ctl keygen". */
    char prog[64];
    snprintf(prog, sizeof(prog), "umbra-ctl %s", cmd->name);
    argv[i] = prog;
    return cmd->run(argc - i, argv + i);
}

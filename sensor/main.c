/*
 * umbra-sensor: options, configuration and signals. The stages themselves (capture, decode,
 * flow table, output) are wired in sensor/sensor.c; this file turns the command line and the
 * configuration file into a struct sensor_config and runs the sensor until the input ends or a
 * signal stops it.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "sensor/sensor.h"
#include "sensor/sensor_config.h"

/* Exit statuses, documented in --help. */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1, /* the capture failed while running, or events could not be written */
    EXIT_USAGE = 2,   /* bad options or configuration: nothing was started */
    EXIT_UNACKED = 3, /* done, but batches are still unacknowledged (kept in the spool) */
};

/* Set by signal handlers, read by the main loop: the one kind of global STYLE.md allows. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t abort_requested;
static volatile sig_atomic_t stats_requested;

/* The first signal ends the capture and waits for the aggregators' acks; a second one stops
 * the waiting too (the spool keeps what is unacknowledged). */
static void on_stop_signal(int sig)
{
    (void)sig;
    if (stop_requested)
        abort_requested = 1;
    stop_requested = 1;
}

static void on_stats_signal(int sig)
{
    (void)sig;
    stats_requested = 1;
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [OPTIONS] (-r FILE | -i IFACE)\n"
            "\n"
            "Umbra sensor: captures packets and measures the flows they form.\n"
            "\n"
            "Input:\n"
            "  -r, --read FILE          read a pcap or pcapng file (as fast as possible)\n"
            "  -i, --interface IFACE    capture live on IFACE\n"
            "  -f, --filter EXPR        BPF filter, e.g. \"tcp or udp\"\n"
            "  -s, --snaplen BYTES      live: bytes kept per packet (default 65535)\n"
            "  -B, --buffer-size SIZE   live: kernel buffer, e.g. 64MiB (default)\n"
            "      --no-promisc         live: leave the interface out of promiscuous mode\n"
            "      --realtime           file: replay at the recorded speed\n"
            "\n"
            "Output:\n"
            "      --json PATH          write flow events as JSON lines to PATH (- = stdout)\n"
            "      --aggregator ENDPOINT  send flow records to this aggregator, e.g.\n"
            "                           tcp://10.0.0.5:7730 (repeat for several; the same order\n"
            "                           on every sensor)\n"
            "      --keys DIR           CURVE keys: DIR/SENSOR_ID.key and DIR/aggregator.pub\n"
            "                           (umbra-ctl keygen)\n"
            "      --spool DIR          where unacknowledged batches wait (default umbra-spool)\n"
            "      --insecure           export without CURVE (a lab only)\n"
            "\n"
            "Configuration:\n"
            "  -c, --config FILE        YAML configuration (deploy/config/sensor.example.yaml)\n"
            "      --set KEY=VALUE      set any configuration option, e.g. log.level=debug\n"
            "      --config-reference   print every configuration option and exit\n"
            "  -v, --verbose            log at debug level (same as --set log.level=debug)\n"
            "  -q, --quiet              log errors only\n"
            "\n"
            "  -h, --help               this text\n"
            "  -V, --version            print the version and exit\n"
            "\n"
            "Command-line options override the configuration file. Logs go to stderr; the\n"
            "counters go to stdout at exit (after the JSON when both go there). SIGUSR1 prints\n"
            "the counters; SIGINT/SIGTERM end every flow, wait up to export.drain_timeout for\n"
            "the aggregators' acks (a second signal stops waiting), print the counters and exit.\n"
            "Exit status: 0 done; 1 the capture failed while running (the packets before the\n"
            "failure are counted) or flow events could not be written; 2 bad options,\n"
            "configuration or input that cannot be opened (nothing was started); 3 done, but\n"
            "some batches are not acknowledged yet (they stay in the spool for the next start).\n",
            prog);
}

/* --aggregator is repeatable: the endpoints become one export.aggregators list. */
static int add_aggregator(struct cli_settings *cli, const char *endpoint)
{
    if (cli_settings_append(cli, "export.aggregators", endpoint) != 0) {
        fprintf(stderr, "umbra-sensor: --aggregator '%s': one endpoint per option\n", endpoint);
        return -1;
    }
    return 0;
}

/* Returns -1 to exit with EXIT_USAGE, 1 to exit with EXIT_OK (help, version), 0 to run. */
static int parse_args(int argc, char **argv, struct cli_settings *cli)
{
    enum {
        OPT_NO_PROMISC = 256,
        OPT_REALTIME,
        OPT_SET,
        OPT_REFERENCE,
        OPT_JSON,
        OPT_AGGREGATOR,
        OPT_KEYS,
        OPT_SPOOL,
        OPT_INSECURE,
    };
    static const struct option longopts[] = {
            {"read", required_argument, NULL, 'r'},
            {"interface", required_argument, NULL, 'i'},
            {"filter", required_argument, NULL, 'f'},
            {"snaplen", required_argument, NULL, 's'},
            {"buffer-size", required_argument, NULL, 'B'},
            {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
            {"realtime", no_argument, NULL, OPT_REALTIME},
            {"json", required_argument, NULL, OPT_JSON},
            {"aggregator", required_argument, NULL, OPT_AGGREGATOR},
            {"keys", required_argument, NULL, OPT_KEYS},
            {"spool", required_argument, NULL, OPT_SPOOL},
            {"insecure", no_argument, NULL, OPT_INSECURE},
            {"config", required_argument, NULL, 'c'},
            {"set", required_argument, NULL, OPT_SET},
            {"config-reference", no_argument, NULL, OPT_REFERENCE},
            {"verbose", no_argument, NULL, 'v'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
    };
    int c;
    int rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "r:i:f:s:B:c:vqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            rc = cli_settings_add(cli, "capture.file", optarg);
            break;
        case 'i':
            rc = cli_settings_add(cli, "capture.interface", optarg);
            break;
        case 'f':
            rc = cli_settings_add(cli, "capture.filter", optarg);
            break;
        case 's':
            rc = cli_settings_add(cli, "capture.snaplen", optarg);
            break;
        case 'B':
            rc = cli_settings_add(cli, "capture.buffer_size", optarg);
            break;
        case OPT_NO_PROMISC:
            rc = cli_settings_add(cli, "capture.promiscuous", "false");
            break;
        case OPT_REALTIME:
            rc = cli_settings_add(cli, "capture.realtime", "true");
            break;
        case OPT_JSON:
            rc = cli_settings_add(cli, "output.json", optarg);
            break;
        case OPT_AGGREGATOR:
            rc = add_aggregator(cli, optarg);
            break;
        case OPT_KEYS:
            rc = cli_settings_add(cli, "curve.keys_dir", optarg);
            break;
        case OPT_SPOOL:
            rc = cli_settings_add(cli, "spool.dir", optarg);
            break;
        case OPT_INSECURE:
            rc = cli_settings_add(cli, "curve.insecure", "true");
            break;
        case 'c':
            cli->config_path = optarg;
            break;
        case OPT_SET:
            rc = cli_settings_add_kv(cli, optarg);
            break;
        case OPT_REFERENCE:
            config_print_reference(sensor_config_schema(), stdout);
            return 1;
        case 'v':
            rc = cli_settings_add(cli, "log.level", "debug");
            break;
        case 'q':
            rc = cli_settings_add(cli, "log.level", "error");
            break;
        case 'h':
            usage(stdout, argv[0]);
            return 1;
        case 'V':
            printf("umbra-sensor %s\n", SENSOR_VERSION);
            return 1;
        default:
            fprintf(stderr, "Try '%s --help'.\n", argv[0]);
            return -1;
        }
    }
    if (rc != 0)
        return -1;
    if (optind < argc) {
        fprintf(stderr, "umbra-sensor: unexpected argument '%s'\nTry '%s --help'.\n", argv[optind],
                argv[0]);
        return -1;
    }
    return 0;
}

/* Defaults, then the file, then the command line; then the input must be clear. */
static int load_config(const struct cli_settings *cli, struct sensor_config *cfg)
{
    int rc = cli_settings_load(cli, sensor_config_schema(), cfg);
    if (rc != 0)
        return rc; /* printed with file, line and key */
    if ((cfg->capture_file[0] != '\0') == (cfg->capture_iface[0] != '\0')) {
        fprintf(stderr, "umbra-sensor: give exactly one input: a file (-r, capture.file) or an "
                        "interface (-i, capture.interface)\nTry 'umbra-sensor --help'.\n");
        return UMBRA_ECONFIG;
    }
    return 0;
}

static int run(const struct sensor_config *cfg, struct log *log)
{
    struct sensor_signals sig = {
            .stop = &stop_requested,
            .counters = &stats_requested,
            .abort = &abort_requested,
    };
    struct sensor *s = sensor_create(cfg, &sig, log);
    if (s == NULL)
        return EXIT_USAGE;

    int rc;
    do {
        rc = sensor_run_slice(s);
    } while (rc == 1 && !stop_requested);

    /* A failed read keeps what came before it: those flows end and are reported like others. */
    int status = rc < 0 ? EXIT_RUNTIME : EXIT_OK;
    if (stop_requested)
        log_info(log, "sensor: stopping on signal");
    sensor_finish(s);
    if (sensor_output_errors(s) > 0) {
        /* Logged by the output with its reason; a run that lost events must not look clean. */
        status = EXIT_RUNTIME;
    }
    if (status == EXIT_OK && sensor_unacknowledged(s) > 0)
        status = EXIT_UNACKED;
    sensor_print_counters(s, stdout);
    log_info(log, "sensor: done status=%d", status);
    sensor_destroy(&s);
    return status;
}

int main(int argc, char **argv)
{
    struct cli_settings cli;
    cli_settings_init(&cli, "umbra-sensor");
    int rc = parse_args(argc, argv, &cli);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;

    struct sensor_config cfg;
    if (load_config(&cli, &cfg) != 0) {
        config_free(sensor_config_schema(), &cfg);
        return EXIT_USAGE;
    }

    struct log_config lcfg = {.name = "umbra-sensor", .level = (enum log_level)cfg.log_level};
    struct log *log = log_create(&lcfg);
    if (log == NULL) {
        fprintf(stderr, "umbra-sensor: out of memory\n");
        return EXIT_RUNTIME;
    }

    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_stats_signal;
    sigaction(SIGUSR1, &sa, NULL);

    int status = run(&cfg, log);
    log_destroy(&log);
    config_free(sensor_config_schema(), &cfg);
    return status;
}

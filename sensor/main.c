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
        OPT_NO_PROMISC = CLI_OPT_OWN,
        OPT_REALTIME,
        OPT_JSON,
        OPT_AGGREGATOR,
        OPT_SPOOL,
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
            {"spool", required_argument, NULL, OPT_SPOOL},
            CLI_SHARED_LONGOPTS,
            {NULL, 0, NULL, 0},
    };
    const struct cli_program p = {
            .version = SENSOR_VERSION, .schema = sensor_config_schema(), .usage = usage};
    /* Options that set one configuration key each. */
    static const struct {
        int opt;
        const char *key, *value; /* value NULL: the option's argument */
    } keyed[] = {
            {'r', "capture.file", NULL},
            {'i', "capture.interface", NULL},
            {'f', "capture.filter", NULL},
            {'s', "capture.snaplen", NULL},
            {'B', "capture.buffer_size", NULL},
            {OPT_NO_PROMISC, "capture.promiscuous", "false"},
            {OPT_REALTIME, "capture.realtime", "true"},
            {OPT_JSON, "output.json", NULL},
            {OPT_SPOOL, "spool.dir", NULL},
    };
    int c;
    int rc = 0;
    while (rc == 0 &&
           (c = getopt_long(argc, argv, "r:i:f:s:B:" CLI_SHARED_SHORTOPTS, longopts, NULL)) != -1) {
        size_t k = 0;
        while (k < sizeof(keyed) / sizeof(keyed[0]) && keyed[k].opt != c)
            k++;
        if (k < sizeof(keyed) / sizeof(keyed[0])) {
            const char *v = keyed[k].value != NULL ? keyed[k].value : optarg;
            rc = cli_settings_add(cli, keyed[k].key, v) == 0 ? 0 : -1;
        } else if (c == OPT_AGGREGATOR)
            rc = add_aggregator(cli, optarg);
        else
            rc = cli_settings_option(cli, &p, c, optarg, argv[0]);
    }
    if (rc != 0)
        return rc;
    return cli_settings_no_operands(cli, argc, argv, optind);
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

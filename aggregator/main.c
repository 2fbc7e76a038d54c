/*
 * umbra-aggregator: options, configuration, keys and signals. The receiving side itself is
 * aggregator/ingest.c and the store aggregator/flow_store.c; this file turns the command line
 * and the configuration file into a struct aggregator_config, opens the store and the ZeroMQ
 * context, and runs the libuv loop until a signal stops it.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <zmq.h>

#include "aggregator/aggregator_config.h"
#include "aggregator/alert_store.h"
#include "aggregator/detect.h"
#include "aggregator/flow_store.h"
#include "aggregator/ingest.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/curve_keys.h"
#include "common/err.h"
#include "common/log.h"

#define AGGREGATOR_VERSION "0.1.0"

/* Exit statuses, documented in --help. */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1, /* the event loop failed while running */
    EXIT_USAGE = 2,   /* bad options, configuration, keys or store: nothing was started */
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [OPTIONS] (--keys DIR | --insecure)\n"
            "\n"
            "Umbra aggregator: receives the sensors' flow batches over ZeroMQ (CURVE), stores\n"
            "each exactly once in LMDB and acknowledges it once it is on disk.\n"
            "\n"
            "Network and storage:\n"
            "      --listen ENDPOINT    ZeroMQ endpoint to bind, e.g. tcp://*:7730 (default);\n"
            "                           repeat for several; replaces the configured list\n"
            "      --data DIR           flow store directory (default umbra-data)\n"
            "\n"
            "Security:\n"
            "      --keys DIR           CURVE keys: DIR/aggregator.key is this aggregator's key\n"
            "                           pair, DIR/sensors/NAME.pub the sensors allowed in, each\n"
            "                           as sensor id NAME (umbra-ctl keygen makes them)\n"
            "      --insecure           no CURVE: plain, unauthenticated TCP (a lab only)\n"
            "\n"
            "Configuration:\n"
            "  -c, --config FILE        YAML configuration "
            "(deploy/config/aggregator.example.yaml)\n"
            "      --set KEY=VALUE      set any configuration option, e.g. log.level=debug\n"
            "      --config-reference   print every configuration option and exit\n"
            "  -v, --verbose            log at debug level (same as --set log.level=debug)\n"
            "  -q, --quiet              log errors only\n"
            "\n"
            "  -h, --help               this text\n"
            "  -V, --version            print the version and exit\n"
            "\n"
            "Command-line options override the configuration file. Logs go to stderr; the\n"
            "counters go to stdout at exit. SIGUSR1 prints the counters and the table of sensors;\n"
            "SIGHUP re-reads the allow-list (keys removed stop being accepted at once, even on\n"
            "open connections); SIGINT/SIGTERM finish the batches in hand (committed and\n"
            "acknowledged), print the counters and exit. A sensor that sends a message above\n"
            "ingest.max_message is disconnected by ZeroMQ and shows in the disconnects counter.\n"
            "Exit status: 0 stopped by a signal; 1 the event loop failed while running;\n"
            "2 bad options or configuration, no usable CURVE key, or a store or endpoint that\n"
            "cannot be opened (nothing was started).\n",
            prog);
}

/* --listen is repeatable: the endpoints become one ingest.listen list. */
static int cli_listen(struct cli_settings *cli, const char *ep)
{
    int rc = cli_settings_append(cli, "ingest.listen", ep);
    if (rc == -EINVAL)
        fprintf(stderr, "umbra-aggregator: --listen takes one endpoint, got '%s'\n", ep);
    else if (rc != 0)
        fprintf(stderr, "umbra-aggregator: too many --listen endpoints\n");
    return rc;
}

/* Returns -1 to exit with EXIT_USAGE, 1 to exit with EXIT_OK (help, version), 0 to run. */
static int parse_args(int argc, char **argv, struct cli_settings *cli)
{
    enum { OPT_LISTEN = CLI_OPT_OWN, OPT_DATA };
    static const struct option longopts[] = {
            {"listen", required_argument, NULL, OPT_LISTEN},
            {"data", required_argument, NULL, OPT_DATA},
            CLI_SHARED_LONGOPTS,
            {NULL, 0, NULL, 0},
    };
    const struct cli_program p = {
            .version = AGGREGATOR_VERSION, .schema = aggregator_config_schema(), .usage = usage};
    int c;
    int rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, CLI_SHARED_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            rc = cli_listen(cli, optarg) == 0 ? 0 : -1;
            break;
        case OPT_DATA:
            rc = cli_settings_add(cli, "store.dir", optarg) == 0 ? 0 : -1;
            break;
        default:
            rc = cli_settings_option(cli, &p, c, optarg, argv[0]);
            break;
        }
    }
    if (rc != 0)
        return rc;
    return cli_settings_no_operands(cli, argc, argv, optind);
}

/* Where the keys are, once the configuration is complete. */
struct key_paths {
    char secret[1100];
    char allow[1100];
};

/* Defaults, then the file, then the command line; then the security choice must be clear. */
static int load_config(const struct cli_settings *cli, struct aggregator_config *cfg,
                       struct key_paths *kp)
{
    int rc = cli_settings_load(cli, aggregator_config_schema(), cfg);
    if (rc != 0)
        return rc; /* printed with file, line and key */
    if (cfg->listen.n == 0) {
        fprintf(stderr, "umbra-aggregator: ingest.listen is empty: give at least one endpoint "
                        "(--listen tcp://*:7730)\n");
        return UMBRA_ECONFIG;
    }
    if (aggregator_config_key_paths(cfg, kp->secret, kp->allow, sizeof(kp->secret)) != 0) {
        fprintf(stderr, "umbra-aggregator: curve.keys_dir: path too long\n");
        return UMBRA_ECONFIG;
    }
    if (cfg->curve_insecure && (kp->secret[0] != '\0' || kp->allow[0] != '\0')) {
        fprintf(stderr, "umbra-aggregator: curve.insecure is true but CURVE keys are given too: "
                        "choose one\n");
        return UMBRA_ECONFIG;
    }
    if (!cfg->curve_insecure && kp->secret[0] == '\0') {
        fprintf(stderr, "umbra-aggregator: no CURVE key: give --keys DIR (umbra-ctl keygen) or "
                        "set curve.insecure: true for a lab\n");
        return UMBRA_ECONFIG;
    }
    if (!cfg->curve_insecure && kp->allow[0] == '\0') {
        fprintf(stderr, "umbra-aggregator: curve.secret_key is set but curve.allow_dir is not: "
                        "give the directory of the sensors' .pub files\n");
        return UMBRA_ECONFIG;
    }
    return 0;
}

/* Everything the loop's callbacks need. */
struct app {
    uv_loop_t loop;
    uv_signal_t sig_int, sig_term, sig_hup, sig_usr1;
    uv_timer_t tick; /* the detectors' watermark and the alert store's retention */
    struct ingest *in;
    struct detect *detect;
    struct alert_store *alerts;
    struct log *log;
    bool stopped_by_signal;
};

static void print_counter(void *ctx, const char *name, uint64_t v)
{
    fprintf(ctx, "  %-28s %llu\n", name, (unsigned long long)v);
}

static void print_counters(const struct app *app, FILE *f)
{
    fprintf(f, "umbra-aggregator counters\n");
    ingest_counters(app->in, print_counter, f);
    if (app->detect != NULL)
        detect_counters(app->detect, print_counter, f);
    fflush(f);
}

/* Once a second: the watermark moves even when no batch comes (a sensor gone quiet). */
static void on_tick(uv_timer_t *t)
{
    struct app *app = t->data;
    detect_tick(app->detect, clock_mono_ns()); /* the clock ingest stamps batches with */
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct app *app = h->data;
    switch (signum) {
    case SIGHUP:
        log_info(app->log, "aggregator: SIGHUP: reloading the allow-list");
        ingest_reload_allow(app->in);
        break;
    case SIGUSR1:
        print_counters(app, stdout);
        ingest_print_sensors(app->in, stdout);
        fflush(stdout);
        break;
    default:
        /* Each group of batches is committed and acknowledged inside the callback that read
         * it, so when this runs nothing is half done: stopping the loop is enough. */
        log_info(app->log, "aggregator: stopping on signal %d", signum);
        app->stopped_by_signal = true;
        uv_stop(&app->loop);
        break;
    }
}

static int start_signals(struct app *app)
{
    struct {
        uv_signal_t *h;
        int sig;
    } s[] = {
            {&app->sig_int, SIGINT},
            {&app->sig_term, SIGTERM},
            {&app->sig_hup, SIGHUP},
            {&app->sig_usr1, SIGUSR1},
    };
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        uv_signal_init(&app->loop, s[i].h);
        s[i].h->data = app;
        int rc = uv_signal_start(s[i].h, on_signal, s[i].sig);
        if (rc != 0) {
            log_err(app->log, "aggregator: uv_signal_start(%d): %s", s[i].sig, uv_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static void close_signals(struct app *app)
{
    uv_handle_t *s[] = {(uv_handle_t *)&app->sig_int, (uv_handle_t *)&app->sig_term,
                        (uv_handle_t *)&app->sig_hup, (uv_handle_t *)&app->sig_usr1,
                        (uv_handle_t *)&app->tick};
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        if (s[i]->loop != NULL && !uv_is_closing(s[i]))
            uv_close(s[i], NULL);
    }
    uv_run(&app->loop, UV_RUN_NOWAIT);
}

static void log_start(const struct aggregator_config *cfg, const struct ingest *in,
                      const struct key_paths *kp, struct log *log)
{
    for (uint32_t i = 0; ingest_endpoint(in, i) != NULL; i++)
        log_info(log, "aggregator: listening on %s", ingest_endpoint(in, i));
    if (ingest_curve(in))
        log_info(log, "aggregator: CURVE on: key=%s allowed_keys=%zu allow_dir=%s", kp->secret,
                 ingest_allowed_keys(in), kp->allow);
    else
        log_info(log, "aggregator: CURVE off (insecure)");
    log_info(log,
             "aggregator: id=%s store=%s map_size=%llu sync=%s group_commit=%lld group_fill=%lld "
             "group_wait_ms=%.1f",
             cfg->id, cfg->store_dir, (unsigned long long)cfg->store_map_size,
             cfg->store_sync ? "on" : "off", (long long)cfg->group_commit,
             (long long)cfg->group_fill, (double)cfg->group_wait / 1e6);
}

/* CIDR lists of the configuration into prefixes; -1 after saying which entry is wrong. */
static int prefixes(const struct config_strlist *l, const char *key, struct graph_prefix *out,
                    uint32_t *n, struct log *log)
{
    *n = 0;
    for (size_t i = 0; i < l->n && i < GRAPH_PREFIXES_MAX; i++) {
        if (graph_prefix_parse(l->items[i], &out[*n]) != 0) {
            log_err(log, "aggregator: %s: '%s' is not a network like 10.0.0.0/8 or fd00::/8", key,
                    l->items[i]);
            return -1;
        }
        (*n)++;
    }
    return 0;
}

/* The alert store, the JSON stream and the detection engine, when detection is on. */
static int open_detection(const struct aggregator_config *cfg, struct app *app, FILE **json,
                          struct log *log)
{
    if (!cfg->detect_enabled) {
        log_info(log, "aggregator: detection off (detect.enabled false)");
        return 0;
    }
    struct detect_config dc;
    detect_config_default(&dc);
    dc.aggregator_id = cfg->id;
    dc.window.max_sensors = INGEST_SENSORS_MAX; /* ingest numbers the sensors for it */
    dc.lateral.hop_ns = cfg->lateral_hop;
    if (prefixes(&cfg->detect_internal, "detect.internal", dc.graph.internal, &dc.graph.n_internal,
                 log) != 0 ||
        prefixes(&cfg->scan_allow, "detect.scan.allow", dc.scan.allow, &dc.scan.n_allow, log) !=
                0 ||
        prefixes(&cfg->lateral_allow, "detect.lateral.allow", dc.lateral.allow, &dc.lateral.n_allow,
                 log) != 0)
        return -1;
    char dir[1100];
    if (cfg->alerts_dir[0] != '\0')
        snprintf(dir, sizeof(dir), "%s", cfg->alerts_dir);
    else
        snprintf(dir, sizeof(dir), "%s/alerts", cfg->store_dir);
    struct alert_store_config ac = {.dir = dir,
                                    .map_size = 1ull << 30,
                                    .retention_ns = cfg->alerts_retention,
                                    .sync = cfg->store_sync};
    app->alerts = alert_store_create(&ac, log);
    if (app->alerts == NULL)
        return -1;
    if (strcmp(cfg->alerts_json, "-") == 0) {
        *json = stdout;
    } else if (cfg->alerts_json[0] != '\0') {
        *json = fopen(cfg->alerts_json, "ae");
        if (*json == NULL) {
            log_err(log, "aggregator: alerts.json: cannot open %s: %s", cfg->alerts_json,
                    strerror(errno));
            return -1;
        }
    }
    dc.store = app->alerts;
    dc.json = *json;
    app->detect = detect_create(&dc, log);
    if (app->detect == NULL)
        return -1;
    log_info(log, "aggregator: detection on: alerts in %s, JSON lines to %s", dir,
             *json == NULL ? "nowhere" : (*json == stdout ? "stdout" : cfg->alerts_json));
    return 0;
}

/* Runs the loop with @app's ingest until a signal stops it. */
static int serve(struct app *app)
{
    if (start_signals(app) != 0)
        return EXIT_RUNTIME;
    if (app->detect != NULL) {
        uv_timer_init(&app->loop, &app->tick);
        app->tick.data = app;
        uv_timer_start(&app->tick, on_tick, 1000, 1000);
    }
    int rc = uv_run(&app->loop, UV_RUN_DEFAULT);
    if (!app->stopped_by_signal) {
        log_err(app->log, "aggregator: the event loop ended unexpectedly (%d)", rc);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

static int run(const struct aggregator_config *cfg, const struct key_paths *kp, struct log *log)
{
    struct curve_keypair own;
    if (!cfg->curve_insecure && curve_keys_read_secret(kp->secret, &own, log) != 0)
        return EXIT_USAGE; /* logged with the file and the reason */

    int status = EXIT_USAGE;
    struct app app = {.log = log};
    FILE *json = NULL;
    struct flow_store_config scfg = {
            .dir = cfg->store_dir, .map_size = cfg->store_map_size, .sync = cfg->store_sync};
    struct flow_store *store = flow_store_create(&scfg, log);
    if (store == NULL)
        goto out_wipe;
    void *zctx = zmq_ctx_new();
    if (zctx == NULL) {
        log_err(log, "aggregator: zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto out_store;
    }
    int rc = uv_loop_init(&app.loop);
    if (rc != 0) {
        log_err(log, "aggregator: uv_loop_init: %s", uv_strerror(rc));
        goto out_ctx;
    }

    if (open_detection(cfg, &app, &json, log) != 0)
        goto out_loop;
    struct ingest_config icfg = {
            .aggregator_id = cfg->id,
            .listen = (const char *const *)cfg->listen.items,
            .n_listen = (uint32_t)cfg->listen.n,
            .own = cfg->curve_insecure ? NULL : &own,
            .allow_dir = kp->allow,
            .max_message = cfg->max_message,
            .max_records = (uint32_t)cfg->max_records,
            .group_max = (uint32_t)cfg->group_commit,
            .group_fill = (uint32_t)cfg->group_fill,
            .group_wait_ns = cfg->group_wait,
            .silence_ns = cfg->silence_timeout,
            .heartbeat_ns = cfg->zmq_heartbeat,
            .store = store,
            .detect = app.detect,
    };
    app.in = ingest_create(&app.loop, zctx, &icfg, log);
    /* The socket holds its own copy of the secret key from here on. */
    memset(&own, 0, sizeof(own));
    if (app.in == NULL)
        goto out_loop;
    log_start(cfg, app.in, kp, log);
    status = serve(&app);
    /* Signals first: ingest_destroy() turns the loop, and no callback may reach it then. */
    close_signals(&app);
    print_counters(&app, stdout);
    ingest_destroy(&app.in);
out_loop:
    close_signals(&app);
    detect_destroy(&app.detect);
    alert_store_destroy(&app.alerts);
    if (json != NULL && json != stdout)
        fclose(json);
    if (uv_loop_close(&app.loop) != 0)
        log_warn(log, "aggregator: libuv loop closed with handles still open");
out_ctx:
    zmq_ctx_term(zctx);
out_store:
    flow_store_destroy(&store);
out_wipe:
    memset(&own, 0, sizeof(own));
    log_info(log, "aggregator: done status=%d", status);
    return status;
}

/*
 * ZeroMQ's I/O thread allocates each message it receives, a batch of about 700 KB, and the loop
 * frees it once stored. With glibc's adaptive defaults freed batch buffers were handed back to
 * the kernel (heap trimming) and the next ones page-faulted in afresh: a fault per 4 KiB, about 9 %
 * of the I/O thread's time in the transport benchmark. Fixed thresholds keep up to
 * TRIM_KEEP of freed heap per arena for reuse and serve every message (up to
 * ingest.max_message) from the heap, not from mmap.
 */
#define MMAP_FROM (32 << 20) /* glibc's ceiling for M_MMAP_THRESHOLD on 64-bit */
#define TRIM_KEEP (128 << 20)

static void tune_malloc(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, MMAP_FROM);
    (void)mallopt(M_TRIM_THRESHOLD, TRIM_KEEP);
}

int main(int argc, char **argv)
{
    tune_malloc();
    struct cli_settings cli;
    cli_settings_init(&cli, "umbra-aggregator");
    int rc = parse_args(argc, argv, &cli);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;

    struct aggregator_config cfg;
    struct key_paths kp;
    if (load_config(&cli, &cfg, &kp) != 0) {
        config_free(aggregator_config_schema(), &cfg);
        return EXIT_USAGE;
    }

    struct log_config lcfg = {.name = "umbra-aggregator", .level = (enum log_level)cfg.log_level};
    struct log *log = log_create(&lcfg);
    if (log == NULL) {
        fprintf(stderr, "umbra-aggregator: out of memory\n");
        config_free(aggregator_config_schema(), &cfg);
        return EXIT_RUNTIME;
    }

    int status = run(&cfg, &kp, log);
    log_destroy(&log);
    config_free(aggregator_config_schema(), &cfg);
    return status;
}

/*
 * Command-line settings of a daemon: the options that set configuration keys (-r, --set KEY=VALUE,
 * a repeatable --listen...), kept as given and applied over the configuration file, or over the
 * defaults, by cli_settings_load(). Parsing argv stays with each program (getopt_long); this
 * module only holds what the options said and applies it in one order for every program:
 * defaults or the file, then each setting in command-line order, then each list.
 *
 * Storage is embedded by the caller and holds no heap memory, so there is no fini. Not
 * thread-safe: one per main().
 */
#ifndef UMBRA_COMMON_CLI_H
#define UMBRA_COMMON_CLI_H

#include <stddef.h>
#include <stdio.h>

struct config_schema;

/* Settings one command line may hold; both daemons take far fewer options than this. */
#define CLI_SETTINGS_MAX 64
/* Bytes of one --set KEY=VALUE, NUL included. */
#define CLI_KV_MAX 512
/* Different list keys fed by repeatable options. */
#define CLI_LISTS_MAX 4
/* Bytes of one list's items joined with commas, NUL included. */
#define CLI_LIST_MAX 4096

struct cli_setting {
    const char *key;      /* borrowed, or into buf */
    const char *value;    /* borrowed, or into buf */
    char buf[CLI_KV_MAX]; /* a --set KEY=VALUE, split in place */
};

/* The items of a repeatable option, applied as one list value. */
struct cli_list {
    const char *key;          /* dotted list key; borrowed */
    char items[CLI_LIST_MAX]; /* "a,b,c" */
    size_t len;               /* bytes used in items, NUL excluded */
};

struct cli_settings {
    const char *prog;        /* names the program in messages ("umbra-sensor"); borrowed */
    const char *config_path; /* the -c FILE, set by the caller; NULL = defaults only; borrowed */
    FILE *err;               /* where messages go: stderr from cli_settings_init() */
    struct cli_setting set[CLI_SETTINGS_MAX];
    size_t n_set;
    struct cli_list lists[CLI_LISTS_MAX]; /* in the order their keys were first appended to */
    size_t n_lists;
};

/* cli_settings_init() - no settings, no file, messages to stderr prefixed with @prog, which must
 * outlive @c. */
void cli_settings_init(struct cli_settings *c, const char *prog);

/*
 * cli_settings_add() - set @key to @value after the file. Both are borrowed until
 * cli_settings_load() (argv strings and literals are). A key given twice is applied twice: the
 * last one wins, as on any command line.
 *
 * Returns 0, or -ENOSPC beyond CLI_SETTINGS_MAX settings, after printing
 * "PROG: more than 64 settings on the command line".
 */
int cli_settings_add(struct cli_settings *c, const char *key, const char *value);

/*
 * cli_settings_add_kv() - as cli_settings_add() for the argument of --set, "KEY=VALUE", split at
 * the first '=' into a copy (the value may hold '='; @kv is not kept).
 *
 * Returns 0; -ENOSPC as cli_settings_add(); -EINVAL when @kv has no '=', nothing before it or is
 * longer than CLI_KV_MAX - 1, after printing "PROG: --set takes KEY=VALUE, got 'KV'".
 */
int cli_settings_add_kv(struct cli_settings *c, const char *kv);

/*
 * cli_settings_append() - add @item to the list value of @list_key (a CONFIG_STRLIST option), for
 * an option that may be repeated (--listen A --listen B gives "A,B"). The list is applied once,
 * after every cli_settings_add(), and replaces the file's list whole. @list_key is borrowed until
 * cli_settings_load(); @item is copied. An empty item adds nothing to a list still empty, and a
 * list left empty is not applied (the file's stands).
 *
 * Returns 0; -EINVAL when @item holds a comma (the list separator); -ENOSPC when the joined list
 * would not fit CLI_LIST_MAX, or @list_key would be a list beyond CLI_LISTS_MAX. Prints nothing:
 * the message names the caller's option, so the caller writes it.
 */
int cli_settings_append(struct cli_settings *c, const char *list_key, const char *item);

/*
 * cli_settings_load() - the configuration @cfg of @schema: the defaults, or the file
 * c->config_path over them, then each setting in the order added, then each list. @cfg is
 * output only (what it held is overwritten, not freed).
 *
 * Returns 0, or what config_load_file(), config_set_defaults() or config_set() returned
 * (-errno, UMBRA_EYAML, UMBRA_ECONFIG) for the first thing that failed, after printing
 * "PROG: configuration error: MSG" (MSG as struct config_error gives it: file, line, key). Nothing
 * after the failure is applied. Either way the caller releases @cfg with config_free().
 */
int cli_settings_load(const struct cli_settings *c, const struct config_schema *schema, void *cfg);

/*
 * The options every daemon shares: -c/--config, --set, --config-reference, --keys, --insecure,
 * -v, -q, -h, -V. A program puts CLI_SHARED_LONGOPTS in its getopt_long table and
 * CLI_SHARED_SHORTOPTS in its short-option string, numbers its own long-only options from
 * CLI_OPT_OWN, and passes every option its switch does not handle to cli_settings_option().
 */
enum cli_option {
    CLI_OPT_SET = 0x200,
    CLI_OPT_REFERENCE,
    CLI_OPT_KEYS,
    CLI_OPT_INSECURE,
    CLI_OPT_OWN, /* a program's own long-only options start here */
};

#define CLI_SHARED_SHORTOPTS "c:vqhV"
#define CLI_SHARED_LONGOPTS                                                                        \
    {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, CLI_OPT_SET},       \
            {"config-reference", no_argument, NULL, CLI_OPT_REFERENCE},                            \
            {"keys", required_argument, NULL, CLI_OPT_KEYS},                                       \
            {"insecure", no_argument, NULL, CLI_OPT_INSECURE},                                     \
            {"verbose", no_argument, NULL, 'v'}, {"quiet", no_argument, NULL, 'q'},                \
            {"help", no_argument, NULL, 'h'},                                                      \
    {                                                                                              \
        "version", no_argument, NULL, 'V'                                                          \
    }

/* What the shared options print: the program's help, version and option table. */
struct cli_program {
    const char *version;
    const struct config_schema *schema;        /* for --config-reference */
    void (*usage)(FILE *f, const char *argv0); /* for --help */
};

/*
 * cli_settings_option() - handle shared option @opt (with argument @arg) of the program @p:
 * -c sets c->config_path, --set, --keys (curve.keys_dir), --insecure (curve.insecure), -v and -q
 * (log.level) become settings, -h, -V and --config-reference print to stdout. Anything else
 * (getopt's '?' included) is an unknown option: "Try 'ARGV0 --help'." is printed.
 *
 * Returns 0 to go on, 1 when the program should exit successfully (help, version, reference
 * printed), -1 for a usage error (printed).
 */
int cli_settings_option(struct cli_settings *c, const struct cli_program *p, int opt,
                        const char *arg, const char *argv0);

/* cli_settings_no_operands() - 0 when argv holds nothing after the options (@optind == @argc);
 * otherwise -1 after printing "PROG: unexpected argument 'X'" and the --help hint. */
int cli_settings_no_operands(const struct cli_settings *c, int argc, char *const *argv, int optind);

#endif

/*
 * Command-line settings: what the options of a daemon said, held in fixed arrays until the
 * configuration is loaded, the one order in which they are applied, and the options every
 * daemon shares. Each main.c keeps its getopt loop, its own options, its usage text and its
 * checks of the finished configuration; configuration parsing (common/config does that, and writes
 * the messages this module prints).
 */
#include "common/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"

void cli_settings_init(struct cli_settings *c, const char *prog)
{
    memset(c, 0, sizeof(*c));
    c->prog = prog;
    c->err = stderr;
}

int cli_settings_add(struct cli_settings *c, const char *key, const char *value)
{
    if (c->n_set == CLI_SETTINGS_MAX) {
        fprintf(c->err, "%s: more than %d settings on the command line\n", c->prog,
                CLI_SETTINGS_MAX);
        return -ENOSPC;
    }
    c->set[c->n_set].key = key;
    c->set[c->n_set].value = value;
    c->n_set++;
    return 0;
}

int cli_settings_add_kv(struct cli_settings *c, const char *kv)
{
    if (c->n_set == CLI_SETTINGS_MAX)
        return cli_settings_add(c, "", ""); /* for its message */
    /* Split in the slot the setting will take, so the two halves live as long as @c. */
    struct cli_setting *s = &c->set[c->n_set];
    int n = snprintf(s->buf, sizeof(s->buf), "%s", kv);
    char *eq = strchr(s->buf, '=');
    if (n < 0 || (size_t)n >= sizeof(s->buf) || eq == NULL || eq == s->buf) {
        fprintf(c->err, "%s: --set takes KEY=VALUE, got '%s'\n", c->prog, kv);
        return -EINVAL;
    }
    *eq = '\0';
    return cli_settings_add(c, s->buf, eq + 1);
}

/* The list of @key, taking a free slot for a key not seen yet; NULL when there is none. */
static struct cli_list *list_of(struct cli_settings *c, const char *key)
{
    for (size_t i = 0; i < c->n_lists; i++) {
        if (strcmp(c->lists[i].key, key) == 0)
            return &c->lists[i];
    }
    if (c->n_lists == CLI_LISTS_MAX)
        return NULL;
    struct cli_list *l = &c->lists[c->n_lists++];
    l->key = key;
    return l;
}

int cli_settings_append(struct cli_settings *c, const char *list_key, const char *item)
{
    /* The joined value is split at commas again by config_set(). */
    if (strchr(item, ',') != NULL)
        return -EINVAL;
    struct cli_list *l = list_of(c, list_key);
    if (l == NULL)
        return -ENOSPC;
    size_t room = sizeof(l->items) - l->len;
    int n = snprintf(l->items + l->len, room, "%s%s", l->len > 0 ? "," : "", item);
    if (n < 0 || (size_t)n >= room) {
        l->items[l->len] = '\0'; /* the list stays as it was */
        return -ENOSPC;
    }
    l->len += (size_t)n;
    return 0;
}

int cli_settings_load(const struct cli_settings *c, const struct config_schema *schema, void *cfg)
{
    struct config_error err;
    int rc = c->config_path != NULL ? config_load_file(schema, c->config_path, cfg, &err)
                                    : config_set_defaults(schema, cfg, &err);
    for (size_t i = 0; rc == 0 && i < c->n_set; i++)
        rc = config_set(schema, cfg, c->set[i].key, c->set[i].value, &err);
    /* A list gathers its items from the whole command line, so it has no place among the
     * settings: it comes after them, and wins over a --set of the same key. */
    for (size_t i = 0; rc == 0 && i < c->n_lists; i++) {
        if (c->lists[i].len > 0)
            rc = config_set(schema, cfg, c->lists[i].key, c->lists[i].items, &err);
    }
    if (rc != 0)
        fprintf(c->err, "%s: configuration error: %s\n", c->prog, err.msg);
    return rc;
}

int cli_settings_option(struct cli_settings *c, const struct cli_program *p, int opt,
                        const char *arg, const char *argv0)
{
    int rc;
    switch (opt) {
    case 'c':
        c->config_path = arg;
        return 0;
    case CLI_OPT_SET:
        rc = cli_settings_add_kv(c, arg);
        break;
    case CLI_OPT_KEYS:
        rc = cli_settings_add(c, "curve.keys_dir", arg);
        break;
    case CLI_OPT_INSECURE:
        rc = cli_settings_add(c, "curve.insecure", "true");
        break;
    case 'v':
        rc = cli_settings_add(c, "log.level", "debug");
        break;
    case 'q':
        rc = cli_settings_add(c, "log.level", "error");
        break;
    case CLI_OPT_REFERENCE:
        config_print_reference(p->schema, stdout);
        return 1;
    case 'h':
        p->usage(stdout, argv0);
        return 1;
    case 'V':
        printf("%s %s\n", c->prog, p->version);
        return 1;
    default:
        fprintf(c->err, "Try '%s --help'.\n", argv0);
        return -1;
    }
    return rc == 0 ? 0 : -1;
}

int cli_settings_no_operands(const struct cli_settings *c, int argc, char *const *argv, int optind)
{
    if (optind >= argc)
        return 0;
    fprintf(c->err, "%s: unexpected argument '%s'\nTry '%s --help'.\n", c->prog, argv[optind],
            argv[0]);
    return -1;
}

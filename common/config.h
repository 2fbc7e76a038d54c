/*
 * Configuration: YAML files into typed structs, through a table of options.
 *
 * A daemon describes its configuration as an array of struct config_option (dotted key, type,
 * offset into its config struct, range, default, help). config_load_file() fills the struct from
 * the defaults and then from the file; every problem is reported as
 * "FILE:LINE: KEY: what is wrong" in struct config_error, and the load fails as a whole: a daemon
 * refuses to start on a bad file rather than run with half of it. The same table drives
 * command-line overrides (config_set) and the option reference (config_print_reference).
 *
 * YAML shape: nested mappings of scalars; a key "capture.snaplen" is written
 *   capture:
 *     snaplen: 65535
 * CONFIG_STRLIST options take a sequence of scalars. Anchors, aliases and tags are not accepted.
 * A key with nothing after it ("capture:") is an empty section or an empty list. Files are at
 * most 1 MiB; one document per file.
 *
 * Values. Integers: decimal or 0x hex, optionally signed. Booleans: true/false, yes/no, on/off,
 * in any case. Enums: one of the names, in any case. Doubles: plain decimal ("0.5", "1e-3"; no
 * nan or inf). Durations: a number and ns, us, ms, s, m, h or d ("250ms", "1.5s"); a bare number
 * is seconds. Sizes: bytes, or a number and B, KiB/MiB/GiB/TiB (also K/M/G/T: powers of 1024) or
 * kB/MB/GB/TB (powers of 1000). A fraction in a duration or size must come to whole nanoseconds
 * or bytes ("0.5KiB" yes, "1.5ns" no). On the command line a list is "a,b,c".
 *
 * Messages (struct config_error.msg); KEY is the dotted key, "(top)" for the document itself:
 *   FILE:LINE: KEY: unknown key
 *   FILE:LINE: KEY: expected an integer, got 'lots'          (quoted value, cut at 40 bytes)
 *   FILE:LINE: KEY: 10 is out of range [64, 262144]          (value as written, bounds in the
 *   FILE:LINE: KEY: 1ms is out of range [1s, 1h]              option's units: 1s, 64MiB)
 *   FILE:LINE: KEY: duplicate key (first set at line 2)
 *   FILE:LINE:COL: YAML syntax error: PROBLEM (after key 'KEY')
 *   FILE: cannot read: REASON            FILE: larger than 1 MiB
 * config_set() reports "KEY: problem", without file or line.
 */
#ifndef UMBRA_COMMON_CONFIG_H
#define UMBRA_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_type {
    CONFIG_BOOL,     /* bool: true/false, yes/no, on/off */
    CONFIG_INT,      /* int64_t within [min, max] */
    CONFIG_DOUBLE,   /* double within [dmin, dmax] */
    CONFIG_STRING,   /* char[size] inside the struct; longer values are an error */
    CONFIG_ENUM,     /* int, one of names[] */
    CONFIG_DURATION, /* uint64_t ns: "250ms", "30s", "5m", "2h", "1d", "1500us"; bare = seconds */
    CONFIG_SIZE,     /* uint64_t bytes: "4096", "64KiB", "16MiB", "1GiB", "2TiB"; also kB/MB/GB */
    CONFIG_STRLIST,  /* struct config_strlist, at most size items; freed by config_free() */
};

struct config_enum_name {
    const char *name;
    int value;
};

struct config_strlist {
    char **items; /* owned; each NUL-terminated */
    size_t n;
};

struct config_option {
    const char *key; /* dotted path, e.g. "capture.snaplen" */
    enum config_type type;
    size_t offset;     /* offsetof(struct xxx_config, field) */
    size_t size;       /* CONFIG_STRING: buffer size incl. NUL; CONFIG_STRLIST: max items */
    int64_t min, max;  /* CONFIG_INT, CONFIG_DURATION (ns), CONFIG_SIZE (bytes); 0,0 = no limit */
    double dmin, dmax; /* CONFIG_DOUBLE; 0,0 = no limit */
    const struct config_enum_name *names; /* CONFIG_ENUM: terminated by {NULL, 0} */
    const char *def;  /* default in the file's own syntax; NULL = zero / empty */
    const char *help; /* one line for the reference */
};

struct config_schema {
    const char *name;   /* "sensor", "aggregator": used in messages */
    size_t struct_size; /* sizeof the config struct the offsets point into */
    const struct config_option *opts;
    size_t n_opts;
};

/* What went wrong, for the log and for tests. */
#define CONFIG_ERROR_MAX 512
struct config_error {
    char msg[CONFIG_ERROR_MAX]; /* "FILE:LINE: KEY: problem", ready to print */
    char key[128];              /* dotted key concerned, or "" */
    int line;                   /* 1-based, 0 when not from a file */
};

/*
 * config_set_defaults() - zero the struct at @out and apply every option's default.
 * Returns 0, or UMBRA_ECONFIG if a default does not parse or the table is inconsistent (a field
 * outside struct_size, a key listed twice: programming errors; @err says which). @out is output
 * only here and in the loaders: what it held is overwritten, not freed.
 */
int config_set_defaults(const struct config_schema *schema, void *out, struct config_error *err);

/*
 * config_load_file() - defaults, then the YAML file at @path, into @out.
 * Returns 0; -errno if the file cannot be read (-EFBIG over 1 MiB); UMBRA_EYAML on a syntax
 * error; UMBRA_ECONFIG on an unknown key, a wrong type, an out-of-range value, a duplicate key or
 * a bad shape. On error @err is filled, and @out holds only the defaults (no half-applied file);
 * call config_free().
 */
int config_load_file(const struct config_schema *schema, const char *path, void *out,
                     struct config_error *err);

/*
 * config_load_buffer() - as config_load_file() on @len bytes at @buf; @name stands for the file
 * name in messages. The buffer need not be NUL-terminated.
 */
int config_load_buffer(const struct config_schema *schema, const char *name, const char *buf,
                       size_t len, void *out, struct config_error *err);

/*
 * config_set() - set one option from text, as given on a command line ("capture.snaplen",
 * "1500"). Same parsing and checks as the file. Returns 0 or UMBRA_ECONFIG with @err filled
 * (line 0, message "KEY: problem"). For CONFIG_STRLIST, the value is a comma-separated list.
 */
int config_set(const struct config_schema *schema, void *out, const char *key, const char *value,
               struct config_error *err);

/* config_free() - free what loading allocated inside @out (string lists). NULL-safe. */
void config_free(const struct config_schema *schema, void *out);

/* config_print_reference() - every option: key, type, range, default, help. */
void config_print_reference(const struct config_schema *schema, FILE *f);

/* config_find() - the option for a dotted key, or NULL. */
const struct config_option *config_find(const struct config_schema *schema, const char *key);

/* config_parse_duration() - a duration as CONFIG_DURATION reads it ("250ms", "1.5s", "2h"; a bare
 * number is seconds) into nanoseconds. 0, -EINVAL (syntax) or -ERANGE (overflows 64 bits). */
int config_parse_duration(const char *s, uint64_t *ns);

/* config_parse_size() - a size as CONFIG_SIZE reads it ("64KiB", "1MB"; bare = bytes). 0, -EINVAL
 * or -ERANGE. */
int config_parse_size(const char *s, uint64_t *bytes);

#endif

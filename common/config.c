/*
 * Configuration loading: YAML text and command-line strings into the typed struct a schema
 * describes. This module owns the value syntax (integers, booleans, durations, sizes, ...), the
 * range checks, the wording of every configuration error and the string lists it allocates
 * inside the caller's struct. It does not own the struct, the schemas (each daemon has its own
 * table) or logging: errors go back in struct config_error and the caller decides what to print.
 *
 * Loading walks libyaml's event stream rather than its document tree: events arrive with their
 * line numbers, an alias can be refused the moment it appears (no billion-laughs expansion), and
 * nothing is built that is not needed. Every key must name an option or a section of the schema,
 * so the walk only ever descends into known sections and its recursion depth is bounded by the
 * schema, never by the input. A file is loaded into a scratch struct that replaces @out only
 * once the whole file is good, so a load never half-applies.
 */
#include "common/config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/err.h"

/* Config files are hand-written and a few KiB; the cap bounds what a wrong path (a log, a core
 * dump) can make the parser chew through. */
#define CONFIG_FILE_MAX (1u << 20)
/* First read of a file; doubled as needed up to CONFIG_FILE_MAX + 1 (one byte to spot excess). */
#define READ_CHUNK 4096
/* Characters of a bad value quoted back in a message: enough to recognise it, not a whole line. */
#define SHOWN_VALUE_MAX 40
/* Longest dotted key, and the size of every key buffer: that of config_error.key. */
#define KEY_MAX sizeof(((struct config_error *)0)->key)
/* Room for an enum's choices, for "expected ..." built from them, and for a whole problem
 * description ("expected X, got 'Y'") before it is prefixed with file, line and key. Each fits
 * in the next, so no message is cut short of the quoted value. */
#define CHOICES_MAX  160
#define EXPECTED_MAX (CHOICES_MAX + 32)
#define WHY_MAX      (EXPECTED_MAX + SHOWN_VALUE_MAX + 64)

#define NS_PER_S 1000000000ull

enum parse_result {
    PARSE_OK,
    PARSE_BAD,   /* not this type's syntax: "expected ..., got ..." */
    PARSE_RANGE, /* right syntax, value does not fit: "... is out of range [lo, hi]" */
};

/* A unit suffix. Tables are in printing preference, largest first; @show is false for aliases. */
struct unit {
    const char *suffix;
    uint64_t mult;
    bool show;
};

static const struct unit duration_units[] = {
        {"d", 86400 * NS_PER_S, true},
        {"h", 3600 * NS_PER_S, true},
        {"m", 60 * NS_PER_S, true},
        {"s", NS_PER_S, true},
        {"ms", 1000000, true},
        {"us", 1000, true},
        {"ns", 1, true},
        {NULL, 0, false},
};

/* Binary units first so that a round 1024-multiple prints as "64MiB", not "67108864B". */
static const struct unit size_units[] = {
        {"TiB", 1ull << 40, true},
        {"T", 1ull << 40, false},
        {"GiB", 1ull << 30, true},
        {"G", 1ull << 30, false},
        {"MiB", 1ull << 20, true},
        {"M", 1ull << 20, false},
        {"KiB", 1ull << 10, true},
        {"K", 1ull << 10, false},
        {"TB", 1000000000000ull, true},
        {"GB", 1000000000ull, true},
        {"MB", 1000000ull, true},
        {"kB", 1000ull, true},
        {"B", 1, true},
        {NULL, 0, false},
};

/* One parsed scalar, before it is stored at the option's offset. */
union value {
    bool b;
    int64_t i;
    double d;
    int e;
    uint64_t u;
};

/* The state of one load: the scratch struct being filled and what the file has set so far. */
struct loader {
    const struct config_schema *schema;
    const char *name;         /* file name for messages */
    unsigned char *base;      /* scratch struct, schema->struct_size bytes */
    struct config_error *err; /* where the first problem goes */
    const char *text;         /* the YAML being parsed, to place encoding errors */
    size_t len;               /* bytes at text */
    yaml_parser_t parser;
    int *opt_line;          /* per option: line the file set it at, 0 = not yet */
    int *sect_line;         /* per section slot (section_slot()): line it was opened at */
    char last_key[KEY_MAX]; /* last key read, to place a syntax error */
};

/* ---- Messages ---------------------------------------------------------------------------- */

/*
 * Copy @s for a message: control characters become '?' so the message stays one printable
 * line, and past @max bytes it is cut at a UTF-8 character boundary and ends in "...".
 * @cap must exceed @max + 3.
 */
static void show_text(char *dst, size_t cap, const char *s, size_t max)
{
    size_t len = strlen(s);
    size_t n = len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n > cap - 4)
        n = cap - 4;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n < len)
        memcpy(dst + n, "...", 4);
    else
        dst[n] = '\0';
}

static size_t advance(size_t used, int n, size_t cap)
{
    if (n < 0)
        return used;
    return (size_t)n >= cap - used ? cap - 1 : used + (size_t)n;
}

/*
 * Fill @err as "FILE:LINE: KEY: problem", "FILE: problem" (@line 0, no key) or "KEY: problem"
 * (no file). An empty @key is the top level, shown as "(top)". Returns @rc.
 */
static int verror(struct config_error *err, int rc, const char *file, int line, const char *key,
                  const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int verror(struct config_error *err, int rc, const char *file, int line, const char *key,
                  const char *fmt, va_list ap)
{
    size_t cap = sizeof(err->msg);
    size_t used = 0;
    err->line = line;
    err->key[0] = '\0';
    err->msg[0] = '\0';
    if (key != NULL)
        show_text(err->key, sizeof(err->key), key, sizeof(err->key) - 4);
    if (file != NULL && line > 0)
        used = advance(used, snprintf(err->msg, cap, "%s:%d: ", file, line), cap);
    else if (file != NULL)
        used = advance(used, snprintf(err->msg, cap, "%s: ", file), cap);
    if (key != NULL) {
        const char *shown = err->key[0] != '\0' ? err->key : "(top)";
        used = advance(used, snprintf(err->msg + used, cap - used, "%s: ", shown), cap);
    }
    vsnprintf(err->msg + used, cap - used, fmt, ap);
    return rc;
}

static int set_error(struct config_error *err, int rc, const char *file, int line, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int set_error(struct config_error *err, int rc, const char *file, int line, const char *key,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(err, rc, file, line, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* A semantic error in the file being loaded: "FILE:LINE: KEY: problem", UMBRA_ECONFIG. */
static int load_fail(struct loader *ld, int line, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int load_fail(struct loader *ld, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(ld->err, UMBRA_ECONFIG, ld->name, line, key, fmt, ap);
    va_end(ap);
    return UMBRA_ECONFIG;
}

static void clear_error(struct config_error *err)
{
    err->msg[0] = '\0';
    err->key[0] = '\0';
    err->line = 0;
}

/* ---- Values ------------------------------------------------------------------------------ */

static const char *type_name(enum config_type type)
{
    switch (type) {
    case CONFIG_BOOL:
        return "bool";
    case CONFIG_INT:
        return "int";
    case CONFIG_DOUBLE:
        return "double";
    case CONFIG_STRING:
        return "string";
    case CONFIG_ENUM:
        return "enum";
    case CONFIG_DURATION:
        return "duration";
    case CONFIG_SIZE:
        return "size";
    case CONFIG_STRLIST:
        return "list";
    }
    return "?";
}

/* The bytes an option occupies in the struct; 0 for an unknown type. */
static size_t field_size(const struct config_option *opt)
{
    switch (opt->type) {
    case CONFIG_BOOL:
        return sizeof(bool);
    case CONFIG_INT:
        return sizeof(int64_t);
    case CONFIG_DOUBLE:
        return sizeof(double);
    case CONFIG_STRING:
        return opt->size;
    case CONFIG_ENUM:
        return sizeof(int);
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        return sizeof(uint64_t);
    case CONFIG_STRLIST:
        return sizeof(struct config_strlist);
    }
    return 0;
}

static void enum_choices(const struct config_option *opt, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const struct config_enum_name *n = opt->names; n->name != NULL; n++) {
        const char *sep = n == opt->names ? "" : "|";
        used = advance(used, snprintf(buf + used, cap - used, "%s%s", sep, n->name), cap);
    }
}

/* What a value of @opt's type looks like, after "expected ". */
static void describe_expected(const struct config_option *opt, char *buf, size_t cap)
{
    char choices[CHOICES_MAX];
    switch (opt->type) {
    case CONFIG_BOOL:
        snprintf(buf, cap, "true or false");
        return;
    case CONFIG_INT:
        snprintf(buf, cap, "an integer");
        return;
    case CONFIG_DOUBLE:
        snprintf(buf, cap, "a number");
        return;
    case CONFIG_STRING:
        snprintf(buf, cap, "a string");
        return;
    case CONFIG_ENUM:
        enum_choices(opt, choices, sizeof(choices));
        snprintf(buf, cap, "one of %s", choices);
        return;
    case CONFIG_DURATION:
        snprintf(buf, cap, "a duration such as 30s or 250ms");
        return;
    case CONFIG_SIZE:
        snprintf(buf, cap, "a size such as 64MiB");
        return;
    case CONFIG_STRLIST:
        snprintf(buf, cap, "a list of strings");
        return;
    }
    snprintf(buf, cap, "a value");
}

/* "expected an integer, got 'lots'" (or "got nothing" for an empty value). */
static void wrong_type(const struct config_option *opt, const char *text, char *why, size_t cap)
{
    char expected[EXPECTED_MAX];
    char shown[SHOWN_VALUE_MAX + 4];
    describe_expected(opt, expected, sizeof(expected));
    if (text[0] == '\0') {
        snprintf(why, cap, "expected %s, got nothing", expected);
        return;
    }
    show_text(shown, sizeof(shown), text, SHOWN_VALUE_MAX);
    snprintf(why, cap, "expected %s, got '%s'", expected, shown);
}

/* @v with the largest unit that divides it exactly: 90000000000 ns -> "90s", 1536 -> "1536B". */
static void format_scaled(uint64_t v, const struct unit *units, char *buf, size_t cap)
{
    if (v == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    for (const struct unit *u = units; u->suffix != NULL; u++) {
        if (u->show && v % u->mult == 0) {
            snprintf(buf, cap, "%llu%s", (unsigned long long)(v / u->mult), u->suffix);
            return;
        }
    }
    snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static bool has_limits(const struct config_option *opt)
{
    if (opt->type == CONFIG_DOUBLE)
        return opt->dmin != 0 || opt->dmax != 0;
    return opt->min != 0 || opt->max != 0;
}

/* The bounds of @opt as "[lo, hi]" in the option's own units; "" when it has none to show. */
static void format_range(const struct config_option *opt, char *buf, size_t cap)
{
    char lo[32];
    char hi[32];
    bool limited = has_limits(opt);
    const struct unit *units = opt->type == CONFIG_DURATION ? duration_units : size_units;
    switch (opt->type) {
    case CONFIG_INT:
        snprintf(buf, cap, "[%lld, %lld]", limited ? (long long)opt->min : (long long)INT64_MIN,
                 limited ? (long long)opt->max : (long long)INT64_MAX);
        return;
    case CONFIG_DOUBLE:
        snprintf(buf, cap, "[%g, %g]", limited ? opt->dmin : -HUGE_VAL,
                 limited ? opt->dmax : HUGE_VAL);
        return;
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        format_scaled(limited ? (uint64_t)opt->min : 0, units, lo, sizeof(lo));
        format_scaled(limited ? (uint64_t)opt->max : UINT64_MAX, units, hi, sizeof(hi));
        snprintf(buf, cap, "[%s, %s]", lo, hi);
        return;
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_ENUM:
    case CONFIG_STRLIST:
        break;
    }
    buf[0] = '\0';
}

/* "10 is out of range [64, 262144]": the value as the user wrote it, bounds in its units. */
static void out_of_range(const struct config_option *opt, const char *text, char *why, size_t cap)
{
    char range[80];
    char shown[SHOWN_VALUE_MAX + 4];
    format_range(opt, range, sizeof(range));
    show_text(shown, sizeof(shown), text, SHOWN_VALUE_MAX);
    snprintf(why, cap, "%s is out of range %s", shown, range);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Decimal with an optional sign, or 0x hex (also signed). Not strtoll's base 0: that would read
 * "010" as octal 8, which nobody writing a config file means.
 */
static enum parse_result parse_int(const char *s, int64_t *out)
{
    bool neg = s[0] == '-';
    if (s[0] == '-' || s[0] == '+')
        s++;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    /* strtoull would skip blanks and take a second sign; only digits may follow here. */
    if (!(base == 16 ? is_xdigit(s[0]) : is_digit(s[0])))
        return PARSE_BAD;
    char *end;
    errno = 0;
    unsigned long long mag = strtoull(s, &end, base);
    if (*end != '\0')
        return PARSE_BAD;
    if (errno == ERANGE)
        return PARSE_RANGE;
    if (neg) {
        if (mag > (unsigned long long)INT64_MAX + 1)
            return PARSE_RANGE;
        /* The magnitude of INT64_MIN does not fit in an int64_t, so it cannot be negated. */
        *out = mag == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        return PARSE_OK;
    }
    if (mag > (unsigned long long)INT64_MAX)
        return PARSE_RANGE;
    *out = (int64_t)mag;
    return PARSE_OK;
}

/* Plain decimal notation only: strtod alone would also take "nan", "inf" and hex floats. */
static enum parse_result parse_double(const char *s, double *out)
{
    bool digit = false;
    for (const char *p = s; *p != '\0'; p++) {
        if (is_digit(*p))
            digit = true;
        else if (strchr("+-.eE", *p) == NULL)
            return PARSE_BAD;
    }
    if (!digit)
        return PARSE_BAD;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || end == s)
        return PARSE_BAD;
    /* ERANGE also flags underflow to a denormal or zero, which is a fine value for a config. */
    if (errno == ERANGE && isinf(d))
        return PARSE_RANGE;
    *out = d;
    return PARSE_OK;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static const struct unit *find_unit(const struct unit *units, const char *suffix)
{
    for (const struct unit *u = units; u->suffix != NULL; u++) {
        if (strcmp(u->suffix, suffix) == 0)
            return u;
    }
    return NULL;
}

/*
 * "<digits>[.<digits>][unit]" in base units (ns or bytes); no unit means @bare. A fraction is
 * accepted when the result is a whole number of base units ("1.5s", "0.5KiB"; not "1.5ns").
 * Exact integer arithmetic: the fraction F/10^k of a unit u is F*u/10^k, computed as
 * (F / (10^k/g)) * (u/g) with g = gcd(u, 10^k), which is exact and cannot overflow.
 */
static enum parse_result parse_scaled(const char *s, const struct unit *units, uint64_t bare,
                                      uint64_t *out)
{
    const char *p = s;
    uint64_t whole = 0;
    bool too_big = false;
    if (!is_digit(*p))
        return PARSE_BAD;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (whole > (UINT64_MAX - d) / 10)
            too_big = true;
        else
            whole = whole * 10 + d;
    }
    uint64_t frac = 0;
    uint64_t scale = 1; /* the fraction is frac / scale */
    if (*p == '.') {
        const char *f = ++p;
        if (!is_digit(*p))
            return PARSE_BAD;
        while (is_digit(*p))
            p++;
        const char *last = p;
        while (last > f && last[-1] == '0')
            last--;
        /* 10^19 overflows; no unit here resolves a fraction finer than 10^-14 anyway. */
        if (last - f > 18)
            return PARSE_BAD;
        for (; f < last; f++) {
            frac = frac * 10 + (uint64_t)(*f - '0');
            scale *= 10;
        }
    }
    uint64_t mult = bare;
    if (*p != '\0') {
        const struct unit *u = find_unit(units, p);
        if (u == NULL)
            return PARSE_BAD;
        mult = u->mult;
    }
    uint64_t g = gcd_u64(mult, scale);
    if (frac % (scale / g) != 0)
        return PARSE_BAD;
    uint64_t part = frac / (scale / g) * (mult / g);
    if (too_big || whole > (UINT64_MAX - part) / mult)
        return PARSE_RANGE;
    *out = whole * mult + part;
    return PARSE_OK;
}

static int parse_rc(enum parse_result r)
{
    return r == PARSE_OK ? 0 : r == PARSE_RANGE ? -ERANGE : -EINVAL;
}

int config_parse_duration(const char *s, uint64_t *ns)
{
    return parse_rc(parse_scaled(s, duration_units, NS_PER_S, ns));
}

int config_parse_size(const char *s, uint64_t *bytes)
{
    return parse_rc(parse_scaled(s, size_units, 1, bytes));
}

static enum parse_result parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return PARSE_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return PARSE_OK;
        }
    }
    return PARSE_BAD;
}

static enum parse_result parse_enum(const struct config_option *opt, const char *s, int *out)
{
    for (const struct config_enum_name *n = opt->names; n->name != NULL; n++) {
        if (strcasecmp(s, n->name) == 0) {
            *out = n->value;
            return PARSE_OK;
        }
    }
    return PARSE_BAD;
}

/* The syntax step for every scalar type; the range check is parse_value()'s. */
static enum parse_result parse_typed(const struct config_option *opt, const char *text,
                                     union value *v)
{
    switch (opt->type) {
    case CONFIG_BOOL:
        return parse_bool(text, &v->b);
    case CONFIG_INT:
        return parse_int(text, &v->i);
    case CONFIG_DOUBLE:
        return parse_double(text, &v->d);
    case CONFIG_ENUM:
        return parse_enum(opt, text, &v->e);
    case CONFIG_DURATION:
        return parse_scaled(text, duration_units, NS_PER_S, &v->u);
    case CONFIG_SIZE:
        return parse_scaled(text, size_units, 1, &v->u);
    case CONFIG_STRING:
    case CONFIG_STRLIST:
        break;
    }
    return PARSE_BAD;
}

static bool in_range(const struct config_option *opt, const union value *v)
{
    if (!has_limits(opt))
        return true;
    switch (opt->type) {
    case CONFIG_INT:
        return v->i >= opt->min && v->i <= opt->max;
    case CONFIG_DOUBLE:
        return v->d >= opt->dmin && v->d <= opt->dmax;
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        return v->u >= (uint64_t)opt->min && v->u <= (uint64_t)opt->max;
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_ENUM:
    case CONFIG_STRLIST:
        break;
    }
    return true;
}

/*
 * Parse and check @text (NUL-free) for @opt, any type but CONFIG_STRLIST. Returns 0 with @v set
 * (nothing to set for CONFIG_STRING, whose value is @text), or UMBRA_ECONFIG with @why.
 */
static int parse_value(const struct config_option *opt, const char *text, union value *v, char *why,
                       size_t cap)
{
    if (opt->type == CONFIG_STRING) {
        if (strlen(text) < opt->size)
            return 0;
        snprintf(why, cap, "longer than %zu characters", opt->size - 1);
        return UMBRA_ECONFIG;
    }
    enum parse_result r = parse_typed(opt, text, v);
    if (r == PARSE_OK && !in_range(opt, v))
        r = PARSE_RANGE;
    if (r == PARSE_OK)
        return 0;
    if (r == PARSE_RANGE)
        out_of_range(opt, text, why, cap);
    else
        wrong_type(opt, text, why, cap);
    return UMBRA_ECONFIG;
}

/* memcpy rather than a typed store: the struct's field alignment is the schema's business. */
static void store_value(const struct config_option *opt, unsigned char *base, const char *text,
                        const union value *v)
{
    unsigned char *field = base + opt->offset;
    switch (opt->type) {
    case CONFIG_BOOL:
        memcpy(field, &v->b, sizeof(v->b));
        return;
    case CONFIG_INT:
        memcpy(field, &v->i, sizeof(v->i));
        return;
    case CONFIG_DOUBLE:
        memcpy(field, &v->d, sizeof(v->d));
        return;
    case CONFIG_ENUM:
        memcpy(field, &v->e, sizeof(v->e));
        return;
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        memcpy(field, &v->u, sizeof(v->u));
        return;
    case CONFIG_STRING:
        memcpy(field, text, strlen(text) + 1);
        return;
    case CONFIG_STRLIST:
        break;
    }
}

static void strlist_free(struct config_strlist *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

/* Append a copy of @len bytes at @s; @cap is the allocated length of list->items. */
static int strlist_add(struct config_strlist *list, size_t *cap, const char *s, size_t len)
{
    if (list->n == *cap) {
        size_t grown = *cap ? *cap * 2 : 4;
        char **items = realloc(list->items, grown * sizeof(*items));
        if (items == NULL)
            return -ENOMEM;
        list->items = items;
        *cap = grown;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    list->items[list->n++] = copy;
    return 0;
}

/* Replace the list stored for @opt in @base with @list (taking ownership of it). */
static void strlist_store(const struct config_option *opt, unsigned char *base,
                          struct config_strlist *list)
{
    struct config_strlist old;
    memcpy(&old, base + opt->offset, sizeof(old));
    strlist_free(&old);
    memcpy(base + opt->offset, list, sizeof(*list));
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * A comma-separated list, as given on a command line or as a default: "a, b,c". Blanks around
 * items are dropped; "" is the empty list; an empty item is an error (most likely a typo).
 * Returns 0, UMBRA_ECONFIG with @why, or -ENOMEM.
 */
static int parse_list_text(const struct config_option *opt, const char *text,
                           struct config_strlist *list, char *why, size_t cap)
{
    size_t alloc = 0;
    const char *p = text;
    list->items = NULL;
    list->n = 0;
    while (is_blank(*p))
        p++;
    if (*p == '\0')
        return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (is_blank(*p))
            p++;
        while (end > p && is_blank(end[-1]))
            end--;
        int rc = 0;
        if (end == p) {
            snprintf(why, cap, "item %zu of the list is empty", list->n + 1);
            rc = UMBRA_ECONFIG;
        } else if (list->n >= opt->size) {
            snprintf(why, cap, "more than %zu items", opt->size);
            rc = UMBRA_ECONFIG;
        } else if (strlist_add(list, &alloc, p, (size_t)(end - p)) != 0) {
            snprintf(why, cap, "out of memory");
            rc = -ENOMEM;
        }
        if (rc != 0) {
            strlist_free(list);
            return rc;
        }
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

/* ---- Schema ------------------------------------------------------------------------------ */

/* What is wrong with one option's entry in the table (a programming error), or NULL. */
static const char *option_problem(const struct config_schema *schema,
                                  const struct config_option *opt)
{
    /* KEY_MAX - 4: show_text() keeps room for "..." and would cut a key any longer. */
    if (opt->key == NULL || opt->key[0] == '\0' || strlen(opt->key) > KEY_MAX - 4)
        return "key is empty or too long";
    size_t width = field_size(opt);
    if (width == 0)
        return "unknown type, or a string of size 0";
    if (opt->offset > schema->struct_size || width > schema->struct_size - opt->offset)
        return "field lies outside the struct";
    if (opt->type == CONFIG_ENUM && opt->names == NULL)
        return "enum without names";
    bool unsigned_type = opt->type == CONFIG_DURATION || opt->type == CONFIG_SIZE;
    if (unsigned_type && opt->min < 0)
        return "negative limit for an unsigned type";
    if (opt->type == CONFIG_DOUBLE && opt->dmin > opt->dmax)
        return "dmin > dmax";
    if (opt->type != CONFIG_DOUBLE && opt->min > opt->max)
        return "min > max";
    return NULL;
}

/* Does @key start with the section @sect (of @len bytes) followed by a dot? */
static bool in_section(const char *key, const char *sect, size_t len)
{
    return strncmp(key, sect, len) == 0 && key[len] == '.';
}

/* Check the whole table before anything is written through it. 0 or UMBRA_ECONFIG. */
static int check_schema(const struct config_schema *schema, struct config_error *err)
{
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        const char *why = option_problem(schema, opt);
        if (why != NULL)
            return set_error(err, UMBRA_ECONFIG, NULL, 0, opt->key, "bad schema (%s): %s",
                             schema->name ? schema->name : "?", why);
        for (size_t j = 0; j < i; j++) {
            const char *other = schema->opts[j].key;
            if (strcmp(other, opt->key) == 0)
                why = "listed twice";
            else if (in_section(other, opt->key, strlen(opt->key)) ||
                     in_section(opt->key, other, strlen(other)))
                why = "both an option and a section";
            if (why != NULL)
                return set_error(err, UMBRA_ECONFIG, NULL, 0, opt->key, "bad schema (%s): %s",
                                 schema->name ? schema->name : "?", why);
        }
    }
    return 0;
}

static size_t count_dots(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '.';
    return n;
}

/*
 * Each section (a proper prefix of some keys) gets a slot in loader.sect_line, to catch a
 * section opened twice. The slot of section P with d components is (base of i) + d - 1, where
 * i is the first option inside P and the base of i is the number of dots in all keys before it:
 * key i has at least d dots, so slots never collide. Returns -1 when @path is not a section.
 */
static long section_slot(const struct config_schema *schema, const char *path, size_t len)
{
    size_t base = 0;
    for (size_t i = 0; i < schema->n_opts; i++) {
        const char *key = schema->opts[i].key;
        if (in_section(key, path, len))
            return (long)(base + count_dots(path));
        base += count_dots(key);
    }
    return -1;
}

/* ---- The YAML walk ----------------------------------------------------------------------- */

static int mark_line(const yaml_mark_t *mark)
{
    /* Files are at most 1 MiB, so the line number always fits. */
    return (int)mark->line + 1;
}

/*
 * Where a reader error (bad encoding) is. The reader decodes ahead of the scanner, so it gives a
 * byte offset rather than a mark, and no key read so far says anything about the place.
 */
static yaml_mark_t reader_error_mark(const struct loader *ld)
{
    yaml_mark_t m = {0, 0, 0};
    size_t end = ld->parser.problem_offset < ld->len ? ld->parser.problem_offset : ld->len;
    for (size_t i = 0; i < end; i++) {
        if (ld->text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    return m;
}

static int syntax_error(struct loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return set_error(ld->err, -ENOMEM, ld->name, 0, NULL, "out of memory");
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR) {
        m = reader_error_mark(ld);
        ld->last_key[0] = '\0';
    }
    struct config_error *err = ld->err;
    err->line = mark_line(&m);
    snprintf(err->key, sizeof(err->key), "%s", ld->last_key);
    snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: YAML syntax error: %s%s%s%s", ld->name,
             err->line, (int)m.column + 1, p->problem ? p->problem : "unknown problem",
             ld->last_key[0] ? " (after key '" : "", ld->last_key, ld->last_key[0] ? "')" : "");
    return UMBRA_EYAML;
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ld->parser, ev))
        return 0;
    return syntax_error(ld);
}

/* Anchors, aliases and tags are refused: the option table fixes every type, and aliases could
 * make a small file stand for a huge tree. Returns the problem, or NULL. */
static const char *node_problem(const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL;
    const yaml_char_t *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return "anchors and aliases are not accepted";
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    default:
        break;
    }
    if (anchor != NULL)
        return "anchors and aliases are not accepted";
    if (tag != NULL)
        return "tags are not accepted";
    return NULL;
}

/* "a mapping", "a list", or the scalar's text quoted ("nothing" when empty). */
static void describe_node(const yaml_event_t *ev, char *buf, size_t cap)
{
    char shown[SHOWN_VALUE_MAX + 4];
    if (ev->type == YAML_MAPPING_START_EVENT) {
        snprintf(buf, cap, "a mapping");
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        snprintf(buf, cap, "a list");
    } else if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length > 0) {
        show_text(shown, sizeof(shown), (const char *)ev->data.scalar.value, SHOWN_VALUE_MAX);
        snprintf(buf, cap, "'%s'", shown);
    } else {
        snprintf(buf, cap, "nothing");
    }
}

/* YAML's null, as a key with nothing after it: accepted as an empty section or list. */
static bool is_null(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           ev->data.scalar.length == 0;
}

static bool has_nul(const yaml_event_t *ev)
{
    return memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL;
}

static int load_mapping(struct loader *ld, char *path, size_t len);

static int load_scalar(struct loader *ld, const struct config_option *opt, const char *key,
                       const yaml_event_t *val)
{
    int line = mark_line(&val->start_mark);
    char why[WHY_MAX];
    if (val->type != YAML_SCALAR_EVENT) {
        char expected[EXPECTED_MAX];
        char got[SHOWN_VALUE_MAX + 8];
        describe_expected(opt, expected, sizeof(expected));
        describe_node(val, got, sizeof(got));
        return load_fail(ld, line, key, "expected %s, got %s", expected, got);
    }
    if (has_nul(val))
        return load_fail(ld, line, key, "contains a NUL character");
    const char *text = (const char *)val->data.scalar.value;
    union value v;
    if (parse_value(opt, text, &v, why, sizeof(why)) != 0)
        return load_fail(ld, line, key, "%s", why);
    store_value(opt, ld->base, text, &v);
    return 0;
}

/* One item of a list; @alloc is the allocated length of list->items. */
static int load_item(struct loader *ld, const struct config_option *opt, const char *key,
                     const yaml_event_t *item, struct config_strlist *list, size_t *alloc)
{
    int line = mark_line(&item->start_mark);
    const char *problem = node_problem(item);
    if (problem != NULL)
        return load_fail(ld, line, key, "%s", problem);
    if (item->type != YAML_SCALAR_EVENT) {
        char got[SHOWN_VALUE_MAX + 8];
        describe_node(item, got, sizeof(got));
        return load_fail(ld, line, key, "list items must be strings, got %s", got);
    }
    if (has_nul(item))
        return load_fail(ld, line, key, "contains a NUL character");
    if (list->n >= opt->size)
        return load_fail(ld, line, key, "more than %zu items", opt->size);
    if (strlist_add(list, alloc, (const char *)item->data.scalar.value, item->data.scalar.length) !=
        0)
        return set_error(ld->err, -ENOMEM, ld->name, 0, NULL, "out of memory");
    return 0;
}

static int load_strlist(struct loader *ld, const struct config_option *opt, const char *key,
                        const yaml_event_t *val)
{
    struct config_strlist list = {NULL, 0};
    size_t alloc = 0;
    if (is_null(val)) {
        strlist_store(opt, ld->base, &list);
        return 0;
    }
    if (val->type != YAML_SEQUENCE_START_EVENT) {
        char got[SHOWN_VALUE_MAX + 8];
        describe_node(val, got, sizeof(got));
        return load_fail(ld, mark_line(&val->start_mark), key, "expected a list of strings, got %s",
                         got);
    }
    for (;;) {
        yaml_event_t item;
        int rc = next_event(ld, &item);
        if (rc != 0) {
            strlist_free(&list);
            return rc;
        }
        bool end = item.type == YAML_SEQUENCE_END_EVENT;
        if (!end)
            rc = load_item(ld, opt, key, &item, &list, &alloc);
        yaml_event_delete(&item);
        if (rc != 0) {
            strlist_free(&list);
            return rc;
        }
        if (end)
            break;
    }
    strlist_store(opt, ld->base, &list);
    return 0;
}

/* The value of option @opt, whose key was at @line. */
static int load_option(struct loader *ld, const struct config_option *opt, const char *key,
                       int line)
{
    size_t idx = (size_t)(opt - ld->schema->opts);
    if (ld->opt_line[idx] != 0)
        return load_fail(ld, line, key, "duplicate key (first set at line %d)", ld->opt_line[idx]);
    ld->opt_line[idx] = line;
    yaml_event_t val;
    int rc = next_event(ld, &val);
    if (rc != 0)
        return rc;
    const char *problem = node_problem(&val);
    if (problem != NULL)
        rc = load_fail(ld, mark_line(&val.start_mark), key, "%s", problem);
    else if (opt->type == CONFIG_STRLIST)
        rc = load_strlist(ld, opt, key, &val);
    else
        rc = load_scalar(ld, opt, key, &val);
    yaml_event_delete(&val);
    return rc;
}

/* The value of a section key at @line: a mapping of its options, or nothing. */
static int load_section(struct loader *ld, char *path, size_t len, long slot, int line)
{
    if (ld->sect_line[slot] != 0)
        return load_fail(ld, line, path, "duplicate key (first set at line %d)",
                         ld->sect_line[slot]);
    ld->sect_line[slot] = line;
    yaml_event_t val;
    int rc = next_event(ld, &val);
    if (rc != 0)
        return rc;
    const char *problem = node_problem(&val);
    if (problem != NULL)
        rc = load_fail(ld, mark_line(&val.start_mark), path, "%s", problem);
    else if (val.type == YAML_MAPPING_START_EVENT)
        rc = load_mapping(ld, path, len);
    else if (!is_null(&val))
        rc = load_fail(ld, mark_line(&val.start_mark), path, "expected a mapping (section)");
    yaml_event_delete(&val);
    return rc;
}

/*
 * One "key: value" of the mapping at @path (@len bytes). The key is appended to @path (a
 * KEY_MAX buffer) to form the dotted name; a name that does not fit cannot be an option.
 */
static int load_entry(struct loader *ld, char *path, size_t len, const yaml_event_t *key)
{
    int line = mark_line(&key->start_mark);
    const char *problem = node_problem(key);
    if (problem != NULL)
        return load_fail(ld, line, path, "%s", problem);
    if (key->type != YAML_SCALAR_EVENT) {
        char got[SHOWN_VALUE_MAX + 8];
        describe_node(key, got, sizeof(got));
        return load_fail(ld, line, path, "expected a key name, got %s", got);
    }
    const char *name = (const char *)key->data.scalar.value;
    if (key->data.scalar.length == 0)
        return load_fail(ld, line, path, "empty key");
    int n = snprintf(path + len, KEY_MAX - len, "%s%s", len ? "." : "", name);
    bool fits = n >= 0 && (size_t)n < KEY_MAX - len;
    size_t full = fits ? len + (size_t)n : KEY_MAX - 1;
    show_text(ld->last_key, sizeof(ld->last_key), path, sizeof(ld->last_key) - 4);
    if (memchr(name, '.', key->data.scalar.length) != NULL)
        return load_fail(ld, line, path,
                         "dotted keys are not accepted; nest the key under its section");
    const struct config_option *opt = NULL;
    long slot = -1;
    if (fits && !has_nul(key)) {
        opt = config_find(ld->schema, path);
        slot = opt ? -1 : section_slot(ld->schema, path, full);
    }
    if (opt != NULL)
        return load_option(ld, opt, path, line);
    if (slot >= 0)
        return load_section(ld, path, full, slot, line);
    return load_fail(ld, line, path, "unknown key");
}

static int load_mapping(struct loader *ld, char *path, size_t len)
{
    for (;;) {
        yaml_event_t key;
        int rc = next_event(ld, &key);
        if (rc != 0)
            return rc;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return 0;
        }
        rc = load_entry(ld, path, len, &key);
        yaml_event_delete(&key);
        path[len] = '\0';
        if (rc != 0)
            return rc;
    }
}

/* A document's root: a mapping of options, or nothing at all ("---" alone). */
static int load_root(struct loader *ld)
{
    char path[KEY_MAX] = "";
    yaml_event_t ev;
    int rc = next_event(ld, &ev);
    if (rc != 0)
        return rc;
    int line = mark_line(&ev.start_mark);
    const char *problem = node_problem(&ev);
    if (problem != NULL)
        rc = load_fail(ld, line, "", "%s", problem);
    else if (ev.type == YAML_MAPPING_START_EVENT)
        rc = load_mapping(ld, path, 0);
    else if (!is_null(&ev))
        rc = load_fail(ld, line, "", "expected a mapping of options");
    yaml_event_delete(&ev);
    return rc;
}

/* The stream: at most one document. Events are read to the end so late syntax errors count. */
static int load_stream(struct loader *ld)
{
    bool seen_document = false;
    for (;;) {
        yaml_event_t ev;
        int rc = next_event(ld, &ev);
        if (rc != 0)
            return rc;
        yaml_event_type_t type = ev.type;
        int line = mark_line(&ev.start_mark);
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            return 0;
        if (type != YAML_DOCUMENT_START_EVENT)
            continue; /* stream start, document end */
        if (seen_document)
            return load_fail(ld, line, "", "only one YAML document is accepted");
        seen_document = true;
        rc = load_root(ld);
        if (rc != 0)
            return rc;
    }
}

static size_t total_dots(const struct config_schema *schema)
{
    size_t n = 0;
    for (size_t i = 0; i < schema->n_opts; i++)
        n += count_dots(schema->opts[i].key);
    return n;
}

/* Parse @len bytes of YAML into @base, a struct already holding the defaults. */
static int load_yaml(const struct config_schema *schema, const char *name, const char *buf,
                     size_t len, unsigned char *base, struct config_error *err)
{
    struct loader ld = {
            .schema = schema, .name = name, .base = base, .err = err, .text = buf, .len = len};
    int rc = -ENOMEM;
    /* +1: calloc(0) may return NULL, which would read as out of memory. */
    ld.opt_line = calloc(schema->n_opts + 1, sizeof(*ld.opt_line));
    if (ld.opt_line == NULL)
        goto out_fail;
    ld.sect_line = calloc(total_dots(schema) + 1, sizeof(*ld.sect_line));
    if (ld.sect_line == NULL)
        goto out_free_opt_line;
    if (!yaml_parser_initialize(&ld.parser))
        goto out_free_sect_line;
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)buf, len);
    rc = load_stream(&ld);
    yaml_parser_delete(&ld.parser);
out_free_sect_line:
    free(ld.sect_line);
out_free_opt_line:
    free(ld.opt_line);
out_fail:
    if (rc == -ENOMEM && err->msg[0] == '\0')
        set_error(err, rc, name, 0, NULL, "out of memory");
    return rc;
}

/*
 * The file or buffer onto @out, which holds the defaults: into a scratch copy first, which
 * replaces @out only when the whole text is good.
 */
static int load_text(const struct config_schema *schema, const char *name, const char *buf,
                     size_t len, void *out, struct config_error *err)
{
    if (len > CONFIG_FILE_MAX)
        return set_error(err, -EFBIG, name, 0, NULL, "larger than 1 MiB");
    unsigned char *tmp = calloc(1, schema->struct_size + 1);
    if (tmp == NULL)
        return set_error(err, -ENOMEM, name, 0, NULL, "out of memory");
    int rc = config_set_defaults(schema, tmp, err);
    if (rc == 0)
        rc = load_yaml(schema, name, buf, len, tmp, err);
    if (rc == 0) {
        config_free(schema, out);
        memcpy(out, tmp, schema->struct_size);
    } else {
        config_free(schema, tmp);
    }
    free(tmp);
    return rc;
}

/* The whole of @path, at most CONFIG_FILE_MAX bytes (else -EFBIG). 0 or -errno. */
static int read_file(const char *path, char **bufp, size_t *lenp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    size_t len = 0;
    size_t cap = READ_CHUNK;
    char *buf = malloc(cap);
    if (buf == NULL)
        rc = -ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            if (cap > CONFIG_FILE_MAX) {
                rc = -EFBIG;
                break;
            }
            size_t grown = cap * 2 > CONFIG_FILE_MAX ? CONFIG_FILE_MAX + 1 : cap * 2;
            char *bigger = realloc(buf, grown);
            if (bigger == NULL) {
                rc = -ENOMEM;
                break;
            }
            buf = bigger;
            cap = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = -errno;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *bufp = buf;
    *lenp = len;
    return 0;
}

/* ---- Public API -------------------------------------------------------------------------- */

int config_set_defaults(const struct config_schema *schema, void *out, struct config_error *err)
{
    struct config_error scratch;
    if (err == NULL)
        err = &scratch;
    clear_error(err);
    memset(out, 0, schema->struct_size);
    int rc = check_schema(schema, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        char why[WHY_MAX];
        union value v;
        struct config_strlist list;
        if (opt->def == NULL)
            continue;
        if (opt->type == CONFIG_STRLIST)
            rc = parse_list_text(opt, opt->def, &list, why, sizeof(why));
        else
            rc = parse_value(opt, opt->def, &v, why, sizeof(why));
        if (rc != 0) {
            config_free(schema, out);
            return set_error(err, rc, NULL, 0, opt->key, "bad default (%s): %s",
                             schema->name ? schema->name : "?", why);
        }
        if (opt->type == CONFIG_STRLIST)
            strlist_store(opt, out, &list);
        else
            store_value(opt, out, opt->def, &v);
    }
    return 0;
}

int config_load_file(const struct config_schema *schema, const char *path, void *out,
                     struct config_error *err)
{
    struct config_error scratch;
    if (err == NULL)
        err = &scratch;
    int rc = config_set_defaults(schema, out, err);
    if (rc != 0)
        return rc;
    char *buf = NULL;
    size_t len = 0;
    rc = read_file(path, &buf, &len);
    if (rc == -EFBIG)
        return set_error(err, rc, path, 0, NULL, "larger than 1 MiB");
    if (rc != 0)
        return set_error(err, rc, path, 0, NULL, "cannot read: %s", umbra_strerror(rc));
    rc = load_text(schema, path, buf, len, out, err);
    free(buf);
    return rc;
}

int config_load_buffer(const struct config_schema *schema, const char *name, const char *buf,
                       size_t len, void *out, struct config_error *err)
{
    struct config_error scratch;
    if (err == NULL)
        err = &scratch;
    int rc = config_set_defaults(schema, out, err);
    if (rc != 0)
        return rc;
    /* libyaml asserts on a NULL input even when it is empty. */
    return load_text(schema, name ? name : "(buffer)", buf ? buf : "", buf ? len : 0, out, err);
}

int config_set(const struct config_schema *schema, void *out, const char *key, const char *value,
               struct config_error *err)
{
    struct config_error scratch;
    if (err == NULL)
        err = &scratch;
    assert(key != NULL && value != NULL);
    clear_error(err);
    const struct config_option *opt = config_find(schema, key);
    if (opt == NULL)
        return set_error(err, UMBRA_ECONFIG, NULL, 0, key, "unknown key");
    const char *bad = option_problem(schema, opt);
    if (bad != NULL)
        return set_error(err, UMBRA_ECONFIG, NULL, 0, key, "bad schema: %s", bad);
    char why[WHY_MAX];
    int rc;
    if (opt->type == CONFIG_STRLIST) {
        struct config_strlist list;
        rc = parse_list_text(opt, value, &list, why, sizeof(why));
        if (rc == 0)
            strlist_store(opt, out, &list);
    } else {
        union value v;
        rc = parse_value(opt, value, &v, why, sizeof(why));
        if (rc == 0)
            store_value(opt, out, value, &v);
    }
    if (rc != 0)
        return set_error(err, rc, NULL, 0, key, "%s", why);
    return 0;
}

void config_free(const struct config_schema *schema, void *out)
{
    if (schema == NULL || out == NULL)
        return;
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        /* A bad table entry was never written through, so there is nothing of it to free. */
        if (opt->type != CONFIG_STRLIST || option_problem(schema, opt) != NULL)
            continue;
        struct config_strlist empty = {NULL, 0};
        strlist_store(opt, out, &empty);
    }
}

/* The default as the reference shows it; a NULL default is shown as what it means. */
static void format_default(const struct config_option *opt, char *buf, size_t cap)
{
    if (opt->def != NULL && opt->type == CONFIG_STRING)
        snprintf(buf, cap, "\"%s\"", opt->def);
    else if (opt->def != NULL)
        snprintf(buf, cap, "%s", opt->def);
    else if (opt->type == CONFIG_BOOL)
        snprintf(buf, cap, "false");
    else if (opt->type == CONFIG_STRING)
        snprintf(buf, cap, "\"\"");
    else if (opt->type == CONFIG_STRLIST)
        snprintf(buf, cap, "(empty)");
    else
        snprintf(buf, cap, "0");
}

/* What the reference shows in the range column: bounds, choices or capacity. */
static void format_limits(const struct config_option *opt, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (opt->type == CONFIG_ENUM && opt->names != NULL)
        enum_choices(opt, buf, cap);
    else if (opt->type == CONFIG_STRING && opt->size > 0)
        snprintf(buf, cap, "<= %zu chars", opt->size - 1);
    else if (opt->type == CONFIG_STRLIST)
        snprintf(buf, cap, "<= %zu items", opt->size);
    else if (has_limits(opt))
        format_range(opt, buf, cap);
}

static int width_of(const char *s, int widest)
{
    size_t n = strlen(s);
    return n > (size_t)widest ? (int)n : widest;
}

void config_print_reference(const struct config_schema *schema, FILE *f)
{
    int kw = 0;
    int tw = 0;
    int dw = 0;
    int rw = 0;
    char def[WHY_MAX];
    char range[WHY_MAX];
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        format_default(opt, def, sizeof(def));
        format_limits(opt, range, sizeof(range));
        kw = width_of(opt->key ? opt->key : "", kw);
        tw = width_of(type_name(opt->type), tw);
        dw = width_of(def, dw);
        rw = width_of(range, rw);
    }
    for (size_t i = 0; i < schema->n_opts; i++) {
        const struct config_option *opt = &schema->opts[i];
        format_default(opt, def, sizeof(def));
        format_limits(opt, range, sizeof(range));
        fprintf(f, "%-*s  %-*s  %-*s  %-*s  %s\n", kw, opt->key ? opt->key : "", tw,
                type_name(opt->type), dw, def, rw, range, opt->help ? opt->help : "");
    }
}

const struct config_option *config_find(const struct config_schema *schema, const char *key)
{
    if (schema == NULL || key == NULL)
        return NULL;
    for (size_t i = 0; i < schema->n_opts; i++) {
        if (schema->opts[i].key != NULL && strcmp(schema->opts[i].key, key) == 0)
            return &schema->opts[i];
    }
    return NULL;
}

/* The command-line parser strata and strata-bank share: a declarative table of options.
 * `--name value` and `--name=value`; `--` ends the options; anything unknown, a missing
 * or malformed value, a number out of range or a repeated option past its limit is an
 * error whose message names the option and the value. */
#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values are user text: they go through %s only, cut so a message fits. */
#define VAL "%.120s"

bool strata_args_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || isspace((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool strata_args_parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s || isspace((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool strata_args_parse_size(const char *s, int max_side, int *w, int *h)
{
    /* Digits only: strtol would take signs, spaces and "0x". */
    long v[2];
    const char *p = s;
    for (int k = 0; k < 2; k++) {
        if (!isdigit((unsigned char)*p))
            return false;
        long x = 0;
        while (isdigit((unsigned char)*p)) {
            x = x * 10 + (*p++ - '0');
            if (x > 1000000)
                return false;
        }
        v[k] = x;
        if (k == 0 && *p++ != 'x')
            return false;
    }
    if (*p || v[0] < 1 || v[1] < 1 || v[0] > max_side || v[1] > max_side)
        return false;
    *w = (int)v[0];
    *h = (int)v[1];
    return true;
}

static strata_status bad(strata_result *r, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static strata_status bad(strata_result *r, const char *prog, const char *fmt, ...)
{
    char msg[sizeof r->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return strata_fail(r, STRATA_ERR_ARG, "%s: %s", prog, msg);
}

static const char *range_word(const strata_arg *a)
{
    return a->what ? a->what : "";
}

static strata_status set_value(const char *prog, const strata_arg *a, const char *opt,
                               const char *v, strata_result *r)
{
    const char *sp = a->what ? " " : "";
    switch (a->kind) {
    case STRATA_ARG_FLAG:
        *(bool *)a->dst = true;
        return STRATA_OK;
    case STRATA_ARG_STR:
        if (!*v)
            return bad(r, prog, "%s: the value is empty%s%s", opt, sp, range_word(a));
        *(const char **)a->dst = v;
        return STRATA_OK;
    case STRATA_ARG_INT:
    case STRATA_ARG_LONG: {
        long x;
        if (!strata_args_parse_long(v, (long)a->lo, (long)a->hi, &x))
            return bad(r, prog, "%s " VAL ": expected a whole number in %.0f..%.0f%s%s", opt, v,
                       a->lo, a->hi, sp, range_word(a));
        if (a->kind == STRATA_ARG_INT)
            *(int *)a->dst = (int)x;
        else
            *(long *)a->dst = x;
        return STRATA_OK;
    }
    case STRATA_ARG_U64: {
        char *end;
        errno = 0;
        unsigned long long x = isdigit((unsigned char)v[0]) ? strtoull(v, &end, 10) : 0;
        if (!isdigit((unsigned char)v[0]) || *end || errno == ERANGE)
            return bad(r, prog, "%s " VAL ": expected a whole number 0 or more%s%s", opt, v, sp,
                       range_word(a));
        *(uint64_t *)a->dst = (uint64_t)x;
        return STRATA_OK;
    }
    case STRATA_ARG_DOUBLE: {
        double x;
        if (!strata_args_parse_double(v, a->lo, a->hi, &x))
            return bad(r, prog, "%s " VAL ": expected a number in %g..%g%s%s", opt, v, a->lo, a->hi,
                       sp, range_word(a));
        *(double *)a->dst = x;
        return STRATA_OK;
    }
    case STRATA_ARG_SIZE: {
        int *wh = a->dst, w, h;
        int max = a->hi > 0 ? (int)a->hi : STRATA_MAX_SIDE;
        if (!strata_args_parse_size(v, 1000000, &w, &h))
            return bad(r, prog, "%s " VAL ": expected WxH, e.g. 1280x720", opt, v);
        if (w > max || h > max)
            return bad(r, prog, "%s " VAL ": larger than %dx%d (each side 1..%d)", opt, v, max, max,
                       max);
        wh[0] = w;
        wh[1] = h;
        return STRATA_OK;
    }
    case STRATA_ARG_LIST: {
        strata_arg_list *l = a->dst;
        if (!*v)
            return bad(r, prog, "%s: the value is empty", opt);
        if (l->count >= l->cap)
            return bad(r, prog, "%s " VAL ": more than %d given (the limit)", opt, v, l->cap);
        l->items[l->count++] = v;
        return STRATA_OK;
    }
    case STRATA_ARG_FUNC:
        if (!a->fn(opt, v, a->dst, r)) {
            if (r && r->status == STRATA_OK)
                return bad(r, prog, "%s " VAL ": not accepted", opt, v);
            /* Prefix the callback's message with the program name. */
            if (r) {
                char msg[sizeof r->msg];
                snprintf(msg, sizeof msg, "%s", r->msg);
                return strata_fail(r, STRATA_ERR_ARG, "%s: %s", prog, msg);
            }
            return STRATA_ERR_ARG;
        }
        return STRATA_OK;
    }
    return bad(r, prog, "%s: bad option table", opt);
}

static const strata_arg *find(const strata_arg *table, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++) {
        const char *names[2] = {table[i].name, table[i].alias};
        for (int k = 0; k < 2; k++)
            if (names[k] && strlen(names[k]) == len && !strncmp(names[k], name, len))
                return &table[i];
    }
    return NULL;
}

strata_status strata_args_parse(const strata_args_desc *d, int argc, char **argv, strata_result *r)
{
    const char *prog = d->prog ? d->prog : "strata";
    if (r)
        r->status = STRATA_OK;
    if (d->npositional)
        *d->npositional = 0;
    bool options = true;
    for (int i = d->start; i < argc; i++) {
        const char *a = argv[i];
        if (options && !strcmp(a, "--")) {
            options = false;
            continue;
        }
        if (!options || a[0] != '-' || !a[1]) {
            /* A positional word ("-" alone too: it may mean stdin to a caller). */
            if (!d->npositional || *d->npositional >= d->max_positional)
                return bad(r, prog, "unexpected argument " VAL " (see --help)", a);
            d->positional[(*d->npositional)++] = a;
            continue;
        }
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const strata_arg *spec = find(d->table, d->count, a, len);
        if (!spec)
            return bad(r, prog, "unknown option %.*s (see --help)", (int)(len > 120 ? 120 : len),
                       a);
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < sizeof opt ? len : sizeof opt - 1), a);
        const char *v;
        if (spec->kind == STRATA_ARG_FLAG) {
            if (eq)
                return bad(r, prog, "%s takes no value (given \"" VAL "\")", opt, eq + 1);
            v = "";
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return bad(r, prog, "%s needs a value (see --help)", opt);
        }
        if (spec->given)
            *spec->given = true;
        if (set_value(prog, spec, opt, v, r) != STRATA_OK)
            return STRATA_ERR_ARG;
    }
    return STRATA_OK;
}

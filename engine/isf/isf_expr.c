/* PASSES WIDTH/HEIGHT expressions ("$WIDTH/2", "floor($HEIGHT*$scale)"): a recursive
 * descent evaluator over numbers, $names, + - * /, unary minus, parentheses and a few
 * functions. No allocation; depth-limited so a hostile header cannot blow the stack. */
#include "isf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct ev {
    const char *s, *p;
    const strata_isf_desc *d;
    int w, h;
    const float *values;
    int depth;
    char err[160];
} ev;

static double expr(ev *e);

static void ws(ev *e)
{
    while (*e->p == ' ' || *e->p == '\t')
        e->p++;
}

static double fail(ev *e, const char *what)
{
    if (!e->err[0])
        snprintf(e->err, sizeof e->err, "%s at character %d", what, (int)(e->p - e->s) + 1);
    return 0;
}

static int word(ev *e, char *out, size_t n)
{
    size_t k = 0;
    while (isalnum((unsigned char)*e->p) || *e->p == '_') {
        if (k + 1 < n)
            out[k++] = *e->p;
        e->p++;
    }
    out[k] = 0;
    return (int)k;
}

static double variable(ev *e)
{
    char name[STRATA_ISF_NAME_MAX];
    const char *at = e->p;
    if (!word(e, name, sizeof name)) {
        e->p = at;
        return fail(e, "a name must follow $");
    }
    if (!strcmp(name, "WIDTH"))
        return e->w;
    if (!strcmp(name, "HEIGHT"))
        return e->h;
    int i = e->d ? strata_isf_find_input(e->d, name) : -1;
    if (i < 0 || e->d->inputs[i].ncomp != 1) {
        e->p = at;
        return fail(e, "unknown $name (only $WIDTH, $HEIGHT and float, long, bool inputs)");
    }
    return e->values ? e->values[i] : e->d->inputs[i].def[0];
}

static double call(ev *e, const char *fn)
{
    static const char *const one[] = {"floor", "ceil", "round", "abs", "sqrt"};
    static const char *const two[] = {"max", "min", "pow"};
    int f1 = -1, f2 = -1;
    for (int k = 0; k < 5; k++)
        f1 = strcmp(fn, one[k]) ? f1 : k;
    for (int k = 0; k < 3; k++)
        f2 = strcmp(fn, two[k]) ? f2 : k;
    if (f1 < 0 && f2 < 0)
        return fail(e, "unknown function");
    e->p++; /* ( */
    double a = expr(e), b = 0;
    ws(e);
    if (f2 >= 0) {
        if (*e->p != ',')
            return fail(e, "expected ','");
        e->p++;
        b = expr(e);
        ws(e);
    }
    if (*e->p != ')')
        return fail(e, "expected ')'");
    e->p++;
    switch (f1) {
    case 0:
        return floor(a);
    case 1:
        return ceil(a);
    case 2:
        return round(a);
    case 3:
        return fabs(a);
    case 4:
        return sqrt(a);
    default:
        break;
    }
    return f2 == 0 ? fmax(a, b) : f2 == 1 ? fmin(a, b) : pow(a, b);
}

static double primary(ev *e)
{
    ws(e);
    if (++e->depth > 32)
        return fail(e, "nested too deep");
    double v;
    if (*e->p == '(') {
        e->p++;
        v = expr(e);
        ws(e);
        if (*e->p != ')')
            v = fail(e, "expected ')'");
        else
            e->p++;
    } else if (*e->p == '-' || *e->p == '+') {
        bool neg = *e->p++ == '-';
        v = primary(e);
        v = neg ? -v : v;
    } else if (*e->p == '$') {
        e->p++;
        v = variable(e);
    } else if (isdigit((unsigned char)*e->p) || *e->p == '.') {
        char *end;
        v = strtod(e->p, &end);
        if (end == e->p)
            v = fail(e, "a bad number");
        e->p = end;
    } else if (isalpha((unsigned char)*e->p)) {
        char fn[16];
        const char *at = e->p;
        word(e, fn, sizeof fn);
        ws(e);
        if (*e->p != '(') {
            e->p = at;
            v = fail(e, "a name needs $ (or is a function without '(')");
        } else {
            v = call(e, fn);
        }
    } else {
        v = fail(e, *e->p ? "unexpected character" : "unexpected end");
    }
    e->depth--;
    return v;
}

static double term(ev *e)
{
    double v = primary(e);
    for (ws(e); !e->err[0] && (*e->p == '*' || *e->p == '/'); ws(e)) {
        char op = *e->p++;
        double b = primary(e);
        v = op == '*' ? v * b : v / b;
    }
    return v;
}

static double expr(ev *e)
{
    double v = term(e);
    for (ws(e); !e->err[0] && (*e->p == '+' || *e->p == '-'); ws(e)) {
        char op = *e->p++;
        double b = term(e);
        v = op == '+' ? v + b : v - b;
    }
    return v;
}

bool strata_isf_eval(const char *s, const strata_isf_desc *d, int width, int height,
                     const float *values, double *out, strata_result *r)
{
    ev e = {.s = s, .p = s, .d = d, .w = width, .h = height, .values = values};
    double v = expr(&e);
    ws(&e);
    if (!e.err[0] && *e.p)
        fail(&e, "unexpected character");
    if (!e.err[0] && !isfinite(v))
        snprintf(e.err, sizeof e.err, "not a finite number");
    if (e.err[0]) {
        strata_fail(r, STRATA_ERR_FORMAT, "expression \"%.60s\": %s", s, e.err);
        return false;
    }
    *out = v;
    return true;
}

/* Strict JSON helpers: positions of keys and values in the text, error messages with
 * file:line:column, "did you mean", typed getters. */
#include "preset_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a tolerant scanner over text jansson has already accepted ------------- */

typedef struct scan {
    const char *p, *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned read_hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++)
        v = v * 16 + (unsigned)(hexval(p[i]) < 0 ? 0 : hexval(p[i]));
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* At a '"': decode the string into buf (truncated at n - 1), advance past it. Escapes are
 * decoded so that a key written "gl\u0069tch" is still found. */
static void read_string(scan *s, char *buf, size_t n)
{
    size_t o = 0;
    s->p++;
    while (s->p < s->end && *s->p != '"') {
        char tmp[4];
        size_t k = 1;
        tmp[0] = *s->p;
        if (*s->p == '\\' && s->p + 1 < s->end) {
            char e = s->p[1];
            s->p += 2;
            switch (e) {
            case 'b':
                tmp[0] = '\b';
                break;
            case 'f':
                tmp[0] = '\f';
                break;
            case 'n':
                tmp[0] = '\n';
                break;
            case 'r':
                tmp[0] = '\r';
                break;
            case 't':
                tmp[0] = '\t';
                break;
            case 'u': {
                if (s->end - s->p < 4)
                    return;
                unsigned cp = read_hex4(s->p);
                s->p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
                    s->p[1] == 'u') {
                    unsigned lo = read_hex4(s->p + 2);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s->p += 6;
                }
                k = put_utf8(tmp, cp);
                break;
            }
            default:
                tmp[0] = e;
                break; /* \" \\ \/ */
            }
        } else {
            s->p++;
        }
        for (size_t i = 0; i < k; i++)
            if (o + 1 < n)
                buf[o++] = tmp[i];
    }
    if (n)
        buf[o] = 0;
    if (s->p < s->end)
        s->p++;
}

static void skip_value(scan *s)
{
    skip_ws(s);
    if (s->p >= s->end)
        return;
    if (*s->p == '"') {
        char dummy[1];
        read_string(s, dummy, sizeof dummy);
        return;
    }
    if (*s->p == '{' || *s->p == '[') {
        /* Brackets inside strings are skipped by read_string. */
        int nest = 0;
        while (s->p < s->end) {
            char ch = *s->p;
            if (ch == '"') {
                char dummy[1];
                read_string(s, dummy, sizeof dummy);
                continue;
            }
            s->p++;
            if (ch == '{' || ch == '[')
                nest++;
            else if ((ch == '}' || ch == ']') && --nest == 0)
                return;
        }
        return;
    }
    while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
        s->p++;
}

/* Descend along path; returns the position found, *best the deepest position reached. */
static const char *descend(scan *s, const strata_jseg *path, int depth, bool at_key)
{
    skip_ws(s);
    const char *here = s->p;
    if (depth == 0 || s->p >= s->end)
        return here;
    if (*s->p == '{' && path[0].key) {
        s->p++;
        for (;;) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"')
                return here;
            const char *kpos = s->p;
            char key[256];
            read_string(s, key, sizeof key);
            skip_ws(s);
            if (s->p < s->end && *s->p == ':')
                s->p++;
            if (strcmp(key, path[0].key) == 0) {
                if (depth == 1 && at_key)
                    return kpos;
                return descend(s, path + 1, depth - 1, at_key);
            }
            skip_value(s);
            skip_ws(s);
            if (s->p < s->end && *s->p == ',')
                s->p++;
        }
    }
    if (*s->p == '[' && !path[0].key) {
        s->p++;
        for (int i = 0;; i++) {
            skip_ws(s);
            if (s->p >= s->end || *s->p == ']')
                return here;
            if (i == path[0].index)
                return descend(s, path + 1, depth - 1, at_key);
            skip_value(s);
            skip_ws(s);
            if (s->p < s->end && *s->p == ',')
                s->p++;
        }
    }
    return here;
}

void strata_json_locate(const char *text, size_t len, const strata_jseg *path, int depth,
                        bool at_key, int *line, int *col)
{
    scan s = {text, text + len};
    if (depth > STRATA_JPATH_MAX)
        depth = STRATA_JPATH_MAX;
    const char *at = descend(&s, path, depth, at_key);
    int l = 1, c = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            c++; /* count characters, not UTF-8 continuation bytes, as jansson does */
        }
    }
    *line = l;
    *col = c;
}

strata_status strata_jctx_fail(strata_jctx *c, bool at_key, const char *fmt, ...)
{
    int line, col;
    strata_json_locate(c->text, c->len, c->path, c->depth, at_key, &line, &col);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return strata_fail(c->r, STRATA_ERR_FORMAT, "%s:%d:%d: %s", c->file, line, col, msg);
}

json_t *strata_json_parse(const char *text, size_t len, const char *file, strata_result *r)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        /* jansson reports line/column of the character where it stopped; a problem at
         * the very end (column 0 or -1) points at the last line. */
        int line = err.line > 0 ? err.line : 1, col = err.column > 0 ? err.column : 1;
        strata_fail(r, STRATA_ERR_FORMAT, "%s:%d:%d: %s", file, line, col, err.text);
    }
    return root;
}

/* ---- did you mean ---------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

const char *strata_json_suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 99;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    /* A typo is a few edits, relative to the word: "glich" yes, "zoom" for "hue" no. */
    int allowed = (int)strlen(word) / 3 + 1;
    return best && best_d <= allowed ? best : NULL;
}

strata_status strata_json_check_keys(strata_jctx *c, json_t *obj, const char *const *allowed, int n,
                                     const char *where)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (int i = 0; i < n && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (ok)
            continue;
        const char *sug = strata_json_suggest(key, allowed, n);
        char in[80] = "", mean[80] = "";
        if (where && *where)
            snprintf(in, sizeof in, " in \"%s\"", where);
        if (sug)
            snprintf(mean, sizeof mean, " (did you mean \"%s\"?)", sug);
        strata_jctx_push_key(c, key);
        strata_status s = strata_jctx_fail(c, true, "unknown key \"%.60s\"%s%s", key, in, mean);
        strata_jctx_pop(c);
        return s;
    }
    return STRATA_OK;
}

const char *strata_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

strata_status strata_json_get_num(strata_jctx *c, json_t *obj, const char *key, double lo,
                                  double hi, float *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return STRATA_OK;
    strata_status s = STRATA_OK;
    strata_jctx_push_key(c, key);
    if (!json_is_number(v)) {
        s = strata_jctx_fail(c, false, "\"%s\" must be a number, not %s", key,
                             strata_json_type_name(v));
    } else {
        double x = json_number_value(v);
        if (!(x >= lo && x <= hi))
            s = strata_jctx_fail(c, false, "\"%s\" %g is outside %g..%g", key, x, lo, hi);
        else
            *out = (float)x;
    }
    strata_jctx_pop(c);
    return s;
}

strata_status strata_json_get_str(strata_jctx *c, json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return STRATA_OK;
    if (!json_is_string(v)) {
        strata_jctx_push_key(c, key);
        strata_status s = strata_jctx_fail(c, false, "\"%s\" must be a string, not %s", key,
                                           strata_json_type_name(v));
        strata_jctx_pop(c);
        return s;
    }
    *out = json_string_value(v);
    return STRATA_OK;
}

/* ---- paths ------------------------------------------------------------------ */

void strata_preset_abs_dir(const char *path, char *out, size_t n)
{
    char cwd[1024] = "";
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (path && path[0] == '/') {
        size_t k = (size_t)(slash - path);
        snprintf(out, n, "%.*s", (int)k, path);
        return;
    }
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    if (!slash)
        snprintf(out, n, "%s", cwd);
    else
        snprintf(out, n, "%s/%.*s", cwd, (int)(slash - path), path);
}

void strata_preset_stem(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t k = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    snprintf(out, n, "%.*s", (int)k, base);
}

/* The ISF header: the first comment of the file, a JSON object, checked strictly with
 * file:line:column errors (the preset module's strict JSON helpers). */
#include "isf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preset/preset_internal.h"

static const char *const top_keys[] = {
    "DESCRIPTION", "CREDIT", "ISFVSN",   "VSN",      "CATEGORIES",
    "INPUTS",      "PASSES", "IMPORTED", "KEYWORDS", "PERSISTENT_BUFFERS"};
static const char *const input_keys[] = {"NAME", "TYPE",     "LABEL",  "DEFAULT", "MIN",
                                         "MAX",  "IDENTITY", "VALUES", "LABELS"};
static const char *const pass_keys[] = {"TARGET", "PERSISTENT", "FLOAT",
                                        "WIDTH",  "HEIGHT",     "DESCRIPTION"};
static const char *const type_names[] = {"float", "bool",  "long",  "color",   "point2D",
                                         "event", "image", "audio", "audioFFT"};
#define NTYPES ((int)(sizeof type_names / sizeof type_names[0]))
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool is_ident(const char *s)
{
    if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return strncmp(s, "gl_", 3) != 0;
}

/* Copy a string value at key into out (n bytes); missing keeps out. */
static strata_status get_str(strata_jctx *c, json_t *obj, const char *key, char *out, size_t n)
{
    const char *s = NULL;
    strata_status st = strata_json_get_str(c, obj, key, &s);
    if (st != STRATA_OK || !s)
        return st;
    if (strlen(s) >= n) {
        strata_jctx_push_key(c, key);
        st = strata_jctx_fail(c, false, "\"%s\" is longer than %zu characters", key, n - 1);
        strata_jctx_pop(c);
        return st;
    }
    snprintf(out, n, "%s", s);
    return STRATA_OK;
}

/* A number, or for bool-like values true/false. */
static bool num_of(json_t *v, bool allow_bool, float *out)
{
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (!(x > -1e30 && x < 1e30))
            return false;
        *out = (float)x;
        return true;
    }
    if (allow_bool && json_is_boolean(v)) {
        *out = json_is_true(v) ? 1.0f : 0.0f;
        return true;
    }
    return false;
}

/* DEFAULT / MIN / MAX / IDENTITY of an input: ncomp numbers (an array when ncomp > 1;
 * a color may give 3, alpha then 1). */
static strata_status get_vec(strata_jctx *c, json_t *in, const char *key, const strata_isf_input *i,
                             float *out, bool *have)
{
    json_t *v = json_object_get(in, key);
    if (!v)
        return STRATA_OK;
    strata_jctx_push_key(c, key);
    strata_status st = STRATA_OK;
    bool allow_bool = i->type == STRATA_ISF_BOOL || i->type == STRATA_ISF_EVENT;
    if (i->ncomp == 1) {
        if (!num_of(v, allow_bool, &out[0]) ||
            (i->type == STRATA_ISF_LONG && out[0] != (float)(int)out[0]))
            st = strata_jctx_fail(c, false, "input \"%s\" (%s): %s must be %s, not %s", i->name,
                                  type_names[i->type], key,
                                  i->type == STRATA_ISF_LONG ? "a whole number"
                                  : allow_bool               ? "true, false, 0 or 1"
                                                             : "a number",
                                  json_is_number(v) ? "a fraction" : strata_json_type_name(v));
        else if (allow_bool && out[0] != 0.0f && out[0] != 1.0f)
            st = strata_jctx_fail(c, false, "input \"%s\" (bool): %s %g is not 0 or 1", i->name,
                                  key, out[0]);
    } else {
        size_t n = json_is_array(v) ? json_array_size(v) : 0;
        bool ok =
            json_is_array(v) && (n == (size_t)i->ncomp || (i->type == STRATA_ISF_COLOR && n == 3));
        for (size_t k = 0; ok && k < n; k++)
            ok = num_of(json_array_get(v, k), false, &out[k]);
        if (ok && n == 3)
            out[3] = 1.0f;
        if (!ok)
            st = strata_jctx_fail(c, false, "input \"%s\" (%s): %s must be an array of %s numbers",
                                  i->name, type_names[i->type], key,
                                  i->type == STRATA_ISF_COLOR ? "3 or 4" : "2");
    }
    strata_jctx_pop(c);
    if (st == STRATA_OK && have)
        *have = true;
    return st;
}

static strata_status parse_long_values(strata_jctx *c, json_t *in, strata_isf_input *i)
{
    json_t *vals = json_object_get(in, "VALUES"), *labels = json_object_get(in, "LABELS");
    if (!vals && !labels)
        return STRATA_OK;
    strata_status st = STRATA_OK;
    strata_jctx_push_key(c, vals ? "VALUES" : "LABELS");
    if (!vals || !json_is_array(vals) || json_array_size(vals) == 0 ||
        json_array_size(vals) > STRATA_ISF_MAX_VALUES) {
        st = strata_jctx_fail(c, false,
                              "input \"%s\" (long): VALUES must be an array of 1..%d "
                              "whole numbers",
                              i->name, STRATA_ISF_MAX_VALUES);
        goto out;
    }
    i->nvalues = (int)json_array_size(vals);
    for (int k = 0; k < i->nvalues; k++) {
        json_t *v = json_array_get(vals, (size_t)k);
        if (!json_is_integer(v) || json_integer_value(v) < -1000000 ||
            json_integer_value(v) > 1000000) {
            strata_jctx_push_index(c, k);
            st = strata_jctx_fail(c, false,
                                  "input \"%s\" (long): VALUES[%d] must be a whole "
                                  "number",
                                  i->name, k);
            strata_jctx_pop(c);
            goto out;
        }
        i->values[k] = (int)json_integer_value(v);
    }
    strata_jctx_pop(c);
    strata_jctx_push_key(c, "LABELS");
    if (labels) {
        if (!json_is_array(labels) || json_array_size(labels) != (size_t)i->nvalues) {
            st = strata_jctx_fail(c, false,
                                  "input \"%s\" (long): LABELS must be an array of %d "
                                  "strings, one per VALUE",
                                  i->name, i->nvalues);
            goto out;
        }
        for (int k = 0; k < i->nvalues; k++) {
            json_t *v = json_array_get(labels, (size_t)k);
            if (!json_is_string(v)) {
                strata_jctx_push_index(c, k);
                st = strata_jctx_fail(c, false,
                                      "input \"%s\" (long): LABELS[%d] must be a "
                                      "string",
                                      i->name, k);
                strata_jctx_pop(c);
                goto out;
            }
            snprintf(i->labels[k], sizeof i->labels[k], "%s", json_string_value(v));
        }
    }
out:
    strata_jctx_pop(c);
    return st;
}

static void set_input_defaults(strata_isf_input *i)
{
    for (int k = 0; k < 4; k++) {
        i->min[k] = 0.0f;
        i->max[k] = 1.0f;
        i->def[k] = 0.0f;
    }
    if (i->type == STRATA_ISF_COLOR)
        i->def[3] = 1.0f;
}

static strata_status check_range(strata_jctx *c, strata_isf_input *i)
{
    for (int k = 0; k < i->ncomp; k++) {
        if (i->has_min && i->has_max && i->min[k] > i->max[k]) {
            strata_jctx_push_key(c, "MIN");
            strata_status st = strata_jctx_fail(c, false, "input \"%s\": MIN %g is above MAX %g",
                                                i->name, i->min[k], i->max[k]);
            strata_jctx_pop(c);
            return st;
        }
    }
    if (i->type == STRATA_ISF_LONG && i->nvalues > 0) {
        i->min[0] = i->max[0] = (float)i->values[0];
        for (int k = 1; k < i->nvalues; k++) {
            i->min[0] = i->min[0] < i->values[k] ? i->min[0] : (float)i->values[k];
            i->max[0] = i->max[0] > i->values[k] ? i->max[0] : (float)i->values[k];
        }
        i->has_min = i->has_max = true;
    }
    return STRATA_OK;
}

static strata_status parse_input(strata_jctx *c, json_t *in, strata_isf_desc *d, int idx)
{
    strata_isf_input *i = &d->inputs[idx];
    if (!json_is_object(in))
        return strata_jctx_fail(c, false, "INPUTS[%d] must be an object, not %s", idx,
                                strata_json_type_name(in));
    strata_status st = strata_json_check_keys(c, in, input_keys, COUNT(input_keys), "an input");
    if (st != STRATA_OK)
        return st;
    json_t *name = json_object_get(in, "NAME"), *type = json_object_get(in, "TYPE");
    if (!json_is_string(name) || !json_is_string(type)) {
        strata_jctx_push_key(c, !json_is_string(name) ? "NAME" : "TYPE");
        st = strata_jctx_fail(c, !json_is_string(name) ? !name : !type,
                              "INPUTS[%d] needs a string %s", idx,
                              !json_is_string(name) ? "NAME" : "TYPE");
        strata_jctx_pop(c);
        return st;
    }
    const char *nm = json_string_value(name);
    if (!is_ident(nm) || strlen(nm) >= STRATA_ISF_NAME_MAX) {
        strata_jctx_push_key(c, "NAME");
        st = strata_jctx_fail(c, false,
                              "INPUTS[%d] NAME \"%.60s\" is not a GLSL name (letters, "
                              "digits, _; at most %d)",
                              idx, nm, STRATA_ISF_NAME_MAX - 1);
        strata_jctx_pop(c);
        return st;
    }
    for (int k = 0; k < idx; k++)
        if (!strcmp(d->inputs[k].name, nm)) {
            strata_jctx_push_key(c, "NAME");
            st = strata_jctx_fail(c, false, "input \"%s\" is declared twice", nm);
            strata_jctx_pop(c);
            return st;
        }
    snprintf(i->name, sizeof i->name, "%s", nm);
    int t = -1;
    for (int k = 0; k < NTYPES; k++)
        if (!strcmp(json_string_value(type), type_names[k]))
            t = k;
    if (t < 0) {
        strata_jctx_push_key(c, "TYPE");
        const char *mean = strata_json_suggest(json_string_value(type), type_names, NTYPES);
        st = strata_jctx_fail(c, false, "input \"%s\": unknown TYPE \"%.40s\"%s%s%s", nm,
                              json_string_value(type), mean ? " (did you mean \"" : "",
                              mean ? mean : "", mean ? "\"?)" : "");
        strata_jctx_pop(c);
        return st;
    }
    i->type = (strata_isf_type)t;
    i->ncomp = t == STRATA_ISF_COLOR     ? 4
               : t == STRATA_ISF_POINT2D ? 2
               : t >= STRATA_ISF_IMAGE   ? 0
                                         : 1;
    set_input_defaults(i);
    if ((st = get_str(c, in, "LABEL", i->label, sizeof i->label)) != STRATA_OK)
        return st;
    if (i->ncomp == 0 || t == STRATA_ISF_EVENT) {
        /* Images, audio and events have no values to declare (audio's MAX is a sample
         * count: accepted, unused). */
        return STRATA_OK;
    }
    if (t == STRATA_ISF_LONG && (st = parse_long_values(c, in, i)) != STRATA_OK)
        return st;
    if ((st = get_vec(c, in, "MIN", i, i->min, &i->has_min)) != STRATA_OK ||
        (st = get_vec(c, in, "MAX", i, i->max, &i->has_max)) != STRATA_OK ||
        (st = get_vec(c, in, "IDENTITY", i, i->identity, &i->has_identity)) != STRATA_OK)
        return st;
    if (t == STRATA_ISF_BOOL) {
        i->min[0] = 0, i->max[0] = 1;
    }
    if ((st = check_range(c, i)) != STRATA_OK)
        return st;
    if (!json_object_get(in, "DEFAULT"))
        for (int k = 0; k < i->ncomp; k++)
            i->def[k] = i->has_min ? i->min[k] : i->def[k];
    if ((st = get_vec(c, in, "DEFAULT", i, i->def, NULL)) != STRATA_OK)
        return st;
    for (int k = 0; k < i->ncomp; k++)
        if ((i->has_min && i->def[k] < i->min[k]) || (i->has_max && i->def[k] > i->max[k])) {
            strata_jctx_push_key(c, "DEFAULT");
            st = strata_jctx_fail(c, false,
                                  "input \"%s\": DEFAULT %g is outside MIN..MAX "
                                  "%g..%g",
                                  i->name, i->def[k], i->min[k], i->max[k]);
            strata_jctx_pop(c);
            return st;
        }
    if (t == STRATA_ISF_LONG && i->nvalues > 0) {
        bool found = false;
        for (int k = 0; k < i->nvalues; k++)
            found |= (float)i->values[k] == i->def[0];
        if (!found && json_object_get(in, "DEFAULT")) {
            strata_jctx_push_key(c, "DEFAULT");
            st = strata_jctx_fail(c, false, "input \"%s\": DEFAULT %g is not one of its VALUES",
                                  i->name, i->def[0]);
            strata_jctx_pop(c);
            return st;
        }
        if (!found)
            i->def[0] = (float)i->values[0];
    }
    return STRATA_OK;
}

static strata_status parse_inputs(strata_jctx *c, json_t *root, strata_isf_desc *d)
{
    json_t *ins = json_object_get(root, "INPUTS");
    if (!ins)
        return STRATA_OK;
    strata_jctx_push_key(c, "INPUTS");
    strata_status st = STRATA_OK;
    if (!json_is_array(ins) || json_array_size(ins) > STRATA_ISF_MAX_INPUTS) {
        st = strata_jctx_fail(c, false, "INPUTS must be an array of at most %d inputs",
                              STRATA_ISF_MAX_INPUTS);
    } else {
        for (size_t k = 0; st == STRATA_OK && k < json_array_size(ins); k++) {
            strata_jctx_push_index(c, (int)k);
            st = parse_input(c, json_array_get(ins, k), d, (int)k);
            strata_jctx_pop(c);
            if (st == STRATA_OK)
                d->ninputs++;
        }
    }
    strata_jctx_pop(c);
    for (int k = 0; st == STRATA_OK && k < d->ninputs; k++)
        d->filter |=
            d->inputs[k].type == STRATA_ISF_IMAGE && !strcmp(d->inputs[k].name, "inputImage");
    return st;
}

/* WIDTH / HEIGHT: a string expression or a number; checked by evaluating it once. */
static strata_status get_size(strata_jctx *c, json_t *p, const char *key, const strata_isf_desc *d,
                              char *out)
{
    json_t *v = json_object_get(p, key);
    if (!v)
        return STRATA_OK;
    strata_jctx_push_key(c, key);
    strata_status st = STRATA_OK;
    if (json_is_number(v))
        snprintf(out, STRATA_ISF_EXPR_MAX, "%.17g", json_number_value(v));
    else if (json_is_string(v) && strlen(json_string_value(v)) < STRATA_ISF_EXPR_MAX)
        snprintf(out, STRATA_ISF_EXPR_MAX, "%s", json_string_value(v));
    else
        st = strata_jctx_fail(c, false,
                              "%s must be a number or an expression string of at most "
                              "%d characters",
                              key, STRATA_ISF_EXPR_MAX - 1);
    strata_result er = {0};
    double x;
    if (st == STRATA_OK && !strata_isf_eval(out, d, 640, 360, NULL, &x, &er))
        st = strata_jctx_fail(c, false, "%s", er.msg);
    strata_jctx_pop(c);
    return st;
}

static strata_status get_flag(strata_jctx *c, json_t *p, const char *key, bool *out)
{
    json_t *v = json_object_get(p, key);
    float x = 0;
    if (!v)
        return STRATA_OK;
    if (!num_of(v, true, &x)) {
        strata_jctx_push_key(c, key);
        strata_status st = strata_jctx_fail(c, false, "%s must be true or false, not %s", key,
                                            strata_json_type_name(v));
        strata_jctx_pop(c);
        return st;
    }
    *out = x != 0.0f;
    return STRATA_OK;
}

static strata_status parse_pass(strata_jctx *c, json_t *p, strata_isf_desc *d, int idx)
{
    strata_isf_pass *ps = &d->passes[idx];
    if (!json_is_object(p))
        return strata_jctx_fail(c, false, "PASSES[%d] must be an object, not %s", idx,
                                strata_json_type_name(p));
    strata_status st = strata_json_check_keys(c, p, pass_keys, COUNT(pass_keys), "a pass");
    if (st == STRATA_OK)
        st = get_str(c, p, "TARGET", ps->target, sizeof ps->target);
    if (st == STRATA_OK && ps->target[0]) {
        strata_jctx_push_key(c, "TARGET");
        if (!is_ident(ps->target))
            st = strata_jctx_fail(c, false, "TARGET \"%s\" is not a GLSL name", ps->target);
        else if (strata_isf_find_input(d, ps->target) >= 0)
            st = strata_jctx_fail(c, false, "TARGET \"%s\" is also the name of an INPUT",
                                  ps->target);
        strata_jctx_pop(c);
    }
    if (st == STRATA_OK)
        st = get_flag(c, p, "PERSISTENT", &ps->persistent);
    if (st == STRATA_OK)
        st = get_flag(c, p, "FLOAT", &ps->is_float);
    if (st == STRATA_OK)
        st = get_size(c, p, "WIDTH", d, ps->width);
    if (st == STRATA_OK)
        st = get_size(c, p, "HEIGHT", d, ps->height);
    /* A target written by several passes: one buffer, so they must agree on its kind. */
    for (int k = 0; st == STRATA_OK && k < idx; k++) {
        const strata_isf_pass *o = &d->passes[k];
        if (ps->target[0] && !strcmp(o->target, ps->target) &&
            (o->persistent != ps->persistent || o->is_float != ps->is_float ||
             strcmp(o->width, ps->width) || strcmp(o->height, ps->height)))
            st = strata_jctx_fail(c, false,
                                  "TARGET \"%s\" is written by PASSES[%d] and [%d] "
                                  "with different PERSISTENT, FLOAT or size",
                                  ps->target, k, idx);
    }
    return st;
}

/* ISF 1's PERSISTENT_BUFFERS: names (array) or name -> {WIDTH, HEIGHT, FLOAT} (object);
 * each must be a pass TARGET, which becomes persistent. */
static strata_status parse_persistent(strata_jctx *c, json_t *root, strata_isf_desc *d)
{
    json_t *pb = json_object_get(root, "PERSISTENT_BUFFERS");
    if (!pb)
        return STRATA_OK;
    strata_jctx_push_key(c, "PERSISTENT_BUFFERS");
    strata_status st = STRATA_OK;
    if (!json_is_array(pb) && !json_is_object(pb))
        st = strata_jctx_fail(c, false,
                              "PERSISTENT_BUFFERS must be an array of names or an "
                              "object");
    size_t n = json_is_array(pb) ? json_array_size(pb) : 0;
    const char *key;
    json_t *val;
    const char *names[16];
    int nn = 0;
    for (size_t k = 0; st == STRATA_OK && k < n && nn < 16; k++) {
        json_t *v = json_array_get(pb, k);
        if (!json_is_string(v)) {
            strata_jctx_push_index(c, (int)k);
            st = strata_jctx_fail(c, false, "PERSISTENT_BUFFERS[%zu] must be a name", k);
            strata_jctx_pop(c);
        } else {
            names[nn++] = json_string_value(v);
        }
    }
    if (st == STRATA_OK && json_is_object(pb))
        json_object_foreach(pb, key, val)
        {
            (void)val;
            if (nn < 16)
                names[nn++] = key;
        }
    for (int k = 0; st == STRATA_OK && k < nn; k++) {
        bool found = false;
        for (int p = 0; p < d->npasses; p++)
            if (!strcmp(d->passes[p].target, names[k])) {
                d->passes[p].persistent = true;
                found = true;
            }
        if (!found) {
            if (json_is_array(pb))
                strata_jctx_push_index(c, k);
            else
                strata_jctx_push_key(c, names[k]);
            st = strata_jctx_fail(c, json_is_object(pb),
                                  "persistent buffer \"%.40s\" is never "
                                  "a TARGET of PASSES",
                                  names[k]);
            strata_jctx_pop(c);
        }
    }
    strata_jctx_pop(c);
    return st;
}

static strata_status parse_passes(strata_jctx *c, json_t *root, strata_isf_desc *d)
{
    json_t *ps = json_object_get(root, "PASSES");
    strata_status st = STRATA_OK;
    if (ps) {
        strata_jctx_push_key(c, "PASSES");
        if (!json_is_array(ps) || json_array_size(ps) > STRATA_ISF_MAX_PASSES)
            st = strata_jctx_fail(c, false, "PASSES must be an array of at most %d passes",
                                  STRATA_ISF_MAX_PASSES);
        for (size_t k = 0; st == STRATA_OK && k < json_array_size(ps); k++) {
            strata_jctx_push_index(c, (int)k);
            st = parse_pass(c, json_array_get(ps, k), d, (int)k);
            strata_jctx_pop(c);
            if (st == STRATA_OK)
                d->npasses++;
        }
        strata_jctx_pop(c);
    }
    if (st == STRATA_OK && d->npasses == 0)
        d->npasses = 1; /* no PASSES, or []: one pass to the output */
    int targets = 0;
    for (int p = 0; p < d->npasses; p++) {
        bool first = d->passes[p].target[0] != 0;
        for (int q = 0; q < p && first; q++)
            first = strcmp(d->passes[q].target, d->passes[p].target) != 0;
        targets += first;
    }
    if (st == STRATA_OK && targets > STRATA_ISF_MAX_BUFFERS) {
        strata_jctx_push_key(c, "PASSES");
        st = strata_jctx_fail(c, false, "PASSES name %d TARGETs; at most %d", targets,
                              STRATA_ISF_MAX_BUFFERS);
        strata_jctx_pop(c);
    }
    return st == STRATA_OK ? parse_persistent(c, root, d) : st;
}

static strata_status add_import(strata_jctx *c, strata_isf_desc *d, const char *name, json_t *v)
{
    strata_isf_import *im = &d->imports[d->nimports];
    json_t *path = json_is_object(v) ? json_object_get(v, "PATH") : NULL;
    if (!json_is_string(path) || strlen(json_string_value(path)) >= sizeof im->path)
        return strata_jctx_fail(c, false, "IMPORTED \"%.40s\" needs a PATH string", name);
    if (!is_ident(name) || strlen(name) >= sizeof im->name)
        return strata_jctx_fail(c, false, "IMPORTED \"%.40s\" is not a GLSL name", name);
    if (strata_isf_find_input(d, name) >= 0)
        return strata_jctx_fail(c, false, "IMPORTED \"%.40s\" is also the name of an INPUT", name);
    for (int p = 0; p < d->npasses; p++)
        if (!strcmp(d->passes[p].target, name))
            return strata_jctx_fail(c, false, "IMPORTED \"%.40s\" is also a pass TARGET", name);
    snprintf(im->name, sizeof im->name, "%s", name);
    snprintf(im->path, sizeof im->path, "%s", json_string_value(path));
    d->nimports++;
    return STRATA_OK;
}

/* IMPORTED: {"name": {"PATH": "x.png"}} (ISF 2) or [{"NAME": "name", "PATH": "x.png"}]. */
static strata_status parse_imports(strata_jctx *c, json_t *root, strata_isf_desc *d)
{
    json_t *im = json_object_get(root, "IMPORTED");
    if (!im)
        return STRATA_OK;
    strata_jctx_push_key(c, "IMPORTED");
    strata_status st = STRATA_OK;
    size_t n = json_is_object(im)  ? json_object_size(im)
               : json_is_array(im) ? json_array_size(im)
                                   : 0;
    if ((!json_is_object(im) && !json_is_array(im)) || n > STRATA_ISF_MAX_IMPORTS)
        st = strata_jctx_fail(c, false,
                              "IMPORTED must be an object (or array) of at most %d "
                              "images",
                              STRATA_ISF_MAX_IMPORTS);
    if (st == STRATA_OK && json_is_object(im)) {
        const char *key;
        json_t *v;
        json_object_foreach(im, key, v)
        {
            strata_jctx_push_key(c, key);
            st = add_import(c, d, key, v);
            strata_jctx_pop(c);
            if (st != STRATA_OK)
                break;
        }
    }
    for (size_t k = 0; st == STRATA_OK && json_is_array(im) && k < n; k++) {
        json_t *v = json_array_get(im, k), *nm = json_object_get(v, "NAME");
        strata_jctx_push_index(c, (int)k);
        st = json_is_string(nm) ? add_import(c, d, json_string_value(nm), v)
                                : strata_jctx_fail(c, false, "IMPORTED[%zu] needs a NAME", k);
        strata_jctx_pop(c);
    }
    strata_jctx_pop(c);
    return st;
}

static strata_status parse_meta(strata_jctx *c, json_t *root, strata_isf_desc *d)
{
    strata_status st = get_str(c, root, "DESCRIPTION", d->description, sizeof d->description);
    if (st == STRATA_OK)
        st = get_str(c, root, "CREDIT", d->credit, sizeof d->credit);
    json_t *vsn = json_object_get(root, "ISFVSN");
    if (st == STRATA_OK && json_is_number(vsn)) /* "2" or 2 in the wild */
        snprintf(d->vsn, sizeof d->vsn, "%g", json_number_value(vsn));
    else if (st == STRATA_OK)
        st = get_str(c, root, "ISFVSN", d->vsn, sizeof d->vsn);
    json_t *cats = json_object_get(root, "CATEGORIES");
    if (st == STRATA_OK && cats) {
        strata_jctx_push_key(c, "CATEGORIES");
        if (!json_is_array(cats))
            st = strata_jctx_fail(c, false, "CATEGORIES must be an array of strings");
        for (size_t k = 0; st == STRATA_OK && k < json_array_size(cats); k++) {
            json_t *v = json_array_get(cats, k);
            if (!json_is_string(v)) {
                strata_jctx_push_index(c, (int)k);
                st = strata_jctx_fail(c, false, "CATEGORIES[%zu] must be a string", k);
                strata_jctx_pop(c);
            } else if (d->ncategories < 8) {
                snprintf(d->categories[d->ncategories++], sizeof d->categories[0], "%s",
                         json_string_value(v));
            }
        }
        strata_jctx_pop(c);
    }
    return st;
}

/* Where the header is: the first thing in the file must be a block comment. */
static strata_status find_header(const char *text, size_t len, const char *file, size_t *open,
                                 size_t *close, strata_result *r)
{
    size_t p = 0;
    int line = 1, col = 1;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        p = 3; /* a UTF-8 byte order mark */
    for (; p < len && isspace((unsigned char)text[p]); p++) {
        col++;
        if (text[p] == '\n')
            line++, col = 1;
    }
    if (p + 1 >= len || text[p] != '/' || text[p + 1] != '*')
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s:%d:%d: no ISF header: the file must open "
                           "with a /* { JSON } */ comment",
                           file, line, col);
    *open = p;
    for (size_t q = p + 2; q + 1 < len; q++)
        if (text[q] == '*' && text[q + 1] == '/') {
            *close = q;
            return STRATA_OK;
        }
    return strata_fail(r, STRATA_ERR_FORMAT,
                       "%s:%d:%d: the ISF header comment is never closed "
                       "(no */)",
                       file, line, col);
}

strata_status strata_isf_parse(const char *text, size_t len, const char *file, strata_isf_desc *out,
                               strata_result *r)
{
    memset(out, 0, sizeof *out);
    if (len > STRATA_ISF_MAX_BYTES)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: %zu bytes, more than an ISF file may be "
                           "(%u)",
                           file, len, STRATA_ISF_MAX_BYTES);
    if (memchr(text, 0, len))
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: not a text file (a NUL byte)", file);
    size_t open = 0, close = 0;
    strata_status st = find_header(text, len, file, &open, &close, r);
    if (st != STRATA_OK)
        return st;
    /* The header as JSON at its own place in the file: everything before it blanked, so
     * jansson's and the locator's lines and columns are the file's. */
    char *json = malloc(close + 1);
    if (!json)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
    for (size_t k = 0; k < close; k++)
        json[k] = k < open + 2 && text[k] != '\n' ? ' ' : text[k];
    json[close] = 0;
    out->header_end = 1;
    for (size_t k = 0; k < close; k++)
        out->header_end += text[k] == '\n';
    json_t *root = strata_json_parse(json, close, file, r);
    if (!root) {
        free(json);
        return STRATA_ERR_FORMAT;
    }
    strata_jctx c = {.text = json, .len = close, .file = file, .r = r};
    if (!json_is_object(root))
        st = strata_jctx_fail(&c, false, "the ISF header must be a JSON object");
    if (st == STRATA_OK)
        st = strata_json_check_keys(&c, root, top_keys, COUNT(top_keys), "");
    if (st == STRATA_OK)
        st = parse_meta(&c, root, out);
    if (st == STRATA_OK)
        st = parse_inputs(&c, root, out);
    if (st == STRATA_OK)
        st = parse_passes(&c, root, out);
    if (st == STRATA_OK)
        st = parse_imports(&c, root, out);
    json_decref(root);
    free(json);
    return st;
}

strata_status strata_isf_parse_file(const char *path, strata_isf_desc *out, strata_result *r)
{
    char *text = NULL;
    size_t len = 0;
    strata_status st = strata_file_read(path, &text, &len, STRATA_ISF_MAX_BYTES, r);
    if (st == STRATA_OK)
        st = strata_isf_parse(text, len, path, out, r);
    free(text);
    return st;
}

int strata_isf_find_input(const strata_isf_desc *d, const char *name)
{
    for (int k = 0; k < d->ninputs; k++)
        if (!strcmp(d->inputs[k].name, name))
            return k;
    return -1;
}

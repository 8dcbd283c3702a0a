/* Presets: strict parse with positions, the default scene, and a stable writer. */
#include "preset_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {
    "name",  "bank",   "morph", "order",    "fit",    "seed", "transition", "transition_kind",
    "dwell", "params", "fx",    "fx_order", "routes", "osc",  "model",      "neural_size",
    "midi",  "isf",
};
#define N_TOP_KEYS (int)(sizeof top_keys / sizeof top_keys[0])

static const char *const fx_keys[] = {"curve", "k", "burst"};
static const char *const alias_keys[] = {"param", "min", "max"};

#define MAX_SECONDS 86400.0

/* The chain's own default shapes (strata_fx_create): an fx entry that names only some of
 * curve/k/burst changes only those, the rest stay what the chain would have used. */
static const strata_fx_shape fx_default_shape[STRATA_FX_COUNT] = {
    [STRATA_FX_BLOCK] = {STRATA_FX_CURVE_THRESHOLD, 0.2f, 1.0f},
    [STRATA_FX_SORT] = {STRATA_FX_CURVE_THRESHOLD, 0.5f, 0.0f},
    [STRATA_FX_TRAILS] = {STRATA_FX_CURVE_LINEAR, 0.0f, 0.0f},
    [STRATA_FX_TEAR] = {STRATA_FX_CURVE_SMOOTH, 0.0f, 1.0f},
    [STRATA_FX_RGB] = {STRATA_FX_CURVE_LINEAR, 0.0f, 1.0f},
    [STRATA_FX_VHS] = {STRATA_FX_CURVE_LINEAR, 0.0f, 0.5f},
    [STRATA_FX_CRUSH] = {STRATA_FX_CURVE_EXP, 3.0f, 0.5f},
};

void strata_preset_default(strata_preset *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "default");
    p->seed = 1;
    p->transition_s = 4.0f;
    p->transition_kind = STRATA_PRESET_TRANSITION_BLEND;
    p->dwell_s = 120.0f;
}

/* Names of a table for "did you mean". */
static int param_names(const char **out)
{
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        out[i] = strata_param_defs[i].name;
    return STRATA_PARAM_COUNT;
}

static int fx_names(const char **out)
{
    for (int i = 0; i < STRATA_FX_COUNT; i++)
        out[i] = strata_fx_effect_name((strata_fx_effect)i);
    return STRATA_FX_COUNT;
}

static strata_status fail_name(strata_jctx *c, bool at_key, const char *what, const char *name,
                               const char *const *cands, int n)
{
    const char *sug = strata_json_suggest(name, cands, n);
    char mean[80] = "";
    if (sug)
        snprintf(mean, sizeof mean, " (did you mean \"%s\"?)", sug);
    return strata_jctx_fail(c, at_key, "unknown %s \"%.60s\"%s", what, name, mean);
}

static strata_status need_type(strata_jctx *c, json_t *v, json_type t, const char *key,
                               const char *want)
{
    if (v && json_typeof(v) == t)
        return STRATA_OK;
    return strata_jctx_fail(c, false, "\"%s\" must be %s, not %s", key, want,
                            strata_json_type_name(v));
}

/* A path from the preset into out: absolute as it is, relative against the preset's
 * folder; "" stays "". */
static strata_status resolve_path(strata_jctx *c, const char *key, const char *s,
                                  const strata_preset *p, char *out, size_t n)
{
    int k;
    if (!*s) {
        out[0] = 0;
        return STRATA_OK;
    }
    if (s[0] == '/') {
        k = snprintf(out, n, "%s", s);
    } else {
        char dir[1024];
        strata_preset_abs_dir(p->path[0] ? p->path : NULL, dir, sizeof dir);
        k = snprintf(out, n, "%s/%s", dir, s);
    }
    if (k < 0 || (size_t)k >= n)
        return strata_jctx_fail(c, false, "\"%s\": path too long", key);
    return STRATA_OK;
}

/* "latent:COUNT:DIM:SEED", or a path resolved against the preset's folder. */
static strata_status parse_bank(strata_jctx *c, const char *s, strata_preset *p)
{
    if (strncmp(s, "latent:", 7) == 0) {
        long long count, dim;
        unsigned long long seed;
        int used = 0;
        if (sscanf(s + 7, "%lld:%lld:%llu%n", &count, &dim, &seed, &used) != 3 || s[7 + used] != 0)
            return strata_jctx_fail(c, false,
                                    "\"bank\" \"%.60s\" must be "
                                    "latent:COUNT:DIM:SEED",
                                    s);
        if (count < 1 || count > 65536)
            return strata_jctx_fail(c, false,
                                    "\"bank\": latent count %lld is outside "
                                    "1..65536",
                                    count);
        if (dim < 1 || dim > STRATA_CPPN_MAX_DIM)
            return strata_jctx_fail(c, false, "\"bank\": latent dim %lld is outside 1..%d", dim,
                                    STRATA_CPPN_MAX_DIM);
        snprintf(p->bank, sizeof p->bank, "%s", s);
        return STRATA_OK;
    }
    return resolve_path(c, "bank", s, p, p->bank, sizeof p->bank);
}

/* "model": a path resolved like the bank's, "" for none. */
static strata_status parse_model(strata_jctx *c, json_t *root, strata_preset *p)
{
    const char *s;
    strata_status st = strata_json_get_str(c, root, "model", &s);
    if (st != STRATA_OK || !s)
        return st;
    strata_jctx_push_key(c, "model");
    st = resolve_path(c, "model", s, p, p->model, sizeof p->model);
    strata_jctx_pop(c);
    return st;
}

/* "isf": one path or an array of paths, each resolved like the bank's. */
static strata_status parse_isf(strata_jctx *c, json_t *root, strata_preset *p)
{
    json_t *v = json_object_get(root, "isf");
    if (!v)
        return STRATA_OK;
    strata_jctx_push_key(c, "isf");
    strata_status st = STRATA_OK;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_string(v) && !json_is_array(v))
        st = strata_jctx_fail(c, false, "\"isf\" must be a path or an array of paths, not %s",
                              strata_json_type_name(v));
    else if (n > STRATA_PRESET_MAX_ISF)
        st = strata_jctx_fail(c, false, "\"isf\": at most %d shaders a scene, not %zu",
                              STRATA_PRESET_MAX_ISF, n);
    for (size_t i = 0; st == STRATA_OK && i < n; i++) {
        json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_array(v))
            strata_jctx_push_index(c, (int)i);
        if (!json_is_string(s) || !json_string_value(s)[0])
            st = strata_jctx_fail(c, false, "\"isf\" entries must be paths of .fs files");
        else
            st = resolve_path(c, "isf", json_string_value(s), p, p->isf[i], sizeof p->isf[i]);
        if (json_is_array(v))
            strata_jctx_pop(c);
    }
    p->n_isf = st == STRATA_OK ? (int)n : 0;
    strata_jctx_pop(c);
    return st;
}

/* "neural_size": "WxH", each side 1..128 (the decoder's latent limit). */
static strata_status parse_neural_size(strata_jctx *c, json_t *root, strata_preset *p)
{
    const char *s;
    strata_status st = strata_json_get_str(c, root, "neural_size", &s);
    if (st != STRATA_OK || !s)
        return st;
    int w, h;
    if (strata_args_parse_size(s, STRATA_PRESET_NEURAL_MAX, &w, &h)) {
        p->neural_w = w;
        p->neural_h = h;
        return STRATA_OK;
    }
    strata_jctx_push_key(c, "neural_size");
    st = strata_jctx_fail(c, false,
                          "\"neural_size\" \"%.40s\" must be WxH, each side 1..%d (a latent "
                          "size: the picture is 8W x 8H)",
                          s, STRATA_PRESET_NEURAL_MAX);
    strata_jctx_pop(c);
    return st;
}

static strata_status parse_params(strata_jctx *c, json_t *obj, strata_preset *p)
{
    const char *names[STRATA_PARAM_COUNT];
    int n = param_names(names);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (strchr(key, '/')) {
            /* A dynamic parameter (an ISF input): its range is known when it is there. */
            strata_jctx_push_key(c, key);
            strata_status s = STRATA_OK;
            if (strlen(key) >= STRATA_PARAM_NAME_MAX)
                s = strata_jctx_fail(c, true, "\"params\": name \"%.60s...\" is too long", key);
            else if (p->n_dyn_params >= STRATA_PRESET_MAX_DYN_PARAMS)
                s = strata_jctx_fail(c, true, "\"params\": at most %d names with a '/'",
                                     STRATA_PRESET_MAX_DYN_PARAMS);
            else if (!json_is_number(v) || !isfinite(json_number_value(v)))
                s = strata_jctx_fail(c, false, "\"%s\" must be a number, not %s", key,
                                     strata_json_type_name(v));
            strata_jctx_pop(c);
            if (s != STRATA_OK)
                return s;
            snprintf(p->dyn_param[p->n_dyn_params].name, STRATA_PARAM_NAME_MAX, "%s", key);
            p->dyn_param[p->n_dyn_params++].value = (float)json_number_value(v);
            continue;
        }
        int id = strata_param_find(key);
        if (id < 0 || id >= STRATA_PARAM_COUNT) {
            const char *sug = strata_json_suggest(key, names, n);
            char mean[80] = "";
            if (sug)
                snprintf(mean, sizeof mean, " (did you mean \"%s\"?)", sug);
            strata_jctx_push_key(c, key);
            strata_jctx_fail(c, true, "unknown key \"%.60s\" in \"params\"%s", key, mean);
            strata_jctx_pop(c);
            return STRATA_ERR_FORMAT;
        }
        const strata_param_def *d = &strata_param_defs[id];
        strata_status s = strata_json_get_num(c, obj, key, d->min, d->max, &p->param[id]);
        if (s != STRATA_OK)
            return s;
        p->has_param[id] = true;
    }
    return STRATA_OK;
}

static strata_status parse_fx_shape(strata_jctx *c, json_t *o, strata_fx_effect e, strata_preset *p)
{
    strata_status s = strata_json_check_keys(c, o, fx_keys, 3, strata_fx_effect_name(e));
    if (s != STRATA_OK)
        return s;
    strata_fx_shape sh = fx_default_shape[e];
    const char *curve;
    if ((s = strata_json_get_str(c, o, "curve", &curve)) != STRATA_OK)
        return s;
    if (curve) {
        int ci = strata_fx_curve_find(curve);
        if (ci < 0) {
            const char *cn[STRATA_FX_CURVE_COUNT];
            for (int i = 0; i < STRATA_FX_CURVE_COUNT; i++)
                cn[i] = strata_fx_curve_name((strata_fx_curve)i);
            strata_jctx_push_key(c, "curve");
            s = fail_name(c, false, "curve", curve, cn, STRATA_FX_CURVE_COUNT);
            strata_jctx_pop(c);
            return s;
        }
        sh.curve = (strata_fx_curve)ci;
        if (sh.curve != fx_default_shape[e].curve) /* the default k is for another curve */
            sh.k = sh.curve == STRATA_FX_CURVE_EXP ? 3.0f
                   : sh.curve == STRATA_FX_CURVE_LINEAR || sh.curve == STRATA_FX_CURVE_SMOOTH
                       ? 0.0f
                       : 0.5f;
    }
    if (json_object_get(o, "k")) {
        if (sh.curve == STRATA_FX_CURVE_LINEAR || sh.curve == STRATA_FX_CURVE_SMOOTH) {
            strata_jctx_push_key(c, "k");
            s = strata_jctx_fail(c, true, "\"k\" does nothing with curve \"%s\"",
                                 strata_fx_curve_name(sh.curve));
            strata_jctx_pop(c);
            return s;
        }
        bool ex = sh.curve == STRATA_FX_CURVE_EXP;
        s = strata_json_get_num(c, o, "k", ex ? 0.01 : 0.0, ex ? 20.0 : 0.99, &sh.k);
        if (s != STRATA_OK)
            return s;
    }
    if ((s = strata_json_get_num(c, o, "burst", 0.0, 1.0, &sh.burst_mix)) != STRATA_OK)
        return s;
    p->fx[e].set = true;
    p->fx[e].shape = sh;
    return STRATA_OK;
}

static strata_status parse_fx(strata_jctx *c, json_t *obj, strata_preset *p)
{
    const char *names[STRATA_FX_COUNT];
    int n = fx_names(names);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        strata_status s;
        strata_jctx_push_key(c, key);
        int e = strata_fx_effect_find(key);
        if (e < 0)
            s = fail_name(c, true, "effect", key, names, n);
        else if (!json_is_object(v))
            s = need_type(c, v, JSON_OBJECT, key, "an object {\"curve\", \"k\", \"burst\"}");
        else
            s = parse_fx_shape(c, v, (strata_fx_effect)e, p);
        strata_jctx_pop(c);
        if (s != STRATA_OK)
            return s;
    }
    return STRATA_OK;
}

static strata_status parse_fx_order(strata_jctx *c, json_t *arr, strata_preset *p)
{
    const char *names[STRATA_FX_COUNT];
    int n = fx_names(names);
    size_t count = json_array_size(arr);
    if (count < 1 || count > STRATA_FX_COUNT)
        return strata_jctx_fail(c, false, "\"fx_order\" needs 1..%d effects, has %zu",
                                STRATA_FX_COUNT, count);
    for (size_t i = 0; i < count; i++) {
        json_t *v = json_array_get(arr, i);
        strata_status s = STRATA_OK;
        strata_jctx_push_index(c, (int)i);
        int e = json_is_string(v) ? strata_fx_effect_find(json_string_value(v)) : -1;
        if (!json_is_string(v))
            s = strata_jctx_fail(c, false, "\"fx_order\" entries must be effect names, not %s",
                                 strata_json_type_name(v));
        else if (e < 0)
            s = fail_name(c, false, "effect", json_string_value(v), names, n);
        for (int j = 0; s == STRATA_OK && j < p->n_order_fx; j++)
            if (p->order_fx[j] == (strata_fx_effect)e)
                s = strata_jctx_fail(c, false, "effect \"%s\" is already in \"fx_order\"",
                                     names[e]);
        strata_jctx_pop(c);
        if (s != STRATA_OK)
            return s;
        p->order_fx[p->n_order_fx++] = (strata_fx_effect)e;
    }
    return STRATA_OK;
}

/* Field by field into a zeroed slot: the padding of the parser's copy is whatever its
 * stack held, and presets compare equal byte for byte (memcmp) after a round trip. */
static void copy_route(strata_route *dst, const strata_route *src)
{
    memset(dst, 0, sizeof *dst);
    dst->src = src->src;
    dst->param = src->param;
    dst->amount = src->amount;
    dst->curve = src->curve;
    dst->attack_s = src->attack_s;
    dst->release_s = src->release_s;
    dst->rate = src->rate;
    dst->rate_beats = src->rate_beats;
    dst->phase = src->phase;
    dst->bipolar = src->bipolar;
    dst->env = src->env;
    dst->lfo_pos = src->lfo_pos;
}

static strata_status parse_routes(strata_jctx *c, json_t *arr, strata_preset *p)
{
    size_t count = json_array_size(arr);
    if (count > STRATA_PRESET_MAX_ROUTES)
        return strata_jctx_fail(c, false, "\"routes\" has %zu routes, at most %d", count,
                                STRATA_PRESET_MAX_ROUTES);
    for (size_t i = 0; i < count; i++) {
        json_t *v = json_array_get(arr, i);
        strata_status s = STRATA_OK;
        strata_jctx_push_index(c, (int)i);
        strata_result rr = {0};
        strata_route rt;
        if (!json_is_string(v))
            s = strata_jctx_fail(c, false,
                                 "routes must be strings like \"bass>glitch*0.5\", "
                                 "not %s",
                                 strata_json_type_name(v));
        else if (!strata_route_parse(json_string_value(v), &rt, &rr))
            s = strata_jctx_fail(c, false, "%s", rr.msg);
        else
            copy_route(&p->routes[i], &rt);
        strata_jctx_pop(c);
        if (s != STRATA_OK)
            return s;
        p->n_routes++;
    }
    return STRATA_OK;
}

static strata_status parse_alias(strata_jctx *c, const char *addr, json_t *v,
                                 strata_preset_alias *a)
{
    const char *names[STRATA_PARAM_COUNT];
    int n = param_names(names);
    const char *pname = NULL;
    strata_status s;
    if (json_is_string(v)) {
        pname = json_string_value(v);
    } else if (json_is_object(v)) {
        if ((s = strata_json_check_keys(c, v, alias_keys, 3, addr)) != STRATA_OK)
            return s;
        if ((s = strata_json_get_str(c, v, "param", &pname)) != STRATA_OK)
            return s;
        if (!pname)
            return strata_jctx_fail(c, false, "alias \"%s\" needs \"param\"", addr);
    } else {
        return strata_jctx_fail(c, false,
                                "alias \"%s\" must be a parameter name or "
                                "{\"param\", \"min\", \"max\"}, not %s",
                                addr, strata_json_type_name(v));
    }
    snprintf(a->address, sizeof a->address, "%s", addr);
    a->param = strata_param_find(pname);
    if (a->param >= STRATA_PARAM_COUNT) {
        /* A dynamic parameter (an ISF input) has its own address already; an alias holds
         * an id, which would not survive the shader's reload. */
        if (json_is_object(v))
            strata_jctx_push_key(c, "param");
        s = strata_jctx_fail(c, false,
                             "alias \"%s\": \"%.60s\" is a dynamic parameter with "
                             "its own address (/strata/%.60s); aliases name fixed ones",
                             addr, pname, pname);
        if (json_is_object(v))
            strata_jctx_pop(c);
        return s;
    }
    if (a->param < 0) {
        if (json_is_object(v))
            strata_jctx_push_key(c, "param");
        s = fail_name(c, false, "parameter", pname, names, n);
        if (json_is_object(v))
            strata_jctx_pop(c);
        return s;
    }
    const strata_param_def *d = &strata_param_defs[a->param];
    a->lo = d->min;
    a->hi = d->max;
    if (json_is_object(v)) {
        if ((s = strata_json_get_num(c, v, "min", d->min, d->max, &a->lo)) != STRATA_OK)
            return s;
        if ((s = strata_json_get_num(c, v, "max", d->min, d->max, &a->hi)) != STRATA_OK)
            return s;
    }
    return STRATA_OK;
}

static strata_status parse_osc(strata_jctx *c, json_t *obj, strata_preset *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        strata_status s = STRATA_OK;
        strata_jctx_push_key(c, key);
        if (p->n_aliases >= STRATA_PRESET_MAX_ALIASES)
            s = strata_jctx_fail(c, true, "more than %d OSC aliases", STRATA_PRESET_MAX_ALIASES);
        else if (key[0] != '/' || strlen(key) >= sizeof p->aliases[0].address ||
                 strpbrk(key, " #*,?[]{}"))
            s = strata_jctx_fail(c, true,
                                 "OSC address \"%.60s\" must start with '/', have "
                                 "no spaces or # * , ? [ ] { } and be under 64 characters",
                                 key);
        else if (strncmp(key, "/strata/", 8) == 0)
            s = strata_jctx_fail(c, true,
                                 "alias \"%.60s\" would shadow strata's own "
                                 "address space",
                                 key);
        else
            s = parse_alias(c, key, v, &p->aliases[p->n_aliases]);
        strata_jctx_pop(c);
        if (s != STRATA_OK)
            return s;
        p->n_aliases++;
    }
    return STRATA_OK;
}

static strata_status parse_midi(strata_jctx *c, json_t *obj, strata_preset *p)
{
    return strata_midi_map_parse_json(c, obj, &p->midi);
}

static strata_status parse_enum(strata_jctx *c, json_t *root, const char *key,
                                const char *const *names, int n, int *out, bool *has)
{
    const char *s;
    strata_status st = strata_json_get_str(c, root, key, &s);
    if (st != STRATA_OK || !s)
        return st;
    for (int i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            if (has)
                *has = true;
            return STRATA_OK;
        }
    }
    char list[128] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", names[i]);
    strata_jctx_push_key(c, key);
    const char *sug = strata_json_suggest(s, names, n);
    st = strata_jctx_fail(c, false, "unknown %s \"%.40s\" (%s%s%s)", key, s,
                          sug ? "did you mean \"" : "one of ", sug ? sug : list, sug ? "\"?" : "");
    strata_jctx_pop(c);
    return st;
}

/* Keys that take an object or array: check the type, then hand to the parser. */
static strata_status parse_section(strata_jctx *c, json_t *root, const char *key, json_type t,
                                   strata_preset *p,
                                   strata_status (*fn)(strata_jctx *, json_t *, strata_preset *))
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return STRATA_OK;
    strata_jctx_push_key(c, key);
    strata_status s = need_type(c, v, t, key, t == JSON_OBJECT ? "an object" : "an array");
    if (s == STRATA_OK)
        s = fn(c, v, p);
    strata_jctx_pop(c);
    return s;
}

static strata_status parse_scalars(strata_jctx *c, json_t *root, strata_preset *p)
{
    /* In strata_morph_mode's order. */
    static const char *const morphs[] = {"blend", "flow", "latent", "neural"};
    static const char *const orders[] = {"sequence", "shuffle", "neighbours", "pingpong"};
    static const char *const fits[] = {"fit", "fill"};
    static const char *const kinds[] = {"blend", "flow"};
    const char *s;
    strata_status st;
    if ((st = strata_json_get_str(c, root, "name", &s)) != STRATA_OK)
        return st;
    if (s) {
        if (!*s || strlen(s) >= sizeof p->name) {
            strata_jctx_push_key(c, "name");
            st = strata_jctx_fail(c, false, "\"name\" must be 1..%zu characters",
                                  sizeof p->name - 1);
            strata_jctx_pop(c);
            return st;
        }
        /* Nothing of the stem may stay behind the NUL: equal names, equal structs. */
        memset(p->name, 0, sizeof p->name);
        snprintf(p->name, sizeof p->name, "%s", s);
    }
    if ((st = strata_json_get_str(c, root, "bank", &s)) != STRATA_OK)
        return st;
    if (s) {
        strata_jctx_push_key(c, "bank");
        st = parse_bank(c, s, p);
        strata_jctx_pop(c);
        if (st != STRATA_OK)
            return st;
    }
    int v = 0, fill = 0, kind = 0;
    if ((st = parse_isf(c, root, p)) != STRATA_OK)
        return st;
    if ((st = parse_model(c, root, p)) != STRATA_OK)
        return st;
    if ((st = parse_neural_size(c, root, p)) != STRATA_OK)
        return st;
    if ((st = parse_enum(c, root, "morph", morphs, 4, &v, &p->has_morph)) != STRATA_OK)
        return st;
    p->morph = (strata_morph_mode)v;
    v = 0;
    if ((st = parse_enum(c, root, "order", orders, 4, &v, &p->has_order)) != STRATA_OK)
        return st;
    p->order = (strata_order)v;
    if ((st = parse_enum(c, root, "fit", fits, 2, &fill, NULL)) != STRATA_OK)
        return st;
    p->fill = fill == 1;
    kind = p->transition_kind;
    if ((st = parse_enum(c, root, "transition_kind", kinds, 2, &kind, NULL)) != STRATA_OK)
        return st;
    p->transition_kind = kind;
    json_t *seed = json_object_get(root, "seed");
    if (seed) {
        strata_jctx_push_key(c, "seed");
        if (!json_is_integer(seed) || json_integer_value(seed) < 0)
            st = strata_jctx_fail(c, false, "\"seed\" must be a whole number >= 0");
        strata_jctx_pop(c);
        if (st != STRATA_OK)
            return st;
        p->seed = (uint64_t)json_integer_value(seed);
    }
    if ((st = strata_json_get_num(c, root, "transition", 0.0, 600.0, &p->transition_s)))
        return st;
    return strata_json_get_num(c, root, "dwell", 0.1, MAX_SECONDS, &p->dwell_s);
}

strata_status strata_preset_parse(const char *text, size_t len, const char *path_for_errors,
                                  strata_preset *out, strata_result *r)
{
    const char *file = path_for_errors ? path_for_errors : "<preset>";
    json_t *root = strata_json_parse(text, len, file, r);
    if (!root)
        return STRATA_ERR_FORMAT;
    strata_jctx c = {.text = text, .len = len, .file = file, .r = r};
    strata_preset *p = malloc(sizeof *p); /* ~8 KB: not on a watcher thread's stack */
    strata_status s = p ? STRATA_OK : strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
    if (s == STRATA_OK) {
        strata_preset_default(p);
        if (path_for_errors) {
            snprintf(p->path, sizeof p->path, "%s", path_for_errors);
            strata_preset_stem(path_for_errors, p->name, sizeof p->name);
        }
        if (!json_is_object(root)) {
            s = strata_jctx_fail(&c, false, "a preset is a JSON object {...}, not %s",
                                 strata_json_type_name(root));
        } else if (json_object_get(root, "scenes")) {
            /* Reached only through a setlist (or a reload): a setlist at the top level
             * never comes here. */
            strata_jctx_push_key(&c, "scenes");
            s = strata_jctx_fail(&c, true,
                                 "this file is a setlist (it has \"scenes\"): a setlist "
                                 "cannot be a scene of a setlist");
            strata_jctx_pop(&c);
        }
    }
    if (s == STRATA_OK)
        s = strata_json_check_keys(&c, root, top_keys, N_TOP_KEYS, "");
    if (s == STRATA_OK)
        s = parse_scalars(&c, root, p);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "params", JSON_OBJECT, p, parse_params);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "fx", JSON_OBJECT, p, parse_fx);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "fx_order", JSON_ARRAY, p, parse_fx_order);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "routes", JSON_ARRAY, p, parse_routes);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "osc", JSON_OBJECT, p, parse_osc);
    if (s == STRATA_OK)
        s = parse_section(&c, root, "midi", JSON_OBJECT, p, parse_midi);
    if (s == STRATA_OK)
        *out = *p;
    free(p);
    json_decref(root);
    return s;
}

strata_status strata_preset_load(const char *path, strata_preset *out, strata_result *r)
{
    char *text = NULL;
    size_t len = 0;
    strata_status s = strata_file_read(path, &text, &len, 1 << 20, r);
    if (s != STRATA_OK)
        return s;
    s = strata_preset_parse(text, len, path, out, r);
    free(text);
    return s;
}

/* ---- writer ------------------------------------------------------------------ */

typedef struct sbuf {
    char *data;
    size_t len, cap;
    bool oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int k = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0 || b->oom)
            return;
        if (b->data && (size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
}

/* A JSON string literal; control characters escaped. */
static void put_str(sbuf *b, const char *s)
{
    put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(b, "\\%c", *p);
        else if (*p < 0x20)
            put(b, "\\u%04x", *p);
        else
            put(b, "%c", *p);
    }
    put(b, "\"");
}

/* The shortest decimal that reads back as the same float: files stay readable
 * ("0.3", not "0.300000012") and a save/load round trip is exact. */
static void put_num(sbuf *b, float v)
{
    char tmp[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, (double)v);
        if (strtof(tmp, NULL) == v)
            break;
    }
    put(b, "%s", tmp);
}

/* "bank" and "model": a path below the file's folder is written relative to it, so the
 * folder moves. */
static void put_path(sbuf *b, const char *key, const char *file, const char *path)
{
    char dir[1024];
    strata_preset_abs_dir(path, dir, sizeof dir);
    size_t n = strlen(dir);
    if (file[0] == '/' && strncmp(file, dir, n) == 0 && file[n] == '/')
        file += n + 1;
    put(b, "  \"%s\": ", key);
    put_str(b, file);
    put(b, ",\n");
}

static void put_fx(sbuf *b, const strata_preset *p)
{
    bool first = true;
    put(b, "  \"fx\": {");
    for (int e = 0; e < STRATA_FX_COUNT; e++) {
        if (!p->fx[e].set)
            continue;
        const strata_fx_shape *sh = &p->fx[e].shape;
        put(b, "%s\n    \"%s\": {\"curve\": \"%s\"", first ? "" : ",",
            strata_fx_effect_name((strata_fx_effect)e), strata_fx_curve_name(sh->curve));
        if (sh->curve != STRATA_FX_CURVE_LINEAR && sh->curve != STRATA_FX_CURVE_SMOOTH) {
            put(b, ", \"k\": ");
            put_num(b, sh->k);
        }
        put(b, ", \"burst\": ");
        put_num(b, sh->burst_mix);
        put(b, "}");
        first = false;
    }
    put(b, "\n  },\n");
}

static void put_lists(sbuf *b, const strata_preset *p)
{
    if (p->n_order_fx > 0) {
        put(b, "  \"fx_order\": [");
        for (int i = 0; i < p->n_order_fx; i++)
            put(b, "%s\"%s\"", i ? ", " : "", strata_fx_effect_name(p->order_fx[i]));
        put(b, "],\n");
    }
    if (p->n_routes > 0) {
        put(b, "  \"routes\": [");
        for (int i = 0; i < p->n_routes; i++) {
            char spec[160];
            strata_route_format(&p->routes[i], spec, sizeof spec);
            put(b, "%s\n    ", i ? "," : "");
            put_str(b, spec);
        }
        put(b, "\n  ],\n");
    }
    if (p->n_aliases > 0) {
        put(b, "  \"osc\": {");
        for (int i = 0; i < p->n_aliases; i++) {
            const strata_preset_alias *a = &p->aliases[i];
            put(b, "%s\n    ", i ? "," : "");
            put_str(b, a->address);
            put(b, ": {\"param\": \"%s\", \"min\": ", strata_param_defs[a->param].name);
            put_num(b, a->lo);
            put(b, ", \"max\": ");
            put_num(b, a->hi);
            put(b, "}");
        }
        put(b, "\n  },\n");
    }
}

strata_status strata_preset_format(const strata_preset *p, const char *path, char **out,
                                   strata_result *r)
{
    sbuf b = {0};
    put(&b, "{\n  \"name\": ");
    put_str(&b, p->name);
    put(&b, ",\n");
    if (p->bank[0])
        put_path(&b, "bank", p->bank, path);
    if (p->model[0])
        put_path(&b, "model", p->model, path);
    for (int i = 0; i < p->n_isf; i++) {
        /* One entry a line, "isf" once: put_path writes a key each time, so by hand. */
        char dir[1024];
        strata_preset_abs_dir(path, dir, sizeof dir);
        size_t n = strlen(dir);
        const char *f = p->isf[i];
        if (f[0] == '/' && strncmp(f, dir, n) == 0 && f[n] == '/')
            f += n + 1;
        put(&b, i == 0 ? "  \"isf\": [" : ", ");
        put_str(&b, f);
        if (i == p->n_isf - 1)
            put(&b, "],\n");
    }
    if (p->neural_w > 0 && p->neural_h > 0)
        put(&b, "  \"neural_size\": \"%dx%d\",\n", p->neural_w, p->neural_h);
    if (p->has_morph)
        put(&b, "  \"morph\": \"%s\",\n", strata_morph_mode_name(p->morph));
    if (p->has_order)
        put(&b, "  \"order\": \"%s\",\n", strata_order_name(p->order));
    put(&b, "  \"fit\": \"%s\",\n  \"seed\": %llu,\n  \"transition\": ", p->fill ? "fill" : "fit",
        (unsigned long long)p->seed);
    put_num(&b, p->transition_s);
    put(&b, ",\n  \"transition_kind\": \"%s\",\n  \"dwell\": ",
        p->transition_kind == STRATA_PRESET_TRANSITION_FLOW ? "flow" : "blend");
    put_num(&b, p->dwell_s);
    put(&b, ",\n");
    bool any = false;
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        if (!p->has_param[i])
            continue;
        put(&b, "%s\n    \"%s\": ", any ? "," : "  \"params\": {", strata_param_defs[i].name);
        put_num(&b, p->param[i]);
        any = true;
    }
    for (int i = 0; i < p->n_dyn_params; i++) {
        put(&b, "%s\n    ", any ? "," : "  \"params\": {");
        put_str(&b, p->dyn_param[i].name);
        put(&b, ": ");
        put_num(&b, p->dyn_param[i].value);
        any = true;
    }
    if (any)
        put(&b, "\n  },\n");
    any = false;
    for (int e = 0; e < STRATA_FX_COUNT; e++)
        any |= p->fx[e].set;
    if (any)
        put_fx(&b, p);
    put_lists(&b, p);
    if (p->midi.n > 0) {
        put(&b, "  \"midi\": {\"bindings\": [");
        for (int i = 0; i < p->midi.n; i++) {
            char one[256];
            strata_midi_binding_format(&p->midi.b[i], one, sizeof one);
            put(&b, "%s\n    %s", i ? "," : "", one);
        }
        put(&b, "\n  ]},\n");
    }
    /* Every member above ends in ",\n": turn the last comma into the closing brace. */
    if (!b.oom && b.len >= 2 && b.data[b.len - 2] == ',')
        b.len -= 2;
    put(&b, "\n}\n");
    if (b.oom) {
        free(b.data);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path ? path : "preset");
    }
    *out = b.data;
    return STRATA_OK;
}

strata_status strata_preset_save(const char *path, const strata_preset *p, strata_result *r)
{
    char *text;
    strata_status s = strata_preset_format(p, path, &text, r);
    if (s != STRATA_OK)
        return s;
    s = strata_file_write_atomic(path, text, strlen(text), r);
    free(text);
    return s;
}

/* MIDI mappings: the "midi" section of a preset and per-controller map files, parsed as
 * strictly as the rest of the preset format (FILE:LINE:COLUMN errors). */
#include "preset_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const map_keys[] = {"name", "bindings"};
static const char *const binding_keys[] = {"cc",  "cc14", "note", "bend",    "channel", "param",
                                           "min", "max",  "step", "relative", "trigger", "index"};
#define N_BINDING_KEYS (int)(sizeof binding_keys / sizeof binding_keys[0])

static const char *const action_names[STRATA_MIDI_ACT_COUNT] = {
    [STRATA_MIDI_ACT_PARAM] = "param",     [STRATA_MIDI_ACT_SCENE_NEXT] = "scene_next",
    [STRATA_MIDI_ACT_SCENE_PREV] = "scene_prev", [STRATA_MIDI_ACT_SCENE] = "scene",
    [STRATA_MIDI_ACT_KEY] = "key",         [STRATA_MIDI_ACT_TAP] = "tap",
    [STRATA_MIDI_ACT_BURST] = "burst",
};

const char *strata_midi_action_name(strata_midi_action a)
{
    return a < STRATA_MIDI_ACT_COUNT ? action_names[a] : "?";
}

/* A whole number at key within lo..hi; *found false when the key is absent. */
static strata_status get_int(strata_jctx *c, json_t *o, const char *key, int lo, int hi, int *out,
                             bool *found)
{
    json_t *v = json_object_get(o, key);
    *found = v != NULL;
    if (!v)
        return STRATA_OK;
    strata_jctx_push_key(c, key);
    strata_status s = STRATA_OK;
    if (!json_is_integer(v))
        s = strata_jctx_fail(c, false, "\"%s\" must be a whole number, not %s", key,
                             json_is_real(v) ? "a fraction" : strata_json_type_name(v));
    else if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        s = strata_jctx_fail(c, false, "\"%s\" %lld is outside %d..%d", key,
                             (long long)json_integer_value(v), lo, hi);
    else
        *out = (int)json_integer_value(v);
    strata_jctx_pop(c);
    return s;
}

/* Exactly one source key: cc, cc14, note or bend. */
static strata_status parse_source(strata_jctx *c, json_t *o, strata_midi_binding *b)
{
    static const char *const src_keys[] = {"cc", "cc14", "note", "bend"};
    static const int src_max[] = {127, 31, 127, 0};
    int nsrc = 0;
    strata_status s;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(o, src_keys[i]);
        if (!v)
            continue;
        if (++nsrc > 1) {
            strata_jctx_push_key(c, src_keys[i]);
            s = strata_jctx_fail(c, true, "a binding has one of \"cc\", \"cc14\", \"note\", "
                                          "\"bend\", not two");
            strata_jctx_pop(c);
            return s;
        }
        b->src = (uint8_t)i;
        if (i == STRATA_MIDI_SRC_BEND) {
            if (!json_is_true(v)) {
                strata_jctx_push_key(c, "bend");
                s = strata_jctx_fail(c, false, "\"bend\" must be true");
                strata_jctx_pop(c);
                return s;
            }
            continue;
        }
        int n = 0;
        bool found;
        if ((s = get_int(c, o, src_keys[i], 0, src_max[i], &n, &found)) != STRATA_OK)
            return s;
        b->number = (int16_t)n;
    }
    if (nsrc == 0)
        return strata_jctx_fail(c, false, "a binding needs \"cc\", \"cc14\", \"note\" or "
                                          "\"bend\"");
    return STRATA_OK;
}

static strata_status parse_target(strata_jctx *c, json_t *o, strata_midi_binding *b)
{
    const char *param, *trig;
    strata_status s;
    if ((s = strata_json_get_str(c, o, "param", &param)) != STRATA_OK ||
        (s = strata_json_get_str(c, o, "trigger", &trig)) != STRATA_OK)
        return s;
    if (!param == !trig)
        return strata_jctx_fail(c, false, "a binding needs one of \"param\" and \"trigger\"");
    if (trig) {
        for (int a = 1; a < STRATA_MIDI_ACT_COUNT; a++)
            if (!strcmp(trig, action_names[a]))
                b->action = (uint8_t)a;
        strata_jctx_push_key(c, "trigger");
        if (!b->action) {
            const char *mean = strata_json_suggest(trig, action_names + 1, STRATA_MIDI_ACT_COUNT - 1);
            s = strata_jctx_fail(c, false,
                                 "unknown trigger \"%.40s\"%s%s%s (scene_next, scene_prev, "
                                 "scene, key, tap, burst)",
                                 trig, mean ? " (did you mean \"" : "", mean ? mean : "",
                                 mean ? "\"?)" : "");
        } else if (b->src == STRATA_MIDI_SRC_BEND) {
            s = strata_jctx_fail(c, false, "a trigger needs a \"note\" or \"cc\", not the bend");
        }
        strata_jctx_pop(c);
        return s;
    }
    strata_jctx_push_key(c, "param");
    /* Dynamic names (with a '/', e.g. an ISF input) exist only once their scene runs. */
    if (strlen(param) >= sizeof b->param || !param[0])
        s = strata_jctx_fail(c, false, "\"param\" must be 1..%zu characters",
                             sizeof b->param - 1);
    else if (!strchr(param, '/') && strata_param_find(param) < 0) {
        const char *names[STRATA_PARAM_COUNT];
        for (int i = 0; i < STRATA_PARAM_COUNT; i++)
            names[i] = strata_param_defs[i].name;
        const char *mean = strata_json_suggest(param, names, STRATA_PARAM_COUNT);
        s = strata_jctx_fail(c, false, "unknown parameter \"%.60s\"%s%s%s", param,
                             mean ? " (did you mean \"" : "", mean ? mean : "", mean ? "\"?)" : "");
    }
    strata_jctx_pop(c);
    if (s == STRATA_OK)
        snprintf(b->param, sizeof b->param, "%s", param);
    return s;
}

static strata_status parse_options(strata_jctx *c, json_t *o, strata_midi_binding *b)
{
    strata_status s;
    int ch = 0, idx = 0;
    bool found;
    if ((s = get_int(c, o, "channel", 1, 16, &ch, &found)) != STRATA_OK)
        return s;
    b->channel = found ? (int8_t)(ch - 1) : -1;
    if ((s = get_int(c, o, "index", 0, 9999, &idx, &found)) != STRATA_OK)
        return s;
    b->index = (int16_t)idx;
    bool wants_index = b->action == STRATA_MIDI_ACT_SCENE || b->action == STRATA_MIDI_ACT_KEY;
    if (found != wants_index) {
        if (found)
            strata_jctx_push_key(c, "index");
        s = strata_jctx_fail(c, found, found ? "\"index\" is for the scene and key triggers"
                                             : "trigger \"%s\" needs an \"index\"",
                             action_names[b->action]);
        if (found)
            strata_jctx_pop(c);
        return s;
    }
    const char *rel;
    if ((s = strata_json_get_str(c, o, "relative", &rel)) != STRATA_OK)
        return s;
    if (rel) {
        strata_jctx_push_key(c, "relative");
        if (b->src != STRATA_MIDI_SRC_CC || b->action != STRATA_MIDI_ACT_PARAM)
            s = strata_jctx_fail(c, true, "\"relative\" is for a \"cc\" bound to a \"param\"");
        else if (!strcmp(rel, "twos"))
            b->mode = STRATA_MIDI_REL_TWOS;
        else if (!strcmp(rel, "offset"))
            b->mode = STRATA_MIDI_REL_OFFSET;
        else
            s = strata_jctx_fail(c, false,
                                 "unknown \"relative\" \"%.40s\" (twos: 1..63 up, 127..65 "
                                 "down; offset: 65.. up, ..63 down)",
                                 rel);
        strata_jctx_pop(c);
        if (s != STRATA_OK)
            return s;
    }
    bool param = b->action == STRATA_MIDI_ACT_PARAM;
    static const char *const range_keys[] = {"min", "max", "step"};
    for (int i = 0; i < 3; i++) {
        if (!param && json_object_get(o, range_keys[i])) {
            strata_jctx_push_key(c, range_keys[i]);
            s = strata_jctx_fail(c, true, "\"%s\" is for a binding to a \"param\"",
                                 range_keys[i]);
            strata_jctx_pop(c);
            return s;
        }
    }
    /* min and max may be reversed (a fader that turns a value down); checked against the
     * parameter's range when applied (dynamic ones are not known yet). */
    b->has_lo = json_object_get(o, "min") != NULL;
    b->has_hi = json_object_get(o, "max") != NULL;
    if ((s = strata_json_get_num(c, o, "min", -1e9, 1e9, &b->lo)) != STRATA_OK ||
        (s = strata_json_get_num(c, o, "max", -1e9, 1e9, &b->hi)) != STRATA_OK ||
        (s = strata_json_get_num(c, o, "step", 1e-6, 1.0, &b->step)) != STRATA_OK)
        return s;
    if (json_object_get(o, "step") && b->mode == STRATA_MIDI_ABSOLUTE) {
        strata_jctx_push_key(c, "step");
        s = strata_jctx_fail(c, true, "\"step\" is for \"relative\" encoders");
        strata_jctx_pop(c);
    }
    return s;
}

static strata_status parse_binding(strata_jctx *c, json_t *o, strata_midi_binding *b)
{
    memset(b, 0, sizeof *b);
    if (!json_is_object(o))
        return strata_jctx_fail(c, false, "a binding is an object {\"cc\": 21, \"param\": "
                                          "\"glitch\"}, not %s",
                                strata_json_type_name(o));
    strata_status s = strata_json_check_keys(c, o, binding_keys, N_BINDING_KEYS, "a binding");
    if (s == STRATA_OK)
        s = parse_source(c, o, b);
    if (s == STRATA_OK)
        s = parse_target(c, o, b);
    if (s == STRATA_OK)
        s = parse_options(c, o, b);
    return s;
}

/* Exported through preset_internal.h: preset.c parses a preset's "midi" with it. */
strata_status strata_midi_map_parse_json(strata_jctx *c, json_t *obj, strata_midi_map *m)
{
    strata_status s = strata_json_check_keys(c, obj, map_keys, 2, "\"midi\"");
    const char *name = NULL;
    if (s == STRATA_OK)
        s = strata_json_get_str(c, obj, "name", &name);
    if (s != STRATA_OK)
        return s;
    if (name)
        snprintf(m->name, sizeof m->name, "%s", name);
    json_t *arr = json_object_get(obj, "bindings");
    if (!arr)
        return STRATA_OK;
    strata_jctx_push_key(c, "bindings");
    if (!json_is_array(arr))
        s = strata_jctx_fail(c, false, "\"bindings\" must be an array, not %s",
                             strata_json_type_name(arr));
    else if (json_array_size(arr) > STRATA_MIDI_MAX_BINDINGS)
        s = strata_jctx_fail(c, false, "\"bindings\" has %zu bindings, at most %d",
                             json_array_size(arr), STRATA_MIDI_MAX_BINDINGS);
    for (size_t i = 0; s == STRATA_OK && i < json_array_size(arr); i++) {
        strata_jctx_push_index(c, (int)i);
        s = parse_binding(c, json_array_get(arr, i), &m->b[m->n]);
        strata_jctx_pop(c);
        if (s == STRATA_OK)
            m->n++;
    }
    strata_jctx_pop(c);
    return s;
}

strata_status strata_midi_map_parse(const char *text, size_t len, const char *path_for_errors,
                                    strata_midi_map *out, strata_result *r)
{
    const char *file = path_for_errors ? path_for_errors : "<midi map>";
    json_t *root = strata_json_parse(text, len, file, r);
    if (!root)
        return STRATA_ERR_FORMAT;
    strata_jctx c = {.text = text, .len = len, .file = file, .r = r};
    strata_midi_map *m = calloc(1, sizeof *m);
    strata_status s = m ? STRATA_OK : strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
    if (s == STRATA_OK && !json_is_object(root))
        s = strata_jctx_fail(&c, false, "a MIDI map is a JSON object {\"bindings\": [...]}, "
                                        "not %s",
                             strata_json_type_name(root));
    if (s == STRATA_OK)
        s = strata_midi_map_parse_json(&c, root, m);
    if (s == STRATA_OK) {
        if (!m->name[0])
            strata_preset_stem(file, m->name, sizeof m->name);
        *out = *m;
    }
    free(m);
    json_decref(root);
    return s;
}

strata_status strata_midi_map_load(const char *path, strata_midi_map *out, strata_result *r)
{
    char *text = NULL;
    size_t len = 0;
    strata_status s = strata_file_read(path, &text, &len, 1 << 20, r);
    if (s != STRATA_OK)
        return s;
    s = strata_midi_map_parse(text, len, path, out, r);
    free(text);
    return s;
}

/* The shortest decimal that reads back as the same float (as the preset writer). */
static void fmt_num(char *buf, size_t n, float v)
{
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
}

void strata_midi_binding_format(const strata_midi_binding *b, char *buf, size_t n)
{
    static const char *const src[] = {"cc", "cc14", "note", "bend"};
    int k;
    if (b->src == STRATA_MIDI_SRC_BEND)
        k = snprintf(buf, n, "{\"bend\": true");
    else
        k = snprintf(buf, n, "{\"%s\": %d", src[b->src & 3], b->number);
    if (k < 0 || (size_t)k >= n)
        return;
    if (b->channel >= 0)
        k += snprintf(buf + k, n - (size_t)k, ", \"channel\": %d", b->channel + 1);
    if ((size_t)k >= n)
        return;
    if (b->action == STRATA_MIDI_ACT_PARAM)
        k += snprintf(buf + k, n - (size_t)k, ", \"param\": \"%s\"", b->param);
    else
        k += snprintf(buf + k, n - (size_t)k, ", \"trigger\": \"%s\"",
                      strata_midi_action_name(b->action));
    if ((size_t)k >= n)
        return;
    if (b->action == STRATA_MIDI_ACT_SCENE || b->action == STRATA_MIDI_ACT_KEY)
        k += snprintf(buf + k, n - (size_t)k, ", \"index\": %d", b->index);
    if (b->mode != STRATA_MIDI_ABSOLUTE && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, ", \"relative\": \"%s\"",
                      b->mode == STRATA_MIDI_REL_TWOS ? "twos" : "offset");
    char num[32];
    if (b->has_lo && (size_t)k < n) {
        fmt_num(num, sizeof num, b->lo);
        k += snprintf(buf + k, n - (size_t)k, ", \"min\": %s", num);
    }
    if (b->has_hi && (size_t)k < n) {
        fmt_num(num, sizeof num, b->hi);
        k += snprintf(buf + k, n - (size_t)k, ", \"max\": %s", num);
    }
    if (b->step > 0 && (size_t)k < n) {
        fmt_num(num, sizeof num, b->step);
        k += snprintf(buf + k, n - (size_t)k, ", \"step\": %s", num);
    }
    if ((size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "}");
}

/* Setlists: scenes in order with dwell and transition times, opening hours. */
#include "preset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const setlist_keys[] = {"name", "loop", "scenes", "hours"};
static const char *const scene_keys[] = {"preset", "dwell", "transition"};
static const char *const hours_keys[] = {"open", "close", "outside", "dim"};

/* "HH:MM" -> minutes after midnight; "24:00" is midnight at the end of the day. */
static bool parse_clock(const char *s, int *out)
{
    int h, m, used = 0;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &used) != 2 || s[used] != 0 || used != 5)
        return false;
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *out = (h * 60 + m) % 1440;
    return true;
}

static strata_status parse_hours(strata_jctx *c, json_t *o, strata_setlist *s)
{
    static const char *const outs[] = {"black", "dim"};
    strata_status st = strata_json_check_keys(c, o, hours_keys, 4, "hours");
    const char *open = NULL, *close = NULL, *outside = NULL;
    if (st == STRATA_OK)
        st = strata_json_get_str(c, o, "open", &open);
    if (st == STRATA_OK)
        st = strata_json_get_str(c, o, "close", &close);
    if (st == STRATA_OK)
        st = strata_json_get_str(c, o, "outside", &outside);
    if (st == STRATA_OK && (!open || !close))
        st = strata_jctx_fail(c, false, "\"hours\" needs \"open\" and \"close\" (\"HH:MM\")");
    const char *keys[2] = {"open", "close"}, *vals[2] = {open, close};
    int *mins[2] = {&s->open_min, &s->close_min};
    for (int i = 0; i < 2 && st == STRATA_OK; i++) {
        if (parse_clock(vals[i], mins[i]))
            continue;
        strata_jctx_push_key(c, keys[i]);
        st = strata_jctx_fail(c, false, "\"%s\" \"%.20s\" must be a time HH:MM, 00:00..24:00",
                              keys[i], vals[i]);
        strata_jctx_pop(c);
    }
    if (st == STRATA_OK && outside) {
        if (strcmp(outside, outs[0]) == 0 || strcmp(outside, outs[1]) == 0) {
            s->outside = strcmp(outside, "dim") == 0 ? STRATA_SETLIST_OUTSIDE_DIM
                                                     : STRATA_SETLIST_OUTSIDE_BLACK;
        } else {
            strata_jctx_push_key(c, "outside");
            st =
                strata_jctx_fail(c, false, "unknown outside \"%.20s\" (one of black|dim)", outside);
            strata_jctx_pop(c);
        }
    }
    if (st == STRATA_OK)
        st = strata_json_get_num(c, o, "dim", 0.0, 1.0, &s->dim);
    s->has_hours = st == STRATA_OK;
    return st;
}

/* Join a preset path onto the setlist's folder (kept relative when the setlist's path
 * is, so messages read the way the user typed them). */
static bool join_path(const char *setlist, const char *rel, char *out, size_t n)
{
    const char *slash = strrchr(setlist, '/');
    int k;
    if (rel[0] == '/' || !slash)
        k = snprintf(out, n, "%s", rel);
    else
        k = snprintf(out, n, "%.*s/%s", (int)(slash - setlist), setlist, rel);
    return k >= 0 && (size_t)k < n;
}

static strata_status load_scene(strata_jctx *c, const char *setlist_path, json_t *v,
                                strata_setlist_entry *e)
{
    const char *rel = NULL;
    strata_status st = STRATA_OK;
    json_t *holder = v;
    if (json_is_string(v)) {
        rel = json_string_value(v);
    } else if (json_is_object(v)) {
        st = strata_json_check_keys(c, v, scene_keys, 3, "scenes");
        if (st == STRATA_OK)
            st = strata_json_get_str(c, v, "preset", &rel);
        if (st == STRATA_OK && !rel)
            st = strata_jctx_fail(c, false, "a scene needs \"preset\": \"FILE.json\"");
    } else {
        st = strata_jctx_fail(c, false,
                              "a scene is \"FILE.json\" or {\"preset\": "
                              "\"FILE.json\", \"dwell\": S, \"transition\": S}, not %s",
                              strata_json_type_name(v));
    }
    if (st != STRATA_OK)
        return st;
    char path[1024];
    bool in_obj = json_is_object(v);
    if (in_obj)
        strata_jctx_push_key(c, "preset");
    if (!join_path(setlist_path, rel, path, sizeof path)) {
        st = strata_jctx_fail(c, false, "preset path too long");
    } else {
        strata_result rr = {0};
        st = strata_preset_load(path, &e->preset, &rr);
        if (st == STRATA_ERR_FORMAT) {
            /* The preset's own position is where the fix goes; say where it was used. */
            *c->r = rr;
            int line, col;
            strata_json_locate(c->text, c->len, c->path, c->depth, false, &line, &col);
            LOG_ERROR("PRESET", "%s (scene of %s:%d:%d)", rr.msg, c->file, line, col);
        } else if (st != STRATA_OK) {
            strata_jctx_fail(c, false, "cannot load preset: %s", rr.msg);
            if (c->r)
                c->r->status = st; /* still an I/O error, now with its position */
        }
    }
    if (in_obj)
        strata_jctx_pop(c);
    if (st != STRATA_OK)
        return st;
    e->dwell_s = e->preset.dwell_s;
    e->transition_s = e->preset.transition_s;
    if (in_obj) {
        st = strata_json_get_num(c, holder, "dwell", 0.1, 86400.0, &e->dwell_s);
        if (st == STRATA_OK)
            st = strata_json_get_num(c, holder, "transition", 0.0, 600.0, &e->transition_s);
    }
    return st;
}

static strata_status parse_setlist(strata_jctx *c, json_t *root, strata_setlist *s)
{
    strata_status st = strata_json_check_keys(c, root, setlist_keys, 4, "");
    const char *name = NULL;
    if (st == STRATA_OK)
        st = strata_json_get_str(c, root, "name", &name);
    if (st == STRATA_OK && name)
        snprintf(s->name, sizeof s->name, "%s", name);
    json_t *loop = json_object_get(root, "loop");
    if (st == STRATA_OK && loop) {
        strata_jctx_push_key(c, "loop");
        if (!json_is_boolean(loop))
            st = strata_jctx_fail(c, false, "\"loop\" must be true or false, not %s",
                                  strata_json_type_name(loop));
        strata_jctx_pop(c);
        s->loop = json_is_true(loop);
    }
    json_t *hours = json_object_get(root, "hours");
    if (st == STRATA_OK && hours) {
        strata_jctx_push_key(c, "hours");
        st = json_is_object(hours)
                 ? parse_hours(c, hours, s)
                 : strata_jctx_fail(c, false, "\"hours\" must be an object, not %s",
                                    strata_json_type_name(hours));
        strata_jctx_pop(c);
    }
    if (st != STRATA_OK)
        return st;
    json_t *scenes = json_object_get(root, "scenes");
    strata_jctx_push_key(c, "scenes");
    size_t n = json_array_size(scenes);
    if (!json_is_array(scenes) || n < 1 || n > 4096)
        st = strata_jctx_fail(c, false, "\"scenes\" must be an array of 1..4096 scenes");
    else if (!(s->entries = calloc(n, sizeof *s->entries)))
        st = strata_fail(c->r, STRATA_ERR_NOMEM, "%s: out of memory", c->file);
    for (size_t i = 0; st == STRATA_OK && i < n; i++) {
        strata_jctx_push_index(c, (int)i);
        st = load_scene(c, s->path, json_array_get(scenes, i), &s->entries[i]);
        strata_jctx_pop(c);
        s->count += st == STRATA_OK;
    }
    strata_jctx_pop(c);
    return st;
}

strata_status strata_setlist_load(const char *path, strata_setlist *out, strata_result *r)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    strata_status st = strata_file_read(path, &text, &len, 1 << 20, r);
    if (st != STRATA_OK)
        return st;
    strata_setlist s = {.loop = true, .dim = 0.15f};
    snprintf(s.path, sizeof s.path, "%s", path);
    strata_preset_stem(path, s.name, sizeof s.name);
    json_t *root = strata_json_parse(text, len, path, r);
    strata_jctx c = {.text = text, .len = len, .file = path, .r = r};
    if (!root) {
        st = STRATA_ERR_FORMAT;
    } else if (!json_is_object(root)) {
        st = strata_jctx_fail(&c, false, "a setlist is a JSON object {...}, not %s",
                              strata_json_type_name(root));
    } else if (json_object_get(root, "scenes")) {
        st = parse_setlist(&c, root, &s);
    } else {
        /* Not a setlist: a single preset plays as a setlist of one. */
        s.entries = calloc(1, sizeof *s.entries);
        st = s.entries ? strata_preset_parse(text, len, path, &s.entries[0].preset, r)
                       : strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
        if (st == STRATA_OK) {
            s.count = 1;
            s.entries[0].dwell_s = s.entries[0].preset.dwell_s;
            s.entries[0].transition_s = s.entries[0].preset.transition_s;
            snprintf(s.name, sizeof s.name, "%s", s.entries[0].preset.name);
        }
    }
    json_decref(root);
    free(text);
    if (st != STRATA_OK) {
        strata_setlist_free(&s);
        return st;
    }
    *out = s;
    return STRATA_OK;
}

void strata_setlist_free(strata_setlist *s)
{
    free(s->entries);
    s->entries = NULL;
    s->count = 0;
}

int strata_setlist_find(const strata_setlist *s, const char *name)
{
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->entries[i].preset.name, name) == 0)
            return i;
    return -1;
}

bool strata_setlist_is_open(const strata_setlist *s, int minute_of_day)
{
    if (!s->has_hours || s->open_min == s->close_min)
        return true;
    int m = ((minute_of_day % 1440) + 1440) % 1440;
    if (s->open_min < s->close_min)
        return m >= s->open_min && m < s->close_min;
    return m >= s->open_min || m < s->close_min; /* overnight: open across midnight */
}

/* The app's ISF chain: --isf files and an --isf-dir folder, each switched by its
 * "isf/<stem>/enabled" parameter; the first enabled generator makes the picture, the
 * enabled filters follow in order. */
#include "isf_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank.h"

typedef struct entry {
    strata_isf *s; /* NULL in a headers-only chain */
    char stem[40];
    char path[1024];
    bool filter;
    int param[STRATA_ISF_MAX_INPUTS][4]; /* headers-only: the INPUTS' parameters */
    int enabled;                         /* registry id of isf/<stem>/enabled, -1 when refused */
    bool on;                             /* its value without the registry */
    bool scene;  /* a preset's "isf": runs inside the draw of the scenes naming it */
    bool global; /* --isf or --isf-dir: runs in strata_isf_chain_run, after the scenes */
} entry;

struct strata_isf_chain {
    entry e[STRATA_ISF_CHAIN_MAX];
    int n;
    int w, h;
    bool watch;
    bool headers_only;
};

static void stem_from_path(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t k = 0;
    for (; base[k] && base[k] != '.' && k + 1 < n && k < 24; k++) {
        char c = (char)tolower((unsigned char)base[k]);
        out[k] = isalnum((unsigned char)c) ? c : '_';
    }
    out[k] = 0;
}

/* A stem no other entry has: "x", then "x_2", "x_3", ... */
static void unique_stem(const strata_isf_chain *c, const char *path, char *out, size_t n)
{
    char base[32];
    stem_from_path(path, base, sizeof base);
    if (!base[0])
        snprintf(base, sizeof base, "isf");
    snprintf(out, n, "%s", base);
    for (int k = 2;; k++) {
        bool taken = false;
        for (int i = 0; i < c->n && !taken; i++)
            taken = !strcmp(c->e[i].stem, out);
        if (!taken)
            return;
        snprintf(out, n, "%.24s_%d", base, k);
    }
}

static bool add(strata_isf_chain *c, const char *path, bool on, bool global, strata_result *r)
{
    if (c->n >= STRATA_ISF_CHAIN_MAX) {
        strata_fail(r, STRATA_ERR_ARG, "%s: more than %d ISF shaders", path, STRATA_ISF_CHAIN_MAX);
        return false;
    }
    char stem[40];
    unique_stem(c, path, stem, sizeof stem);
    entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    memset(e->param, -1, sizeof e->param);
    if (c->headers_only) {
        /* --list-params: the parameters from the header alone, no GL. */
        strata_isf_desc *d = calloc(1, sizeof *d);
        bool ok = d && strata_isf_parse_file(path, d, r) == STRATA_OK;
        if (ok) {
            strata_isf_register_inputs(d, stem, path, c->w, c->h, e->param);
            e->filter = d->filter;
        }
        free(d);
        if (!ok)
            return false;
    } else {
        strata_isf_opts o = {.width = c->w,
                             .height = c->h,
                             .register_params = true,
                             .watch = c->watch,
                             .name = stem};
        if (!(e->s = strata_isf_load(path, &o, r)))
            return false;
        e->filter = strata_isf_describe(e->s)->filter;
    }
    c->n++;
    snprintf(e->stem, sizeof e->stem, "%s", stem);
    snprintf(e->path, sizeof e->path, "%s", path);
    e->on = on;
    e->global = global;
    strata_param_info pi = {.min = 0, .max = 1, .def = on ? 1.0f : 0.0f, .kind = STRATA_PARAM_BOOL};
    snprintf(pi.name, sizeof pi.name, "isf/%s/enabled", stem);
    snprintf(pi.desc, sizeof pi.desc, "run the ISF %s %s%s", e->filter ? "filter" : "generator",
             stem, global ? "" : " in the scenes naming it");
    snprintf(pi.owner, sizeof pi.owner, "isf:%s", stem);
    strata_result pr = {0};
    e->enabled = strata_param_register(&pi, &pr);
    if (e->enabled < 0)
        LOG_WARN("ISF", "%s: no enabled switch (%s); it stays %s", path, pr.msg, on ? "on" : "off");
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strata_bank_natural_cmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.fs of dir in name order; broken ones are logged and skipped. */
static bool add_dir(strata_isf_chain *c, const char *dir, strata_result *r)
{
    DIR *d = opendir(dir);
    if (!d) {
        strata_fail(r, STRATA_ERR_IO, "--isf-dir %s: not a readable folder", dir);
        return false;
    }
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] != '.' && len > 3 && !strcmp(de->d_name + len - 3, ".fs"))
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    int loaded = 0;
    for (int i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
        strata_result er = {0};
        if (!names[i] || c->n >= STRATA_ISF_CHAIN_MAX)
            LOG_WARN("ISF", "%s: skipped (at most %d ISF shaders)", path, STRATA_ISF_CHAIN_MAX);
        else if (!add(c, path, false, true, &er))
            LOG_ERROR("ISF", "skipped: %s", er.msg);
        else
            loaded++;
        free(names[i]);
    }
    LOG_INFO("ISF",
             "--isf-dir %s: %d of %d shaders loaded, each off until "
             "isf/<name>/enabled is set",
             dir, loaded, n);
    return true;
}

strata_isf_chain *strata_isf_chain_create(const strata_isf_chain_desc *d, strata_result *r)
{
    strata_isf_chain *c = calloc(1, sizeof *c);
    if (!c) {
        strata_fail(r, STRATA_ERR_NOMEM, "ISF chain: out of memory");
        return NULL;
    }
    c->w = d->width > 0 ? d->width : 1280;
    c->h = d->height > 0 ? d->height : 720;
    c->watch = d->watch && !d->headers_only;
    c->headers_only = d->headers_only;
    bool ok = true;
    for (int i = 0; ok && i < d->nfiles; i++)
        ok = add(c, d->files[i], true, true, r);
    if (ok && d->dir)
        ok = add_dir(c, d->dir, r);
    if (!ok) {
        strata_isf_chain_destroy(c);
        return NULL;
    }
    return c;
}

void strata_isf_chain_destroy(strata_isf_chain *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        strata_param_unregister(c->e[i].enabled);
        for (int k = 0; k < STRATA_ISF_MAX_INPUTS; k++)
            for (int m = 0; m < 4; m++)
                strata_param_unregister(c->e[i].param[k][m]);
        strata_isf_destroy(c->e[i].s);
    }
    free(c);
}

/* From the running program: a hot reload may turn a generator into a filter. */
static bool is_filter(const entry *e)
{
    return e->s ? strata_isf_describe(e->s)->filter : e->filter;
}

static bool enabled(const entry *e, const strata_isf_frame *f)
{
    return e->enabled >= 0 && f->values ? f->values[e->enabled] > 0.5f : e->on;
}

/* Apply a reload, carrying the inputs' values (by name, type and component) over to the
 * parameters the reload registers: a VJ saving an edit keeps the look they dialled in. */
static void poll_keeping_values(strata_isf *s, const strata_isf_frame *f)
{
    if (!f->params || !f->values) {
        strata_isf_poll(s);
        return;
    }
    const strata_isf_desc *d = strata_isf_describe(s);
    int n = d->ninputs;
    struct {
        char name[STRATA_ISF_NAME_MAX];
        strata_isf_type type;
        float v[4];
        bool have[4];
    } old[STRATA_ISF_MAX_INPUTS];
    for (int i = 0; i < n; i++) {
        snprintf(old[i].name, sizeof old[i].name, "%s", d->inputs[i].name);
        old[i].type = d->inputs[i].type;
        for (int k = 0; k < 4; k++) {
            int id = strata_isf_param(s, i, k);
            old[i].have[k] = id >= 0;
            old[i].v[k] = id >= 0 ? f->values[id] : 0.0f;
        }
    }
    if (strata_isf_poll(s) != 1)
        return;
    for (int i = 0; i < n; i++) {
        int j = strata_isf_find_input(d, old[i].name);
        if (j < 0 || d->inputs[j].type != old[i].type || old[i].type == STRATA_ISF_EVENT)
            continue;
        for (int k = 0; k < 4; k++) {
            int id = strata_isf_param(s, j, k);
            if (id >= 0 && old[i].have[k])
                strata_params_set(f->params, id, old[i].v[k], true);
        }
        strata_isf_hold(s, j, old[i].v); /* this frame too, not the DEFAULT */
    }
}

const strata_target *strata_isf_chain_run(strata_isf_chain *c, const strata_target *src,
                                          const strata_isf_frame *f)
{
    if (!c)
        return src;
    strata_isf_frame fr = *f;
    for (int i = 0; i < c->n; i++)
        if (c->e[i].s)
            poll_keeping_values(c->e[i].s, f);
    /* The first enabled generator makes the picture, wherever it is in the order. */
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (!e->s || !e->global || is_filter(e) || !enabled(e, f))
            continue;
        fr.image = src->tex;
        const strata_target *out = strata_isf_run(e->s, &fr);
        if (out) {
            src = out;
            break;
        }
    }
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (!e->s || !e->global || !is_filter(e) || !enabled(e, f))
            continue;
        fr.image = src->tex;
        const strata_target *out = strata_isf_run(e->s, &fr);
        src = out ? out : src;
    }
    return src;
}

static entry *find_path(const strata_isf_chain *c, const char *path)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].path, path))
            return (entry *)&c->e[i];
    return NULL;
}

bool strata_isf_chain_is_generator_scene(const strata_isf_chain *c, const char (*paths)[512], int n)
{
    for (int k = 0; c && k < n; k++) {
        const entry *e = find_path(c, paths[k]);
        if (e && !is_filter(e))
            return true;
    }
    return false;
}

const strata_target *strata_isf_chain_run_scene(strata_isf_chain *c, const char (*paths)[512],
                                                int n, const strata_target *src,
                                                const strata_isf_frame *f)
{
    if (!c)
        return src;
    strata_isf_frame fr = *f;
    /* The preset's order: the first enabled generator makes the picture, then the
     * filters; a shader named twice runs once. */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < n; k++) {
            entry *e = find_path(c, paths[k]);
            bool dup = false;
            for (int j = 0; j < k && !dup; j++)
                dup = !strcmp(paths[j], paths[k]);
            if (!e || !e->s || dup || is_filter(e) != (pass == 1) || !enabled(e, f))
                continue;
            if (pass == 0 && src)
                continue; /* a picture is there already: one generator */
            fr.image = src ? src->tex : 0;
            fr.dst = pass == 0 ? f->dst : NULL; /* a filter reads the picture: its own target */
            const strata_target *out = strata_isf_run(e->s, &fr);
            src = out ? out : src;
        }
    return src;
}

void strata_isf_chain_resize(strata_isf_chain *c, int width, int height)
{
    if (!c || (c->w == width && c->h == height))
        return;
    c->w = width;
    c->h = height;
    for (int i = 0; i < c->n; i++)
        if (c->e[i].s)
            strata_isf_resize(c->e[i].s, width, height);
}

bool strata_isf_chain_add_scene(strata_isf_chain *c, const char *path, strata_result *r)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].path, path)) {
            c->e[i].scene = true;
            return true;
        }
    if (!add(c, path, true, false, r))
        return false;
    c->e[c->n - 1].scene = true;
    return true;
}

void strata_isf_chain_scene(strata_isf_chain *c, const char (*paths)[512], int n, strata_params *p)
{
    (void)p; /* the scenes draw their shaders themselves (strata_isf_chain_run_scene) */
    if (!c)
        return;
    for (int k = 0; k < n; k++) {
        bool found = false;
        for (int i = 0; i < c->n && !found; i++)
            found = c->e[i].scene && !strcmp(paths[k], c->e[i].path);
        if (!found)
            LOG_WARN("ISF", "%s: not loaded (a preset's shaders load at start)", paths[k]);
    }
}

int strata_isf_chain_status(const strata_isf_chain *c, const float *values, char *buf, size_t n)
{
    if (!c || n == 0)
        return 0;
    strata_isf_frame f = {.values = values};
    int k = snprintf(buf, n, "ISF:");
    int shown = 0;
    const char *err = NULL;
    for (int i = 0; i < c->n && k > 0 && (size_t)k < n; i++) {
        const entry *e = &c->e[i];
        if (e->s && strata_isf_error(e->s)[0] && !err)
            err = strata_isf_error(e->s);
        if (shown < 6)
            k += snprintf(buf + k, n - (size_t)k, "%s %s%s %s", shown ? "," : "", e->stem,
                          is_filter(e) ? "" : " (gen)", enabled(e, &f) ? "on" : "off");
        shown++;
    }
    if (shown > 6 && k > 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, " (+%d more)", shown - 6);
    if (err && k > 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "\n%.200s", err);
    return k < 0 ? 0 : (size_t)k < n ? k : (int)n - 1;
}

int strata_isf_chain_count(const strata_isf_chain *c)
{
    return c ? c->n : 0;
}

strata_isf *strata_isf_chain_get(const strata_isf_chain *c, int i)
{
    return c && i >= 0 && i < c->n ? c->e[i].s : NULL;
}

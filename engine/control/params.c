/* The parameter registry and the per-frame smoothing. */
#include "control.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const strata_param_def strata_param_defs[STRATA_PARAM_COUNT] = {
#define X(name, lo, hi, d, smooth, unit, key, desc) {#name, lo, hi, d, smooth, unit, key, desc},
#include "control/params.def"
#undef X
};

/* ---- dynamic parameters ------------------------------------------------
 * One table, written by one thread (the render thread) under a sequence lock: the writer
 * makes dyn_seq odd, writes, makes it even; a reader on another thread copies what it
 * needs between two loads of dyn_seq and tries again when they differ or are odd. */

typedef struct dyn_slot {
    strata_param_info info;
    strata_param_def def; /* name, unit and desc point into info */
    bool live;
    uint32_t born;     /* the registration that made it (never 0 while live) */
    uint64_t freed_at; /* the unregistration count when it was freed: oldest reused first */
} dyn_slot;

static dyn_slot dyn[STRATA_PARAM_DYN_MAX];
static _Atomic uint32_t dyn_seq;
static _Atomic uint32_t dyn_gen;
static uint32_t dyn_born;   /* writer only */
static uint64_t dyn_frees;  /* writer only */

/* The first segments strata's own OSC addresses use: a dynamic name may not start with
 * one, or /strata/<name> would shadow a command (parameters are matched first). */
static const char *const reserved[] = {"scene", "key",   "tempo", "link",  "get",
                                       "subscribe", "unsubscribe", "screenshot", "ping",
                                       "state", "error", "midi",  "audio", "oscquery"};

static void write_begin(void)
{
    uint32_t s = atomic_load_explicit(&dyn_seq, memory_order_relaxed);
    atomic_store_explicit(&dyn_seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void write_end(void)
{
    uint32_t s = atomic_load_explicit(&dyn_seq, memory_order_relaxed);
    atomic_store_explicit(&dyn_seq, s + 1, memory_order_release);
    atomic_fetch_add_explicit(&dyn_gen, 1, memory_order_release);
}

static int find_fixed(const char *name)
{
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        if (strcmp(strata_param_defs[i].name, name) == 0)
            return i;
    return -1;
}

/* Readers on any thread: fn runs on a consistent table, again when a write raced it.
 * After 1000 raced tries (a writer registering in a loop) it gives up with -1. */
static int dyn_find(const char *name)
{
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t s1 = atomic_load_explicit(&dyn_seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        int hit = -1;
        for (int i = 0; i < STRATA_PARAM_DYN_MAX && hit < 0; i++)
            if (dyn[i].live && strncmp(dyn[i].info.name, name, STRATA_PARAM_NAME_MAX) == 0)
                hit = STRATA_PARAM_COUNT + i;
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&dyn_seq, memory_order_relaxed) == s1)
            return hit;
    }
    return -1;
}

int strata_param_find(const char *name)
{
    int id = find_fixed(name);
    return id >= 0 ? id : dyn_find(name);
}

static bool name_ok(const char *n, const char **why)
{
    size_t len = strnlen(n, STRATA_PARAM_NAME_MAX);
    if (len == 0 || len >= STRATA_PARAM_NAME_MAX) {
        *why = "must be 1..63 characters";
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        bool seg = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (c == '/' && i > 0 && i + 1 < len && n[i + 1] != '/')
            continue;
        if (!seg) {
            *why = "may hold only a-z 0-9 _ in segments joined by one '/'";
            return false;
        }
    }
    size_t first = strcspn(n, "/");
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (first == strlen(reserved[i]) && strncmp(n, reserved[i], first) == 0) {
            *why = "starts with a name strata's own OSC addresses use";
            return false;
        }
    }
    return true;
}

int strata_param_register(const strata_param_info *in, strata_result *r)
{
    const char *why = NULL;
    char name[STRATA_PARAM_NAME_MAX];
    snprintf(name, sizeof name, "%s", in->name);
    if (!name_ok(in->name, &why)) {
        strata_fail(r, STRATA_ERR_ARG, "parameter '%s': name %s", name, why);
        return -1;
    }
    if (!isfinite(in->min) || !isfinite(in->max) || !(in->min < in->max) || !isfinite(in->def) ||
        in->def < in->min || in->def > in->max || !(in->smooth_s >= 0.0f)) {
        strata_fail(r, STRATA_ERR_ARG,
                    "parameter '%s': needs min < max and min <= default <= max, got %g..%g "
                    "default %g",
                    name, (double)in->min, (double)in->max, (double)in->def);
        return -1;
    }
    if (strata_param_find(name) >= 0) {
        strata_fail(r, STRATA_ERR_ARG, "parameter '%s' exists already", name);
        return -1;
    }
    int best = -1;
    for (int i = 0; i < STRATA_PARAM_DYN_MAX; i++)
        if (!dyn[i].live && (best < 0 || dyn[i].freed_at < dyn[best].freed_at))
            best = i;
    if (best < 0) {
        strata_fail(r, STRATA_ERR_ARG, "parameter '%s': all %d dynamic parameters are in use",
                    name, STRATA_PARAM_DYN_MAX);
        return -1;
    }
    write_begin();
    dyn_slot *d = &dyn[best];
    d->info = *in;
    d->info.name[sizeof d->info.name - 1] = 0;
    d->info.unit[sizeof d->info.unit - 1] = 0;
    d->info.desc[sizeof d->info.desc - 1] = 0;
    d->info.owner[sizeof d->info.owner - 1] = 0;
    d->def = (strata_param_def){d->info.name, in->min,     in->max,    in->def,
                                in->smooth_s, d->info.unit, 0,         d->info.desc};
    d->live = true;
    d->born = ++dyn_born ? dyn_born : ++dyn_born;
    write_end();
    return STRATA_PARAM_COUNT + best;
}

void strata_param_unregister(int id)
{
    int i = id - STRATA_PARAM_COUNT;
    if (i < 0 || i >= STRATA_PARAM_DYN_MAX || !dyn[i].live)
        return;
    write_begin();
    dyn[i].live = false;
    dyn[i].born = 0;
    dyn[i].freed_at = ++dyn_frees;
    write_end();
}

bool strata_param_live(int id)
{
    strata_param_info tmp;
    return id >= 0 && id < STRATA_PARAM_COUNT ? true : strata_param_get(id, &tmp);
}

bool strata_param_get(int id, strata_param_info *out)
{
    if (id >= 0 && id < STRATA_PARAM_COUNT) {
        const strata_param_def *d = &strata_param_defs[id];
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", d->name);
        snprintf(out->unit, sizeof out->unit, "%s", d->unit);
        snprintf(out->desc, sizeof out->desc, "%s", d->desc);
        out->min = d->min;
        out->max = d->max;
        out->def = d->def;
        out->smooth_s = d->smooth_s;
        out->kind = STRATA_PARAM_FLOAT;
        return true;
    }
    int i = id - STRATA_PARAM_COUNT;
    if (i < 0 || i >= STRATA_PARAM_DYN_MAX)
        return false;
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t s1 = atomic_load_explicit(&dyn_seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        bool live = dyn[i].live;
        if (live)
            memcpy(out, &dyn[i].info, sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&dyn_seq, memory_order_relaxed) == s1) {
            out->name[sizeof out->name - 1] = 0;
            return live;
        }
    }
    return false;
}

uint32_t strata_param_generation(void)
{
    return atomic_load_explicit(&dyn_gen, memory_order_acquire);
}

const strata_param_def *strata_param_def_of(int id)
{
    if (id >= 0 && id < STRATA_PARAM_COUNT)
        return &strata_param_defs[id];
    int i = id - STRATA_PARAM_COUNT;
    return i >= 0 && i < STRATA_PARAM_DYN_MAX && dyn[i].live ? &dyn[i].def : NULL;
}

/* The kind of a live id, read on the owner's thread (render). */
static strata_param_kind kind_of(int id)
{
    int i = id - STRATA_PARAM_COUNT;
    return i >= 0 && i < STRATA_PARAM_DYN_MAX ? dyn[i].info.kind : STRATA_PARAM_FLOAT;
}

/* A dynamic slot of p that holds another registration (or none) starts at the default. */
static const strata_param_def *sync_one(strata_params *p, int id)
{
    const strata_param_def *d = strata_param_def_of(id);
    if (id < STRATA_PARAM_COUNT)
        return d;
    uint32_t born = d ? dyn[id - STRATA_PARAM_COUNT].born : 0;
    if (p->born[id] != born) {
        p->born[id] = born;
        p->base[id] = p->smoothed[id] = p->value[id] = d ? d->def : 0.0f;
        p->mod[id] = 0.0f;
    }
    return d;
}

void strata_params_init(strata_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        p->base[i] = p->smoothed[i] = p->value[i] = strata_param_defs[i].def;
    for (int i = STRATA_PARAM_COUNT; i < STRATA_PARAM_MAX; i++)
        sync_one(p, i);
}

void strata_params_set(strata_params *p, int id, float v, bool snap)
{
    if (id < 0 || id >= STRATA_PARAM_MAX || !isfinite(v))
        return;
    const strata_param_def *d = sync_one(p, id);
    if (!d)
        return;
    p->base[id] = strata_clampf(v, d->min, d->max);
    if (snap || d->smooth_s <= 0.0f)
        p->smoothed[id] = p->base[id];
}

bool strata_params_set_arg(strata_params *p, const char *arg, strata_result *r)
{
    const char *eq = strchr(arg, '=');
    char name[64];
    if (!eq || (size_t)(eq - arg) >= sizeof name) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: expected NAME=VALUE", arg);
        return false;
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    int id = strata_param_find(name);
    if (id < 0) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: unknown parameter '%s' (see --list-params)", arg,
                    name);
        return false;
    }
    char *end;
    float v = strtof(eq + 1, &end);
    if (end == eq + 1 || *end || !isfinite(v)) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: '%s' is not a number", arg, eq + 1);
        return false;
    }
    strata_params_set(p, id, v, true);
    return true;
}

void strata_params_update(strata_params *p, float dt)
{
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        const strata_param_def *d = sync_one(p, i);
        if (!d)
            continue;
        strata_param_kind kind = kind_of(i);
        if (d->smooth_s > 0.0f && dt > 0.0f && kind == STRATA_PARAM_FLOAT) {
            float k = 1.0f - expf(-dt / d->smooth_s);
            p->smoothed[i] += (p->base[i] - p->smoothed[i]) * k;
            if (fabsf(p->base[i] - p->smoothed[i]) < 1e-6f * (d->max - d->min))
                p->smoothed[i] = p->base[i];
        } else {
            p->smoothed[i] = p->base[i];
        }
        float v = strata_clampf(p->smoothed[i] + p->mod[i] * (d->max - d->min), d->min, d->max);
        if (kind == STRATA_PARAM_INT)
            v = strata_clampf(roundf(v), d->min, d->max);
        else if (kind == STRATA_PARAM_BOOL)
            v = v >= 0.5f * (d->min + d->max) ? d->max : d->min;
        else if (kind == STRATA_PARAM_EVENT)
            p->base[i] = p->smoothed[i] = d->min; /* one frame, then off */
        p->value[i] = v;
    }
}

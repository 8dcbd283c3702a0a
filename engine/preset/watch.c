/* Preset hot reload: a watcher thread parses, the render thread takes the result from a
 * one-slot mailbox per file with one atomic exchange (the scheme of render/shaders.c). */
#include "preset_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WATCH_PERIOD_S 0.25
#define WATCH_STEP_S 0.05 /* stop is seen within one step */

typedef struct stamp {
    bool ok;
    int64_t mtime_ns;
    int64_t size;
    uint64_t ino;
} stamp;

struct strata_preset_watch {
    int n;
    char **paths;
    /* --- watcher thread only */
    stamp *stamps;
    /* --- shared */
    _Atomic(strata_preset *) *slots; /* watcher stores, consumer takes (exchange) */
    atomic_bool running;
    STRATA_ATOMIC(uint64_t) errors;
    pthread_t thread;
    /* --- consumer only */
    int next; /* where the next poll starts, so one busy file cannot starve the others */
};

static stamp stamp_of(const char *path)
{
    struct stat st;
    stamp s = {0};
    if (stat(path, &st) != 0)
        return s;
    s.ok = true;
    s.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    s.size = (int64_t)st.st_size;
    s.ino = (uint64_t)st.st_ino;
    return s;
}

static bool stamp_eq(stamp a, stamp b)
{
    return a.ok == b.ok && a.mtime_ns == b.mtime_ns && a.size == b.size && a.ino == b.ino;
}

static void reload(strata_preset_watch *w, int i)
{
    strata_preset *p = malloc(sizeof *p);
    if (!p)
        return;
    strata_result r = {0};
    if (strata_preset_load(w->paths[i], p, &r) != STRATA_OK) {
        /* Once per edit: the stamp is remembered, so the same broken file is not
         * reported again until it changes. */
        atomic_fetch_add(&w->errors, 1);
        LOG_ERROR("PRESET", "%s (not reloaded, the running scene stays)", r.msg);
        free(p);
        return;
    }
    LOG_INFO("PRESET", "%s: reloaded", w->paths[i]);
    free(atomic_exchange(&w->slots[i], p)); /* an unclaimed older result is stale */
}

static void *watch_main(void *arg)
{
    strata_preset_watch *w = arg;
    double slept = 0.0;
    while (atomic_load(&w->running)) {
        strata_sleep_s(WATCH_STEP_S);
        slept += WATCH_STEP_S;
        if (slept < WATCH_PERIOD_S - 1e-6)
            continue;
        slept = 0.0;
        for (int i = 0; i < w->n && atomic_load(&w->running); i++) {
            stamp now = stamp_of(w->paths[i]);
            if (!now.ok || stamp_eq(now, w->stamps[i]))
                continue; /* missing (mid-save by rename) or unchanged */
            /* An editor that truncates and writes in place: wait until it settles. */
            strata_sleep_s(WATCH_STEP_S);
            if (!stamp_eq(now, stamp_of(w->paths[i])))
                continue; /* still changing: next round */
            w->stamps[i] = now;
            reload(w, i);
        }
    }
    return NULL;
}

static void watch_free(strata_preset_watch *w)
{
    for (int i = 0; i < w->n; i++) {
        if (w->paths)
            free(w->paths[i]);
        if (w->slots)
            free(atomic_load(&w->slots[i]));
    }
    free(w->paths);
    free(w->stamps);
    free(w->slots);
    free(w);
}

strata_preset_watch *strata_preset_watch_start(const char *const *paths, int n)
{
    strata_preset_watch *w = calloc(1, sizeof *w);
    if (!w || n < 0)
        return free(w), NULL;
    w->n = n;
    w->paths = calloc((size_t)n + 1, sizeof *w->paths);
    w->stamps = calloc((size_t)n + 1, sizeof *w->stamps);
    w->slots = calloc((size_t)n + 1, sizeof *w->slots);
    bool ok = w->paths && w->stamps && w->slots;
    for (int i = 0; ok && i < n; i++)
        atomic_init(&w->slots[i], NULL);
    for (int i = 0; ok && i < n; i++) {
        ok = (w->paths[i] = strdup(paths[i])) != NULL;
        /* The caller has loaded the files already: only later changes are news. Stamped
         * here, not on the thread, so a write right after start is not missed. */
        w->stamps[i] = stamp_of(paths[i]);
    }
    atomic_init(&w->running, true);
    atomic_init(&w->errors, 0);
    if (!ok || pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        LOG_ERROR("PRESET", "cannot start the preset watcher");
        watch_free(w);
        return NULL;
    }
    return w;
}

bool strata_preset_watch_poll(strata_preset_watch *w, int *index, strata_preset *out)
{
    if (!w)
        return false;
    for (int k = 0; k < w->n; k++) {
        int i = (w->next + k) % w->n;
        strata_preset *p = atomic_exchange(&w->slots[i], NULL);
        if (!p)
            continue;
        *out = *p;
        *index = i;
        free(p);
        w->next = (i + 1) % w->n;
        return true;
    }
    return false;
}

uint64_t strata_preset_watch_errors(const strata_preset_watch *w)
{
    return w ? atomic_load(&((strata_preset_watch *)w)->errors) : 0;
}

void strata_preset_watch_stop(strata_preset_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->running, false);
    pthread_join(w->thread, NULL);
    watch_free(w);
}

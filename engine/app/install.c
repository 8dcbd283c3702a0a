/* The installation loop's guards: a watchdog that ends a stalled process (systemd brings
 * it back), and the state file that lets it come back where it was. */
#include "app.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- watchdog ------------------------------------------------------------ */

static struct {
    pthread_t thread;
    _Atomic uint64_t beat_ns; /* last heartbeat from the frame loop */
    _Atomic bool run;
    double limit_s;
    bool started;
} W;

static void *watchdog_main(void *arg)
{
    (void)arg;
    while (atomic_load(&W.run)) {
        strata_sleep_s(0.1);
        uint64_t last = atomic_load(&W.beat_ns);
        double stalled = (double)(strata_time_ns() - last) * 1e-9;
        if (last && stalled > W.limit_s) {
            /* The frame loop is stuck (a driver hang, a deadlock): a frozen frame is the
             * one thing a show must not show. Exit hard and let the service restart us. */
            char msg[160];
            int n = snprintf(msg, sizeof msg,
                             "WATCHDOG: frame loop stalled for %.1f s, exiting (code %d)\n",
                             stalled, STRATA_EXIT_WATCHDOG);
            if (write(2, msg, (size_t)n) < 0) {
            }
            LOG_ERROR("WATCHDOG", "frame loop stalled for %.1f s, exiting", stalled);
            _exit(STRATA_EXIT_WATCHDOG);
        }
    }
    return NULL;
}

void strata_watchdog_start(double limit_s)
{
    if (W.started)
        return;
    W.limit_s = limit_s;
    atomic_store(&W.beat_ns, strata_time_ns());
    atomic_store(&W.run, true);
    W.started = pthread_create(&W.thread, NULL, watchdog_main, NULL) == 0;
}

void strata_watchdog_beat(void)
{
    atomic_store_explicit(&W.beat_ns, strata_time_ns(), memory_order_relaxed);
}

void strata_watchdog_stop(void)
{
    if (!W.started)
        return;
    atomic_store(&W.run, false);
    pthread_join(W.thread, NULL);
    W.started = false;
}

/* ---- state file ---------------------------------------------------------- */

/* The render thread formats the state; a thread of its own writes it (atomically), so the
 * frame never waits on the disk. One slot: a newer state replaces an unwritten one. */
static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char path[1024];
    char pending[2048]; /* --- protected by lock */
    bool has_pending;   /* --- protected by lock */
    bool quit;          /* --- protected by lock */
    bool started;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *state_main(void *arg)
{
    (void)arg;
    char buf[2048];
    pthread_mutex_lock(&S.lock);
    for (;;) {
        while (!S.has_pending && !S.quit)
            pthread_cond_wait(&S.cond, &S.lock);
        if (!S.has_pending && S.quit)
            break;
        memcpy(buf, S.pending, sizeof buf);
        S.has_pending = false;
        pthread_mutex_unlock(&S.lock);
        strata_result r = {0};
        if (strata_file_write_atomic(S.path, buf, strlen(buf), &r) != STRATA_OK)
            LOG_WARN("INSTALL", "state not saved: %s", r.msg);
        pthread_mutex_lock(&S.lock);
    }
    pthread_mutex_unlock(&S.lock);
    return NULL;
}

bool strata_state_start(const char *path)
{
    snprintf(S.path, sizeof S.path, "%s", path);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        strata_result r = {0};
        if (strata_file_mkdirs(dir, &r) != STRATA_OK) {
            LOG_WARN("INSTALL", "state folder: %s", r.msg);
            return false;
        }
    }
    S.quit = false;
    S.started = pthread_create(&S.thread, NULL, state_main, NULL) == 0;
    return S.started;
}

void strata_state_save(const strata_state *st)
{
    if (!S.started)
        return;
    pthread_mutex_lock(&S.lock);
    snprintf(S.pending, sizeof S.pending,
             "{\"version\":1,\"setlist\":\"%s\",\"scene\":%d,\"scene_name\":\"%s\","
             "\"keyframe\":%d,\"time\":%.3f}\n",
             st->setlist, st->scene, st->scene_name, st->keyframe, st->time);
    S.has_pending = true;
    pthread_cond_signal(&S.cond);
    pthread_mutex_unlock(&S.lock);
}

void strata_state_stop(void)
{
    if (!S.started)
        return;
    pthread_mutex_lock(&S.lock);
    S.quit = true;
    pthread_cond_signal(&S.cond);
    pthread_mutex_unlock(&S.lock);
    pthread_join(S.thread, NULL);
    S.started = false;
}

/* Read a value after "key": in the small flat JSON we write ourselves. */
static const char *find_value(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    return p ? p + strlen(pat) : NULL;
}

bool strata_state_load(const char *path, strata_state *st)
{
    memset(st, 0, sizeof *st);
    st->scene = st->keyframe = -1;
    char *text;
    size_t len;
    if (strata_file_read(path, &text, &len, 65536, NULL) != STRATA_OK)
        return false;
    const char *v;
    bool ok = true;
    if ((v = find_value(text, "scene")))
        st->scene = atoi(v);
    else
        ok = false;
    if ((v = find_value(text, "keyframe")))
        st->keyframe = atoi(v);
    if ((v = find_value(text, "time")))
        st->time = atof(v);
    const char *keys[2] = {"setlist", "scene_name"};
    char *dst[2] = {st->setlist, st->scene_name};
    size_t cap[2] = {sizeof st->setlist, sizeof st->scene_name};
    for (int k = 0; k < 2; k++) {
        if (!(v = find_value(text, keys[k])) || *v != '"')
            continue;
        const char *end = strchr(v + 1, '"');
        if (end)
            snprintf(dst[k], cap[k], "%.*s", (int)(end - v - 1), v + 1);
    }
    free(text);
    return ok;
}

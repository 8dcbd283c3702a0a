/* The installation loop's guards: a watchdog that ends a stalled process (systemd brings
 * it back), and the state file that lets it come back where it was. */
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- watchdog ------------------------------------------------------------ */

static struct {
    pthread_t thread;
    _Atomic uint64_t beat_ns; /* last heartbeat from the frame loop */
    _Atomic bool run;
    double limit_s;
    bool started;
} W;

/* Nothing here may wait: not the logger's lock (a logger stalled on a full or hung disk
 * is one way the frame loop stalls), not a full pipe on fd 2 (made non-blocking, which
 * nobody will notice: the process ends on the next line). */
static _Noreturn void watchdog_exit(double stalled)
{
    char msg[160];
    int n =
        snprintf(msg, sizeof msg, "WATCHDOG: frame loop stalled for %.1f s, exiting (code %d)\n",
                 stalled, STRATA_EXIT_WATCHDOG);
    int fl = fcntl(2, F_GETFL);
    if (fl >= 0)
        fcntl(2, F_SETFL, fl | O_NONBLOCK);
    if (n > 0 && write(2, msg, (size_t)n) < 0) {
        /* nowhere left to say it: the exit code says it */
    }
    _exit(STRATA_EXIT_WATCHDOG);
}

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
            watchdog_exit(stalled);
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

/* The render thread formats the state (jansson: a setlist path or scene name with a quote
 * or a backslash stays valid JSON); a thread of its own writes it atomically, so the frame
 * never waits on the disk. One slot: a newer state replaces an unwritten one. */
static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char path[1024];
    char *pending; /* --- protected by lock; malloc'd JSON text */
    bool quit;     /* --- protected by lock */
    bool started;
    char last_error[256]; /* --- writer thread: said once, until it changes */
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *state_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&S.lock);
    for (;;) {
        while (!S.pending && !S.quit)
            pthread_cond_wait(&S.cond, &S.lock);
        if (!S.pending && S.quit)
            break;
        char *text = S.pending;
        S.pending = NULL;
        pthread_mutex_unlock(&S.lock);
        strata_result r = {0};
        if (strata_file_write_atomic(S.path, text, strlen(text), &r) != STRATA_OK) {
            if (strcmp(r.msg, S.last_error) != 0)
                LOG_WARN("STATE", "state not saved: %s", r.msg);
            snprintf(S.last_error, sizeof S.last_error, "%s", r.msg);
        } else {
            S.last_error[0] = 0;
        }
        free(text);
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
            LOG_WARN("STATE", "state folder: %s", r.msg);
            return false;
        }
    }
    S.quit = false;
    S.last_error[0] = 0;
    S.started = pthread_create(&S.thread, NULL, state_main, NULL) == 0;
    return S.started;
}

char *strata_state_format(const strata_state *st)
{
    json_t *o = json_pack("{s:i, s:s, s:i, s:s, s:i, s:f}", "version", STRATA_STATE_VERSION,
                          "setlist", st->setlist, "scene", st->scene, "scene_name", st->scene_name,
                          "keyframe", st->keyframe, "time", st->time);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(o);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = 0;
    return line;
}

void strata_state_save(const strata_state *st)
{
    if (!S.started)
        return;
    char *text = strata_state_format(st);
    if (!text) {
        static bool said;
        if (!said)
            LOG_WARN("STATE", "state not saved: the setlist path or scene name is not UTF-8");
        said = true;
        return;
    }
    pthread_mutex_lock(&S.lock);
    free(S.pending);
    S.pending = text;
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

static bool copy_str(json_t *o, const char *key, char *dst, size_t cap, char *why, size_t wn)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        snprintf(why, wn, "\"%s\" is missing or not a string", key);
        return false;
    }
    if (json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, wn, "\"%s\" is longer than %zu bytes or holds a NUL", key, cap - 1);
        return false;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool get_int(json_t *o, const char *key, int *dst, char *why, size_t wn)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > 1 << 24) {
        snprintf(why, wn, "\"%s\" is missing or not a whole number -1..16777216", key);
        return false;
    }
    *dst = (int)json_integer_value(v);
    return true;
}

/* Parse text into st; false with why when it is not a state file of this version. */
static bool state_parse(const char *text, size_t len, strata_state *st, char *why, size_t wn)
{
    json_error_t err;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        snprintf(why, wn, "line %d, column %d: %s", err.line, err.column, err.text);
        return false;
    }
    bool ok = json_is_object(o);
    if (!ok)
        snprintf(why, wn, "not a JSON object");
    json_t *ver = ok ? json_object_get(o, "version") : NULL;
    if (ok && (!json_is_integer(ver) || json_integer_value(ver) != STRATA_STATE_VERSION)) {
        snprintf(why, wn, "not a strata state file of version %d", STRATA_STATE_VERSION);
        ok = false;
    }
    json_t *t = ok ? json_object_get(o, "time") : NULL;
    ok = ok && copy_str(o, "setlist", st->setlist, sizeof st->setlist, why, wn) &&
         copy_str(o, "scene_name", st->scene_name, sizeof st->scene_name, why, wn) &&
         get_int(o, "scene", &st->scene, why, wn) && get_int(o, "keyframe", &st->keyframe, why, wn);
    if (ok && t && !json_is_number(t)) {
        snprintf(why, wn, "\"time\" is not a number");
        ok = false;
    }
    if (ok && t)
        st->time = json_number_value(t);
    json_decref(o);
    return ok;
}

bool strata_state_load(const char *path, strata_state *st)
{
    memset(st, 0, sizeof *st);
    st->scene = st->keyframe = -1;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return false; /* the first start: nothing to resume, nothing to say */
    char *text = NULL;
    size_t len = 0;
    strata_result r = {0};
    /* A FIFO here would hang the start before the watchdog is armed (a black screen under
     * systemd): strata_file_read refuses it, and anything it cannot use is said. */
    if (strata_file_read(path, &text, &len, 65536, &r) != STRATA_OK) {
        LOG_WARN("STATE", "state ignored: %s", r.msg);
        return false;
    }
    char why[200];
    strata_state tmp = *st;
    bool ok = state_parse(text, len, &tmp, why, sizeof why);
    free(text);
    if (!ok) {
        LOG_WARN("STATE", "state ignored: %s: %s", path, why);
        return false;
    }
    *st = tmp;
    return true;
}

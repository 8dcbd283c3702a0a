/* Per-pass GPU timers: GL_TIME_ELAPSED queries in a ring per name, each tagged with the
 * frame it ran in, read back only when available (timing never stalls the pipeline) and
 * summed per frame, so a name drawn several times in a frame reports its whole cost. */
#include "render.h"

#include <string.h>

#define RING 32 /* queries per name in flight: a name may run a few times a frame */

typedef struct pass_timer {
    const char *name;
    GLuint q[RING];
    int64_t frame[RING]; /* frame tag; -1: the slot is free */
    int next;
    int64_t acc_frame; /* the frame being summed, -1 when none */
    double acc_ms;
    strata_pass_time t;
    uint64_t cpu_start;
    double cpu_acc_ms;    /* CPU time spent issuing this name in the frame cpu_frame */
    int64_t cpu_frame;
} pass_timer;

static struct {
    bool enabled;
    pass_timer p[STRATA_MAX_PASSES];
    int n;
    int active;    /* -1 when none */
    bool querying; /* a query was begun for the active pass */
    int64_t frame; /* strata_render_begin_frame count */
    bool sync;     /* strata_gpu_set_sync */
    bool muted;    /* strata_gpu_set_muted */
} T = {.active = -1};

void strata_gpu_timers_init(const strata_gl *gl)
{
    memset(&T, 0, sizeof T);
    T.active = -1;
    T.enabled = gl->timer_query;
}

void strata_gpu_timers_shutdown(void)
{
    for (int i = 0; i < T.n; i++)
        if (T.p[i].q[0])
            glDeleteQueries(RING, T.p[i].q);
    T.n = 0;
    T.active = -1;
}

static pass_timer *find(const char *name)
{
    for (int i = 0; i < T.n; i++)
        if (T.p[i].name == name || !strcmp(T.p[i].name, name))
            return &T.p[i];
    if (T.n >= STRATA_MAX_PASSES)
        return NULL;
    pass_timer *p = &T.p[T.n++];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->t.name = name;
    p->t.gpu_ms = -1;
    p->acc_frame = -1;
    p->cpu_frame = -1;
    for (int i = 0; i < RING; i++)
        p->frame[i] = -1;
    if (T.enabled)
        glGenQueries(RING, p->q);
    return p;
}

static void publish(pass_timer *p)
{
    double ms = p->acc_ms;
    p->t.frame = p->acc_frame > 0 ? p->acc_frame : 0;
    p->t.gpu_ms = ms;
    p->t.gpu_avg_ms = p->t.gpu_avg_ms <= 0 ? ms : p->t.gpu_avg_ms * 0.95 + ms * 0.05;
    if (ms > p->t.gpu_peak_ms)
        p->t.gpu_peak_ms = ms;
}

/* Sum available results per frame; a frame's sum is published when a result of a later
 * frame arrives (queries complete in order), so the figure is always a whole frame's. */
static void collect(pass_timer *p)
{
    for (int k = 0; k < RING; k++) {
        int i = (p->next + k) % RING; /* oldest first */
        if (p->frame[i] < 0)
            continue;
        GLint avail = 0;
        glGetQueryObjectiv(p->q[i], GL_QUERY_RESULT_AVAILABLE, &avail);
        if (!avail)
            break; /* later ones are not ready either */
        GLuint64 ns = 0;
        glGetQueryObjectui64v(p->q[i], GL_QUERY_RESULT, &ns);
        if (T.frame == 0) {
            /* No frames are counted (a tool drawing passes without begin_frame): each
             * result stands alone. */
            p->acc_ms = (double)ns * 1e-6;
            publish(p);
            p->frame[i] = -1;
            continue;
        }
        if (p->frame[i] != p->acc_frame) {
            if (p->acc_frame >= 0)
                publish(p);
            p->acc_frame = p->frame[i];
            p->acc_ms = 0.0;
        }
        p->acc_ms += (double)ns * 1e-6;
        p->frame[i] = -1;
    }
    /* Nothing of a later frame is in flight: the summed frame is whole. */
    bool later = false;
    for (int i = 0; i < RING; i++)
        later = later || p->frame[i] >= 0;
    if (!later && p->acc_frame >= 0 && p->acc_frame < T.frame) {
        publish(p);
        p->acc_frame = -1;
    }
}

void strata_gpu_timers_frame(int64_t frame)
{
    strata_gpu_end();
    T.frame = frame;
}

void strata_gpu_set_sync(bool on)
{
    T.sync = on;
}

void strata_gpu_set_muted(bool on)
{
    strata_gpu_end();
    T.muted = on;
}

void strata_gpu_begin(const char *name)
{
    if (T.muted)
        return;
    if (T.active >= 0) {
        if (T.p[T.active].name == name || !strcmp(T.p[T.active].name, name))
            return; /* the same name again: the open query goes on */
        strata_gpu_end();
    } else if (T.sync) {
        glFinish(); /* untimed work before is nobody's */
    }
    pass_timer *p = find(name);
    if (!p)
        return;
    T.active = (int)(p - T.p);
    T.querying = false;
    p->cpu_start = strata_time_ns();
    if (!T.enabled)
        return;
    collect(p);
    if (p->frame[p->next] >= 0)
        return; /* every slot still in flight: skip GPU timing this time, never wait */
    glBeginQuery(GL_TIME_ELAPSED, p->q[p->next]);
    T.querying = true;
}

void strata_gpu_end(void)
{
    if (T.active < 0)
        return;
    if (T.sync)
        glFinish(); /* this name's work, all of it, before its query ends */
    pass_timer *p = &T.p[T.active];
    double cpu = (double)(strata_time_ns() - p->cpu_start) * 1e-6;
    if (p->cpu_frame != T.frame) {
        p->cpu_frame = T.frame;
        p->cpu_acc_ms = 0.0;
    }
    p->cpu_acc_ms += cpu;
    p->t.cpu_ms = p->cpu_acc_ms;
    if (T.querying) {
        glEndQuery(GL_TIME_ELAPSED);
        p->frame[p->next] = T.frame;
        p->next = (p->next + 1) % RING;
    }
    T.active = -1;
    T.querying = false;
}

int strata_gpu_report(strata_pass_time *out, int max)
{
    int n = 0;
    for (int i = 0; i < T.n && n < max; i++) {
        if (T.enabled)
            collect(&T.p[i]);
        out[n++] = T.p[i].t;
    }
    return n;
}

double strata_gpu_frame_ms(void)
{
    int64_t latest = 0;
    for (int i = 0; i < T.n; i++) {
        if (T.enabled)
            collect(&T.p[i]);
        if (T.p[i].t.frame > latest)
            latest = T.p[i].t.frame;
    }
    /* Names publish a frame or two apart (each when its later results arrive): count
     * every name measured in the last few frames, not only those at the very latest. */
    double ms = 0.0;
    for (int i = 0; i < T.n; i++)
        if (latest > 0 && T.p[i].t.frame >= latest - 3)
            ms += T.p[i].t.gpu_ms;
    return ms;
}

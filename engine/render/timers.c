/* Per-pass GPU timers: GL_TIME_ELAPSED queries in a ring per pass, read back only when
 * available, so timing never stalls the pipeline. */
#include "render.h"

#include <string.h>

#define RING 4

typedef struct pass_timer {
    const char *name;
    GLuint q[RING];
    bool pending[RING];
    int next;
    strata_pass_time t;
    uint64_t cpu_start;
} pass_timer;

static struct {
    bool enabled;
    pass_timer p[STRATA_MAX_PASSES];
    int n;
    int active;    /* -1 when none */
    bool querying; /* a query was begun for the active pass */
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
    if (T.enabled)
        glGenQueries(RING, p->q);
    return p;
}

static void collect(pass_timer *p)
{
    for (int i = 0; i < RING; i++) {
        if (!p->pending[i])
            continue;
        GLint avail = 0;
        glGetQueryObjectiv(p->q[i], GL_QUERY_RESULT_AVAILABLE, &avail);
        if (!avail)
            continue;
        GLuint64 ns = 0;
        glGetQueryObjectui64v(p->q[i], GL_QUERY_RESULT, &ns);
        p->pending[i] = false;
        double ms = (double)ns * 1e-6;
        p->t.gpu_ms = ms;
        p->t.gpu_avg_ms = p->t.gpu_avg_ms <= 0 ? ms : p->t.gpu_avg_ms * 0.95 + ms * 0.05;
        if (ms > p->t.gpu_peak_ms)
            p->t.gpu_peak_ms = ms;
    }
}

void strata_gpu_begin(const char *name)
{
    pass_timer *p = find(name);
    if (!p)
        return;
    T.active = (int)(p - T.p);
    T.querying = false;
    p->cpu_start = strata_time_ns();
    if (!T.enabled)
        return;
    collect(p);
    if (p->pending[p->next])
        return; /* every slot still in flight: skip GPU timing this frame, never wait */
    glBeginQuery(GL_TIME_ELAPSED, p->q[p->next]);
    T.querying = true;
}

void strata_gpu_end(void)
{
    if (T.active < 0)
        return;
    pass_timer *p = &T.p[T.active];
    p->t.cpu_ms = (double)(strata_time_ns() - p->cpu_start) * 1e-6;
    if (T.querying) {
        glEndQuery(GL_TIME_ELAPSED);
        p->pending[p->next] = true;
        p->next = (p->next + 1) % RING;
    }
    T.active = -1;
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

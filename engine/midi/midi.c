/* The module: create, destroy, the render thread's drain, status and stats. */
#include "midi_internal.h"

#include <stdlib.h>
#include <string.h>

bool strata_midi_parse_api(const char *s, strata_midi_api *out)
{
    static const char *const names[] = {"auto", "alsa", "jack"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (strata_midi_api)i;
            return true;
        }
    return false;
}

strata_midi *strata_midi_create(const strata_midi_config *cfg, strata_result *r)
{
    strata_midi *m = calloc(1, sizeof *m);
    if (!m) {
        strata_fail(r, STRATA_ERR_NOMEM, "MIDI: out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    if (m->cfg.poll_s <= 0)
        m->cfg.poll_s = 1.0;
    snprintf(m->spec, sizeof m->spec, "%s", cfg->ports ? cfg->ports : "");
    snprintf(m->client, sizeof m->client, "%s", cfg->client ? cfg->client : "strata");
    snprintf(m->out_spec, sizeof m->out_spec, "%s", cfg->clock_out ? cfg->clock_out : "");
    m->cfg.ports = m->spec;
    m->cfg.client = m->client;
    m->clock_port = -1;
    strata_midi_clock_init(&m->clock);
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++) {
        m->ports[i].m = m;
        m->ports[i].slot = i;
        if (strata_queue_init(&m->ports[i].q, sizeof(strata_midi_event), MIDI_QUEUE_EVENTS, r) !=
            STRATA_OK) {
            strata_midi_destroy(m);
            return NULL;
        }
    }
    if (!strata_midi_ports_start(m, r) || !strata_midi_clock_out_start(m, r)) {
        strata_midi_destroy(m);
        return NULL;
    }
    return m;
}

void strata_midi_destroy(strata_midi *m)
{
    if (!m)
        return;
    strata_midi_clock_out_stop(m);
    strata_midi_ports_stop(m);
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++)
        strata_queue_free(&m->ports[i].q);
    free(m);
}

void strata_midi_inject(strata_midi *m, int port, const uint8_t *bytes, size_t n, uint64_t t_ns)
{
    if (port < 0 || port >= STRATA_MIDI_MAX_PORTS)
        return;
    strata_midi_port_feed(&m->ports[port], bytes, n, t_ns);
}

void strata_midi_apply(strata_midi *m, strata_midi_frame *f)
{
    f->ntriggers = 0;
    f->applied = 0;
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++) {
        /* A bounded drain: a flood cannot hold the frame (the rest waits a frame). */
        strata_midi_event ev;
        for (int k = 0; k < MIDI_QUEUE_EVENTS && strata_queue_pop(&m->ports[i].q, &ev); k++)
            strata_midi_map_event(m, &ev, f);
    }
    strata_midi_clock_state_at(&m->clock, f->now, &f->clock);
}

void strata_midi_stats_get(const strata_midi *m, strata_midi_stats *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++) {
        const midi_port *p = &m->ports[i];
        s->events += atomic_load_explicit(&p->events, memory_order_relaxed);
        s->junk += atomic_load_explicit(&p->junk, memory_order_relaxed);
        s->dropped += atomic_load_explicit(&p->q.dropped, memory_order_relaxed);
        s->ports_open += atomic_load(&p->state) == PORT_OPEN;
    }
    s->dropped += m->dropped;
    s->applied = m->applied;
}

void strata_midi_status(const strata_midi *m, char *buf, size_t n)
{
    strata_midi_stats s;
    strata_midi_stats_get(m, &s);
    int k = snprintf(buf, n, "MIDI: %d port%s, %d binding%s", s.ports_open,
                     s.ports_open == 1 ? "" : "s",
                     m->nmaps[0] + m->nmaps[1] + m->nmaps[2],
                     m->nmaps[0] + m->nmaps[1] + m->nmaps[2] == 1 ? "" : "s");
    if (k < 0 || (size_t)k >= n)
        return;
    if (m->learn[0])
        snprintf(buf + k, n - (size_t)k, "  learn: %s armed (move a control)", m->learn);
    else if (m->learned[0])
        snprintf(buf + k, n - (size_t)k, "  learned: %s", m->learned);
}

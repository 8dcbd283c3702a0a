/* Mappings and MIDI learn: events from the queues -> parameter sets and triggers. */
#include "midi_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parameter a binding drives now: looked up again when dynamic parameters came or
 * went (an ISF scene loaded), so a name binds to whatever holds it. */
static int resolve(midi_bind *mb)
{
    uint32_t gen = strata_param_generation() + 1;
    if (mb->gen != gen) {
        mb->param = strata_param_find(mb->b.param);
        mb->gen = gen;
    }
    return mb->param;
}

static bool matches(const strata_midi_binding *b, uint8_t type, uint8_t ch, uint8_t num,
                    bool *lsb)
{
    *lsb = false;
    if (b->channel >= 0 && b->channel != ch)
        return false;
    switch (b->src) {
    case STRATA_MIDI_SRC_CC:
        return type == 0xB0 && b->number == num;
    case STRATA_MIDI_SRC_CC14:
        if (type != 0xB0)
            return false;
        *lsb = num == b->number + 32;
        return num == b->number || *lsb;
    case STRATA_MIDI_SRC_NOTE:
        return (type == 0x90 || type == 0x80) && b->number == num;
    default:
        return type == 0xE0;
    }
}

/* The first binding of the event: learned, then the scene's, then the files'. */
static midi_bind *find(strata_midi *m, uint8_t type, uint8_t ch, uint8_t num, bool *lsb)
{
    for (int k = 0; k < MAP_COUNT; k++)
        for (int i = 0; i < m->nmaps[k]; i++)
            if (matches(&m->maps[k][i].b, type, ch, num, lsb))
                return &m->maps[k][i];
    return NULL;
}

static void set_param(midi_bind *mb, strata_midi_frame *f, float v01, int delta)
{
    int id = resolve(mb);
    const strata_param_def *d = id >= 0 ? strata_param_def_of(id) : NULL;
    if (!d)
        return; /* a dynamic parameter whose scene is not running: nothing to move */
    float lo = mb->b.has_lo ? mb->b.lo : d->min, hi = mb->b.has_hi ? mb->b.hi : d->max;
    float v;
    if (mb->b.mode == STRATA_MIDI_ABSOLUTE) {
        v = lo + v01 * (hi - lo);
    } else {
        float step = mb->b.step > 0 ? mb->b.step : 1.0f / 128.0f;
        v = f->params->base[id] + (float)delta * step * fabsf(hi - lo);
        v = strata_clampf(v, fminf(lo, hi), fmaxf(lo, hi));
    }
    strata_params_set(f->params, id, v, false);
}

static void trigger(strata_midi *m, const midi_bind *mb, strata_midi_frame *f, float amount)
{
    if (f->ntriggers >= STRATA_MIDI_MAX_TRIGGERS) {
        m->dropped++;
        return;
    }
    f->triggers[f->ntriggers++] =
        (strata_midi_trigger){.action = mb->b.action, .index = mb->b.index, .amount = amount};
}

static void describe(const strata_midi_binding *b, char *buf, size_t n)
{
    static const char *const src[] = {"cc", "cc14", "note", "bend"};
    char ch[16] = "";
    if (b->channel >= 0)
        snprintf(ch, sizeof ch, " ch %d", b->channel + 1);
    if (b->src == STRATA_MIDI_SRC_BEND)
        snprintf(buf, n, "bend%s", ch);
    else
        snprintf(buf, n, "%s %d%s", src[b->src & 3], b->number, ch);
}

/* MIDI learn: the armed parameter takes the control this event came from (absolute; a
 * binding learned before for the same control is replaced). */
static void learn(strata_midi *m, uint8_t type, uint8_t ch, uint8_t num)
{
    strata_midi_binding b = {.channel = (int8_t)ch, .number = num, .action = STRATA_MIDI_ACT_PARAM};
    b.src = type == 0xB0 ? STRATA_MIDI_SRC_CC
                         : (type == 0xE0 ? STRATA_MIDI_SRC_BEND : STRATA_MIDI_SRC_NOTE);
    if (b.src == STRATA_MIDI_SRC_BEND)
        b.number = 0;
    snprintf(b.param, sizeof b.param, "%s", m->learn);
    int *n = &m->nmaps[MAP_LEARNED];
    midi_bind *slot = NULL;
    bool lsb;
    for (int i = 0; i < *n && !slot; i++) {
        const strata_midi_binding *o = &m->maps[MAP_LEARNED][i].b;
        if (o->src == b.src && matches(o, type, ch, num, &lsb))
            slot = &m->maps[MAP_LEARNED][i];
    }
    if (!slot && *n < STRATA_MIDI_MAX_BINDINGS)
        slot = &m->maps[MAP_LEARNED][(*n)++];
    if (!slot) {
        LOG_WARN("MIDI", "learn: %d learned bindings already, none added", *n);
        m->learn[0] = 0;
        return;
    }
    *slot = (midi_bind){.b = b, .param = -1};
    char what[48], json[256];
    describe(&b, what, sizeof what);
    snprintf(m->learned, sizeof m->learned, "%s <- %s", m->learn, what);
    strata_midi_binding_format(&b, json, sizeof json);
    LOG_INFO("MIDI", "learned %s; for a --midi-map file: %s", m->learned, json);
    m->learn[0] = 0;
}

static void channel_event(strata_midi *m, const strata_midi_event *ev, strata_midi_frame *f)
{
    uint8_t type = ev->status & 0xF0, ch = ev->status & 0x0F;
    bool note_on = type == 0x90 && ev->d2 > 0;
    if (type != 0xB0 && type != 0x90 && type != 0x80 && type != 0xE0)
        return;
    /* Learn takes a moved control: a CC, a pressed note, the bend (never a release). */
    if (m->learn[0] && (type == 0xB0 || type == 0xE0 || note_on)) {
        learn(m, type, ch, type == 0xE0 ? 0 : ev->d1);
        /* and apply it at once below, as the bound control */
    }
    bool lsb;
    midi_bind *mb = find(m, type, ch, type == 0xE0 ? 0 : ev->d1, &lsb);
    if (!mb)
        return;
    m->applied++;
    f->applied++;
    const strata_midi_binding *b = &mb->b;
    if (b->action != STRATA_MIDI_ACT_PARAM) {
        /* A pressed note or a CC button's press (value > 0); releases do nothing. */
        if (note_on || (type == 0xB0 && ev->d2 > 0))
            trigger(m, mb, f, (float)ev->d2 / 127.0f);
        return;
    }
    switch (b->src) {
    case STRATA_MIDI_SRC_CC:
        if (b->mode == STRATA_MIDI_REL_TWOS)
            set_param(mb, f, 0, ev->d2 < 64 ? ev->d2 : (int)ev->d2 - 128);
        else if (b->mode == STRATA_MIDI_REL_OFFSET)
            set_param(mb, f, 0, (int)ev->d2 - 64);
        else
            set_param(mb, f, (float)ev->d2 / 127.0f, 0);
        break;
    case STRATA_MIDI_SRC_CC14:
        /* The MSB alone moves the control (a controller that sends only MSBs still works);
         * the LSB that follows refines it. */
        if (!lsb)
            mb->msb = ev->d2;
        set_param(mb, f, (float)(mb->msb << 7 | (lsb ? ev->d2 : 0)) / 16383.0f, 0);
        break;
    case STRATA_MIDI_SRC_NOTE:
        set_param(mb, f, note_on ? (float)ev->d2 / 127.0f : 0.0f, 0);
        break;
    default: /* bend: 14 bits, LSB first */
        set_param(mb, f, (float)(ev->d1 | ev->d2 << 7) / 16383.0f, 0);
        break;
    }
}

void strata_midi_map_event(strata_midi *m, const strata_midi_event *ev, strata_midi_frame *f)
{
    if (ev->status >= 0xF0) {
        double t = (double)ev->t_ns * 1e-9;
        bool clocky = ev->status == 0xF8 || ev->status == 0xFA || ev->status == 0xFB ||
                      ev->status == 0xFC || ev->status == 0xF2;
        if (!clocky)
            return;
        /* One clock at a time: the first port that sends it, until it falls silent. */
        if (m->clock_port != ev->port) {
            if (m->clock_port >= 0 && m->clock.last_t >= 0 && t - m->clock.last_t < 0.5)
                return;
            m->clock_port = ev->port;
            strata_midi_clock_init(&m->clock);
        }
        strata_midi_clock_event(&m->clock, ev, t);
        return;
    }
    channel_event(m, ev, f);
}

/* ---- maps and learn (render thread) ---------------------------------------- */

static void load_map(strata_midi *m, int k, const strata_midi_map *map)
{
    for (int i = 0; i < map->n && m->nmaps[k] < STRATA_MIDI_MAX_BINDINGS; i++)
        m->maps[k][m->nmaps[k]++] = (midi_bind){.b = map->b[i], .param = -1};
}

bool strata_midi_add_map(strata_midi *m, const strata_midi_map *map, strata_result *r)
{
    if (m->nmaps[MAP_FILES] + map->n > STRATA_MIDI_MAX_BINDINGS) {
        strata_fail(r, STRATA_ERR_ARG, "--midi-map %s: more than %d bindings in all", map->name,
                    STRATA_MIDI_MAX_BINDINGS);
        return false;
    }
    load_map(m, MAP_FILES, map);
    return true;
}

void strata_midi_set_scene_map(strata_midi *m, const strata_midi_map *map)
{
    m->nmaps[MAP_SCENE] = 0;
    if (map)
        load_map(m, MAP_SCENE, map);
}

bool strata_midi_learn(strata_midi *m, const char *name)
{
    if (!name || !name[0]) {
        m->learn[0] = 0;
        return true;
    }
    if (strlen(name) >= sizeof m->learn || strata_param_find(name) < 0)
        return false;
    snprintf(m->learn, sizeof m->learn, "%s", name);
    LOG_INFO("MIDI", "learn: %s armed, move a control", name);
    return true;
}

const char *strata_midi_learn_armed(const strata_midi *m)
{
    return m->learn[0] ? m->learn : NULL;
}

char *strata_midi_bindings_json(const strata_midi *m)
{
    static const char *const from[MAP_COUNT] = {"learned", "scene", "file"};
    size_t cap = 2 + (size_t)(MAP_COUNT * STRATA_MIDI_MAX_BINDINGS) * 300, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    len += (size_t)snprintf(out, cap, "[");
    bool first = true;
    for (int k = 0; m && k < MAP_COUNT; k++)
        for (int i = 0; i < m->nmaps[k]; i++) {
            char one[256];
            strata_midi_binding_format(&m->maps[k][i].b, one, sizeof one);
            one[strlen(one) - 1] = 0; /* reopen the object to add where it came from */
            len += (size_t)snprintf(out + len, cap - len, "%s%s, \"from\": \"%s\"}",
                                    first ? "" : ", ", one, from[k]);
            first = false;
        }
    snprintf(out + len, cap - len, "]");
    return out;
}

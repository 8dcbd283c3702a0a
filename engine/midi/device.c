/* Ports: RtMidi inputs opened by a thread that polls the port list (hot-plug). */
#include "midi_internal.h"

#include <ctype.h>
#include <jack/jack.h>
#include <rtmidi/rtmidi_c.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the MIDI threads: bytes -> the port's queue ------------------------------ */

typedef struct feed_ctx {
    midi_port *p;
    uint64_t t_ns;
} feed_ctx;

static void push_event(const strata_midi_event *ev, void *user)
{
    feed_ctx *c = user;
    strata_midi_event e = *ev;
    e.t_ns = c->t_ns;
    e.port = (uint8_t)c->p->slot;
    if (strata_queue_push(&c->p->q, &e))
        atomic_fetch_add_explicit(&c->p->events, 1, memory_order_relaxed);
}

void strata_midi_port_feed(midi_port *p, const uint8_t *bytes, size_t n, uint64_t t_ns)
{
    feed_ctx c = {p, t_ns};
    uint64_t junk = p->parser.junk;
    strata_midi_parse(&p->parser, bytes, n, push_event, &c);
    if (p->parser.junk != junk)
        atomic_fetch_add_explicit(&p->junk, p->parser.junk - junk, memory_order_relaxed);
}

/* RtMidi's input thread (ALSA) or JACK's process thread: parse and queue, nothing else
 * (no allocation, lock or log). The time is ours, taken now: RtMidi's JACK time stamps
 * are per period anyway. */
static void on_message(double stamp, const unsigned char *msg, size_t n, void *user)
{
    (void)stamp;
    strata_midi_port_feed(user, msg, n, strata_time_ns());
}

/* ---- the port list --------------------------------------------------------------- */

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static void jack_quiet(const char *msg)
{
    (void)msg; /* libjack's "cannot connect to server" when none runs: we say it once */
}

/* Whether a JACK server answers, without starting one and without libjack's complaints. */
static bool jack_running(void)
{
    jack_set_error_function(jack_quiet);
    jack_set_info_function(jack_quiet);
    jack_status_t st;
    jack_client_t *c = jack_client_open("strata-probe", JackNoStartServer, &st);
    if (!c)
        return false;
    jack_client_close(c);
    return true;
}

static int pick_api(strata_midi_api api)
{
    if (api == STRATA_MIDI_API_ALSA)
        return RTMIDI_API_LINUX_ALSA;
    if (api == STRATA_MIDI_API_JACK)
        return RTMIDI_API_UNIX_JACK;
    return access("/dev/snd/seq", R_OK | W_OK) == 0 ? RTMIDI_API_LINUX_ALSA
                                                    : RTMIDI_API_UNIX_JACK;
}

/* An RtMidi input for listing or opening, NULL (with why) when the MIDI system is not
 * there: no sequencer device, no JACK server. */
static RtMidiInPtr make_in(int api, const char *client, char *why, size_t n)
{
    /* Probe only while no client has been made yet: RtMidi's own attempt would print
     * libjack's complaints each second while no server runs. */
    static STRATA_ATOMIC(bool) jack_seen;
    if (api == RTMIDI_API_UNIX_JACK && !atomic_load(&jack_seen) && !jack_running()) {
        snprintf(why, n, "no JACK server running");
        return NULL;
    }
    if (api == RTMIDI_API_LINUX_ALSA && access("/dev/snd/seq", R_OK | W_OK) != 0) {
        snprintf(why, n, "no ALSA sequencer (/dev/snd/seq)");
        return NULL;
    }
    RtMidiInPtr in = rtmidi_in_create((enum RtMidiApi)api, client, 100);
    if (in && in->ok) {
        if (api == RTMIDI_API_UNIX_JACK)
            atomic_store(&jack_seen, true);
        return in;
    }
    snprintf(why, n, "%s", in && in->msg ? in->msg : "cannot create a MIDI input");
    if (in)
        rtmidi_in_free(in);
    return NULL;
}

static int port_names(RtMidiInPtr in, char (*names)[128], int max)
{
    int n = (int)rtmidi_get_port_count(in);
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++) {
        int len = 128;
        names[i][0] = 0;
        if (rtmidi_get_port_name(in, (unsigned)i, names[i], &len) < 0)
            names[i][0] = 0;
        names[i][127] = 0;
    }
    return n;
}

void strata_midi_list(FILE *out, strata_midi_api which)
{
    int api = pick_api(which);
    char why[160];
    RtMidiInPtr in = make_in(api, "strata-list", why, sizeof why);
    if (!in) {
        fprintf(out, "no MIDI inputs (%s: %s)\n", rtmidi_api_name((enum RtMidiApi)api), why);
        return;
    }
    static char names[64][128];
    int n = port_names(in, names, 64);
    fprintf(out, "MIDI inputs (%s):\n", rtmidi_api_display_name((enum RtMidiApi)api));
    for (int i = 0; i < n; i++)
        fprintf(out, "  %d  %s\n", i, names[i]);
    if (n == 0)
        fprintf(out, "  (none)\n");
    rtmidi_in_free(in);
}

/* ---- the port thread ----------------------------------------------------------------- */

static bool wanted(strata_midi *m, int index, const char *name)
{
    if (!strcmp(m->spec, "all"))
        return true;
    char *end;
    long want = strtol(m->spec, &end, 10);
    if (m->spec[0] && !*end) {
        /* INDEX: the port at that index at the first scan, by name from then on. */
        if (!m->index_name[0] && index == want)
            snprintf(m->index_name, sizeof m->index_name, "%.127s", name);
        return !strcmp(m->index_name, name);
    }
    return contains_nocase(name, m->spec);
}

static void open_port(strata_midi *m, int index, const char *name)
{
    midi_port *p = NULL;
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS && !p; i++) /* the same name, back again */
        if (atomic_load(&m->ports[i].state) == PORT_GONE && !strcmp(m->ports[i].name, name))
            p = &m->ports[i];
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS && !p; i++)
        if (atomic_load(&m->ports[i].state) == PORT_FREE)
            p = &m->ports[i];
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS && !p; i++) /* reuse one long gone */
        if (atomic_load(&m->ports[i].state) == PORT_GONE)
            p = &m->ports[i];
    if (!p) {
        LOG_WARN("MIDI", "%s: not opened, %d ports open already", name, STRATA_MIDI_MAX_PORTS);
        return;
    }
    bool again = !strcmp(p->name, name);
    if (p->in) { /* its producer stops here, before the new one starts */
        rtmidi_close_port(p->in);
        rtmidi_in_free(p->in);
        p->in = NULL;
    }
    memset(&p->parser, 0, sizeof p->parser);
    char why[160];
    RtMidiInPtr in = make_in(m->api, m->client, why, sizeof why);
    if (!in) {
        LOG_WARN("MIDI", "%s: %s", name, why);
        return;
    }
    rtmidi_in_ignore_types(in, true, false, true); /* sysex and active sensing off */
    rtmidi_in_set_callback(in, on_message, p);
    char pname[32];
    snprintf(pname, sizeof pname, "in %d", p->slot);
    rtmidi_open_port(in, (unsigned)index, pname);
    if (!in->ok) {
        LOG_WARN("MIDI", "%s: cannot open: %s", name, in->msg ? in->msg : "?");
        rtmidi_in_free(in);
        return;
    }
    p->in = in;
    snprintf(p->name, sizeof p->name, "%.127s", name);
    atomic_store(&p->state, PORT_OPEN);
    LOG_INFO("MIDI", "%s \"%s\"", again ? "reopened" : "opened", name);
}

static void scan(strata_midi *m)
{
    char why[160];
    /* One lister, made when the MIDI system is first there: a JACK client opened and
     * closed every second kept a sender's clean jack_client_close waiting. */
    if (!m->lister && !(m->lister = make_in(m->api, m->client, why, sizeof why))) {
        if (!m->said_none)
            LOG_INFO("MIDI", "no MIDI yet (%s); looking again every %.0f s", why, m->cfg.poll_s);
        m->said_none = true;
        return;
    }
    RtMidiInPtr lister = m->lister;
    static char names[64][128]; /* the port thread's own */
    int n = port_names(lister, names, 64);
    LOG_DEBUG("MIDI", "scan: %d ports%s%.127s", n, n ? ", first " : "", n ? names[0] : "");
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++) {
        midi_port *p = &m->ports[i];
        if (atomic_load(&p->state) != PORT_OPEN)
            continue;
        bool here = false;
        for (int k = 0; k < n && !here; k++)
            here = !strcmp(names[k], p->name);
        if (!here) {
            atomic_store(&p->state, PORT_GONE);
            LOG_WARN("MIDI", "\"%s\" unplugged", p->name);
        }
    }
    for (int k = 0; k < n; k++) {
        if (!names[k][0] || !wanted(m, k, names[k]))
            continue;
        bool open = false;
        for (int i = 0; i < STRATA_MIDI_MAX_PORTS && !open; i++)
            open = atomic_load(&m->ports[i].state) == PORT_OPEN && !strcmp(m->ports[i].name, names[k]);
        if (!open)
            open_port(m, k, names[k]);
    }
}

static void *port_thread(void *arg)
{
    strata_midi *m = arg;
    while (!atomic_load(&m->stop)) {
        scan(m);
        for (double t = 0; t < m->cfg.poll_s && !atomic_load(&m->stop); t += 0.05)
            strata_sleep_s(0.05);
    }
    return NULL;
}

bool strata_midi_ports_start(strata_midi *m, strata_result *r)
{
    m->api = pick_api(m->cfg.api);
    if (!m->spec[0])
        return true; /* learn and maps only: no ports wanted */
    if (pthread_create(&m->thread, NULL, port_thread, m) != 0) {
        strata_fail(r, STRATA_ERR_DEVICE, "MIDI: cannot start the port thread");
        return false;
    }
    m->thread_started = true;
    return true;
}

void strata_midi_ports_stop(strata_midi *m)
{
    atomic_store(&m->stop, true);
    if (m->thread_started)
        pthread_join(m->thread, NULL);
    m->thread_started = false;
    for (int i = 0; i < STRATA_MIDI_MAX_PORTS; i++) {
        midi_port *p = &m->ports[i];
        if (p->in) {
            rtmidi_close_port(p->in);
            rtmidi_in_free(p->in);
            p->in = NULL;
        }
        atomic_store(&p->state, PORT_FREE);
    }
    if (m->lister)
        rtmidi_in_free(m->lister);
    m->lister = NULL;
}

/* Tests: a JACK MIDI sender and a private dummy-backend JACK server. */
#include "jack_sender.h"

#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jmsg {
    uint8_t n;
    uint8_t b[15];
} jmsg;

struct jsend {
    jack_client_t *client;
    jack_port_t *out;
    strata_queue q;              /* test thread -> process callback */
    STRATA_ATOMIC(int64_t) mbpm; /* bpm x 1000, 0: no ticks */
    double next_us;              /* process callback: when the next tick is due (jack_get_time) */
};

static void quiet(const char *m)
{
    (void)m;
}

strata_proc *jsend_server_start(const char *name, strata_result *r)
{
    char path[512];
    if (!strata_find_program("jackd", path, sizeof path)) {
        strata_fail(r, STRATA_ERR_DEVICE, "jackd not found (apt-get install jackd2)");
        return NULL;
    }
    setenv("JACK_DEFAULT_SERVER", name, 1);
    setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
    setenv("JACK_NO_START_SERVER", "1", 1);
    const char *argv[] = {"jackd", "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256",
                          NULL};
    strata_proc *p = strata_proc_spawn(
        &(strata_proc_desc){.argv = argv, .pipe_stdout = true, .own_group = true}, r);
    if (!p)
        return NULL;
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
    for (int i = 0; i < 100; i++) {
        jack_client_t *c = jack_client_open("strata-test-probe", JackNoStartServer, NULL);
        if (c) {
            jack_client_close(c);
            return p;
        }
        if (!strata_proc_running(p))
            break;
        strata_sleep_s(0.1);
    }
    char tail[256];
    strata_proc_stderr_tail(p, tail, sizeof tail);
    strata_fail(r, STRATA_ERR_DEVICE, "jackd did not come up: %s", tail);
    strata_proc_destroy(p);
    return NULL;
}

void jsend_server_stop(strata_proc *p)
{
    strata_proc_destroy(p);
}

static int process(jack_nframes_t nframes, void *arg)
{
    jsend *s = arg;
    void *buf = jack_port_get_buffer(s->out, nframes);
    jack_midi_clear_buffer(buf);
    jmsg m;
    while (strata_queue_pop(&s->q, &m))
        jack_midi_event_write(buf, 0, m.b, m.n);
    int64_t mbpm = atomic_load(&s->mbpm);
    if (mbpm <= 0) {
        s->next_us = 0;
        return 0;
    }
    /* Ticks keep the wall clock's time, like a hardware clock: each goes out in the first
     * period that starts after it is due (late by up to a period, never early). The dummy
     * backend's sample clock drifts behind the wall clock on a loaded machine, so ticks
     * placed by frame count would not be the tempo asked for. */
    double us_per_tick = 60e6 / ((double)mbpm / 1000.0 * 24.0);
    double now = (double)jack_get_time();
    if (s->next_us <= 0)
        s->next_us = now;
    static const uint8_t tick = 0xF8;
    for (int k = 0; s->next_us <= now && k < 64; k++) {
        jack_midi_event_write(buf, 0, &tick, 1);
        s->next_us += us_per_tick;
    }
    return 0;
}

jsend *jsend_open(const char *client)
{
    jack_set_error_function(quiet);
    jsend *s = calloc(1, sizeof *s);
    strata_result r = {0};
    if (!s || strata_queue_init(&s->q, sizeof(jmsg), 1024, &r) != STRATA_OK) {
        free(s);
        return NULL;
    }
    s->client = jack_client_open(client, JackNoStartServer, NULL);
    if (!s->client)
        goto fail;
    s->out = jack_port_register(s->client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!s->out || jack_set_process_callback(s->client, process, s) != 0 ||
        jack_activate(s->client) != 0)
        goto fail;
    return s;
fail:
    if (s->client)
        jack_client_close(s->client);
    strata_queue_free(&s->q);
    free(s);
    return NULL;
}

bool jsend_bytes(jsend *s, const uint8_t *b, size_t n)
{
    jmsg m = {.n = (uint8_t)(n < sizeof m.b ? n : sizeof m.b)};
    memcpy(m.b, b, m.n);
    return strata_queue_push(&s->q, &m);
}

void jsend_clock(jsend *s, double bpm)
{
    atomic_store(&s->mbpm, (int64_t)(bpm * 1000.0));
}

int jsend_connections(jsend *s)
{
    return jack_port_connected(s->out);
}

void jsend_close(jsend *s)
{
    if (!s)
        return;
    jack_deactivate(s->client);
    jack_client_close(s->client);
    strata_queue_free(&s->q);
    free(s);
}

struct jrecv {
    jack_client_t *client;
    jack_port_t *in;
    strata_queue q; /* process callback -> test thread */
};

static int process_in(jack_nframes_t nframes, void *arg)
{
    jrecv *r = arg;
    void *buf = jack_port_get_buffer(r->in, nframes);
    /* The wall clock now, as strata's clock in stamps ticks: the dummy backend's frame
     * clock drifts behind it on a loaded machine, so frame times would not be the tempo. */
    double now = (double)jack_get_time() * 1e-6;
    uint32_t n = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < n; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) != 0 || ev.size < 1)
            continue;
        jrecv_event e = {now, ev.buffer[0]};
        strata_queue_push(&r->q, &e);
    }
    return 0;
}

jrecv *jrecv_open(const char *client)
{
    jack_set_error_function(quiet);
    jrecv *r = calloc(1, sizeof *r);
    strata_result res = {0};
    if (!r || strata_queue_init(&r->q, sizeof(jrecv_event), 8192, &res) != STRATA_OK) {
        free(r);
        return NULL;
    }
    r->client = jack_client_open(client, JackNoStartServer, NULL);
    if (!r->client)
        goto fail;
    r->in = jack_port_register(r->client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (!r->in || jack_set_process_callback(r->client, process_in, r) != 0 ||
        jack_activate(r->client) != 0)
        goto fail;
    return r;
fail:
    if (r->client)
        jack_client_close(r->client);
    strata_queue_free(&r->q);
    free(r);
    return NULL;
}

double jrecv_ticks_bpm(const double *t, int n)
{
    const int span = 4 * 24;
    if (n <= span)
        return 0.0;
    double *beat = malloc((size_t)(n - span) * sizeof *beat);
    if (!beat)
        return 0.0;
    for (int i = 0; i + span < n; i++)
        beat[i] = (t[i + span] - t[i]) / 4.0;
    double b = strata_median(beat, (size_t)(n - span));
    free(beat);
    return b > 0 ? 60.0 / b : 0.0;
}

bool jrecv_pop(jrecv *r, jrecv_event *ev)
{
    return strata_queue_pop(&r->q, ev);
}

void jrecv_close(jrecv *r)
{
    if (!r)
        return;
    jack_deactivate(r->client);
    jack_client_close(r->client);
    strata_queue_free(&r->q);
    free(r);
}

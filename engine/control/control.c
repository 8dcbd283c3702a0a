/* The control module's render-thread side: create/destroy, the per-frame apply point,
 * tempo sources (Link), replies, subscriber feedback and latency statistics. */
#include "control_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>

#define TAG "OSC"
#define BUNDLE_TIMEOUT_NS 1000000000ull /* a bundle whose end never came is dropped */
/* Nothing waits longer than the furthest timetag accepted, plus a margin: not a wall
 * clock stepped back, not a bundle that slipped past a check. */
#define PENDING_LIMIT_NS ((uint64_t)((OSC_MAX_AHEAD_S + 2.0) * 1e9))

strata_control *strata_control_create(const strata_control_config *cfg, strata_result *r)
{
    strata_control *ctl = calloc(1, sizeof *ctl);
    if (!ctl) {
        strata_fail(r, STRATA_ERR_NOMEM, "control: out of memory");
        return NULL;
    }
    ctl->cfg = *cfg;
    ctl->fd = ctl->reply_fd = -1;
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        ctl->tcp[i].fd = -1;
        pthread_mutex_init(&ctl->tcp[i].send_lock, NULL);
    }
    strata_tempo_init(&ctl->tempo, cfg->bpm);
    strata_osc_shot_dir(cfg, ctl->shot_dir, sizeof ctl->shot_dir);
    ctl->pending = calloc(PENDING_MAX, sizeof *ctl->pending);
    ctl->rxbuf = malloc(OSC_MAX_PACKET);
    int qn = cfg->queue_size > 0 ? cfg->queue_size : 4096;
    if (!ctl->pending || !ctl->rxbuf ||
        strata_queue_init(&ctl->queue, sizeof(strata_cmd), (size_t)qn, r) != STRATA_OK ||
        !strata_osc_parse_allow(ctl, cfg->osc_allow, r) ||
        (!cfg->osc_disabled && !strata_osc_open(ctl, r))) {
        if (r && r->status == STRATA_OK)
            strata_fail(r, STRATA_ERR_NOMEM, "control: out of memory");
        strata_control_destroy(ctl);
        return NULL;
    }
    if (cfg->link)
        strata_control_set_link(ctl, true);
    return ctl;
}

void strata_control_destroy(strata_control *ctl)
{
    if (!ctl)
        return;
    strata_osc_close(ctl);
    if (ctl->link)
        strata_link_destroy(ctl->link);
    if (ctl->queue.data)
        strata_queue_free(&ctl->queue);
    free(ctl->pending);
    free(ctl->rxbuf);
    for (int i = 0; i < OSC_TCP_CLIENTS; i++)
        pthread_mutex_destroy(&ctl->tcp[i].send_lock);
    free(ctl);
}

int strata_control_port(const strata_control *ctl)
{
    return ctl->port;
}

const char *strata_control_screenshot_dir(const strata_control *ctl)
{
    return ctl->shot_dir;
}

const strata_tempo_state *strata_control_tempo(const strata_control *ctl)
{
    return &ctl->tempo.st;
}

strata_routes *strata_control_routes(strata_control *ctl)
{
    return &ctl->routes;
}

bool strata_control_route_parse(strata_control *ctl, const char *spec, strata_result *r)
{
    if (ctl->routes.n == STRATA_ROUTES_MAX) {
        strata_fail(r, STRATA_ERR_ARG, "route '%s': more than %d routes", spec, STRATA_ROUTES_MAX);
        return false;
    }
    strata_route rt;
    if (!strata_route_parse(spec, &rt, r))
        return false;
    ctl->routes.r[ctl->routes.n++] = rt;
    return true;
}

/* ---- tempo ------------------------------------------------------------------------ */

bool strata_control_set_link(strata_control *ctl, bool on)
{
    if (on && !ctl->link) {
        ctl->link = strata_link_create(ctl->tempo.st.bpm);
        if (!ctl->link) {
            LOG_ERROR("LINK", "cannot start Ableton Link; keeping the %s clock",
                      strata_tempo_source_name(ctl->tempo.st.source));
            return false;
        }
    }
    if (ctl->link)
        strata_link_enable(ctl->link, on);
    if (on != ctl->link_on)
        LOG_INFO("LINK", "%s the Link session", on ? "joined" : "left");
    ctl->link_on = on;
    return true;
}

void strata_control_set_bpm(strata_control *ctl, double bpm)
{
    strata_tempo_set_bpm(&ctl->tempo, bpm);
    if (ctl->link_on) /* strata's own tempo changes reach the peers */
        strata_link_set_tempo(ctl->link, ctl->tempo.bpm_manual);
}

void strata_control_set_midi_clock(strata_control *ctl, bool active, bool running, double bpm,
                                   double beat)
{
    strata_tempo_set_midi(&ctl->tempo, active, running, bpm, beat);
}

static void tap_at(strata_control *ctl, double at)
{
    strata_tempo_tap(&ctl->tempo, at);
    if (ctl->link_on && ctl->tempo.ntaps >= 2)
        strata_link_set_tempo(ctl->link, ctl->tempo.bpm_manual);
}

void strata_control_tap(strata_control *ctl)
{
    tap_at(ctl, ctl->tempo.started ? ctl->tempo.time : 0.0);
}

static void tempo_advance(strata_control *ctl, const strata_control_frame *f)
{
    strata_tempo *t = &ctl->tempo;
    if (!ctl->link_on) {
        strata_tempo_advance(t, f->time, f->audio);
        t->st.link_peers = 0;
        return;
    }
    double bpm, beat, phase;
    strata_link_capture(ctl->link, t->st.beats_per_bar, &bpm, &beat, &phase);
    t->time = f->time;
    t->started = true;
    t->st.bpm = bpm;
    t->st.beat = beat;
    t->st.beat_phase = (float)(beat - floor(beat));
    t->st.bar_phase = (float)(phase / t->st.beats_per_bar);
    t->st.beat_pulse = expf(-3.0f * t->st.beat_phase);
    t->st.source = STRATA_TEMPO_LINK;
    t->st.link_peers = strata_link_peers(ctl->link);
    t->bpm_manual = bpm; /* leaving Link keeps the session's tempo */
}

/* ---- replies ------------------------------------------------------------------------- */

static void reply(strata_control *ctl, const strata_cmd *cmd, const char *buf, size_t n)
{
    if (cmd->tcp_slot) /* back on its connection; a closed one has nowhere to go */
        strata_osc_tcp_send(ctl, cmd->tcp_slot - 1, cmd->tcp_gen, buf, n);
    else
        strata_osc_send(ctl->reply_fd, cmd->from, cmd->from_len, buf, n);
}

/* Feedback to one subscriber; false when its TCP connection is gone. */
static bool feed(strata_control *ctl, const subscriber *s, const char *buf, size_t n)
{
    if (s->tcp_slot) /* a full buffer (0) is not a closed connection (-1) */
        return strata_osc_tcp_send(ctl, s->tcp_slot - 1, s->tcp_gen, buf, n) >= 0;
    strata_osc_send(ctl->reply_fd, s->to, s->to_len, buf, n);
    return true;
}

void strata_control_reply_value(strata_control *ctl, const strata_cmd *cmd, const char *name,
                                float v)
{
    char buf[256];
    reply(ctl, cmd, buf, strata_osc_build(buf, sizeof buf, "/strata/value", "sf", name, (double)v));
}

void strata_control_reply_error(strata_control *ctl, const strata_cmd *cmd, const char *fmt, ...)
{
    char msg[200], buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply(ctl, cmd, buf, strata_osc_build(buf, sizeof buf, "/strata/error", "s", msg));
}

static bool get_builtin(strata_control *ctl, const strata_cmd *c, const strata_params *p)
{
    char buf[256];
    const strata_tempo_state *t = &ctl->tempo.st;
    int id = strata_param_find(c->str);
    if (id >= 0) { /* base: what a fader should show, not the modulated value */
        strata_control_reply_value(ctl, c, c->str, p->base[id]);
    } else if (strcmp(c->str, "tempo/source") == 0) {
        reply(ctl, c, buf,
              strata_osc_build(buf, sizeof buf, "/strata/value", "ss", c->str,
                               strata_tempo_source_name(t->source)));
    } else if (strcmp(c->str, "tempo/bpm") == 0) {
        strata_control_reply_value(ctl, c, c->str, (float)t->bpm);
    } else if (strcmp(c->str, "tempo/beat") == 0) {
        strata_control_reply_value(ctl, c, c->str, (float)t->beat);
    } else if (strcmp(c->str, "tempo/phase") == 0) {
        strata_control_reply_value(ctl, c, c->str, t->beat_phase);
    } else if (strcmp(c->str, "link") == 0) {
        strata_control_reply_value(ctl, c, c->str, ctl->link_on ? 1.0f : 0.0f);
    } else if (strcmp(c->str, "link/peers") == 0) {
        strata_control_reply_value(ctl, c, c->str, (float)t->link_peers);
    } else {
        return false;
    }
    return true;
}

/* ---- subscribers ------------------------------------------------------------------------ */

static bool same_host(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    struct sockaddr_storage x, y;
    if (al != bl || al < sizeof(struct sockaddr_in) || al > sizeof x)
        return false;
    memcpy(&x, a, al);
    memcpy(&y, b, bl);
    if (x.ss_family != y.ss_family)
        return false;
    if (x.ss_family == AF_INET)
        return ((struct sockaddr_in *)&x)->sin_addr.s_addr ==
               ((struct sockaddr_in *)&y)->sin_addr.s_addr;
    return memcmp(&((struct sockaddr_in6 *)&x)->sin6_addr, &((struct sockaddr_in6 *)&y)->sin6_addr,
                  16) == 0;
}

static void sub_name(const subscriber *s, char *who, size_t n)
{
    strata_cmd tmp = {.from_len = s->to_len};
    memcpy(tmp.from, s->to, s->to_len);
    strata_control_cmd_sender(&tmp, who, n);
}

static void unsubscribe(strata_control *ctl, const strata_cmd *c)
{
    for (int i = 0; i < ctl->nsubs; i++) /* every subscription of that host */
        if (same_host(ctl->subs[i].to, ctl->subs[i].to_len, c->from, c->from_len))
            ctl->subs[i--] = ctl->subs[--ctl->nsubs];
}

/* A subscription streams to the sender's host only (its port, or the one it names),
 * inside --osc-allow, at most SUBS_PER_HOST per host and SUBS_MAX in all, and ends when
 * it is not renewed (a new /strata/subscribe) within its lifetime: a spoofed sender gets
 * a bounded stream, never a standing reflector. */
static void subscribe(strata_control *ctl, const strata_cmd *c)
{
    struct sockaddr_storage ss;
    memcpy(&ss, c->from, c->from_len);
    if (c->ival > 0) { /* the controller listens on another port than it sends from */
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->ival);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)c->ival);
    }
    if (!strata_osc_addr_allowed(ctl, &ss, c->from_len))
        return; /* the OSC thread already dropped and logged such a sender */
    double now = strata_time_s();
    double life =
        ctl->cfg.subscribe_lifetime_s > 0 ? ctl->cfg.subscribe_lifetime_s : SUBS_LIFETIME_S;
    int of_host = 0, oldest = -1;
    for (int i = 0; i < ctl->nsubs; i++) {
        subscriber *s = &ctl->subs[i];
        if (s->to_len == c->from_len && memcmp(s->to, &ss, s->to_len) == 0) {
            s->fresh = true; /* a renewal asks for everything again */
            s->expires = now + life;
            return;
        }
        if (same_host(s->to, s->to_len, c->from, c->from_len)) {
            of_host++;
            if (oldest < 0 || s->since < ctl->subs[oldest].since)
                oldest = i;
        }
    }
    if (of_host >= SUBS_PER_HOST) { /* a tablet reconnecting from a new port */
        memmove(ctl->subs + oldest, ctl->subs + oldest + 1,
                sizeof ctl->subs[0] * (size_t)(ctl->nsubs - oldest - 1));
        ctl->nsubs--;
    } else if (ctl->nsubs == SUBS_MAX) {
        strata_control_reply_error(ctl, c,
                                   "/strata/subscribe: %d subscribers already (each ends %.0f s "
                                   "after its last /strata/subscribe)",
                                   SUBS_MAX, life);
        LOG_WARN(TAG, "subscriber refused: %d already", SUBS_MAX);
        return;
    }
    subscriber *s = &ctl->subs[ctl->nsubs++];
    memset(s, 0, sizeof *s);
    s->tcp_slot = c->tcp_slot;
    s->tcp_gen = c->tcp_gen;
    memcpy(s->to, &ss, c->from_len);
    s->to_len = c->from_len;
    s->fresh = true;
    s->since = now;
    s->expires = now + life;
    char who[80];
    sub_name(s, who, sizeof who);
    LOG_INFO(TAG, "subscriber %s (for %.0f s unless renewed)", who, life);
}

static void expire_subscribers(strata_control *ctl, double now)
{
    for (int k = 0; k < ctl->nsubs; k++) {
        if (now <= ctl->subs[k].expires)
            continue;
        char who[80];
        sub_name(&ctl->subs[k], who, sizeof who);
        LOG_INFO(TAG, "subscriber %s ended: not renewed", who);
        memmove(ctl->subs + k, ctl->subs + k + 1,
                sizeof ctl->subs[0] * (size_t)(ctl->nsubs - k - 1));
        ctl->nsubs--;
        k--;
    }
}

static void feedback(strata_control *ctl, const strata_control_frame *f, double now)
{
    expire_subscribers(ctl, now);
    if (ctl->nsubs == 0 || now - ctl->last_feedback < 1.0 / FEEDBACK_HZ)
        return;
    ctl->last_feedback = now;
    static const char *meters[AUDIO_METERS] = {
        "/strata/audio/level", "/strata/audio/bass", "/strata/audio/mid", "/strata/audio/high",
        "/strata/audio/onset", "/strata/audio/beat", "/strata/audio/bpm",
    };
    const strata_audio_frame *a = f->audio;
    float mv[AUDIO_METERS] = {
        a ? a->level.fast : 0.0f, a ? a->bass.fast : 0.0f, a ? a->mid.fast : 0.0f,
        a ? a->high.fast : 0.0f,  a ? a->onset : 0.0f,     ctl->tempo.st.beat_pulse,
        (float)ctl->tempo.st.bpm,
    };
    char buf[160], path[96];
    /* A parameter came or went: everyone gets the whole state again. */
    uint32_t gen = strata_param_generation();
    bool all = gen != ctl->feedback_gen;
    ctl->feedback_gen = gen;
    for (int k = 0; k < ctl->nsubs; k++) {
        subscriber *s = &ctl->subs[k];
        bool alive = true;
        s->fresh |= all;
        for (int i = 0; i < STRATA_PARAM_MAX; i++) {
            const strata_param_def *d = strata_param_def_of(i);
            if (!d)
                continue;
            float v = f->params->base[i];
            if (!s->fresh && fabsf(v - s->sent[i]) < 1e-5f)
                continue;
            s->sent[i] = v;
            snprintf(path, sizeof path, "/strata/state/%s", d->name);
            size_t n = strata_osc_build(buf, sizeof buf, path, "f", (double)v);
            alive &= feed(ctl, s, buf, n);
        }
        for (int i = 0; i < AUDIO_METERS; i++) {
            float v = isfinite(mv[i]) ? mv[i] : 0.0f;
            if (!s->fresh && fabsf(v - s->sent_audio[i]) < 0.002f)
                continue;
            s->sent_audio[i] = v;
            size_t n = strata_osc_build(buf, sizeof buf, meters[i], "f", (double)v);
            alive &= feed(ctl, s, buf, n);
        }
        s->fresh = false;
        if (!alive) /* its TCP connection closed: forget it */
            ctl->subs[k--] = ctl->subs[--ctl->nsubs];
    }
}

/* ---- applying commands ---------------------------------------------------------------- */

static void record_latency(strata_control *ctl, uint64_t recv_ns, uint64_t recv_frame,
                           uint64_t now_ns, uint64_t frame)
{
    ctl->lat_ms[ctl->lat_pos] = (float)((double)(now_ns - recv_ns) * 1e-6);
    ctl->lat_frames[ctl->lat_pos] = (float)(frame - recv_frame);
    ctl->lat_pos = (ctl->lat_pos + 1) % LAT_SAMPLES;
    if (ctl->lat_n < LAT_SAMPLES)
        ctl->lat_n++;
    ctl->n_applied++;
}

static void apply_cmd(strata_control *ctl, const strata_cmd *c, strata_control_frame *f)
{
    char buf[256];
    switch ((strata_cmd_type)c->type) {
    case STRATA_CMD_SET:
        strata_params_set(f->params, c->param, c->value, false);
        break;
    case STRATA_CMD_TEMPO_BPM:
        strata_control_set_bpm(ctl, c->value);
        break;
    case STRATA_CMD_TEMPO_TAP: {
        /* the tap happened when it arrived, not at this frame */
        double ago = (double)(strata_time_ns() - c->recv_ns) * 1e-9;
        tap_at(ctl, f->time - ago);
        break;
    }
    case STRATA_CMD_TEMPO_RESYNC:
        if (ctl->link_on)
            strata_link_request_beat(ctl->link, 0.0, ctl->tempo.st.beats_per_bar);
        else
            strata_tempo_resync(&ctl->tempo);
        break;
    case STRATA_CMD_TEMPO_SOURCE:
        ctl->tempo.mode = strcmp(c->str, "auto") == 0 ? STRATA_TEMPO_AUTO : STRATA_TEMPO_MANUAL;
        break;
    case STRATA_CMD_LINK:
        if (!strata_control_set_link(ctl, c->ival != 0))
            strata_control_reply_error(ctl, c, "/strata/link: Ableton Link failed to start");
        break;
    case STRATA_CMD_SUBSCRIBE:
        subscribe(ctl, c);
        break;
    case STRATA_CMD_UNSUBSCRIBE:
        unsubscribe(ctl, c);
        break;
    case STRATA_CMD_PING:
        reply(ctl, c, buf, strata_osc_build(buf, sizeof buf, "/strata/pong", ""));
        break;
    case STRATA_CMD_ERROR:
        reply(ctl, c, buf, strata_osc_build(buf, sizeof buf, "/strata/error", "s", c->str));
        return; /* not a command the sender asked for: no latency sample */
    case STRATA_CMD_GET:
        if (get_builtin(ctl, c, f->params))
            break;
        /* the app may know the name (scene, bank, ...) */
        __attribute__((fallthrough));
    default:
        if (!ctl->cfg.on_command || !ctl->cfg.on_command(ctl, c, ctl->cfg.user)) {
            if (c->type == STRATA_CMD_GET)
                strata_control_reply_error(ctl, c, "/strata/get: unknown name '%s'", c->str);
            else if (!ctl->cfg.on_command)
                strata_control_reply_error(ctl, c, "command not available in this mode");
        }
        break;
    }
    f->applied++;
    record_latency(ctl, c->recv_ns, c->recv_frame, strata_time_ns(),
                   atomic_load_explicit(&ctl->frame_no, memory_order_relaxed));
}

static void apply_slots(strata_control *ctl, strata_control_frame *f, uint64_t frame)
{
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        param_slot *s = &ctl->slot[i];
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (seq == ctl->slot_seen[i])
            continue;
        uint32_t bits = atomic_load_explicit(&s->bits, memory_order_relaxed);
        float v;
        memcpy(&v, &bits, sizeof v);
        ctl->slot_seen[i] = seq;
        atomic_store_explicit(&s->taken, seq, memory_order_relaxed);
        strata_params_set(f->params, i, v, false);
        f->applied++;
        record_latency(ctl, atomic_load_explicit(&s->recv_ns, memory_order_relaxed),
                       atomic_load_explicit(&s->recv_frame, memory_order_relaxed), strata_time_ns(),
                       frame);
    }
}

/* Move what arrived into the pending list; a bundle's end marks its commands complete. */
static void drain_queue(strata_control *ctl)
{
    strata_cmd c;
    while (ctl->npending < PENDING_MAX && strata_queue_pop(&ctl->queue, &c)) {
        if (c.type != STRATA_CMD_BUNDLE_END) {
            ctl->pending[ctl->npending++] = c;
            continue;
        }
        for (int i = 0; i < ctl->npending; i++)
            if (ctl->pending[i].bundle == c.bundle)
                ctl->pending[i].complete = 1;
    }
}

static void apply_pending(strata_control *ctl, strata_control_frame *f, uint64_t now_ns)
{
    lo_timetag now;
    lo_timetag_now(&now);
    /* "the frame of its time": due when its time is nearer this frame than the next */
    double half = f->dt > 0.0f ? f->dt * 0.5 : 0.0;
    int keep = 0, stale = 0;
    uint64_t limit_ns = ctl->cfg.pending_limit_s > 0 ? (uint64_t)(ctl->cfg.pending_limit_s * 1e9)
                                                      : PENDING_LIMIT_NS;
    for (int i = 0; i < ctl->npending; i++) {
        strata_cmd *c = &ctl->pending[i];
        bool ready = c->bundle == 0 || c->complete;
        if (ready && c->timetag > 1) {
            lo_timetag t = {(uint32_t)(c->timetag >> 32), (uint32_t)c->timetag};
            ready = lo_timetag_diff(t, now) <= half;
        }
        if (ready) {
            apply_cmd(ctl, c, f);
        } else if (now_ns > c->recv_ns && now_ns - c->recv_ns > limit_ns) {
            stale++;
        } else if (!c->complete && now_ns > c->recv_ns && now_ns - c->recv_ns > BUNDLE_TIMEOUT_NS) {
            /* now_ns was read before the queue was drained: a command that arrived
             * since is younger than now_ns, and the unsigned difference must not wrap. */
            LOG_WARN(TAG, "dropping part of bundle %u: its end never arrived (queue full)",
                     (unsigned)c->bundle);
        } else {
            ctl->pending[keep++] = *c;
        }
    }
    ctl->npending = keep;
    if (stale) {
        ctl->n_expired += (uint64_t)stale;
        LOG_WARN(TAG, "dropped %d commands that waited over %.1f s for their time", stale,
                 (double)limit_ns * 1e-9);
    }
}

void strata_control_set_aliases(strata_control *ctl, const strata_control_alias *a, int n)
{
    if (n > STRATA_CONTROL_MAX_ALIASES)
        n = STRATA_CONTROL_MAX_ALIASES;
    uint32_t s = atomic_load_explicit(&ctl->alias_seq, memory_order_relaxed);
    atomic_store_explicit(&ctl->alias_seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    int valid = 0;
    for (int i = 0; i < n; i++)
        if (strata_param_def_of(a[i].param) && a[i].address[0] == '/' &&
            strncmp(a[i].address, "/strata/", 8) != 0) /* strata's own space stays its own */
            ctl->aliases[valid++] = a[i];
    ctl->naliases = valid;
    atomic_store_explicit(&ctl->alias_seq, s + 2, memory_order_release);
}

int strata_control_get_aliases(const strata_control *ctl, strata_control_alias *out, int max)
{
    /* The OSC thread's read (osc_dispatch.c): copy, then retry when the sequence moved. */
    strata_control *c = (strata_control *)ctl; /* atomics are read, never written */
    for (int tries = 0; tries < 64; tries++) {
        uint32_t s1 = atomic_load_explicit(&c->alias_seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        int n = c->naliases;
        n = n < max ? n : max;
        n = n < STRATA_CONTROL_MAX_ALIASES ? n : STRATA_CONTROL_MAX_ALIASES;
        for (int i = 0; i < n; i++)
            out[i] = c->aliases[i];
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&c->alias_seq, memory_order_relaxed) == s1)
            return n;
    }
    return 0;
}

void strata_control_apply(strata_control *ctl, strata_control_frame *f)
{
    uint64_t frame = atomic_fetch_add_explicit(&ctl->frame_no, 1, memory_order_relaxed) + 1;
    uint64_t now_ns = strata_time_ns();
    f->applied = 0;
    apply_slots(ctl, f, frame);
    drain_queue(ctl);
    apply_pending(ctl, f, now_ns);
    tempo_advance(ctl, f);
    strata_routes_eval(&ctl->routes, &ctl->tempo.st, f->audio, f->dt, f->params);
    strata_params_update(f->params, f->dt);
    feedback(ctl, f, (double)now_ns * 1e-9);
    f->tempo = ctl->tempo.st;
}

/* ---- statistics ---------------------------------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double pct(const float *sorted, int n, double p)
{
    int i = (int)ceil(p * n) - 1;
    return sorted[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

void strata_control_stats_get(strata_control *ctl, strata_control_stats *s)
{
    memset(s, 0, sizeof *s);
    s->packets = atomic_load(&ctl->n_packets);
    s->messages = atomic_load(&ctl->n_messages);
    s->coalesced = atomic_load(&ctl->n_coalesced);
    s->errors = atomic_load(&ctl->n_errors);
    s->denied = atomic_load(&ctl->n_denied);
    s->dropped = atomic_load(&ctl->n_dropped);
    s->applied = ctl->n_applied;
    s->expired = ctl->n_expired;
    s->frames = atomic_load(&ctl->frame_no);
    s->subscribers = ctl->nsubs;
    s->lat_count = ctl->lat_n;
    if (ctl->lat_n == 0)
        return;
    float *tmp = malloc(sizeof(float) * LAT_SAMPLES); /* not per frame: fine to allocate */
    if (!tmp)
        return;
    memcpy(tmp, ctl->lat_ms, sizeof(float) * (size_t)ctl->lat_n);
    qsort(tmp, (size_t)ctl->lat_n, sizeof(float), cmp_float);
    s->lat_p50_ms = pct(tmp, ctl->lat_n, 0.5);
    s->lat_p99_ms = pct(tmp, ctl->lat_n, 0.99);
    s->lat_max_ms = tmp[ctl->lat_n - 1];
    memcpy(tmp, ctl->lat_frames, sizeof(float) * (size_t)ctl->lat_n);
    qsort(tmp, (size_t)ctl->lat_n, sizeof(float), cmp_float);
    s->lat_p50_frames = pct(tmp, ctl->lat_n, 0.5);
    s->lat_p99_frames = pct(tmp, ctl->lat_n, 0.99);
    free(tmp);
}

void strata_control_stats_reset(strata_control *ctl)
{
    ctl->lat_n = ctl->lat_pos = 0;
    ctl->n_applied = 0;
}

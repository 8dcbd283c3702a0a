/* One OSC message: validate the address and every argument, then publish it as a command
 * (or, for a parameter outside a bundle, into its latest-value slot). OSC thread. */
#include "control_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG "OSC"
#define LOG_PER_S 10 /* "queue full" log lines per second */

/* ---- message validation ----------------------------------------------------- */

/* liblo's argument pointers are only 4-byte aligned (an h or d after an i sits at 4
 * mod 8): every value is copied out with memcpy, never read through lo_arg. */
bool strata_osc_arg_number(const osc_msg *m, int i, double *out)
{
    const void *p = m->argv[i];
    switch (m->types[i]) {
    case LO_INT32: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        *out = v;
        return true;
    }
    case LO_FLOAT: {
        float v;
        memcpy(&v, p, sizeof v);
        *out = v;
        return true;
    }
    case LO_INT64: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        *out = (double)v;
        return true;
    }
    case LO_DOUBLE: {
        double v;
        memcpy(&v, p, sizeof v);
        *out = v;
        return true;
    }
    case LO_TRUE:
        *out = 1.0;
        return true;
    case LO_FALSE:
        *out = 0.0;
        return true;
    default:
        return false;
    }
}

const char *strata_osc_arg_string(const osc_msg *m, int i)
{
    if (i >= m->argc || (m->types[i] != LO_STRING && m->types[i] != LO_SYMBOL))
        return NULL;
    return (const char *)m->argv[i]; /* chars: no alignment to respect */
}

static void push(strata_control *ctl, const osc_msg *m, strata_cmd *c)
{
    c->tcp_slot = ctl->cur_tcp_slot;
    c->tcp_gen = ctl->cur_tcp_gen;
    c->bundle = m->bundle;
    c->timetag = m->timetag;
    c->recv_ns = strata_time_ns();
    c->recv_frame = atomic_load_explicit(&ctl->frame_no, memory_order_relaxed);
    if (m->from && m->from_len <= sizeof c->from) {
        memcpy(c->from, m->from, m->from_len);
        c->from_len = (uint8_t)m->from_len;
    }
    if (strata_queue_push(&ctl->queue, c)) {
        atomic_fetch_add(&ctl->n_messages, 1);
    } else {
        atomic_fetch_add(&ctl->n_dropped, 1);
        strata_osc_log_window(ctl);
        if (ctl->log_count++ < LOG_PER_S)
            LOG_WARN(TAG, "command queue full: dropped %s", m->path);
    }
}

static void set_param(strata_control *ctl, const osc_msg *m, int id, float v)
{
    if (m->bundle) { /* a bundle must apply whole: it goes in order through the queue */
        strata_cmd c = {.type = STRATA_CMD_SET, .param = (int16_t)id, .value = v};
        push(ctl, m, &c);
        return;
    }
    param_slot *s = &ctl->slot[id];
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if (seq != atomic_load_explicit(&s->taken, memory_order_relaxed))
        atomic_fetch_add_explicit(&ctl->n_coalesced, 1, memory_order_relaxed);
    atomic_store_explicit(&s->bits, bits, memory_order_relaxed);
    atomic_store_explicit(&s->recv_ns, strata_time_ns(), memory_order_relaxed);
    atomic_store_explicit(&s->recv_frame,
                          atomic_load_explicit(&ctl->frame_no, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
    atomic_fetch_add_explicit(&ctl->n_messages, 1, memory_order_relaxed);
}

#define ERR(...) strata_osc_error(ctl, m->from, m->from_len, m->path, __VA_ARGS__)

/* A trigger (tap, next, ping...): no argument, or one number where 0 is a release.
 * TouchOSC and Open Stage Control buttons send 1 on press and 0 on release. */
static int trigger(strata_control *ctl, const osc_msg *m)
{
    if (m->argc == 0)
        return 1;
    double v;
    if (m->argc == 1 && strata_osc_arg_number(m, 0, &v))
        return v != 0.0 ? 1 : 0;
    ERR("expects no argument or one number (got '%s')", m->types);
    return -1;
}

static bool one_number(strata_control *ctl, const osc_msg *m, double *v)
{
    if (m->argc != 1 || !strata_osc_arg_number(m, 0, v)) {
        ERR("expects one number (i, f, h, d, T or F), got '%s'", m->types);
        return false;
    }
    if (!isfinite(*v)) {
        ERR("not a finite number");
        return false;
    }
    return true;
}

static bool one_string(strata_control *ctl, const osc_msg *m, strata_cmd *c)
{
    const char *s = m->argc == 1 ? strata_osc_arg_string(m, 0) : NULL;
    if (!s) {
        ERR("expects one string, got '%s'", m->types);
        return false;
    }
    if (strlen(s) >= sizeof c->str) {
        ERR("string longer than %zu bytes", sizeof c->str - 1);
        return false;
    }
    strcpy(c->str, s);
    return true;
}

static void handle_strata(strata_control *ctl, const osc_msg *m, const char *rest)
{
    strata_cmd c = {0};
    double v = 0.0;
    int id = strata_param_find(rest);
    if (id >= 0) {
        if (one_number(ctl, m, &v))
            set_param(ctl, m, id, (float)fmax(fmin(v, 1e30), -1e30));
        return;
    }
    int t;
    if (strcmp(rest, "scene") == 0) {
        if (m->argc == 1 && (m->types[0] == LO_STRING || m->types[0] == LO_SYMBOL)) {
            if (!one_string(ctl, m, &c))
                return;
            c.ival = -1;
        } else if (one_number(ctl, m, &v)) {
            if (v < 0 || v > INT32_MAX) {
                ERR("scene index out of range");
                return;
            }
            c.ival = (int32_t)v;
        } else {
            return;
        }
        c.type = STRATA_CMD_SCENE;
    } else if (strcmp(rest, "scene/next") == 0 || strcmp(rest, "scene/prev") == 0) {
        if ((t = trigger(ctl, m)) <= 0)
            return;
        c.type = rest[6] == 'n' ? STRATA_CMD_SCENE_NEXT : STRATA_CMD_SCENE_PREV;
    } else if (strcmp(rest, "key") == 0) {
        double secs = -1.0;
        if (m->argc < 1 || m->argc > 2 || !strata_osc_arg_number(m, 0, &v) ||
            (m->argc == 2 && !strata_osc_arg_number(m, 1, &secs))) {
            ERR("expects i [f seconds], got '%s'", m->types);
            return;
        }
        if (!isfinite(v) || v < 0 || v > INT32_MAX || !isfinite(secs)) {
            ERR("keyframe or time out of range");
            return;
        }
        c.type = STRATA_CMD_KEY;
        c.ival = (int32_t)v;
        c.value = (float)fmin(secs, 3600.0);
    } else if (strcmp(rest, "tempo/bpm") == 0) {
        if (!one_number(ctl, m, &v))
            return;
        c.type = STRATA_CMD_TEMPO_BPM;
        c.value = (float)fmax(fmin(v, 999.0), 20.0); /* clamp like every other value */
    } else if (strcmp(rest, "tempo/tap") == 0 || strcmp(rest, "tempo/resync") == 0) {
        if ((t = trigger(ctl, m)) <= 0)
            return;
        c.type = rest[6] == 't' ? STRATA_CMD_TEMPO_TAP : STRATA_CMD_TEMPO_RESYNC;
    } else if (strcmp(rest, "tempo/source") == 0) {
        if (!one_string(ctl, m, &c))
            return;
        if (strcmp(c.str, "auto") != 0 && strcmp(c.str, "manual") != 0) {
            ERR("expects auto or manual");
            return;
        }
        c.type = STRATA_CMD_TEMPO_SOURCE;
    } else if (strcmp(rest, "link") == 0) {
        if (!one_number(ctl, m, &v))
            return;
        c.type = STRATA_CMD_LINK;
        c.ival = v != 0.0;
    } else if (strcmp(rest, "get") == 0) {
        if (!one_string(ctl, m, &c))
            return;
        c.type = STRATA_CMD_GET;
    } else if (strcmp(rest, "subscribe") == 0) {
        if (m->argc == 1) {
            if (!one_number(ctl, m, &v))
                return;
            if (v < 1 || v > 65535) {
                ERR("port out of range 1..65535");
                return;
            }
            c.ival = (int32_t)v;
        } else if (m->argc != 0) {
            ERR("expects [i port], got '%s'", m->types);
            return;
        }
        if (!m->from_len) {
            ERR("no sender address to reply to");
            return;
        }
        c.type = STRATA_CMD_SUBSCRIBE;
    } else if (strcmp(rest, "unsubscribe") == 0) {
        if ((t = trigger(ctl, m)) <= 0)
            return;
        c.type = STRATA_CMD_UNSUBSCRIBE;
    } else if (strcmp(rest, "screenshot") == 0) {
        if (m->argc == 1 && (m->types[0] == LO_STRING || m->types[0] == LO_SYMBOL)) {
            if (!strata_osc_screenshot(ctl, m, &c))
                return;
        } else if ((t = trigger(ctl, m)) <= 0 || !strata_osc_screenshot(ctl, m, &c)) {
            return;
        }
        c.type = STRATA_CMD_SCREENSHOT;
    } else if (strcmp(rest, "midi/learn") == 0) {
        /* a parameter's name arms MIDI learn (the app checks it); no argument disarms */
        if (m->argc != 0 && !one_string(ctl, m, &c))
            return;
        c.type = STRATA_CMD_MIDI_LEARN;
    } else if (strcmp(rest, "ping") == 0) {
        c.type = STRATA_CMD_PING; /* any arguments: a ping must always answer */
    } else {
        ERR("unknown address");
        return;
    }
    push(ctl, m, &c);
}

/* A scene alias? Copy the matching entry under the seqlock, then act on the copy. */
static bool handle_alias(strata_control *ctl, const osc_msg *m)
{
    strata_control_alias hit;
    bool found;
    for (int tries = 0; tries < 64; tries++) {
        uint32_t s1 = atomic_load_explicit(&ctl->alias_seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        found = false;
        int n = ctl->naliases;
        for (int i = 0; i < n && i < STRATA_CONTROL_MAX_ALIASES; i++)
            if (strncmp(ctl->aliases[i].address, m->path, sizeof hit.address) == 0) {
                hit = ctl->aliases[i];
                found = true;
                break;
            }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&ctl->alias_seq, memory_order_relaxed) == s1)
            goto done;
    }
    return false; /* the table kept changing: treat as no alias this time */
done:
    if (!found)
        return false;
    double x;
    if (m->argc != 1 || !strata_osc_arg_number(m, 0, &x)) {
        strata_param_info info;
        ERR("alias of %s takes one number",
            strata_param_get(hit.param, &info) ? info.name : "a parameter gone");
        return true;
    }
    set_param(ctl, m, hit.param, (float)(hit.lo + x * (hit.hi - hit.lo)));
    return true;
}

void strata_osc_handle_message(strata_control *ctl, const unsigned char *data, size_t len,
                               uint64_t timetag, uint32_t bundle, const void *from, size_t from_len)
{
    /* The address for error replies, even from a message liblo rejects. */
    char path[64];
    size_t pl = strnlen((const char *)data, len);
    snprintf(path, sizeof path, "%.*s", (int)(pl < 63 ? pl : 63), (const char *)data);
    int res = 0;
    lo_message msg = lo_message_deserialise((void *)data, len, &res);
    if (!msg) {
        strata_osc_error(ctl, from, from_len, path, "malformed message (liblo error %d)", res);
        return;
    }
    osc_msg m = {
        .path = (const char *)data,
        .types = lo_message_get_types(msg),
        .argv = lo_message_get_argv(msg),
        .argc = lo_message_get_argc(msg),
        .timetag = timetag,
        .bundle = bundle,
        .from = from,
        .from_len = from_len,
    };
    if (!m.types)
        m.types = "";
    if (handle_alias(ctl, &m)) {
        lo_message_free(msg);
        return;
    }
    if (strncmp(m.path, "/strata/", 8) != 0)
        strata_osc_error(ctl, from, from_len, path, "unknown address");
    else
        handle_strata(ctl, &m, m.path + 8);
    lo_message_free(msg);
}

/* The message a fader sends all night, `/strata/<param> ,f value`, parsed in place: no
 * liblo allocation per message, which is what a flood costs. Anything else (or anything
 * odd about this one) takes the full validating path. */
bool strata_osc_fast_set(strata_control *ctl, const unsigned char *d, size_t len, const void *from,
                         size_t from_len)
{
    if (len < 16 || len > 128 || memcmp(d, "/strata/", 8) != 0)
        return false;
    const unsigned char *nul = memchr(d, 0, len);
    if (!nul)
        return false;
    size_t alen = (size_t)(nul - d) + 1, apad = (alen + 3) & ~(size_t)3;
    if (apad + 8 != len || memcmp(d + apad, ",f\0\0", 4) != 0)
        return false;
    char name[64];
    size_t nlen = alen - 1 - 8;
    if (nlen == 0 || nlen >= sizeof name)
        return false;
    memcpy(name, d + 8, nlen);
    name[nlen] = 0;
    int id = strata_param_find(name);
    if (id < 0)
        return false;
    uint32_t bits = osc_be32(d + apad + 4);
    float v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v))
        return false; /* the full path says why */
    /* Aliases never live under /strata/ (strata_control_set_aliases refuses them). */
    osc_msg m = {.path = (const char *)d, .types = "f", .from = from, .from_len = from_len};
    set_param(ctl, &m, id, v);
    return true;
}

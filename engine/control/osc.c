/* The OSC side: sockets and the server thread, packet and bundle parsing, validation of
 * every address, and the flood generator. Runs on the OSC thread; it publishes commands
 * and never touches strata_params. */
#include "control_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAG "OSC"
#define LOG_PER_S 10    /* error log lines per second, then a count */
#define REPLY_PER_S 100 /* error replies per second (they cost queue slots) */

/* ---- sender addresses ------------------------------------------------------ */

/* The 128-bit form of an address: v4 as v4-mapped, so one CIDR check covers both. */
static bool addr128(const unsigned char *from, size_t len, unsigned char out[16])
{
    struct sockaddr_storage ss;
    if (!from || len < sizeof(sa_family_t) || len > sizeof ss)
        return false;
    memcpy(&ss, from, len);
    if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
        return true;
    }
    if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        memcpy(out, &((const struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        return true;
    }
    return false;
}

void strata_control_cmd_sender(const strata_cmd *cmd, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    char host[INET6_ADDRSTRLEN] = "-";
    int port = 0;
    if (cmd->from_len >= sizeof(struct sockaddr_in) && cmd->from_len <= sizeof ss) {
        memcpy(&ss, cmd->from, cmd->from_len);
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6 && cmd->from_len >= sizeof(struct sockaddr_in6)) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(buf, n, "%s:%d", host, port);
}

bool strata_osc_parse_allow(strata_control *ctl, const char *list, strata_result *r)
{
    ctl->nallow = 0;
    if (!list || !*list)
        return true;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (n == 0 || n >= sizeof item || ctl->nallow == OSC_ALLOW_MAX) {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow %s: bad or too many entries", list);
            return false;
        }
        memcpy(item, p, n);
        item[n] = 0;
        osc_cidr *c = &ctl->allow[ctl->nallow];
        char *slash = strchr(item, '/');
        int prefix = -1;
        if (slash) {
            char *e;
            long v = strtol(slash + 1, &e, 10);
            if (*e || e == slash + 1 || v < 0) {
                strata_fail(r, STRATA_ERR_ARG, "--osc-allow: bad prefix in '%s'", item);
                return false;
            }
            prefix = (int)v;
            *slash = 0;
        }
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, item, &a4) == 1) {
            if (prefix > 32) {
                strata_fail(r, STRATA_ERR_ARG, "--osc-allow: prefix over 32 in '%s'", item);
                return false;
            }
            c->family = AF_INET;
            memset(c->addr, 0, 10);
            c->addr[10] = c->addr[11] = 0xff;
            memcpy(c->addr + 12, &a4, 4);
            c->prefix = 96 + (prefix < 0 ? 32 : prefix);
        } else if (inet_pton(AF_INET6, item, &a6) == 1) {
            if (prefix > 128) {
                strata_fail(r, STRATA_ERR_ARG, "--osc-allow: prefix over 128 in '%s'", item);
                return false;
            }
            c->family = AF_INET6;
            memcpy(c->addr, &a6, 16);
            c->prefix = prefix < 0 ? 128 : prefix;
        } else {
            strata_fail(r, STRATA_ERR_ARG, "--osc-allow: '%s' is not an address", item);
            return false;
        }
        ctl->nallow++;
        p = end ? end + 1 : p + n;
    }
    return true;
}

static bool cidr_match(const osc_cidr *c, const unsigned char a[16])
{
    int bits = c->prefix;
    for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
        unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & mask) != (c->addr[i] & mask))
            return false;
    }
    return true;
}

static bool sender_allowed(strata_control *ctl, const void *from, size_t len)
{
    if (ctl->nallow == 0)
        return true;
    unsigned char a[16];
    if (!addr128(from, len, a))
        return false;
    for (int i = 0; i < ctl->nallow; i++)
        if (cidr_match(&ctl->allow[i], a))
            return true;
    atomic_fetch_add(&ctl->n_denied, 1);
    /* Log each denied sender once: a flood from outside must not flood the log. */
    for (int i = 0; i < ctl->ndenied_seen; i++)
        if (memcmp(ctl->denied_seen[i], a, 16) == 0)
            return false;
    strata_cmd tmp = {0};
    memcpy(tmp.from, from, len);
    tmp.from_len = (uint8_t)len;
    char who[80];
    strata_control_cmd_sender(&tmp, who, sizeof who);
    if (ctl->ndenied_seen < OSC_DENIED_LOGGED) {
        memcpy(ctl->denied_seen[ctl->ndenied_seen++], a, 16);
        LOG_WARN(TAG, "dropping packets from %s: not in --osc-allow", who);
    }
    return false;
}

/* ---- errors ------------------------------------------------------------------ */

static void rate_window(strata_control *ctl)
{
    double now = strata_time_s();
    if (now - ctl->log_window >= 1.0) {
        if (ctl->log_suppressed)
            LOG_WARN(TAG, "%llu more bad messages in the last second (not logged)",
                     (unsigned long long)ctl->log_suppressed);
        ctl->log_window = now;
        ctl->log_count = ctl->reply_count = 0;
        ctl->log_suppressed = 0;
    }
}

/* Make a printable copy of an address from the wire (it may hold anything). */
static void clean_path(const char *path, char *out, size_t n)
{
    size_t i = 0;
    for (; path && path[i] && i + 1 < n; i++)
        out[i] = (path[i] >= 32 && path[i] < 127) ? path[i] : '?';
    out[i] = 0;
    if (i == 0)
        snprintf(out, n, "(none)");
}

static void osc_error(strata_control *ctl, const void *from, size_t from_len, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void osc_error(strata_control *ctl, const void *from, size_t from_len, const char *path,
                      const char *fmt, ...)
{
    atomic_fetch_add(&ctl->n_errors, 1);
    rate_window(ctl);
    strata_cmd c = {.type = STRATA_CMD_ERROR,
                    .recv_ns = strata_time_ns(),
                    .tcp_slot = ctl->cur_tcp_slot,
                    .tcp_gen = ctl->cur_tcp_gen};
    char p[64], why[96];
    clean_path(path, p, sizeof p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (snprintf(c.str, sizeof c.str, "%s: %s", p, why) >= (int)sizeof c.str)
        c.str[sizeof c.str - 2] = '~'; /* cut short: say so */
    if (from && from_len <= sizeof c.from) {
        memcpy(c.from, from, from_len);
        c.from_len = (uint8_t)from_len;
    }
    if (ctl->log_count < LOG_PER_S) {
        char who[80];
        strata_control_cmd_sender(&c, who, sizeof who);
        LOG_WARN(TAG, "%s from %s", c.str, who);
        ctl->log_count++;
    } else {
        ctl->log_suppressed++;
    }
    if (c.from_len && ctl->reply_count < REPLY_PER_S) {
        ctl->reply_count++;
        if (!strata_queue_push(&ctl->queue, &c))
            atomic_fetch_add(&ctl->n_dropped, 1);
    }
}

/* ---- message validation ----------------------------------------------------- */

typedef struct msg_ctx {
    const char *path;
    const char *types;
    lo_arg **argv;
    int argc;
    uint64_t timetag;
    uint32_t bundle;
    const void *from;
    size_t from_len;
} msg_ctx;

static bool arg_number(const msg_ctx *m, int i, double *out)
{
    switch (m->types[i]) {
    case LO_INT32:
        *out = m->argv[i]->i;
        return true;
    case LO_FLOAT:
        *out = m->argv[i]->f;
        return true;
    case LO_INT64:
        *out = (double)m->argv[i]->h;
        return true;
    case LO_DOUBLE:
        *out = m->argv[i]->d;
        return true;
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

static void push(strata_control *ctl, const msg_ctx *m, strata_cmd *c)
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
        rate_window(ctl);
        if (ctl->log_count++ < LOG_PER_S)
            LOG_WARN(TAG, "command queue full: dropped %s", m->path);
    }
}

static void set_param(strata_control *ctl, const msg_ctx *m, int id, float v)
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

#define ERR(...) osc_error(ctl, m->from, m->from_len, m->path, __VA_ARGS__)

/* A trigger (tap, next, ping...): no argument, or one number where 0 is a release.
 * TouchOSC and Open Stage Control buttons send 1 on press and 0 on release. */
static int trigger(strata_control *ctl, const msg_ctx *m)
{
    if (m->argc == 0)
        return 1;
    double v;
    if (m->argc == 1 && arg_number(m, 0, &v))
        return v != 0.0 ? 1 : 0;
    ERR("expects no argument or one number (got '%s')", m->types);
    return -1;
}

static bool one_number(strata_control *ctl, const msg_ctx *m, double *v)
{
    if (m->argc != 1 || !arg_number(m, 0, v)) {
        ERR("expects one number (i, f, h, d, T or F), got '%s'", m->types);
        return false;
    }
    if (!isfinite(*v)) {
        ERR("not a finite number");
        return false;
    }
    return true;
}

static bool one_string(strata_control *ctl, const msg_ctx *m, strata_cmd *c)
{
    if (m->argc != 1 || (m->types[0] != LO_STRING && m->types[0] != LO_SYMBOL)) {
        ERR("expects one string, got '%s'", m->types);
        return false;
    }
    const char *s = &m->argv[0]->s;
    if (strlen(s) >= sizeof c->str) {
        ERR("string longer than %zu bytes", sizeof c->str - 1);
        return false;
    }
    strcpy(c->str, s);
    return true;
}

/* A screenshot path must stay inside the screenshot folder: relative, or absolute under
 * it, with no ".." component. Lexical on purpose: the file does not exist yet. */
static bool screenshot_path(strata_control *ctl, const msg_ctx *m, strata_cmd *c)
{
    const char *s = &m->argv[0]->s;
    size_t dl = strlen(ctl->shot_dir);
    const char *rel = s;
    if (s[0] == '/') {
        if (strncmp(s, ctl->shot_dir, dl) != 0 || s[dl] != '/') {
            ERR("path outside the screenshot folder");
            return false;
        }
        rel = s + dl + 1;
    }
    for (const char *p = rel; *p; p++) {
        if ((unsigned char)*p < 32) {
            ERR("control character in path");
            return false;
        }
    }
    for (const char *p = rel; p;) {
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) {
            ERR("'..' in path");
            return false;
        }
        p = strchr(p, '/');
        p = p ? p + 1 : NULL;
    }
    if (!*rel || rel[strlen(rel) - 1] == '/') {
        ERR("empty file name");
        return false;
    }
    int n = snprintf(c->str, sizeof c->str, "%s/%s", ctl->shot_dir, rel);
    if (n < 0 || (size_t)n >= sizeof c->str) {
        ERR("path too long");
        return false;
    }
    /* A folder on the way may be a link that leads out: resolve the parent (the file
     * itself is replaced by rename, so a link there is replaced, not followed). */
    char parent[PATH_MAX], real[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", c->str);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = 0;
    if (realpath(parent, real) &&
        (strncmp(real, ctl->shot_dir, dl) != 0 || (real[dl] != '/' && real[dl] != 0))) {
        ERR("path leaves the screenshot folder through a link");
        return false;
    }
    return true;
}

static void handle_strata(strata_control *ctl, const msg_ctx *m, const char *rest)
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
        if (m->argc < 1 || m->argc > 2 || !arg_number(m, 0, &v) ||
            (m->argc == 2 && !arg_number(m, 1, &secs))) {
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
            if (!screenshot_path(ctl, m, &c))
                return;
        } else if ((t = trigger(ctl, m)) <= 0) {
            return;
        }
        c.type = STRATA_CMD_SCREENSHOT;
    } else if (strcmp(rest, "ping") == 0) {
        c.type = STRATA_CMD_PING; /* any arguments: a ping must always answer */
    } else {
        ERR("unknown address");
        return;
    }
    push(ctl, m, &c);
}

/* A scene alias? Copy the matching entry under the seqlock, then act on the copy. */
static bool handle_alias(strata_control *ctl, const msg_ctx *m)
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
    if (m->argc != 1 || !arg_number(m, 0, &x)) {
        ERR("alias of %s takes one number", strata_param_defs[hit.param].name);
        return true;
    }
    set_param(ctl, m, hit.param, (float)(hit.lo + x * (hit.hi - hit.lo)));
    return true;
}

static void handle_message(strata_control *ctl, const unsigned char *data, size_t len,
                           uint64_t timetag, uint32_t bundle, const void *from, size_t from_len)
{
    /* The address for error replies, even from a message liblo rejects. */
    char path[64];
    size_t pl = strnlen((const char *)data, len);
    snprintf(path, sizeof path, "%.*s", (int)(pl < 63 ? pl : 63), (const char *)data);
    int res = 0;
    lo_message msg = lo_message_deserialise((void *)data, len, &res);
    if (!msg) {
        osc_error(ctl, from, from_len, path, "malformed message (liblo error %d)", res);
        return;
    }
    msg_ctx m = {
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
        osc_error(ctl, from, from_len, path, "unknown address");
    else
        handle_strata(ctl, &m, m.path + 8);
    lo_message_free(msg);
}

/* ---- bundles -------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool is_bundle(const unsigned char *d, size_t len)
{
    return len >= 8 && memcmp(d, "#bundle", 8) == 0;
}

/* Check the structure of a whole bundle before anything in it is applied, so that a
 * broken bundle is refused whole rather than half-applied. */
static const char *bundle_check(const unsigned char *d, size_t len, int depth)
{
    if (depth >= OSC_MAX_DEPTH)
        return "bundles nested too deep";
    if (len < 16)
        return "truncated bundle header";
    for (size_t off = 16; off < len;) {
        if (len - off < 4)
            return "truncated bundle element size";
        uint32_t n = be32(d + off);
        off += 4;
        if (n == 0 || n % 4 || n > len - off)
            return "bad bundle element size";
        if (is_bundle(d + off, n)) {
            const char *e = bundle_check(d + off, n, depth + 1);
            if (e)
                return e;
        }
        off += n;
    }
    return NULL;
}

static void bundle_dispatch(strata_control *ctl, const unsigned char *d, size_t len,
                            uint64_t outer_tt, uint32_t id, const void *from, size_t from_len)
{
    uint64_t tt = (uint64_t)be32(d + 8) << 32 | be32(d + 12);
    /* 1 means "immediately": it inherits the enclosing bundle's time. */
    if (tt <= 1 || tt < outer_tt)
        tt = outer_tt;
    for (size_t off = 16; off < len;) {
        uint32_t n = be32(d + off);
        off += 4;
        if (is_bundle(d + off, n))
            bundle_dispatch(ctl, d + off, n, tt, id, from, from_len);
        else
            handle_message(ctl, d + off, n, tt, id, from, from_len);
        off += n;
    }
}

static double timetag_ahead(uint64_t tt)
{
    lo_timetag now;
    lo_timetag_now(&now);
    lo_timetag t = {(uint32_t)(tt >> 32), (uint32_t)tt};
    return lo_timetag_diff(t, now);
}

static uint32_t be32(const unsigned char *p);

/* The message a fader sends all night, `/strata/<param> ,f value`, parsed in place: no
 * liblo allocation per message, which is what a flood costs. Anything else (or anything
 * odd about this one) takes the full validating path. */
static bool fast_param_set(strata_control *ctl, const unsigned char *d, size_t len,
                           const void *from, size_t from_len)
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
    uint32_t bits = be32(d + apad + 4);
    float v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v))
        return false; /* the full path says why */
    /* Aliases never live under /strata/ (strata_control_set_aliases refuses them). */
    msg_ctx m = {.path = (const char *)d, .types = "f", .from = from, .from_len = from_len};
    set_param(ctl, &m, id, v);
    return true;
}

void strata_osc_handle_packet(strata_control *ctl, const void *data, size_t len, const void *from,
                              size_t from_len)
{
    const unsigned char *d = data;
    if (from_len > sizeof((strata_cmd *)0)->from)
        from = NULL, from_len = 0;
    if (!from)
        from_len = 0;
    atomic_fetch_add_explicit(&ctl->n_packets, 1, memory_order_relaxed);
    if (!sender_allowed(ctl, from, from_len))
        return;
    if (len == 0 || len % 4 != 0) {
        osc_error(ctl, from, from_len, NULL, "packet size %zu is not a multiple of 4", len);
        return;
    }
    if (!is_bundle(d, len)) {
        if (!fast_param_set(ctl, d, len, from, from_len))
            handle_message(ctl, d, len, 0, 0, from, from_len);
        return;
    }
    const char *e = bundle_check(d, len, 0);
    if (e) {
        osc_error(ctl, from, from_len, "#bundle", "%s", e);
        return;
    }
    uint64_t tt = (uint64_t)be32(d + 8) << 32 | be32(d + 12);
    if (tt > 1 && timetag_ahead(tt) > OSC_MAX_AHEAD_S) {
        osc_error(ctl, from, from_len, "#bundle", "timetag more than %.0f s ahead",
                  OSC_MAX_AHEAD_S);
        return;
    }
    uint32_t id = ++ctl->bundle_seq;
    if (id == 0)
        id = ctl->bundle_seq = 1;
    bundle_dispatch(ctl, d, len, 0, id, from, from_len);
    strata_cmd end = {.type = STRATA_CMD_BUNDLE_END, .bundle = id};
    /* Lost only when the queue is full; the render thread then times the bundle out. */
    if (!strata_queue_push(&ctl->queue, &end))
        atomic_fetch_add(&ctl->n_dropped, 1);
}

/* ---- sockets and the server thread ------------------------------------------------ */

static void tcp_drop(tcp_client *c)
{
    pthread_mutex_lock(&c->send_lock);
    close(c->fd);
    c->fd = -1;
    c->gen++;
    pthread_mutex_unlock(&c->send_lock);
    c->have = 0;
}

int strata_osc_tcp_send(strata_control *ctl, int slot, uint32_t gen, const char *buf, size_t n)
{
    if (slot < 0 || slot >= OSC_TCP_CLIENTS || n == 0 || n > 4096)
        return -1;
    unsigned char frame[4 + 4096];
    frame[0] = (unsigned char)(n >> 24);
    frame[1] = (unsigned char)(n >> 16);
    frame[2] = (unsigned char)(n >> 8);
    frame[3] = (unsigned char)n;
    memcpy(frame + 4, buf, n);
    tcp_client *c = &ctl->tcp[slot];
    int result = -1;
    pthread_mutex_lock(&c->send_lock);
    if (c->fd >= 0 && c->gen == gen) {
        /* Non-blocking: a client that stops reading loses replies, never the frame. */
        ssize_t w = send(c->fd, frame, 4 + n, MSG_DONTWAIT | MSG_NOSIGNAL);
        result = w == (ssize_t)(4 + n) ? 1 : (w < 0 && errno == EAGAIN ? 0 : -1);
    }
    pthread_mutex_unlock(&c->send_lock);
    return result;
}

/* OSC 1.0 over TCP: each packet is an int32 big-endian size, then the packet. */
static void tcp_read(strata_control *ctl, tcp_client *c)
{
    for (;;) {
        size_t want = c->have < 4 ? 4 - c->have : 4 + be32(c->buf) - c->have;
        ssize_t n = recv(c->fd, c->buf + c->have, want, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            tcp_drop(c);
            return;
        }
        if (n < 0)
            return;
        c->have += (size_t)n;
        if (c->have == 4 && (be32(c->buf) == 0 || be32(c->buf) > OSC_MAX_PACKET)) {
            LOG_WARN(TAG, "TCP client sent a %u byte packet; closing it", be32(c->buf));
            tcp_drop(c);
            return;
        }
        if (c->have > 4 && c->have == 4 + be32(c->buf)) {
            /* The connection's own generation can be read here: only this thread
             * changes it. */
            ctl->cur_tcp_slot = (uint8_t)(c - ctl->tcp + 1);
            ctl->cur_tcp_gen = c->gen;
            strata_osc_handle_packet(ctl, c->buf + 4, c->have - 4, c->from, c->from_len);
            ctl->cur_tcp_slot = 0;
            c->have = 0;
        }
    }
}

static void tcp_accept(strata_control *ctl)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept(ctl->fd, (struct sockaddr *)&ss, &sl);
    if (fd < 0)
        return;
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        tcp_client *c = &ctl->tcp[i];
        if (c->fd >= 0)
            continue;
        pthread_mutex_lock(&c->send_lock);
        c->fd = fd;
        c->gen++;
        pthread_mutex_unlock(&c->send_lock);
        c->have = 0;
        c->from_len = sl <= sizeof c->from ? (uint8_t)sl : 0;
        memcpy(c->from, &ss, c->from_len);
        return;
    }
    LOG_WARN(TAG, "more than %d TCP clients; refusing one", OSC_TCP_CLIENTS);
    close(fd);
}

static void *osc_thread(void *arg)
{
    strata_control *ctl = arg;
    while (!atomic_load(&ctl->stop)) {
        struct pollfd pf[1 + OSC_TCP_CLIENTS];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = ctl->fd, .events = POLLIN};
        for (int i = 0; ctl->cfg.osc_tcp && i < OSC_TCP_CLIENTS; i++)
            pf[n++] = (struct pollfd){.fd = ctl->tcp[i].fd, .events = POLLIN};
        /* 50 ms: how long destroy waits for the thread to notice stop */
        if (poll(pf, (nfds_t)n, 50) <= 0)
            continue;
        if (!ctl->cfg.osc_tcp) {
            for (int k = 0; k < 4096; k++) { /* drain, but let stop be seen under a flood */
                struct sockaddr_storage ss;
                socklen_t sl = sizeof ss;
                ssize_t got = recvfrom(ctl->fd, ctl->rxbuf, OSC_MAX_PACKET, MSG_DONTWAIT,
                                       (struct sockaddr *)&ss, &sl);
                if (got < 0)
                    break;
                strata_osc_handle_packet(ctl, ctl->rxbuf, (size_t)got, &ss, sl);
            }
            continue;
        }
        if (pf[0].revents & POLLIN)
            tcp_accept(ctl);
        for (int i = 1; i < n; i++)
            if (pf[i].revents && ctl->tcp[i - 1].fd >= 0)
                tcp_read(ctl, &ctl->tcp[i - 1]);
    }
    return NULL;
}

static int open_socket(strata_control *ctl, int type, strata_result *r)
{
    const char *bind_addr = ctl->cfg.osc_bind ? ctl->cfg.osc_bind : "0.0.0.0";
    int port = ctl->cfg.osc_port == 0 ? 8000 : (ctl->cfg.osc_port < 0 ? 0 : ctl->cfg.osc_port);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind_addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        sl = sizeof *in;
    } else if (inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        sl = sizeof *in6;
    } else {
        strata_fail(r, STRATA_ERR_ARG, "--osc-bind %s: not an IP address", bind_addr);
        return -1;
    }
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0 && type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
        (type == SOCK_STREAM && listen(fd, 8) < 0)) {
        strata_fail(r, STRATA_ERR_DEVICE, "OSC: cannot listen on %s:%d/%s: %s", bind_addr, port,
                    type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (type == SOCK_DGRAM) { /* room for a burst between two polls */
        int rcv = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    }
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    ctl->port = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
    return fd;
}

bool strata_osc_open(strata_control *ctl, strata_result *r)
{
    for (int i = 0; i < OSC_TCP_CLIENTS; i++)
        ctl->tcp[i].fd = -1;
    ctl->fd = open_socket(ctl, ctl->cfg.osc_tcp ? SOCK_STREAM : SOCK_DGRAM, r);
    if (ctl->fd < 0)
        return false;
    if (ctl->cfg.osc_tcp) {
        for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
            ctl->tcp[i].buf = malloc(OSC_MAX_PACKET + 4);
            if (!ctl->tcp[i].buf) {
                strata_fail(r, STRATA_ERR_NOMEM, "OSC: out of memory");
                return false;
            }
        }
        /* TCP replies still go out as UDP datagrams to the sender's address. */
        ctl->reply_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (ctl->reply_fd < 0)
            ctl->reply_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    } else {
        /* Replies leave from the server's own port: clients that answer "the port it
         * came from" (most OSC apps) find us again. sendto is safe beside recvfrom. */
        ctl->reply_fd = ctl->fd;
    }
    if (pthread_create(&ctl->thread, NULL, osc_thread, ctl) != 0) {
        strata_fail(r, STRATA_ERR_DEVICE, "OSC: cannot start the server thread");
        return false;
    }
    ctl->thread_started = true;
    LOG_INFO(TAG, "listening on %s:%d/%s%s", ctl->cfg.osc_bind ? ctl->cfg.osc_bind : "0.0.0.0",
             ctl->port, ctl->cfg.osc_tcp ? "tcp" : "udp", ctl->nallow ? " (allowlist on)" : "");
    return true;
}

void strata_osc_close(strata_control *ctl)
{
    if (ctl->thread_started) {
        atomic_store(&ctl->stop, true);
        pthread_join(ctl->thread, NULL);
        ctl->thread_started = false;
    }
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        if (ctl->tcp[i].fd >= 0)
            tcp_drop(&ctl->tcp[i]);
        free(ctl->tcp[i].buf);
        ctl->tcp[i].buf = NULL;
    }
    if (ctl->reply_fd >= 0 && ctl->reply_fd != ctl->fd)
        close(ctl->reply_fd);
    if (ctl->fd >= 0)
        close(ctl->fd);
    ctl->fd = ctl->reply_fd = -1;
}

/* ---- replies --------------------------------------------------------------------- */

static bool put(char *buf, size_t cap, size_t *off, const void *p, size_t n)
{
    size_t padded = (n + 3) & ~(size_t)3;
    if (*off + padded > cap)
        return false;
    memcpy(buf + *off, p, n);
    memset(buf + *off + n, 0, padded - n);
    *off += padded;
    return true;
}

size_t strata_osc_build(char *buf, size_t cap, const char *path, const char *types, ...)
{
    char tt[16] = ",";
    size_t off = 0, nt = strlen(types);
    if (nt + 2 > sizeof tt)
        return 0;
    memcpy(tt + 1, types, nt + 1);
    if (!put(buf, cap, &off, path, strlen(path) + 1) || !put(buf, cap, &off, tt, nt + 2))
        return 0;
    va_list ap;
    va_start(ap, types);
    bool ok = true;
    for (const char *t = types; *t && ok; t++) {
        unsigned char be[4];
        uint32_t u;
        if (*t == 's') {
            const char *s = va_arg(ap, const char *);
            ok = put(buf, cap, &off, s, strlen(s) + 1);
            continue;
        }
        if (*t == 'f') {
            float f = (float)va_arg(ap, double);
            memcpy(&u, &f, 4);
        } else {
            u = (uint32_t)va_arg(ap, int);
        }
        be[0] = (unsigned char)(u >> 24);
        be[1] = (unsigned char)(u >> 16);
        be[2] = (unsigned char)(u >> 8);
        be[3] = (unsigned char)u;
        ok = put(buf, cap, &off, be, 4);
    }
    va_end(ap);
    return ok ? off : 0;
}

void strata_osc_send(int fd, const unsigned char *to, size_t to_len, const char *buf, size_t n)
{
    if (fd < 0 || !to_len || !n)
        return;
    struct sockaddr_storage ss;
    memcpy(&ss, to, to_len);
    struct sockaddr_in6 mapped;
    /* A v6 reply socket cannot sendto a plain v4 sockaddr: map it. */
    struct sockaddr_storage self;
    socklen_t sl = sizeof self;
    if (ss.ss_family == AF_INET && getsockname(fd, (struct sockaddr *)&self, &sl) == 0 &&
        self.ss_family == AF_INET6) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        memset(&mapped, 0, sizeof mapped);
        mapped.sin6_family = AF_INET6;
        mapped.sin6_port = in->sin_port;
        mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&mapped.sin6_addr.s6_addr[12], &in->sin_addr, 4);
        memcpy(&ss, &mapped, sizeof mapped);
        to_len = sizeof mapped;
    }
    /* Non-blocking: a slow or gone client loses a reply, the frame never waits. */
    sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, (socklen_t)to_len);
}

/* ---- flood generator ----------------------------------------------------------------- */

struct strata_osc_flood {
    pthread_t thread;
    int fd;
    struct sockaddr_in to;
    double rate, seconds;
    _Atomic bool stop;
    uint64_t sent;
    char address[64];
};

static void *flood_thread(void *arg)
{
    strata_osc_flood *f = arg;
    double t0 = strata_time_s();
    char buf[128];
    while (!atomic_load(&f->stop)) {
        double el = strata_time_s() - t0;
        if (el >= f->seconds)
            break;
        uint64_t due = (uint64_t)(el * f->rate);
        while (f->sent < due) {
            float v = (float)(f->sent % 1000) / 999.0f; /* a ramp: last value is known */
            size_t n = strata_osc_build(buf, sizeof buf, f->address, "f", (double)v);
            if (sendto(f->fd, buf, n, 0, (struct sockaddr *)&f->to, sizeof f->to) < 0 &&
                errno != ENOBUFS && errno != EAGAIN)
                break;
            f->sent++;
        }
        strata_sleep_s(0.0005);
    }
    return NULL;
}

strata_osc_flood *strata_osc_flood_start(const char *host, int port, double rate, double seconds,
                                         strata_result *r)
{
    return strata_osc_flood_start_at(host, port, "/strata/glitch", rate, seconds, r);
}

strata_osc_flood *strata_osc_flood_start_at(const char *host, int port, const char *address,
                                            double rate, double seconds, strata_result *r)
{
    strata_osc_flood *f = calloc(1, sizeof *f);
    if (!f) {
        strata_fail(r, STRATA_ERR_NOMEM, "flood: out of memory");
        return NULL;
    }
    snprintf(f->address, sizeof f->address, "%s", address);
    f->rate = rate;
    f->seconds = seconds;
    f->to.sin_family = AF_INET;
    f->to.sin_port = htons((uint16_t)port);
    f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (f->fd < 0 || inet_pton(AF_INET, host, &f->to.sin_addr) != 1 ||
        pthread_create(&f->thread, NULL, flood_thread, f) != 0) {
        strata_fail(r, STRATA_ERR_ARG, "flood: cannot send to %s:%d", host, port);
        if (f->fd >= 0)
            close(f->fd);
        free(f);
        return NULL;
    }
    return f;
}

uint64_t strata_osc_flood_stop(strata_osc_flood *f)
{
    if (!f)
        return 0;
    pthread_join(f->thread, NULL);
    uint64_t n = f->sent;
    close(f->fd);
    free(f);
    return n;
}

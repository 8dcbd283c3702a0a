/* One packet: a message, or a bundle checked whole before anything in it is applied
 * (structure, depth, the timetag of every nested bundle, the sender's waiting work),
 * then dispatched message by message with its bundle's id and time. OSC thread. */
#include "control_internal.h"

#include <math.h>
#include <string.h>

#define SCHED_SLACK_S 1.0 /* past its latest time a sender's scheduled work is done */

static bool is_bundle(const unsigned char *d, size_t len)
{
    return len >= 8 && memcmp(d, "#bundle", 8) == 0;
}

typedef struct bundle_scan {
    lo_timetag now;
    int messages;  /* messages in the whole packet */
    double latest; /* seconds ahead of now of its latest effective timetag */
    const char *err;
    double err_ahead; /* for the "ahead" error */
} bundle_scan;

/* The time a bundle's contents run at: its own timetag, or the enclosing one's when it
 * says "immediately" (1) or names a time before it. */
static uint64_t effective_tt(const unsigned char *d, uint64_t outer)
{
    uint64_t tt = (uint64_t)osc_be32(d + 8) << 32 | osc_be32(d + 12);
    return tt <= 1 || tt < outer ? outer : tt;
}

static double ahead_of(const bundle_scan *s, uint64_t tt)
{
    lo_timetag t = {(uint32_t)(tt >> 32), (uint32_t)tt};
    return lo_timetag_diff(t, s->now);
}

/* Check the structure and every timetag of a whole bundle, nested ones included: a
 * nested bundle cannot smuggle a far-future time past the outer check. */
static bool bundle_check(const unsigned char *d, size_t len, int depth, uint64_t outer,
                         bundle_scan *s)
{
    if (depth >= OSC_MAX_DEPTH) {
        s->err = "bundles nested too deep";
        return false;
    }
    if (len < 16) {
        s->err = "truncated bundle header";
        return false;
    }
    uint64_t tt = effective_tt(d, outer);
    if (tt > 1) {
        double ahead = ahead_of(s, tt);
        if (ahead > OSC_MAX_AHEAD_S) {
            s->err = depth ? "nested bundle timetag too far ahead" : "timetag too far ahead";
            s->err_ahead = ahead;
            return false;
        }
        s->latest = fmax(s->latest, ahead);
    }
    for (size_t off = 16; off < len;) {
        if (len - off < 4) {
            s->err = "truncated bundle element size";
            return false;
        }
        uint32_t n = osc_be32(d + off);
        off += 4;
        if (n == 0 || n % 4 || n > len - off) {
            s->err = "bad bundle element size";
            return false;
        }
        if (is_bundle(d + off, n)) {
            if (!bundle_check(d + off, n, depth + 1, tt, s))
                return false;
        } else {
            s->messages++;
        }
        off += n;
    }
    return true;
}

/* Work that waits for its time is bounded per sender (OSC_SCHED_PER_SENDER commands, at
 * most OSC_SCHED_SENDERS senders at once), so that no sender can fill the render
 * thread's pending list. The account of a sender is held until its latest bundle is due.
 * False with the reason in s->err when this bundle would go over. */
static bool schedule(strata_control *ctl, const void *from, size_t from_len, bundle_scan *s)
{
    if (s->latest <= 0.0 || s->messages == 0)
        return true; /* due now: applied at the next frame, nothing waits */
    unsigned char host[16] = {0};
    strata_osc_addr128(from, from_len, host);
    double now = strata_time_s();
    int free_slot = -1, mine = -1;
    for (int i = 0; i < OSC_SCHED_SENDERS; i++) {
        if (ctl->sched[i].count && now > ctl->sched[i].until)
            ctl->sched[i].count = 0;
        if (ctl->sched[i].count && memcmp(ctl->sched[i].host, host, 16) == 0)
            mine = i;
        else if (!ctl->sched[i].count && free_slot < 0)
            free_slot = i;
    }
    if (mine < 0 && free_slot < 0) {
        s->err = "too many senders have bundles waiting for their time";
        return false;
    }
    int i = mine >= 0 ? mine : free_slot;
    if (ctl->sched[i].count + s->messages > OSC_SCHED_PER_SENDER) {
        s->err = "too many commands of this sender waiting for their time";
        return false;
    }
    memcpy(ctl->sched[i].host, host, 16);
    ctl->sched[i].count += s->messages;
    ctl->sched[i].until = fmax(ctl->sched[i].until, now + s->latest + SCHED_SLACK_S);
    return true;
}

static void bundle_dispatch(strata_control *ctl, const unsigned char *d, size_t len,
                            uint64_t outer_tt, uint32_t id, const void *from, size_t from_len)
{
    uint64_t tt = effective_tt(d, outer_tt);
    for (size_t off = 16; off < len;) {
        uint32_t n = osc_be32(d + off);
        off += 4;
        if (is_bundle(d + off, n))
            bundle_dispatch(ctl, d + off, n, tt, id, from, from_len);
        else
            strata_osc_handle_message(ctl, d + off, n, tt, id, from, from_len);
        off += n;
    }
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
    if (!strata_osc_sender_allowed(ctl, from, from_len))
        return;
    if (len == 0 || len % 4 != 0) {
        strata_osc_error(ctl, from, from_len, NULL, "packet size %zu is not a multiple of 4", len);
        return;
    }
    if (!is_bundle(d, len)) {
        if (!strata_osc_fast_set(ctl, d, len, from, from_len))
            strata_osc_handle_message(ctl, d, len, 0, 0, from, from_len);
        return;
    }
    bundle_scan s = {.latest = -1.0};
    lo_timetag_now(&s.now);
    if (!bundle_check(d, len, 0, 0, &s) || !schedule(ctl, from, from_len, &s)) {
        if (s.err_ahead > 0.0)
            strata_osc_error(ctl, from, from_len, "#bundle", "%s (%.0f s, limit %.0f s)", s.err,
                             fmin(s.err_ahead, 1e12), OSC_MAX_AHEAD_S);
        else
            strata_osc_error(ctl, from, from_len, "#bundle", "%s", s.err);
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

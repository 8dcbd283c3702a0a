/* Traversal: which keyframe next, and when. Pure CPU and deterministic for a seed. */
#include "morph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *mode_names[] = {"blend", "flow", "latent", "neural"};
static const char *order_names[] = {"sequence", "shuffle", "neighbours", "pingpong"};

bool strata_morph_mode_parse(const char *s, strata_morph_mode *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, mode_names[i])) {
            *out = (strata_morph_mode)i;
            return true;
        }
    return false;
}

const char *strata_morph_mode_name(strata_morph_mode m)
{
    return (unsigned)m < 4 ? mode_names[m] : "?";
}

bool strata_order_parse(const char *s, strata_order *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, order_names[i]) || (i == 2 && !strcmp(s, "neighbors"))) {
            *out = (strata_order)i;
            return true;
        }
    return false;
}

const char *strata_order_name(strata_order o)
{
    return (unsigned)o < 4 ? order_names[o] : "?";
}

static uint64_t next_rand(strata_traversal *tr)
{
    /* xorshift64*: small, fast, and the same sequence on every machine. */
    uint64_t x = tr->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    tr->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int rand_below(strata_traversal *tr, int n)
{
    return n <= 1 ? 0 : (int)(next_rand(tr) % (uint64_t)n);
}

static void reshuffle(strata_traversal *tr)
{
    for (int i = tr->count - 1; i > 0; i--) {
        int j = rand_below(tr, i + 1);
        int t = tr->shuffle[i];
        tr->shuffle[i] = tr->shuffle[j];
        tr->shuffle[j] = t;
    }
    /* Never repeat the keyframe on screen across a reshuffle. */
    if (tr->count > 1 && tr->shuffle[0] == tr->a) {
        int t = tr->shuffle[0];
        tr->shuffle[0] = tr->shuffle[tr->count - 1];
        tr->shuffle[tr->count - 1] = t;
    }
    tr->shuffle_pos = 0;
}

void strata_traversal_init(strata_traversal *tr, int count, strata_order order, uint64_t seed,
                           const strata_bank *bank, strata_ready_fn ready, void *user)
{
    memset(tr, 0, sizeof *tr);
    tr->count = count > 0 ? count : 1;
    tr->order = order;
    tr->rng = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    if (!tr->rng)
        tr->rng = 1;
    tr->a = 0;
    tr->b = -1;
    tr->dir = 1;
    tr->bank = bank;
    tr->ready = ready;
    tr->ready_user = user;
    tr->goto_pending = -1;
    tr->last_beat = -1;
    if (order == STRATA_ORDER_SHUFFLE) {
        tr->shuffle = malloc(sizeof(int) * (size_t)tr->count);
        for (int i = 0; tr->shuffle && i < tr->count; i++)
            tr->shuffle[i] = i;
        if (tr->shuffle)
            reshuffle(tr);
        if (tr->shuffle)
            tr->a = tr->shuffle[tr->shuffle_pos++];
    }
}

void strata_traversal_free(strata_traversal *tr)
{
    free(tr->shuffle);
    tr->shuffle = NULL;
}

void strata_drift_times(float drift, double *dwell_s, double *trans_s)
{
    drift = strata_clampf(drift, 0.0f, 1.0f);
    /* drift 1: no dwell, 1.5 s transitions; 0.5: 4 s dwell, 3.75 s; 0.1: 36 s, 5.5 s;
     * 0: hold forever. */
    *dwell_s = drift < 1e-3f ? INFINITY : 4.0 * (1.0 / drift - 1.0);
    *trans_s = 6.0 - 4.5 * drift;
}

/* Seconds to beats, on a musical grid: 1, 2, 4, 8, ... beats (0 stays 0). */
static double to_beats(double s, float bpm)
{
    if (isinf(s))
        return s;
    double beats = s * bpm / 60.0;
    if (beats < 0.5)
        return beats < 0.25 ? 0.0 : 1.0;
    double p = pow(2.0, round(log2(beats)));
    return p < 1.0 ? 1.0 : p;
}

static int state_of(strata_traversal *tr, int i)
{
    if (i < 0 || i >= tr->count)
        return -1;
    return tr->ready ? tr->ready(tr->ready_user, i) : 1;
}

/* Candidate after `from` by the order; does not check readiness. */
static int candidate(strata_traversal *tr, int from)
{
    int n = tr->count;
    switch (tr->order) {
    case STRATA_ORDER_SHUFFLE:
        if (!tr->shuffle)
            return (from + 1) % n;
        if (tr->shuffle_pos >= n)
            reshuffle(tr);
        return tr->shuffle[tr->shuffle_pos];
    case STRATA_ORDER_NEIGHBOURS: {
        int nb[8];
        int k = tr->bank ? strata_bank_neighbours(tr->bank, from, nb, 8) : 0;
        if (k <= 0)
            return rand_below(tr, n);
        return nb[rand_below(tr, k)];
    }
    case STRATA_ORDER_PINGPONG:
        if (n == 1)
            return 0;
        if (from + tr->dir >= n || from + tr->dir < 0)
            tr->dir = -tr->dir;
        return from + tr->dir;
    default:
        return (from + 1) % n;
    }
}

/* Choose the next keyframe: skip bad ones, wait (return -1) on one not loaded yet. */
static int choose_next(strata_traversal *tr)
{
    if (tr->count < 2)
        return -1;
    int from = tr->a;
    for (int tries = 0; tries < tr->count + 8; tries++) {
        int c = candidate(tr, from);
        int st = c == tr->a ? -1 : state_of(tr, c);
        if (st > 0) {
            if (tr->order == STRATA_ORDER_SHUFFLE)
                tr->shuffle_pos++;
            return c;
        }
        if (st == 0)
            return -1; /* the loader has not delivered it yet: hold on */
        if (tr->order == STRATA_ORDER_SHUFFLE)
            tr->shuffle_pos++;
        else if (tr->order == STRATA_ORDER_NEIGHBOURS)
            from = c >= 0 ? c : from;
        else
            from = c;
    }
    return -1;
}

void strata_traversal_goto(strata_traversal *tr, int i, double seconds)
{
    if (i < 0 || i >= tr->count)
        return;
    tr->goto_pending = i;
    tr->goto_seconds = seconds < 0 ? 0 : seconds;
}

static void start_transition(strata_traversal *tr, int next, double len, bool beats)
{
    tr->b = next;
    tr->t = 0;
    tr->trans_len = len;
    tr->in_beats = beats;
    tr->waiting_beat = false;
    tr->exact = false;
}

static void finish_transition(strata_traversal *tr)
{
    tr->a = tr->b;
    tr->b = -1;
    tr->t = 0;
    tr->dwell_left = 0; /* elapsed dwell */
    tr->transitions++;
}

/* This frame's step in beats: the clock's advance, or where it jumped (a resync, a new
 * source, a live stall that the frame clock cut to 0.25 s) the time's worth at this tempo:
 * the walk moves on by its dt, never leaps. A long step that dt explains (offline at
 * 0.5 fps) is kept whole; the clock slews by up to 1.5x and a resync moves up to 2 beats. */
static double beat_step_of(strata_traversal *tr, const strata_traverse_in *in)
{
    double step = tr->last_beat >= 0 ? in->beat - tr->last_beat : 0.0;
    tr->last_beat = in->beat;
    double expect = (in->dt > 0 ? in->dt : 0.0) * in->bpm / 60.0;
    if (step < 0 || step > 1.5 * expect + 2.0)
        return expect;
    return step;
}

/* Start the next keyframe at the beat `start` (with a tempo) or now; *share is the part of
 * the frame's step after the start, which the new transition still spends. False: no
 * keyframe is ready, or the beat is still to come (waiting). */
static bool start_due(strata_traversal *tr, const strata_traverse_in *in, double trans_s,
                      double beat_step, double *share)
{
    bool tempo = in->bpm > 0;
    if (tempo) {
        /* The beat at the moment the dwell was due: the clock moved linearly over the step. */
        double due = in->beat - beat_step * *share;
        double start = ceil(due - 1e-6);
        if (start > in->beat + 1e-9) {
            tr->waiting_beat = true; /* start exactly on the next beat */
            return false;
        }
        *share = beat_step > 0 ? (in->beat - start) / beat_step : 0.0;
    }
    int next = choose_next(tr);
    if (next < 0)
        return false;
    if (tempo)
        start_transition(tr, next, to_beats(trans_s, in->bpm), true);
    else
        start_transition(tr, next, trans_s, false);
    return true;
}

void strata_traversal_update(strata_traversal *tr, const strata_traverse_in *in)
{
    bool tempo = in->bpm > 0;
    double beat_step = tempo ? beat_step_of(tr, in) : 0.0;
    /* Motion: energy advances the walk; quiet music slows it, loud music hurries it. */
    double rate = 1.0 + in->motion * (1.5 * in->energy - 0.5);
    double push = in->pulse * in->onset;

    if (tr->goto_pending >= 0) {
        int i = tr->goto_pending;
        tr->goto_pending = -1;
        if (tr->goto_seconds <= 0 || i == tr->a) {
            tr->a = i;
            tr->b = -1;
            tr->t = 0;
            tr->dwell_left = 0;
        } else {
            if (tr->b >= 0)
                tr->a = tr->t >= 0.5 ? tr->b : tr->a; /* keep what is mostly on screen */
            start_transition(tr, i, tr->goto_seconds, false);
            tr->exact = true;
        }
        return;
    }

    double dwell_s, trans_s;
    strata_drift_times(in->drift, &dwell_s, &trans_s);
    double dwell = tempo ? to_beats(dwell_s, in->bpm) : dwell_s;
    /* The frame's step is spent in order, transition then dwell then the next transition:
     * a step longer than either (a low frame rate) carries its rest on, so the walk is a
     * function of time, the same at 1 fps as at 60. share: the part of the step left. */
    double share = 1.0;
    /* The onset pulse decays over time, so its push is an integral over time: at 60 fps
     * what one push per frame was, and the same at any other rate. */
    double pushed = push * 60.0 * (in->dt > 0 ? in->dt : 0.0);
    double push_t = pushed * 0.08, push_d = pushed * (tempo ? 0.5 : 0.25);
    for (int guard = 0; guard < 256 && share > 1e-9; guard++) {
        if (tr->b >= 0) {
            /* Transition: progress by time (or beats), faster with motion, pushed by onsets. */
            double step = (tr->in_beats ? beat_step : in->dt) * share;
            double r = tr->exact ? 1.0 : rate; /* "over s seconds": keep the word */
            double inc = step / (tr->trans_len > 1e-6 ? tr->trans_len : 1e-6) * r +
                         (tr->exact ? 0.0 : push_t);
            push_t = 0.0;
            if (tr->t + inc < 1.0) {
                tr->t += inc;
                return;
            }
            share *= inc > 0 ? 1.0 - (1.0 - tr->t) / inc : 0.0;
            finish_transition(tr);
            continue;
        }
        /* Holding: dwell counts up (seconds, or beats with a tempo). */
        if (isinf(dwell))
            return; /* drift 0: hold this keyframe */
        double inc = (tempo ? beat_step : in->dt) * share * rate + push_d;
        push_d = 0.0;
        if (!tr->waiting_beat) {
            if (tr->dwell_left + inc < dwell) {
                tr->dwell_left += inc;
                return;
            }
            double need = dwell - tr->dwell_left;
            share *= inc > 0 && need > 0 ? 1.0 - need / inc : 1.0;
            tr->dwell_left = dwell;
        } else {
            /* Due since an earlier frame: the beat to start on is in this step's span. */
            share = 1.0;
        }
        if (!start_due(tr, in, trans_s, beat_step, &share))
            return;
    }
}

float strata_traversal_eased(const strata_traversal *tr)
{
    if (tr->b < 0)
        return 0.0f;
    float t = (float)strata_clampf((float)tr->t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

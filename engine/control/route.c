/* Modulation routes: source -> curve -> envelope -> amount, summed into params.mod. */
#include "control.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *src_names[STRATA_SRC_COUNT] = {
    "level",     "bass",       "mid",  "high",  "level.slow", "bass.slow", "mid.slow",
    "high.slow", "onset",      "kick", "snare", "hat",        "beat",      "beat_phase",
    "bar_phase", "beat_pulse", "sine", "tri",   "saw",        "square",
};
static const char *curve_names[STRATA_CURVE_COUNT] = {
    "linear", "exp", "log", "smooth", "step",
};

const char *strata_mod_source_name(strata_mod_source s)
{
    return (unsigned)s < STRATA_SRC_COUNT ? src_names[s] : "?";
}

const char *strata_mod_curve_name(strata_mod_curve c)
{
    return (unsigned)c < STRATA_CURVE_COUNT ? curve_names[c] : "?";
}

static bool is_lfo(strata_mod_source s)
{
    return s >= STRATA_SRC_SINE && s <= STRATA_SRC_SQUARE;
}

static bool parse_float(const char *s, size_t n, float *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    float v = strtof(buf, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_source(const char *s, size_t n, strata_route *rt, strata_result *r)
{
    const char *at = memchr(s, '@', n);
    size_t name_n = at ? (size_t)(at - s) : n;
    for (int i = 0; i < STRATA_SRC_COUNT; i++) {
        if (strlen(src_names[i]) != name_n || strncmp(src_names[i], s, name_n) != 0)
            continue;
        rt->src = (strata_mod_source)i;
        if (!is_lfo(rt->src)) {
            if (at) {
                strata_fail(r, STRATA_ERR_ARG, "route: source %s takes no @rate", src_names[i]);
                return false;
            }
            return true;
        }
        if (!at) {
            strata_fail(r, STRATA_ERR_ARG, "route: LFO %s needs @RATEhz or @BEATSb", src_names[i]);
            return false;
        }
        const char *rs = at + 1;
        size_t rn = n - name_n - 1;
        if (rn > 2 && strncmp(rs + rn - 2, "hz", 2) == 0) {
            rt->rate_beats = false;
            rn -= 2;
        } else if (rn > 1 && rs[rn - 1] == 'b') {
            rt->rate_beats = true;
            rn -= 1;
        } else {
            strata_fail(r, STRATA_ERR_ARG, "route: LFO rate must end in hz or b");
            return false;
        }
        float v;
        if (!parse_float(rs, rn, &v) || v <= 0.0f) {
            strata_fail(r, STRATA_ERR_ARG, "route: bad LFO rate");
            return false;
        }
        rt->rate = rt->rate_beats ? 1.0f / v : v; /* "4b" = one cycle per 4 beats */
        return true;
    }
    strata_fail(r, STRATA_ERR_ARG, "route: unknown source '%.*s'", (int)name_n, s);
    return false;
}

static bool parse_option(const char *s, size_t n, strata_route *rt, strata_result *r)
{
    if (n == 7 && strncmp(s, "bipolar", 7) == 0) {
        rt->bipolar = true;
        return true;
    }
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        strata_fail(r, STRATA_ERR_ARG, "route: bad option '%.*s'", (int)n, s);
        return false;
    }
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    if (kn == 5 && strncmp(s, "curve", 5) == 0) {
        for (int i = 0; i < STRATA_CURVE_COUNT; i++) {
            if (strlen(curve_names[i]) == vn && strncmp(curve_names[i], eq + 1, vn) == 0) {
                rt->curve = (strata_mod_curve)i;
                return true;
            }
        }
        strata_fail(r, STRATA_ERR_ARG, "route: unknown curve '%.*s'", (int)vn, eq + 1);
        return false;
    }
    float v;
    if (!parse_float(eq + 1, vn, &v)) {
        strata_fail(r, STRATA_ERR_ARG, "route: option '%.*s' needs a number", (int)kn, s);
        return false;
    }
    if (kn == 6 && strncmp(s, "attack", 6) == 0 && v >= 0.0f)
        rt->attack_s = v;
    else if (kn == 7 && strncmp(s, "release", 7) == 0 && v >= 0.0f)
        rt->release_s = v;
    else if (kn == 5 && strncmp(s, "phase", 5) == 0)
        rt->phase = v - floorf(v);
    else {
        strata_fail(r, STRATA_ERR_ARG, "route: bad option '%.*s'", (int)n, s);
        return false;
    }
    return true;
}

bool strata_route_parse(const char *spec, strata_route *out, strata_result *r)
{
    strata_route rt = {0};
    const char *gt = strchr(spec, '>');
    const char *star = gt ? strchr(gt, '*') : NULL;
    if (!gt || !star) {
        strata_fail(r, STRATA_ERR_ARG, "route '%s': expected SRC>PARAM*AMOUNT[,OPTION...]", spec);
        return false;
    }
    if (!parse_source(spec, (size_t)(gt - spec), &rt, r))
        return false;
    char name[64];
    size_t pn = (size_t)(star - gt - 1);
    if (pn >= sizeof name) {
        strata_fail(r, STRATA_ERR_ARG, "route '%s': parameter name too long", spec);
        return false;
    }
    memcpy(name, gt + 1, pn);
    name[pn] = 0;
    rt.param = strata_param_find(name);
    if (rt.param < 0) {
        strata_fail(r, STRATA_ERR_ARG, "route '%s': unknown parameter '%s'", spec, name);
        return false;
    }
    const char *p = star + 1;
    const char *comma = strchr(p, ',');
    size_t an = comma ? (size_t)(comma - p) : strlen(p);
    if (!parse_float(p, an, &rt.amount)) {
        strata_fail(r, STRATA_ERR_ARG, "route '%s': amount is not a number", spec);
        return false;
    }
    while (comma) {
        p = comma + 1;
        comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!parse_option(p, n, &rt, r))
            return false;
    }
    *out = rt;
    return true;
}

static int fmt_num(char *buf, size_t n, float v)
{
    return snprintf(buf, n, "%g", (double)v);
}

void strata_route_format(const strata_route *rt, char *buf, size_t n)
{
    char rate[40] = "";
    if (is_lfo(rt->src)) {
        if (rt->rate_beats) {
            rate[0] = '@';
            fmt_num(rate + 1, sizeof rate - 2, 1.0f / rt->rate);
            strcat(rate, "b");
        } else {
            rate[0] = '@';
            fmt_num(rate + 1, sizeof rate - 3, rt->rate);
            strcat(rate, "hz");
        }
    }
    strata_param_info info;
    int k = snprintf(buf, n, "%s%s>%s*%g", strata_mod_source_name(rt->src), rate,
                     strata_param_get(rt->param, &info) ? info.name : "?", (double)rt->amount);
    if (k < 0 || (size_t)k >= n)
        return;
    if (rt->curve != STRATA_CURVE_LINEAR)
        k += snprintf(buf + k, n - (size_t)k, ",curve=%s", strata_mod_curve_name(rt->curve));
    if (rt->attack_s > 0.0f && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, ",attack=%g", (double)rt->attack_s);
    if (rt->release_s > 0.0f && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, ",release=%g", (double)rt->release_s);
    if (rt->phase > 0.0f && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, ",phase=%g", (double)rt->phase);
    if (rt->bipolar && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ",bipolar");
}

static float source_value(strata_route *rt, const strata_tempo_state *t,
                          const strata_audio_frame *a, float dt)
{
    switch (rt->src) {
    case STRATA_SRC_LEVEL:
        return a ? a->level.fast : 0.0f;
    case STRATA_SRC_BASS:
        return a ? a->bass.fast : 0.0f;
    case STRATA_SRC_MID:
        return a ? a->mid.fast : 0.0f;
    case STRATA_SRC_HIGH:
        return a ? a->high.fast : 0.0f;
    case STRATA_SRC_LEVEL_SLOW:
        return a ? a->level.slow : 0.0f;
    case STRATA_SRC_BASS_SLOW:
        return a ? a->bass.slow : 0.0f;
    case STRATA_SRC_MID_SLOW:
        return a ? a->mid.slow : 0.0f;
    case STRATA_SRC_HIGH_SLOW:
        return a ? a->high.slow : 0.0f;
    case STRATA_SRC_ONSET:
        return a ? a->onset : 0.0f;
    case STRATA_SRC_KICK:
        return a ? a->kick : 0.0f;
    case STRATA_SRC_SNARE:
        return a ? a->snare : 0.0f;
    case STRATA_SRC_HAT:
        return a ? a->hat : 0.0f;
    case STRATA_SRC_AUDIO_BEAT:
        return a ? a->beat : 0.0f;
    case STRATA_SRC_BEAT_PHASE:
        return t ? t->beat_phase : 0.0f;
    case STRATA_SRC_BAR_PHASE:
        return t ? t->bar_phase : 0.0f;
    case STRATA_SRC_BEAT_PULSE:
        return t ? t->beat_pulse : 0.0f;
    default:
        break;
    }
    /* LFOs: beat-rate LFOs lock to the clock's beat count so they stay in phase with the
     * music; Hz-rate LFOs integrate their own position so a rate change does not jump. */
    double pos;
    if (rt->rate_beats) {
        pos = (t ? t->beat : 0.0) * rt->rate;
    } else {
        rt->lfo_pos += (double)dt * rt->rate;
        rt->lfo_pos -= floor(rt->lfo_pos);
        pos = rt->lfo_pos;
    }
    pos += rt->phase;
    float x = (float)(pos - floor(pos));
    switch (rt->src) {
    case STRATA_SRC_SINE:
        return 0.5f - 0.5f * cosf(6.2831853f * x); /* 0 at phase 0 */
    case STRATA_SRC_TRI:
        return x < 0.5f ? 2.0f * x : 2.0f - 2.0f * x;
    case STRATA_SRC_SAW:
        return x;
    case STRATA_SRC_SQUARE:
        return x < 0.5f ? 1.0f : 0.0f;
    default:
        return 0.0f;
    }
}

static float apply_curve(strata_mod_curve c, float x)
{
    x = strata_clampf(x, 0.0f, 1.0f);
    switch (c) {
    case STRATA_CURVE_EXP:
        return x * x;
    case STRATA_CURVE_LOG:
        return sqrtf(x);
    case STRATA_CURVE_SMOOTH:
        return x * x * (3.0f - 2.0f * x);
    case STRATA_CURVE_STEP:
        return x >= 0.5f ? 1.0f : 0.0f;
    default:
        return x;
    }
}

void strata_routes_eval(strata_routes *rs, const strata_tempo_state *tempo,
                        const strata_audio_frame *audio, float dt, strata_params *params)
{
    memset(params->mod, 0, sizeof params->mod);
    for (int i = 0; i < rs->n; i++) {
        strata_route *rt = &rs->r[i];
        float x = source_value(rt, tempo, audio, dt);
        if (!isfinite(x)) /* a broken source must not poison the picture */
            x = 0.0f;
        x = apply_curve(rt->curve, x);
        float tau = x > rt->env ? rt->attack_s : rt->release_s;
        if (tau > 0.0f && dt > 0.0f)
            rt->env += (x - rt->env) * (1.0f - expf(-dt / tau));
        else
            rt->env = x;
        float v = rt->bipolar ? rt->env * 2.0f - 1.0f : rt->env;
        if ((unsigned)rt->param < STRATA_PARAM_MAX)
            params->mod[rt->param] += v * rt->amount;
    }
}

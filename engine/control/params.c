/* The parameter registry and the per-frame smoothing. */
#include "control.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const strata_param_def strata_param_defs[STRATA_PARAM_COUNT] = {
#define X(name, lo, hi, d, smooth, unit, key, desc) {#name, lo, hi, d, smooth, unit, key, desc},
#include "control/params.def"
#undef X
};

int strata_param_find(const char *name)
{
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        if (strcmp(strata_param_defs[i].name, name) == 0)
            return i;
    return -1;
}

void strata_params_init(strata_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        p->base[i] = p->smoothed[i] = p->value[i] = strata_param_defs[i].def;
}

void strata_params_set(strata_params *p, int id, float v, bool snap)
{
    if (id < 0 || id >= STRATA_PARAM_COUNT || !isfinite(v))
        return;
    const strata_param_def *d = &strata_param_defs[id];
    p->base[id] = strata_clampf(v, d->min, d->max);
    if (snap || d->smooth_s <= 0.0f)
        p->smoothed[id] = p->base[id];
}

bool strata_params_set_arg(strata_params *p, const char *arg, strata_result *r)
{
    const char *eq = strchr(arg, '=');
    char name[64];
    if (!eq || (size_t)(eq - arg) >= sizeof name) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: expected NAME=VALUE", arg);
        return false;
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    int id = strata_param_find(name);
    if (id < 0) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: unknown parameter '%s' (see --list-params)", arg,
                    name);
        return false;
    }
    char *end;
    float v = strtof(eq + 1, &end);
    if (end == eq + 1 || *end || !isfinite(v)) {
        strata_fail(r, STRATA_ERR_ARG, "--set %s: '%s' is not a number", arg, eq + 1);
        return false;
    }
    strata_params_set(p, id, v, true);
    return true;
}

void strata_params_update(strata_params *p, float dt)
{
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        const strata_param_def *d = &strata_param_defs[i];
        if (d->smooth_s > 0.0f && dt > 0.0f) {
            float k = 1.0f - expf(-dt / d->smooth_s);
            p->smoothed[i] += (p->base[i] - p->smoothed[i]) * k;
            if (fabsf(p->base[i] - p->smoothed[i]) < 1e-6f * (d->max - d->min))
                p->smoothed[i] = p->base[i];
        } else {
            p->smoothed[i] = p->base[i];
        }
        float v = p->smoothed[i] + p->mod[i] * (d->max - d->min);
        p->value[i] = strata_clampf(v, d->min, d->max);
    }
}

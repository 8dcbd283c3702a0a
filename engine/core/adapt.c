/* Adaptive resolution: the controller behind live mode's render scale (core.h). */
#include "core.h"

#include <math.h>

#define STEP 0.05f      /* scales are multiples of this */
#define TAU_S 0.3       /* smoothing of the measured work */
#define OVER_S 0.5      /* above budget this long: step down */
#define UNDER_S 2.0     /* room for the next step up this long: step up */
#define HOLD_S 1.0      /* after a change, no decision for this long */
#define HIGH 1.05       /* "above budget" */
#define ROOM 0.85       /* the step up must be predicted under ROOM x budget */

void strata_adapt_init(strata_adapt *a, bool on, double target_fps, float floor)
{
    *a = (strata_adapt){0};
    a->on = on && target_fps > 0.0;
    a->scale = 1.0f;
    a->floor = strata_clampf(floor, 0.25f, 1.0f);
    a->budget_ms = target_fps > 0.0 ? 1000.0 / target_fps : 0.0;
}

static float snap_down(float s)
{
    return floorf(s / STEP + 1e-3f) * STEP;
}

bool strata_adapt_step(strata_adapt *a, double work_ms, double dt)
{
    if (!a->on || !(work_ms > 0.0) || !(dt > 0.0))
        return false;
    if (dt > 1.0)
        dt = 1.0; /* a stall is one long frame, not seconds of evidence */
    double k = 1.0 - exp(-dt / TAU_S);
    a->work_ms = a->work_ms > 0.0 ? a->work_ms + (work_ms - a->work_ms) * k : work_ms;
    a->hold_s += dt;
    double s = a->scale;
    float up = a->scale + STEP > 1.0f ? 1.0f : snap_down(a->scale + STEP + 1e-4f);
    double up_ms = a->work_ms * ((double)up * up) / (s * s);
    a->over_s = a->work_ms > a->budget_ms * HIGH ? a->over_s + dt : 0.0;
    a->under_s = up > a->scale && up_ms < a->budget_ms * ROOM ? a->under_s + dt : 0.0;
    if (a->hold_s < HOLD_S)
        return false;
    float next = a->scale;
    if (a->over_s >= OVER_S) {
        /* Straight to the scale predicted to fit, with a step of margin. */
        double fit = s * sqrt(a->budget_ms * ROOM / a->work_ms);
        next = snap_down((float)fit);
        if (next >= a->scale)
            next = a->scale - STEP;
        if (next < a->floor)
            next = a->floor;
    } else if (a->under_s >= UNDER_S) {
        next = up;
    }
    if (fabsf(next - a->scale) < 1e-4f)
        return false;
    /* The measure was taken at the old size: rescale it to the new one's prediction. */
    a->work_ms *= ((double)next * next) / (s * s);
    a->scale = next;
    a->over_s = a->under_s = a->hold_s = 0.0;
    a->changes++;
    return true;
}

void strata_adapt_size(int w, int h, float s, int *sw, int *sh)
{
    s = strata_clampf(s, 0.0f, 1.0f);
    int x = (int)lroundf((float)w * s / 2.0f) * 2, y = (int)lroundf((float)h * s / 2.0f) * 2;
    x = x < 16 ? 16 : x;
    y = y < 16 ? 16 : y;
    *sw = x > w ? w : x;
    *sh = y > h ? h : y;
}

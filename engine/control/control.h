/* strata control: the parameter registry (and, beside it, modulation, OSC and tempo).
 *
 * What it is
 *   Every controllable value is declared once in params.def. The registry gives it an
 *   id (STRATA_P_<name>), a range, a default and a smoothing time. strata_params holds
 *   the live values: base (what was last set), smoothed (base after smoothing) and value
 *   (smoothed plus modulation, clamped): what every pass reads.
 *
 * Threads
 *   strata_params is owned by the render thread. Other threads never touch it: they
 *   send commands that the render thread applies at its one point per frame.
 *   The registry table is constant and can be read from any thread.
 */
#ifndef STRATA_CONTROL_H
#define STRATA_CONTROL_H

#include "core/core.h"

typedef enum strata_param_id {
#define X(name, lo, hi, def, smooth, unit, key, desc) STRATA_P_##name,
#include "control/params.def"
#undef X
    STRATA_PARAM_COUNT
} strata_param_id;

typedef struct strata_param_def {
    const char *name;
    float min, max, def;
    float smooth_s; /* time constant of the one-pole smoother; 0 = immediate */
    const char *unit;
    char key;       /* keyboard binding, 0 for none */
    const char *desc;
} strata_param_def;

extern const strata_param_def strata_param_defs[STRATA_PARAM_COUNT];

typedef struct strata_params {
    float base[STRATA_PARAM_COUNT];     /* last set value, clamped to the range */
    float smoothed[STRATA_PARAM_COUNT]; /* base through the smoother */
    float mod[STRATA_PARAM_COUNT];      /* sum of modulation this frame, in units of range */
    float value[STRATA_PARAM_COUNT];    /* smoothed + mod, clamped: what passes read */
} strata_params;

/* Find a parameter by name; -1 when unknown. */
int strata_param_find(const char *name);
void strata_params_init(strata_params *p);
/* Set the base value of one parameter (clamped). snap skips the smoothing. */
void strata_params_set(strata_params *p, int id, float v, bool snap);
/* Parse "NAME=VALUE" and set it (snap). False with a message in r when malformed. */
bool strata_params_set_arg(strata_params *p, const char *arg, strata_result *r);
/* Advance smoothing by dt seconds and recompute value from smoothed + mod. */
void strata_params_update(strata_params *p, float dt);

#endif

/* Shared inside engine/isf: the parameters of a shader's INPUTS, made by the renderer on
 * load and by the chain's header-only listing (--list-params) alike. */
#ifndef STRATA_ISF_INTERNAL_H
#define STRATA_ISF_INTERNAL_H

#include "isf.h"

/* Register d's non-image INPUTS as "isf/<stem>/<input>" (render size w x h for point2D
 * inputs without a range) into param (-1 where the registry refused, logged with path). */
void strata_isf_register_inputs(const strata_isf_desc *d, const char *stem, const char *path, int w,
                                int h, int param[STRATA_ISF_MAX_INPUTS][4]);

/* For the next strata_isf_run only, input i reads v (ncomp values) instead of the frame's
 * parameter values: the frame a reload lands in, before the registry's values for the new
 * ids catch up (they start at the DEFAULT until the next strata_params_update). */
void strata_isf_hold(strata_isf *s, int input, const float *v);

#endif

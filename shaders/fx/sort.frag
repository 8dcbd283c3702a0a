// Pixel sorting on the GPU: two rounds of odd-even transposition per pass. Neighbour
// pairs along a row (or column) swap when both lie in a span (luma >= threshold) and are
// out of order, so spans end up sorted by luma, ascending left to right (bottom to top
// when vertical). Two rounds per draw (4 taps) cost far less than two draws on llvmpipe.
// The state persists between frames and sorting accumulates by time, not frames: a row
// runs u_fx_rate passes a second of scene time, re-seeds from the live picture every
// u_fx_period seconds (staggered by a hash of the row so the picture never pops all at
// once), and in each frame takes only the passes due since its re-seed less those it had,
// so a row has sorted as far at 1 fps as at 60 at the same time.
//! param fx_sort: 0..1 rounds per 1/30 s (up to 8) and the threshold (1 down to fx_sort_threshold)
//! param fx_sort_threshold: 0..1 luma from which pixels join a span at amount 1
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_state;  // unit 1: the sort state (last pass)
uniform int u_fx_vertical;
uniform int u_fx_seed;         // 1: re-seed rows due this frame, 2: seed everything
uniform int u_fx_pass;         // this draw's index within the frame
uniform float u_fx_period;     // re-seed period in seconds (0: never)
uniform float u_fx_tmod;       // scene time mod the period (period 0: since the sort began)
uniform float u_fx_step;       // seconds since the sort's last frame
uniform float u_fx_rate;       // passes a second
uniform float u_fx_thr;

out vec4 o_color;

// Compare-exchange: what `own` becomes when paired with `other` (own_lower: own sits at
// the lower position). Ties keep both in place, so a round is always a permutation.
vec4 ce(vec4 own, bool own_in, vec4 other, bool other_in, bool own_lower)
{
    if (!own_in || !other_in)
        return own;
    float lo = fx_luma(own.rgb), lt = fx_luma(other.rgb);
    if (own_lower)
        return lo <= lt ? own : other;
    return lo >= lt ? own : other;
}

// Pixel i along the line (clamped; in_span rejects positions outside). llvmpipe runs
// both sides of a branch, so a pass that may seed reads both textures at every tap; only
// a frame's first pass seeds, and fx.c runs the others with FX_SORT_SEEDLESS defined:
// half the reads.
vec4 tap(ivec2 p, int axis, int i, int n, bool seed)
{
    ivec2 q = p;
    q[axis] = clamp(i, 0, n - 1);
#ifndef FX_SORT_SEEDLESS
    if (seed)
        return texelFetch(u_fx_src, q, 0);
#endif
    return texelFetch(u_fx_state, q, 0);
}

bool in_span(vec4 v, int i, int n)
{
    return i >= 0 && i < n && fx_luma(v.rgb) >= u_fx_thr;
}

void main()
{
    ivec2 p = ivec2(gl_FragCoord.xy);
    int axis = u_fx_vertical != 0 ? 1 : 0;
    int x = p[axis];
    int n = int(u_resolution[axis]);
    int row = p[1 - axis];
    // age: seconds since the row's last re-seed (period 0: since the sort began).
    float age = u_fx_tmod;
    if (u_fx_period > 0.0)
        age = mod(u_fx_tmod + fx_hash(row, 31, 0) * u_fx_period, u_fx_period);
    bool reseeded = u_fx_seed == 2 || age < u_fx_step;
    // Passes due since the re-seed, less those the row had in earlier frames.
    float due = floor(age * u_fx_rate);
    if (!reseeded)
        due -= floor((age - u_fx_step) * u_fx_rate);
    if (u_fx_seed == 2)
        due = floor(u_fx_step * u_fx_rate);
    bool seed = reseeded && u_fx_pass == 0;
    if (float(u_fx_pass) >= due) {
        o_color = tap(p, axis, x, n, seed);
        return;
    }
    // Round 1 pairs (0,1)(2,3)..., round 2 pairs (1,2)(3,4)... An even x meets x+1 then
    // x-1; an odd x meets x-1 then x+1. With d the side of the round-2 partner, x needs
    // x-d (its round-1 partner), x+d and x+2d (the partner's round-1 partner): 4 taps.
    int d = (x & 1) == 0 ? -1 : 1;
    vec4 v0 = tap(p, axis, x, n, seed), v1 = tap(p, axis, x - d, n, seed);
    vec4 v2 = tap(p, axis, x + d, n, seed), v3 = tap(p, axis, x + 2 * d, n, seed);
    bool in0 = in_span(v0, x, n), in1 = in_span(v1, x - d, n);
    bool in2 = in_span(v2, x + d, n), in3 = in_span(v3, x + 2 * d, n);
    vec4 r_self = ce(v0, in0, v1, in1, d < 0);
    vec4 r_next = ce(v2, in2, v3, in3, d > 0);
    // Spans stay where they were: values only swap between in-span positions.
    o_color = ce(r_self, in0, r_next, in2, d > 0);
}

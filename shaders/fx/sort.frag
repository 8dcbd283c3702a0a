// Pixel sorting on the GPU: one odd-even transposition pass. Neighbour pairs along a row
// (or column) swap when both lie in a span (luma >= threshold) and are out of order, so
// spans end up sorted by luma, ascending left to right (bottom to top when vertical).
// The state persists between frames and a few passes run per frame, so sorting
// accumulates; each row is re-seeded from the live picture every u_period frames,
// staggered by a hash of the row so the picture never pops all at once.
//! param fx_sort: 0..1 passes per frame (up to 8) and the threshold (1 down to fx_sort_threshold)
//! param fx_sort_threshold: 0..1 luma above which pixels join a span at amount 1
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_state;  // unit 1: the sort state (last pass)
uniform int u_parity;       // 0: pairs (0,1)(2,3)..., 1: pairs (1,2)(3,4)...
uniform int u_vertical;
uniform int u_seed;         // 0: state, 1: re-seed rows due this frame, 2: seed everything
uniform int u_period;       // re-seed period in frames
uniform float u_threshold;

out vec4 o_color;

void main()
{
    ivec2 p = ivec2(gl_FragCoord.xy);
    int axis = u_vertical != 0 ? 1 : 0;
    int x = p[axis];
    int n = int(u_resolution[axis]);
    int row = p[1 - axis];
    bool seed = u_seed == 2;
    if (u_seed == 1 && u_period > 0) {
        int phase = int(fx_hash(row, 31, 0) * float(u_period));
        seed = (u_frame + phase) % u_period == 0;
    }
    int partner = ((x & 1) == u_parity) ? x + 1 : x - 1;
    vec4 a = seed ? texelFetch(u_src, p, 0) : texelFetch(u_state, p, 0);
    if (partner < 0 || partner >= n) {
        o_color = a;
        return;
    }
    ivec2 q = p;
    q[axis] = partner;
    vec4 b = seed ? texelFetch(u_src, q, 0) : texelFetch(u_state, q, 0);
    float la = fx_luma(a.rgb), lb = fx_luma(b.rgb);
    if (la < u_threshold || lb < u_threshold) {
        o_color = a;
        return;
    }
    // Ties keep both in place, so a pass is always a permutation of the row.
    if (x < partner)
        o_color = la <= lb ? a : b;
    else
        o_color = la >= lb ? a : b;
}

// RGB / chroma split: red and blue pulled apart from green like a misregistered print.
//! param fx_rgb: 0..1 split width (about 2% of the width at 1) and radial spread
// The direction jumps 7.5 times a second (a hash of the time tick), mostly horizontal.
// A stage of the fused chain (fx/chain.frag): three taps (the pixel, red's, blue's), the
// split in whole pixels.

#define FX_RGB_TAPS 3
#define FX_RGB_SELECTS 1  // its channels are its inputs' 8-bit channels

// The split, a * (0.012 (cos t, 0.35 sin t) + 0.02 (uv - 0.5)) * size in pixels, t =
// fx_hash(tick, 17, 0) * TAU jumping 7.5 times a second, is k + l * (p + 0.5) with
// u_fx_rgb_k = a * size * (0.012 (cos t, 0.35 sin t) - 0.01) and u_fx_rgb_l = 0.02 a from
// fx.c: the same for every pixel (llvmpipe would compute them in every one, and the
// division by the size at every tap).
uniform vec2 u_fx_rgb_k;
uniform float u_fx_rgb_l;

ivec2 fx_rgb_tap(ivec2 p, float a, int i)
{
    // Radial part: the edges split more than the centre, as through a cheap lens.
    // Per component: d.x here; d.y depends on the row alone and comes from the row table
    // (fx_row_rgb_dy, computed in fx.c with this arithmetic), so the taps of a vhs stage
    // after this one (one row) share it.
    int dx = int(round(u_fx_rgb_k.x + u_fx_rgb_l * (float(p.x) + 0.5)));
    int dy = fx_row_rgb_dy(p.y);
    fx_up_p = p;
    fx_up_i = i;
    if (i == 2) {
        dx = -dx;
        dy = -dy;
    }
    ivec2 size = ivec2(u_resolution);
    return i == 0 ? p : ivec2(clamp(p.x + dx, 0, size.x - 1), clamp(p.y + dy, 0, size.y - 1));
}

vec4 fx_rgb_mix(ivec2 p, float a, vec4 c, vec4 red, vec4 blue)
{
    return vec4(red.r, c.g, blue.b, c.a);
}

// RGB / chroma split: red and blue pulled apart from green like a misregistered print.
//! param fx_rgb: 0..1 split width (about 2% of the width at 1) and radial spread
// The direction jumps 7.5 times a second (a hash of the time tick), mostly horizontal.
// A stage of the fused chain (fx/chain.frag): three taps (the pixel, red's, blue's), the
// split in whole pixels.

#define FX_RGB_TAPS 3
#define FX_RGB_SELECTS 1  // its channels are its inputs' 8-bit channels

// The split's direction this 1/7.5 s, (cos t, 0.35 sin t) with t = fx_hash(tick, 17, 0) *
// TAU, from fx.c: the same for every pixel (llvmpipe would compute it in every one).
uniform vec2 u_fx_rgb_dir;

ivec2 fx_rgb_tap(ivec2 p, float a, int i)
{
    // Radial part: the edges split more than the centre, as through a cheap lens.
    vec2 uv = (vec2(p) + 0.5) / u_resolution;
    ivec2 d = ivec2(round(a * (0.012 * u_fx_rgb_dir + 0.02 * (uv - 0.5)) * u_resolution));
    return i == 0 ? p : fx_clampi(i == 1 ? p + d : p - d);
}

vec4 fx_rgb_mix(ivec2 p, float a, vec4 c, vec4 red, vec4 blue)
{
    return vec4(red.r, c.g, blue.b, c.a);
}

// RGB / chroma split: red and blue pulled apart from green like a misregistered print.
//! param fx_rgb: 0..1 split width (about 2% of the width at 1) and radial spread
// The direction jumps 7.5 times a second (a hash of the time tick), mostly horizontal.
// A stage of the fused chain (fx/chain.frag): three taps (the pixel, red's, blue's), the
// split in whole pixels.

#define FX_RGB_TAPS 3

ivec2 fx_rgb_tap(ivec2 p, float a, int i)
{
    float ang = fx_hash(fx_tick(7.5), 17, 0) * TAU;
    vec2 dir = vec2(cos(ang), 0.35 * sin(ang));
    // Radial part: the edges split more than the centre, as through a cheap lens.
    vec2 uv = (vec2(p) + 0.5) / u_resolution;
    ivec2 d = ivec2(round(a * (0.012 * dir + 0.02 * (uv - 0.5)) * u_resolution));
    return i == 0 ? p : fx_clampi(i == 1 ? p + d : p - d);
}

vec4 fx_rgb_mix(ivec2 p, float a, vec4 c, vec4 red, vec4 blue)
{
    return vec4(red.r, c.g, blue.b, c.a);
}

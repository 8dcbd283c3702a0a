// VHS tape: wobble (the tape stretches), a tracking roll band crawling down, chroma bleed
// (colour is a third of the bandwidth of luma and smears to the right), tape noise and
// head-switching at the bottom lines.
//! param fx_vhs: 0..1 strength of every part at once
// A stage of the fused chain (fx/chain.frag): two taps along the line (the displaced
// pixel and one to its left for the bleed), in whole pixels.

// Per line, from fx.c (fill_rows) once per frame, not per tap and pixel:
// fx_row_vhs_dx(y), the x offset round((wob + tear + head) * a) at 720p: tape wobble, two slow
//   sines over the height (0.6 sin(y 23 + t 2.7) + 0.4 sin(y 161 - t 9)) * 3 px; inside
//   the tracking roll band (crawling down every ~7 s) a tear of (fx_hash(y, tick30, 5) -
//   0.3) * 40 px times the band; head switching, the last 2% of lines sliding up to 30 px
//   as a real deck's bottom edge does;
// fx_row(y).z, the band: smoothstep(0.07, 0, distance to the roll line) * a;
// fx_row(y).w, the noise's hash of the line and tick (fx_hash's two inner rounds).

#define FX_VHS_TAPS 2
#define FX_VHS_SELECTS 0

// The bleed tap's distance, round(1.5 round((2 + 6 a) * h / 720)) px, from fx.c: the
// middle of the two taps (at 1 and 2 times the rounded length) that it replaced, which
// read the input 3 times more a pixel after rgb (rgb 3 x vhs 3 taps; now 3 x 2).
uniform int u_fx_vhs_bleed;

ivec2 fx_vhs_tap(ivec2 p, float a, int i)
{
    int x = p.x + fx_row_vhs_dx(p.y) - i * u_fx_vhs_bleed;
    return ivec2(clamp(x, 0, int(u_resolution.x) - 1), p.y);
}

// Chroma: the pixel's I and Q and the bleed tap's mixed (the bleed), mixed with the
// pixel's by a, times 1 - a / 4, back to RGB with the luma. All of it is linear in the
// taps, so it is one matrix (RGB -> IQ -> RGB, FX_VHS_IQ) of w0 t0 + w1 t1, with
// w1 = 2a/3 (1 - a/4) and w0 = (1 - a/4) - w1: 3 dot products a pixel instead of 13.
const mat3 FX_VHS_IQ = mat3(0.956, -0.272, -1.106, 0.621, -0.647, 1.703, 0.0, 0.0, 0.0) *
                       mat3(0.596, 0.211, 0.0, -0.274, -0.523, 0.0, -0.322, 0.312, 0.0);
vec4 fx_vhs_mix(ivec2 p, float a, vec4 t0, vec4 t1, vec4 t2)
{
    float s = 1.0 - 0.25 * a, w1 = a * (2.0 / 3.0) * s, w0 = s - w1;
    vec3 chroma = FX_VHS_IQ * (w0 * t0.rgb + w1 * t1.rgb);
    uvec4 row = fx_row(p.y);
    // fx_hash(p.x, p.y, tick30): the outer round of the row's hash.
    float n = float(fx_hash_u(uint(p.x) ^ row.w) >> 8) * (1.0 / 16777216.0) - 0.5;
    float luma = dot(t0.rgb, vec3(0.299, 0.587, 0.114)) +
                 n * (0.12 * a + 0.6 * uintBitsToFloat(row.z)) + 0.04 * a;
    return vec4(clamp(luma + chroma, 0.0, 1.0), 1.0);
}

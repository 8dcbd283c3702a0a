// Posterize and bit-crush: fewer samples (pixel cells) and fewer levels (ordered dither).
//! param fx_crush: 0..1 cell size 1..8 px at 720p and levels 32..5 per channel
// A stage of the fused chain (fx/chain.frag): one tap, a cell's centre pixel (for an even
// cell the lower right of the middle four).

#define FX_CRUSH_TAPS 1

const float FX_BAYER[16] = float[16](0.0, 8.0, 2.0, 10.0, 12.0, 4.0, 14.0, 6.0,
                                     3.0, 11.0, 1.0, 9.0, 15.0, 7.0, 13.0, 5.0);

float fx_crush_cell(float a)
{
    return max(1.0, floor(1.0 + a * 7.0 * u_resolution.y / 720.0));
}

ivec2 fx_crush_tap(ivec2 p, float a, int i)
{
    float cell = fx_crush_cell(a);
    vec2 cid = floor((vec2(p) + 0.5) / cell);
    return min(ivec2(cid * cell + floor(0.5 * cell)), ivec2(u_resolution) - 1);
}

vec4 fx_crush_mix(ivec2 p, float a, vec4 c0, vec4 c1, vec4 c2)
{
    float cell = fx_crush_cell(a);
    vec2 cid = floor((vec2(p) + 0.5) / cell);
    vec3 c = c0.rgb;
    float levels = floor(mix(32.0, 5.0, a));
    // Dither per cell, not per pixel, so a cell stays one flat colour.
    ivec2 b = ivec2(mod(cid, 4.0));
    float d = (FX_BAYER[b.y * 4 + b.x] + 0.5) / 16.0;
    vec3 q = floor(c * (levels - 1.0) + d) / (levels - 1.0);
    // Fade the quantisation in over the first tenth (cells are still 1 px there), so a
    // rising glitch does not switch 32 levels on at once.
    return vec4(clamp(mix(c, q, min(1.0, a * 10.0)), 0.0, 1.0), 1.0);
}

// Posterize and bit-crush: fewer samples (pixel cells) and fewer levels (ordered dither).
//! param fx_crush: 0..1 cell size 1..8 px at 720p and levels 32..5 per channel
// A stage of the fused chain (fx/chain.frag): one tap, a cell's centre pixel (for an even
// cell the lower right of the middle four).

#define FX_CRUSH_TAPS 1
#define FX_CRUSH_SELECTS 0

// From fx.c, per frame: x the cell size max(1, floor(1 + 7 a h / 720)), y 1 / cell,
// z the levels less one, floor(mix(32, 5, a)) - 1, w the quantisation's fade min(1, 10 a).
uniform vec4 u_fx_crush_k;

// The cell of p: floor((p + 0.5) / cell), which is never within rounding of an integer
// (p + 0.5 is a half, cell an integer), so the reciprocal gives the same cell.
vec2 fx_crush_cid(ivec2 p) { return floor((vec2(p) + 0.5) * u_fx_crush_k.y); }

ivec2 fx_crush_tap(ivec2 p, float a, int i)
{
    float cell = u_fx_crush_k.x;
    return min(ivec2(fx_crush_cid(p) * cell + floor(0.5 * cell)), ivec2(u_resolution) - 1);
}

vec4 fx_crush_mix(ivec2 p, float a, vec4 c0, vec4 c1, vec4 c2)
{
    vec3 c = c0.rgb;
    float l1 = u_fx_crush_k.z;
    // Dither per cell, not per pixel, so a cell stays one flat colour. The 4x4 Bayer
    // matrix (0 8 2 10 / 12 4 14 6 / 3 11 1 9 / 15 7 13 5) by its bits: with v = x ^ y,
    // v's bit 0 gives 8, y's bit 0 gives 4, v's bit 1 gives 2, y's bit 1 gives 1 (a
    // constant array indexed per pixel is a gather on llvmpipe).
    ivec2 b = ivec2(fx_crush_cid(p)) & 3;
    int v = b.x ^ b.y;
    int m = ((v & 1) << 3) | ((b.y & 1) << 2) | (v & 2) | (b.y >> 1);
    float d = (float(m) + 0.5) / 16.0;
    vec3 q = floor(c * l1 + d) / l1;
    // Fade the quantisation in over the first tenth (cells are still 1 px there), so a
    // rising glitch does not switch 32 levels on at once.
    return vec4(clamp(mix(c, q, u_fx_crush_k.w), 0.0, 1.0), 1.0);
}

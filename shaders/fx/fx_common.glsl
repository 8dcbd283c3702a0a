// Shared by the fx passes (include after common.glsl): the input, the amount, hashes.
// Noise is an integer hash of (pixel, time tick), never GL-side randomness, so render mode
// gives the same bytes on every run and every driver.
// The chain's own uniforms are u_fx_*; none may be u_<a registered parameter> (the loader
// declares those), hence u_fx_block_px and u_fx_thr beside the fx_block and
// fx_sort_threshold parameters.

uniform sampler2D u_fx_src;  // unit 0: the effect's input
uniform float u_fx_amount;     // 0..1: curve(glitch) * fx_<name> + burst
// The chain's per-row table of this frame (engine/fx/fx.c fill_rows), one texel per row
// (x = the row). They depend only on the row, the frame and the amounts: llvmpipe would
// compute them in every pixel and every tap (a fused pass evaluates tear up to 6 times a
// pixel), and each channel read is a gather of its own there, so they are packed:
// .x  tear's shift in pixels (bits 0-15) and vhs's x offset in pixels (16-31), signed;
// .y  tear's shift at the rows rgb's red and blue taps read, clamp(y + dy) (bits 0-11)
//     and clamp(y - dy) (12-23), and rgb's vertical split dy (24-31), signed: a fused tear
//     under rgb reads them in the texel of row y (chain.frag's fx_up_i);
// .z  vhs's roll band strength (float bits); .w vhs's noise hash of the row and tick.
uniform usampler2D u_fx_rows;

uvec4 fx_row(int y) { return texelFetch(u_fx_rows, ivec2(y, 0), 0); }
// The signed field of `bits` bits at bit `at` of v (bitfieldExtract needs GLSL 4.00).
int fx_field(uint v, int at, int bits) { return int(v << uint(32 - at - bits)) >> (32 - bits); }
int fx_row_tear(int y) { return fx_field(fx_row(y).x, 0, 16); }
int fx_row_vhs_dx(int y) { return fx_field(fx_row(y).x, 16, 16); }
int fx_row_rgb_dy(int y) { return fx_field(fx_row(y).y, 24, 8); }
// Tear's shift at the row rgb's tap i (1 red, 2 blue) of row y reads.
int fx_row_tear_split(int y, int i) { return fx_field(fx_row(y).y, i == 1 ? 0 : 12, 12); }

uint fx_hash_u(uint x)
{
    // lowbias32 (Chris Wellons): good avalanche for 2 multiplies.
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// Uniform in [0, 1) from three integers.
float fx_hash(int a, int b, int c)
{
    uint h = fx_hash_u(uint(a) ^ fx_hash_u(uint(b) ^ fx_hash_u(uint(c) + 0x9e3779b9u)));
    return float(h >> 8) * (1.0 / 16777216.0);
}

// The pattern clock: ticks of the scene time (u_time), so renders at any frame rate show
// the same pattern at the same time (a frame count would not). 30 a second is what one
// tick a frame was at 30 fps. The offset keeps a frame that lands on a tick on it
// whatever the rounding of the summed clock.
int fx_tick(float hz) { return int(floor(u_time * hz + 1e-3)); }

float fx_luma(vec3 c) { return dot(c, vec3(0.2126, 0.7152, 0.0722)); }

// A pixel position clamped into the picture (what CLAMP_TO_EDGE does for texture()).
ivec2 fx_clampi(ivec2 p) { return clamp(p, ivec2(0), ivec2(u_resolution) - 1); }

// What an RGBA8 target stores of c, as the value a later pass reads back: a fused stage
// hands the next one exactly what the unfused passes would through an 8-bit target.
// Measured on llvmpipe: a write rounds c * 255 half to even (k + 0.5 goes to the even
// one) and a read gives k * (1 / 255) to the bit; floor(x + 0.5) differed at every
// exact half, and a crush level downstream turned that 1/255 into 10/255.
// `precise`: without it the compiler folds the 1/255 into the next stage's constants
// (q * 0.299 became k * (0.299 / 255)), a rounding the unfused pass never makes.
vec4 fx_q(vec4 c)
{
#if STRATA_GLSL >= 400
    precise
#endif
    vec4 q = roundEven(clamp(c, 0.0, 1.0) * 255.0) * (1.0 / 255.0);
    return q;
}

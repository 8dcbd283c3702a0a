// Block displacement in the manner of datamosh: with the I-frames gone, a decoder keeps
// moving old pixels by new motion vectors. Chosen blocks here read this pass's own last
// output (the history) displaced by the block's motion, so they stick and smear like
// P-frames; the others show the live picture.
//! param fx_block: 0..1 share of blocks that stick (up to 85%) and how far they are thrown
// Motion per block: the morph's flow when given (pixels), else a normal-flow estimate
// from the difference to the last frame's input. Blocks are 16 px at 720p.
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_hist;   // unit 1: this pass's last output
uniform sampler2D u_prev;   // unit 2: this pass's input last frame
uniform sampler2D u_flow;   // unit 3: motion in pixels (content at p came from p - flow)
uniform float u_has_flow;
uniform float u_fresh;      // 1: no history yet
uniform float u_block;      // block size in pixels

in vec2 v_uv;
out vec4 o_color;

vec2 motion(vec2 cuv)
{
    if (u_has_flow > 0.5)
        return texture(u_flow, cuv).xy;
    if (u_fresh > 0.5)
        return vec2(0.0);
    // Normal flow at the block centre: -It * grad / |grad|^2 (pixels per frame).
    vec2 e = vec2(0.5 * u_block) / u_resolution;
    float gx = fx_luma(texture(u_src, cuv + vec2(e.x, 0.0)).rgb) -
               fx_luma(texture(u_src, cuv - vec2(e.x, 0.0)).rgb);
    float gy = fx_luma(texture(u_src, cuv + vec2(0.0, e.y)).rgb) -
               fx_luma(texture(u_src, cuv - vec2(0.0, e.y)).rgb);
    float it = fx_luma(texture(u_src, cuv).rgb) - fx_luma(texture(u_prev, cuv).rgb);
    vec2 g = vec2(gx, gy) / u_block;
    vec2 v = -it * g / (dot(g, g) + 1e-4);
    float l = length(v), lmax = 2.0 * u_block;
    return l > lmax ? v * (lmax / l) : v;
}

void main()
{
    ivec2 b = ivec2(gl_FragCoord.xy / u_block);
    vec2 cuv = (vec2(b) + 0.5) * u_block / u_resolution;
    int epoch = u_frame / 6;  // a block's fate holds 6 frames, long enough to read
    float moshed = step(fx_hash(b.x, b.y, epoch), 0.85 * u_amount);
    // The kick throws still pictures too: a constant drift per block and epoch.
    vec2 kick = (vec2(fx_hash(b.x, b.y, epoch + 7919), fx_hash(b.y, b.x, epoch + 104729)) -
                 0.5) * u_block * u_amount;
    vec2 mv = motion(cuv) * (1.0 + u_amount) + kick;
    vec2 huv = (gl_FragCoord.xy - mv) / u_resolution;
    vec4 hist = u_fresh > 0.5 ? texture(u_src, huv) : texture(u_hist, huv);
    vec4 cur = texture(u_src, v_uv);
    o_color = mix(cur, hist, moshed);
}

// Block displacement in the manner of datamosh: with the I-frames gone, a decoder keeps
// moving old pixels by new motion vectors. Chosen blocks here read this pass's own last
// output (the history) displaced by the block's motion, so they stick and smear like
// P-frames; the others show the live picture.
//! param fx_block: 0..1 share of blocks that stick (up to 85%) and how far they are thrown
// Motion per block comes from block_motion.frag: the morph's flow when given, else an
// estimate from the difference to the last frame's input. Blocks are 16 px at 720p.
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_hist;  // unit 1: this pass's last output
uniform sampler2D u_fx_mvec;  // unit 2: one vector per block, pixels (block_motion.frag)
uniform float u_fx_fresh;     // 1: no history yet
uniform float u_fx_block_px;  // block size in pixels

in vec2 v_uv;
out vec4 o_color;

void main()
{
    ivec2 b = ivec2(gl_FragCoord.xy / u_fx_block_px);
    int epoch = u_frame / 6;  // a block's fate holds 6 frames, long enough to read
    float moshed = step(fx_hash(b.x, b.y, epoch), 0.85 * u_fx_amount);
    // The kick throws still pictures too: a constant drift per block and epoch.
    vec2 kick = (vec2(fx_hash(b.x, b.y, epoch + 7919), fx_hash(b.y, b.x, epoch + 104729)) -
                 0.5) * u_fx_block_px * u_fx_amount;
    vec2 mv = texelFetch(u_fx_mvec, b, 0).xy * (1.0 + u_fx_amount) + kick;
    vec2 huv = (gl_FragCoord.xy - mv) / u_resolution;
    vec4 hist = u_fx_fresh > 0.5 ? texture(u_fx_src, huv) : texture(u_fx_hist, huv);
    vec4 cur = texture(u_fx_src, v_uv);
    o_color = mix(cur, hist, moshed);
}

// Block displacement in the manner of datamosh: with the I-frames gone, a decoder keeps
// moving old pixels by new motion vectors. Chosen blocks here read this pass's own last
// output (the history) displaced by the block's motion, so they stick and smear like
// P-frames; the others show the live picture.
//! param fx_block: 0..1 share of blocks that stick (up to 85%) and how far they are thrown
// Motion per block comes from block_motion.frag: the morph's flow when given, else an
// estimate from the difference to the last frame's input. Blocks are 16 px at 720p.
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_hist;  // this pass's last output (the input while it has none)
uniform sampler2D u_fx_mvec;  // unit 2: one vector per block, pixels (block_motion.frag)
uniform float u_fx_block_px;  // block size in pixels
uniform float u_fx_ticks;     // this frame's dt in 1/30 s: the throw is per 1/30 s

in vec2 v_uv;
out vec4 o_color;

void main()
{
    ivec2 b = ivec2(gl_FragCoord.xy / u_fx_block_px);
    int epoch = fx_tick(5.0);  // a block's fate holds 0.2 s, long enough to read
    // One hash per block and epoch: 16 bits pick the block, 8 + 8 bits its kick.
    uint h = fx_hash_u(uint(b.x) ^ fx_hash_u(uint(b.y) ^ fx_hash_u(uint(epoch) + 0x9e3779b9u)));
    float moshed = step(float(h & 0xffffu) * (1.0 / 65536.0), 0.85 * u_fx_amount);
    // The kick throws still pictures too: a constant drift per block and epoch. By time,
    // not frames: the motion since the last frame (x 1 + amount) carries the history
    // along, and the kick is per 1/30 s of dt, but only of the part of dt inside the
    // block's epoch (its fate holds 0.2 s) plus the 1/30 s a 30 fps frame would throw it
    // as the epoch begins. (Scaling the motion's amplification by dt too measured worse.)
    float ticks = min(u_fx_ticks, (u_time * 5.0 - float(epoch)) * 6.0 + 1.0);
    vec2 kick = (vec2(float((h >> 16) & 0xffu), float(h >> 24)) * (1.0 / 256.0) - 0.5) *
                u_fx_block_px * u_fx_amount;
    vec2 m = texelFetch(u_fx_mvec, b, 0).xy;
    vec2 mv = m * (1.0 + u_fx_amount) + kick * ticks;
    vec2 huv = (gl_FragCoord.xy - mv) / u_resolution;
    // llvmpipe runs every side of a branch (masked), so each texture read here costs
    // every pixel: one point read of the live pixel and one bilinear read of the
    // history, where fx.c binds the live picture as the history while there is none yet
    // or it is older than a block's fate (dt over 0.2 s: offline at under 5 fps), as a
    // fast render's block would show the live picture, thrown. (Three bilinear reads
    // before: the same picture, about a third more time.)
    if (moshed < 0.5)
        o_color = texelFetch(u_fx_src, ivec2(gl_FragCoord.xy), 0);
    else
        o_color = texture(u_fx_hist, huv);
}

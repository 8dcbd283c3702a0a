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

#if FX_BLOCK_MOSHED
flat in vec2 v_mv;  // the block's displacement this frame in pixels (fx/block.vert)
#endif
out vec4 o_color;

// The block's fate (one hash per block and 0.2 s epoch: moshed or not, and its kick) and
// its displacement (motion x (1 + amount) + kick x ticks) are per block: the motion pass
// computes them once per block. fx.c puts the live picture in the whole target (a copy
// where GL allows one, else FX_BLOCK_MOSHED 0: a point read) and then draws the moshed
// blocks as quads of their own
// (FX_BLOCK_MOSHED 1, fx/block.vert) with a bilinear read of the history, where fx.c
// binds the live picture as the history while there is none yet or it is older than a
// block's fate (dt over 0.2 s: offline at under 5 fps), as a fast render's block would
// show the live picture, thrown. A pixel does one read, or two where a block is moshed,
// not both in every pixel (llvmpipe runs both sides of a branch, masked).
void main()
{
#if FX_BLOCK_MOSHED
    o_color = texture(u_fx_hist, (gl_FragCoord.xy - v_mv) / u_resolution);
#else
    o_color = texelFetch(u_fx_src, ivec2(gl_FragCoord.xy), 0);
#endif
}

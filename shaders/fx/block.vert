// The datamosh pass as one quad per block (fx/block.frag): a block is either moshed or
// live for all of its pixels, so fx.c draws the blocks twice, the live ones (copied from
// the input) and the moshed ones (read from the history, displaced), each quad in one of
// the two draws and the other's quad a degenerate one. A pixel then pays for one read,
// not both sides of a per-pixel branch (llvmpipe runs both sides, masked).
uniform sampler2D u_fx_mvec;  // one texel per block (block_motion.frag): .xy displacement,
                              // .w 1 when moshed
uniform float u_fx_block_px;  // block size in pixels
uniform vec2 u_fx_px;         // the picture's size in pixels
uniform int u_fx_moshed;      // 1: this draw's blocks are the moshed ones
flat out vec2 v_mv;           // the block's displacement in pixels

void main()
{
    int q = gl_VertexID / 6, k = gl_VertexID - q * 6;
    int bw = textureSize(u_fx_mvec, 0).x;
    ivec2 b = ivec2(q - (q / bw) * bw, q / bw);
    vec4 m = texelFetch(u_fx_mvec, b, 0);
    // Two triangles: corners (0,0) (1,0) (0,1) and (1,0) (1,1) (0,1).
    vec2 c = vec2(k == 1 || k == 3 || k == 4 ? 1.0 : 0.0, k == 2 || k == 4 || k == 5 ? 1.0 : 0.0);
    vec2 px = min((vec2(b) + c) * u_fx_block_px, u_fx_px);
    bool mine = (m.w > 0.5) == (u_fx_moshed != 0);
    gl_Position = mine ? vec4(px / u_fx_px * 2.0 - 1.0, 0.0, 1.0) : vec4(-2.0, -2.0, 0.0, 1.0);
    v_mv = m.xy;
}

// The moshed blocks of the datamosh pass (fx/block.frag with FX_BLOCK_MOSHED 1) as one
// quad per block: fx.c draws the live picture over the whole target first, then these,
// so only a moshed block's pixels read the history. The quads of the live blocks are
// degenerate (outside the viewport).
uniform sampler2D u_fx_mvec;  // one texel per block (block_motion.frag): .xy displacement,
                              // .w 1 when moshed
uniform float u_fx_block_px;  // block size in pixels
uniform vec2 u_fx_px;         // the picture's size in pixels
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
    gl_Position = m.w > 0.5 ? vec4(px / u_fx_px * 2.0 - 1.0, 0.0, 1.0) : vec4(-2.0, -2.0, 0.0, 1.0);
    v_mv = m.xy;
}

// Flow morph, step 2b: the compose's mesh, two triangles per cell of the lattice that
// flow_compose_prep filled; a vertex hands the fragments its two warped uvs and four
// weights (interpolated linearly: on llvmpipe that per pixel was two bilinear RGBA32F
// reads, three reciprocals and three smoothsteps). Cells without any warped weight are
// the plain cross-fade, which the compose drew first under the whole mesh: their
// triangles collapse off screen. (A second mesh for the cross-fade's cells, so that each
// pixel is shaded once, cost more on llvmpipe than the full-screen cross-fade it saved.)
uniform sampler2D u_warp;    // FLOW_PREP_WARP lattice
uniform sampler2D u_weights; // FLOW_PREP_WEIGHTS lattice
uniform sampler2D u_cells;   // FLOW_PREP_CELLS
uniform ivec2 u_grid;        // splat grid size
uniform int u_sub;           // lattice vertices per splat texel
noperspective out vec2 v_uv;
noperspective out vec4 v_warp; // where A (xy) and B (zw) are sampled
noperspective out vec4 v_k;    // weights of A and B here (the fade), A and B warped

void main()
{
    int cell = gl_VertexID / 6, corner = gl_VertexID % 6;
    int cols = (u_grid.x - 1) * u_sub + 2; // cells in a row: lattice columns - 1
    ivec2 c = ivec2(cell % cols, cell / cols);
    ivec2 v = c + ivec2(corner == 1 || corner == 4 || corner == 5 ? 1 : 0,
                        corner == 2 || corner == 3 || corner == 5 ? 1 : 0);
    // As in flow_compose_prep.frag.
    vec2 uv = clamp((0.5 + vec2(v - 1) / float(u_sub)) / vec2(u_grid), 0.0, 1.0);
    v_uv = uv;
    v_warp = texelFetch(u_warp, v, 0);
    v_k = texelFetch(u_weights, v, 0);
    bool warped = texelFetch(u_cells, c, 0).r > 0.5;
    gl_Position = warped ? vec4(uv * 2.0 - 1.0, 0.0, 1.0) : vec4(-2.0, -2.0, 0.0, 1.0);
}

// Flow morph, step 2a: everything the compose takes from the splat sums, once per vertex
// of its mesh (flow_compose.vert) instead of once per pixel. Texel v of this lattice is
// mesh vertex v: vertex 1 sits at the centre of splat texel 0, the next u_sub - 1
// between it and texel 1's, and so on; vertex 0 and the last at the frame's edges.
// There the splat sums are read as the per-pixel compose read them (bilinear), and
//   FLOW_PREP_WARP:    (uv where A is sampled, uv where B is sampled), RGBA32F;
//   FLOW_PREP_WEIGHTS: the weights of A and B unwarped (the cross-fade) and warped;
//   FLOW_PREP_CELLS:   (on the lattice's cells) 1 where a corner has any warped weight:
//                      elsewhere the cell is the plain cross-fade and is not drawn.
out vec4 o_color;
uniform sampler2D u_splat_a; // (F w, w, conf w) landed from A
uniform sampler2D u_splat_b; // (F w, w, conf w) landed from B (A->B direction)
uniform sampler2D u_weights; // FLOW_PREP_CELLS: the FLOW_PREP_WEIGHTS lattice
uniform ivec2 u_grid;        // splat grid size
uniform int u_sub;           // lattice vertices per splat texel along each axis
uniform float u_t;

void main()
{
    ivec2 v = ivec2(gl_FragCoord.xy);
#ifdef FLOW_PREP_CELLS
    float w = 0.0;
    for (int i = 0; i < 4; i++) {
        vec4 k = texelFetch(u_weights, v + ivec2(i & 1, i >> 1), 0);
        w = max(w, k.z + k.w);
    }
    o_color = vec4(step(1e-30, w), 0.0, 0.0, 1.0);
#else
    vec2 uv = clamp((0.5 + vec2(v - 1) / float(u_sub)) / vec2(u_grid), 0.0, 1.0);
    vec4 sa = textureLod(u_splat_a, uv, 0.0);
    vec4 sb = textureLod(u_splat_b, uv, 0.0);
    float ia = 1.0 / max(sa.b, 1e-6), ib = 1.0 / max(sb.b, 1e-6);
#ifdef FLOW_PREP_WARP
    o_color = vec4(uv - u_t * ia * sa.rg, uv + (1.0 - u_t) * ib * sb.rg);
#else
    float wa = (1.0 - u_t) * max(smoothstep(0.0, 0.5, sa.b), 1e-4);
    float wb = u_t * max(smoothstep(0.0, 0.5, sb.b), 1e-4);
    float iw = 1.0 / (wa + wb);
    float conf = smoothstep(0.15, 0.6, (wa * sa.a * ia + wb * sb.a * ib) * iw);
    float na = wa * iw;
    o_color = vec4((1.0 - conf) * (1.0 - u_t), (1.0 - conf) * u_t, conf * na, conf * (1.0 - na));
#endif
#endif
}

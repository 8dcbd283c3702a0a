// Flow morph, step 1: every flow-grid point of a keyframe travels a fraction of its
// flow and leaves its flow (weighted) where it lands. Points that move more weigh
// exponentially more (softmax splatting), so a moving shape covers the still
// background it passes over instead of mixing with it; that priority is scaled by the
// point's confidence, so an untrusted point never covers a trusted one. Each point
// also leaves its confidence (weighted), which the compose pass reads back as the
// mean confidence of what landed there.
uniform sampler2D u_flow; // flow of this keyframe toward the other, uv units
uniform sampler2D u_conf; // its confidence 0..1 (flow_check)
uniform ivec2 u_grid;     // flow grid size
uniform float u_move;     // t for A, (1 - t) for B
uniform float u_sign;     // +1 for A (store F_ab), -1 for B (store -F_ba = A->B direction)
uniform float u_point;    // point size in pixels
out vec4 v_value;

void main()
{
    ivec2 g = ivec2(gl_VertexID % u_grid.x, gl_VertexID / u_grid.x);
    vec2 uv = (vec2(g) + 0.5) / vec2(u_grid);
    vec2 f = textureLod(u_flow, uv, 0.0).rg; // the grid may be coarser than the flow
    float c = clamp(textureLod(u_conf, uv, 0.0).r, 0.0, 1.0);
    vec2 dest = uv + u_move * f;
    // Capped so that sums of many overlapping points stay finite.
    float w = (0.02 + c) * exp(min(length(f * vec2(u_grid)) * 0.35, 8.0) * c);
    v_value = vec4(u_sign * f * w, w, c * w);
    gl_Position = vec4(dest * 2.0 - 1.0, 0.0, 1.0);
    gl_PointSize = u_point;
}

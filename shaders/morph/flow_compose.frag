// Flow morph, step 2: each keyframe is sampled back along the flow splatted to time t,
// where its points landed; places one keyframe's points left empty (disocclusions)
// take the other keyframe only. t = 0 gives A exactly and t = 1 gives B.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform sampler2D u_splat_a; // (F * w, w) landed from A
uniform sampler2D u_splat_b; // (F * w, w) landed from B (A->B direction)
uniform float u_t;

void main()
{
    vec4 sa = texture(u_splat_a, v_uv);
    vec4 sb = texture(u_splat_b, v_uv);
    float va = smoothstep(0.0, 0.5, sa.b);
    float vb = smoothstep(0.0, 0.5, sb.b);
    vec2 fa = sa.b > 1e-6 ? sa.rg / sa.b : vec2(0.0);
    vec2 fb = sb.b > 1e-6 ? sb.rg / sb.b : vec2(0.0);
    vec3 ca = texture(u_a, v_uv - u_t * fa).rgb;
    vec3 cb = texture(u_b, v_uv + (1.0 - u_t) * fb).rgb;
    float wa = (1.0 - u_t) * va;
    float wb = u_t * vb;
    vec3 c;
    if (u_t <= 0.0)
        c = texture(u_a, v_uv).rgb;
    else if (u_t >= 1.0)
        c = texture(u_b, v_uv).rgb;
    else if (wa + wb < 1e-4)
        c = mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_t);
    else
        c = (ca * wa + cb * wb) / (wa + wb);
    o_color = vec4(c, 1.0);
}

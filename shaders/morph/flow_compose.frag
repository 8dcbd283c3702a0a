// Flow morph, step 2: each keyframe is sampled back along the flow splatted to time t,
// where its points landed; places one keyframe's points left empty (disocclusions)
// take the other keyframe only. That warped picture is trusted as far as the points
// that landed there were (their mean confidence from flow_check); the rest is a plain
// cross-fade, so where the flow is noise (unrelated pictures) the morph dissolves
// instead of tearing into blocks. t = 0 gives A exactly and t = 1 gives B.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform sampler2D u_splat_a; // (F w, w, conf w) landed from A
uniform sampler2D u_splat_b; // (F w, w, conf w) landed from B (A->B direction)
uniform float u_t;

void main()
{
    vec4 sa = texture(u_splat_a, v_uv);
    vec4 sb = texture(u_splat_b, v_uv);
    float wa = (1.0 - u_t) * max(smoothstep(0.0, 0.5, sa.b), 1e-4);
    float wb = u_t * max(smoothstep(0.0, 0.5, sb.b), 1e-4);
    float conf = (wa * sa.a / max(sa.b, 1e-6) + wb * sb.a / max(sb.b, 1e-6)) / (wa + wb);
    conf = smoothstep(0.15, 0.6, conf);
    // Only what is seen is fetched: where the flow is trusted or not at all (most of
    // the frame), two fetches, as before the confidence.
    vec3 warped = vec3(0.0), fade = vec3(0.0);
    if (conf > 0.0) {
        vec2 fa = sa.rg / max(sa.b, 1e-6);
        vec2 fb = sb.rg / max(sb.b, 1e-6);
        vec3 ca = texture(u_a, v_uv - u_t * fa).rgb;
        vec3 cb = texture(u_b, v_uv + (1.0 - u_t) * fb).rgb;
        warped = (ca * wa + cb * wb) / (wa + wb);
    }
    if (conf < 1.0)
        fade = mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_t);
    o_color = vec4(mix(fade, warped, conf), 1.0);
}

// Flow morph, step 2: each keyframe is sampled back along the flow splatted to time t,
// where its points landed; places one keyframe's points left empty (disocclusions)
// take the other keyframe only. That warped picture is trusted as far as the points
// that landed there were (their mean confidence from flow_check); the rest is a plain
// cross-fade, so where the flow is noise (unrelated pictures) the morph dissolves
// instead of tearing into blocks. t = 0 gives A exactly and t = 1 gives B.
//
// Cost on llvmpipe, which runs both sides of every branch and pays most for the float
// reads: no branches, one reciprocal per splat sum, and (FLOW_SAME_SIZE: the keyframes
// are the target's size) the fade reads the pixel's own texels by index, unfiltered.
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
    float ia = 1.0 / max(sa.b, 1e-6), ib = 1.0 / max(sb.b, 1e-6);
    float wa = (1.0 - u_t) * max(smoothstep(0.0, 0.5, sa.b), 1e-4);
    float wb = u_t * max(smoothstep(0.0, 0.5, sb.b), 1e-4);
    float iw = 1.0 / (wa + wb);
    float conf = smoothstep(0.15, 0.6, (wa * sa.a * ia + wb * sb.a * ib) * iw);
    vec3 ca = texture(u_a, v_uv - u_t * ia * sa.rg).rgb;
    vec3 cb = texture(u_b, v_uv + (1.0 - u_t) * ib * sb.rg).rgb;
    vec3 warped = (ca * wa + cb * wb) * iw;
#ifdef FLOW_SAME_SIZE
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 fade = mix(texelFetch(u_a, p, 0).rgb, texelFetch(u_b, p, 0).rgb, u_t);
#else
    vec3 fade = mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_t);
#endif
    o_color = vec4(mix(fade, warped, conf), 1.0);
}

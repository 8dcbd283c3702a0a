// Flow morph, step 2: each keyframe is sampled back along the flow splatted to time t,
// where its points landed; places one keyframe's points left empty (disocclusions)
// take the other keyframe only. That warped picture is trusted as far as the points
// that landed there were (their mean confidence from flow_check); the rest is a plain
// cross-fade, so where the flow is noise (unrelated pictures) the morph dissolves
// instead of tearing into blocks. t = 0 gives A exactly and t = 1 gives B.
//
// What depends on the splat sums only (where to sample, how much of each) comes per
// vertex of a mesh on the splat grid (flow_compose.vert); per pixel there are the two
// warped reads, the two cross-fade reads and one weighted sum, on the cells that warp at
// all (elsewhere the cross-fade of blend.frag stays). Cost on llvmpipe, which
// pays most for float reads and transcendental ALU: FLOW_SAME_SIZE (the keyframes are
// the target's size) reads the cross-fade's texels by index, unfiltered.
noperspective in vec2 v_uv;
noperspective in vec4 v_warp;
noperspective in vec4 v_k;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;

void main()
{
#ifdef FLOW_SAME_SIZE
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec3 a0 = texelFetch(u_a, p, 0).rgb, b0 = texelFetch(u_b, p, 0).rgb;
#else
    vec3 a0 = texture(u_a, v_uv).rgb, b0 = texture(u_b, v_uv).rgb;
#endif
    vec3 ca = texture(u_a, v_warp.xy).rgb, cb = texture(u_b, v_warp.zw).rgb;
    o_color = vec4(v_k.x * a0 + v_k.y * b0 + v_k.z * ca + v_k.w * cb, 1.0);
}

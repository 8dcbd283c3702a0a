// Blend: the eased crossfade every other morph is measured against (and the flow
// morph's wherever its flow is not trusted). BLEND_SAME_SIZE: the keyframes are the
// target's size, so each pixel's own texels are read by index, unfiltered (on llvmpipe
// a texelFetch costs a fraction of a bilinear tap).
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform float u_t; // already eased

void main()
{
#ifdef BLEND_SAME_SIZE
    ivec2 p = ivec2(gl_FragCoord.xy);
    o_color = vec4(mix(texelFetch(u_a, p, 0).rgb, texelFetch(u_b, p, 0).rgb, u_t), 1.0);
#else
    o_color = vec4(mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_t), 1.0);
#endif
}

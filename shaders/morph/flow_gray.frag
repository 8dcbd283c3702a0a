// Flow, step 1: luma of a keyframe at the flow's base resolution (a 4-tap box keeps
// the downsample from aliasing).
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src;
uniform vec2 u_texel; // one texel of the destination, in uv

void main()
{
    vec2 d = u_texel * 0.25;
    vec3 c = texture(u_src, v_uv + vec2(-d.x, -d.y)).rgb + texture(u_src, v_uv + vec2(d.x, -d.y)).rgb
           + texture(u_src, v_uv + vec2(-d.x, d.y)).rgb + texture(u_src, v_uv + vec2(d.x, d.y)).rgb;
    o_color = vec4(dot(c * 0.25, vec3(0.299, 0.587, 0.114)), 0.0, 0.0, 1.0);
}

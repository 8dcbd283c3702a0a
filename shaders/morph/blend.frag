// Blend: the eased crossfade every other morph is measured against.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform float u_t; // already eased

void main()
{
    o_color = vec4(mix(texture(u_a, v_uv).rgb, texture(u_b, v_uv).rgb, u_t), 1.0);
}

// Flow, step 2b: luma and its central-difference gradient in one texel (I, Ix, Iy),
// so each Lucas-Kanade tap is one fetch instead of five.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src; // luma (R32F)
uniform vec2 u_texel;

void main()
{
    float c = texture(u_src, v_uv).r;
    float ix = (texture(u_src, v_uv + vec2(u_texel.x, 0.0)).r
              - texture(u_src, v_uv - vec2(u_texel.x, 0.0)).r) * 0.5;
    float iy = (texture(u_src, v_uv + vec2(0.0, u_texel.y)).r
              - texture(u_src, v_uv - vec2(0.0, u_texel.y)).r) * 0.5;
    o_color = vec4(c, ix, iy, 1.0);
}

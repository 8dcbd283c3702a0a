// Flow, step 2: the next pyramid level, half size, box-filtered.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src;

void main()
{
    o_color = vec4(texture(u_src, v_uv).r, 0.0, 0.0, 1.0); // bilinear at the half-texel = 2x2 box
}

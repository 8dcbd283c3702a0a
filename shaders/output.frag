// Output: the final render target, scaled into the letterboxed viewport.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src;
uniform float u_gain; // 1; lower outside an installation's opening hours (dimmed)

void main()
{
    o_color = vec4(texture(u_src, v_uv).rgb * u_gain, 1.0);
}

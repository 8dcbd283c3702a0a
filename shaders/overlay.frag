// Overlay text: white glyphs (alpha > 0) on a translucent black box (alpha < 0).
in float v_alpha;
out vec4 o_color;

void main()
{
    o_color = v_alpha > 0.0 ? vec4(1.0, 1.0, 1.0, v_alpha) : vec4(0.0, 0.0, 0.0, -v_alpha);
}

// Overlay text: vertices in window pixels (origin top-left), z = alpha.
layout(location = 0) in vec3 a_pos;
uniform vec2 u_window;
out float v_alpha;

void main()
{
    vec2 ndc = a_pos.xy / u_window * 2.0 - 1.0;
    v_alpha = a_pos.z;
    gl_Position = vec4(ndc.x, -ndc.y, 0.0, 1.0);
}

// Grade: zoom and rotate the picture, then hue, saturation, contrast and brightness.
// Skipped entirely while every one of them is neutral.
#include "common.glsl"

in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src;

void main()
{
    vec2 p = strata_uv_centered(v_uv);
    vec2 uv = p / vec2(u_resolution.x / u_resolution.y, 1.0) * 0.5 + 0.5;
    // Mirror at the edges when zoomed out: no hard black frame inside the picture.
    uv = 1.0 - abs(1.0 - mod(uv, 2.0));
    o_color = vec4(strata_grade(texture(u_src, uv).rgb), 1.0);
}

// Grade: zoom and rotate the picture, then hue, saturation, contrast and brightness, as
// one pass. The fx chain runs the same code (fx/grade.glsl) as its first stage; this pass
// is the reference the tests hold the chain's grade to.
#include "common.glsl"
#include "fx/grade.glsl"

in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src;

void main()
{
    o_color = vec4(fx_grade(u_src, v_uv), 1.0);
}

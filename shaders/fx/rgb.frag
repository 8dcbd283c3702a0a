// RGB / chroma split: red and blue pulled apart from green like a misregistered print.
//! param fx_rgb: 0..1 split width (about 2% of the width at 1) and radial spread
// The direction jumps 7.5 times a second (a hash of the time tick), mostly horizontal.
#include "common.glsl"
#include "fx/fx_common.glsl"

in vec2 v_uv;
out vec4 o_color;

void main()
{
    float a = fx_hash(fx_tick(7.5), 17, 0) * TAU;
    vec2 dir = vec2(cos(a), 0.35 * sin(a));
    // Radial part: the edges split more than the centre, as through a cheap lens.
    vec2 d = u_fx_amount * (0.012 * dir + 0.02 * (v_uv - 0.5));
    vec4 c = texture(u_fx_src, v_uv);
    float r = texture(u_fx_src, v_uv + d).r;
    float b = texture(u_fx_src, v_uv - d).b;
    o_color = vec4(r, c.g, b, c.a);
}

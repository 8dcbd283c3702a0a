// Feedback trails: the last output, zoomed, rotated and decayed, under the new picture
// (lighten: the brighter of the two wins, the classic VJ trail).
//! param feedback: 0..1 how much of the trail stays (decay up to 0.97 per 1/30 s)
//! param fx_trails: 0..1 added by glitch through its curve
//! param fx_trails_zoom: -1..1 zoom per 1/30 s, up to 4% (+ grows outward)
//! param fx_trails_rotate: -1..1 rotation per 1/30 s, up to 1/100 turn
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_hist;  // unit 1: the last output of this pass
uniform float u_fx_fresh;     // 1: no history yet (the effect just started)
uniform float u_fx_scale;     // zoom factor since the last frame
uniform float u_fx_angle;     // rotation since the last frame, radians
uniform float u_fx_ticks;     // time since the last frame in 1/30 s: the decay's exponent

in vec2 v_uv;
out vec4 o_color;

void main()
{
    vec2 aspect = vec2(u_resolution.x / u_resolution.y, 1.0);
    vec2 p = (v_uv - 0.5) * aspect;
    float ca = cos(u_fx_angle), sa = sin(u_fx_angle);
    p = mat2(ca, -sa, sa, ca) * p / u_fx_scale;
    vec2 huv = p / aspect + 0.5;
    float inside = step(0.0, huv.x) * step(huv.x, 1.0) * step(0.0, huv.y) * step(huv.y, 1.0);
    vec3 h = texture(u_fx_hist, huv).rgb * inside * (1.0 - u_fx_fresh);
    // Decay by time, not frames: 0.97 per 1/30 s at any frame rate. The subtracted step
    // lets an 8-bit trail reach black: x * 0.97 rounds back to x below 17/255 and would
    // leave a grey ghost forever.
    float n = max(u_fx_ticks, 0.0);
    h = max(h * pow(0.97 * sqrt(u_fx_amount), n) - n * 1.5 / 255.0, 0.0);
    vec4 s = texture(u_fx_src, v_uv);
    o_color = vec4(max(s.rgb, h), s.a);
}

// Posterize and bit-crush: fewer samples (pixel cells) and fewer levels (ordered dither).
//! param fx_crush: 0..1 cell size 1..8 px at 720p and levels 32..5 per channel
#include "common.glsl"
#include "fx/fx_common.glsl"

in vec2 v_uv;
out vec4 o_color;

const float BAYER[16] = float[16](0.0, 8.0, 2.0, 10.0, 12.0, 4.0, 14.0, 6.0,
                                  3.0, 11.0, 1.0, 9.0, 15.0, 7.0, 13.0, 5.0);

void main()
{
    float cell = max(1.0, floor(1.0 + u_fx_amount * 7.0 * u_resolution.y / 720.0));
    vec2 cid = floor(gl_FragCoord.xy / cell);
    vec3 c = texture(u_fx_src, (cid * cell + 0.5 * cell) / u_resolution).rgb;
    float levels = floor(mix(32.0, 5.0, u_fx_amount));
    // Dither per cell, not per pixel, so a cell stays one flat colour.
    ivec2 b = ivec2(mod(cid, 4.0));
    float d = (BAYER[b.y * 4 + b.x] + 0.5) / 16.0;
    vec3 q = floor(c * (levels - 1.0) + d) / (levels - 1.0);
    // Fade the quantisation in over the first tenth (cells are still 1 px there), so a
    // rising glitch does not switch 32 levels on at once.
    o_color = vec4(clamp(mix(c, q, min(1.0, u_fx_amount * 10.0)), 0.0, 1.0), 1.0);
}

// Datamosh motion: one vector per block (the target is one texel per block), so the
// block pass reads one texel instead of redoing five taps in every pixel of the block.
// The morph's flow at the block centre when given (pixels), else normal flow from the
// difference to the last frame: -It * grad / |grad|^2, clamped to two blocks. The last
// frame is this target's own previous output: .z keeps the luma at each block centre, so
// no full-size copy of the input is needed.
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_prev;      // unit 2: last frame's motion target (.z: centre luma)
uniform sampler2D u_fx_flow;      // unit 3: motion in pixels (content at p came from p - flow)
uniform float u_fx_has_flow;
uniform vec2 u_fx_flow_scale;     // multiplies the flow into pixels
uniform float u_fx_fresh;         // 1: no last frame yet
uniform float u_fx_block_px;      // block size in pixels

out vec4 o_color;

void main()
{
    vec2 cuv = floor(gl_FragCoord.xy) * u_fx_block_px + 0.5 * u_fx_block_px;
    cuv = min(cuv, u_resolution - 0.5) / u_resolution;
    float l = fx_luma(texture(u_fx_src, cuv).rgb);
    if (u_fx_has_flow > 0.5) {
        o_color = vec4(texture(u_fx_flow, cuv).xy * u_fx_flow_scale, l, 1.0);
        return;
    }
    if (u_fx_fresh > 0.5) {
        o_color = vec4(0.0, 0.0, l, 1.0);
        return;
    }
    vec2 e = vec2(0.5 * u_fx_block_px) / u_resolution;
    float gx = fx_luma(texture(u_fx_src, cuv + vec2(e.x, 0.0)).rgb) -
               fx_luma(texture(u_fx_src, cuv - vec2(e.x, 0.0)).rgb);
    float gy = fx_luma(texture(u_fx_src, cuv + vec2(0.0, e.y)).rgb) -
               fx_luma(texture(u_fx_src, cuv - vec2(0.0, e.y)).rgb);
    float it = l - texelFetch(u_fx_prev, ivec2(gl_FragCoord.xy), 0).z;
    vec2 g = vec2(gx, gy) / u_fx_block_px;
    vec2 v = -it * g / (dot(g, g) + 1e-4);
    float len = length(v), lmax = 2.0 * u_fx_block_px;
    o_color = vec4(len > lmax ? v * (lmax / len) : v, l, 1.0);
}

// Datamosh motion and fate: one texel per block (the target is one texel per block), so
// the block pass reads one texel instead of redoing the taps and the hashes in every
// pixel of the block. .xy: the block's displacement this frame in pixels (its motion,
// amplified, plus its kick), .z: the luma at the block centre, .w: 1 when the block is
// moshed (reads the history), else 0.
// The motion is the morph's flow at the block centre when given (pixels), else normal
// flow from the difference to the last frame: -It * grad / |grad|^2, clamped to two
// blocks. The last frame is this target's own previous output: .z keeps the luma at each
// block centre, so no full-size copy of the input is needed.
#include "common.glsl"
#include "fx/fx_common.glsl"

uniform sampler2D u_fx_prev;      // unit 2: last frame's motion target (.z: centre luma)
uniform sampler2D u_fx_flow;      // unit 3: motion in pixels (content at p came from p - flow)
uniform float u_fx_has_flow;
uniform vec2 u_fx_flow_scale;     // multiplies the flow into pixels
uniform float u_fx_fresh;         // 1: no last frame yet
uniform float u_fx_block_px;      // block size in pixels
uniform float u_fx_ticks;         // this frame's dt in 1/30 s: the throw is per 1/30 s

out vec4 o_color;

vec2 motion(vec2 cuv, float l)
{
    if (u_fx_has_flow > 0.5)
        return texture(u_fx_flow, cuv).xy * u_fx_flow_scale;
    if (u_fx_fresh > 0.5)
        return vec2(0.0);
    vec2 e = vec2(0.5 * u_fx_block_px) / u_resolution;
    float gx = fx_luma(texture(u_fx_src, cuv + vec2(e.x, 0.0)).rgb) -
               fx_luma(texture(u_fx_src, cuv - vec2(e.x, 0.0)).rgb);
    float gy = fx_luma(texture(u_fx_src, cuv + vec2(0.0, e.y)).rgb) -
               fx_luma(texture(u_fx_src, cuv - vec2(0.0, e.y)).rgb);
    float it = l - texelFetch(u_fx_prev, ivec2(gl_FragCoord.xy), 0).z;
    vec2 g = vec2(gx, gy) / u_fx_block_px;
    vec2 v = -it * g / (dot(g, g) + 1e-4);
    float len = length(v), lmax = 2.0 * u_fx_block_px;
    return len > lmax ? v * (lmax / len) : v;
}

void main()
{
    vec2 cuv = floor(gl_FragCoord.xy) * u_fx_block_px + 0.5 * u_fx_block_px;
    cuv = min(cuv, u_resolution - 0.5) / u_resolution;
    float l = fx_luma(texture(u_fx_src, cuv).rgb);
    vec2 m = motion(cuv, l);
    ivec2 b = ivec2(gl_FragCoord.xy);
    int epoch = fx_tick(5.0);  // a block's fate holds 0.2 s, long enough to read
    // One hash per block and epoch: 16 bits pick the block, 8 + 8 bits its kick.
    uint h = fx_hash_u(uint(b.x) ^ fx_hash_u(uint(b.y) ^ fx_hash_u(uint(epoch) + 0x9e3779b9u)));
    float moshed = step(float(h & 0xffffu) * (1.0 / 65536.0), 0.85 * u_fx_amount);
    // The kick throws still pictures too: a constant drift per block and epoch. By time,
    // not frames: the motion since the last frame (x 1 + amount) carries the history
    // along, and the kick is per 1/30 s of dt, but only of the part of dt inside the
    // block's epoch (its fate holds 0.2 s) plus the 1/30 s a 30 fps frame would throw it
    // as the epoch begins. (Scaling the motion's amplification by dt too measured worse.)
    float ticks = min(u_fx_ticks, (u_time * 5.0 - float(epoch)) * 6.0 + 1.0);
    vec2 kick = (vec2(float((h >> 16) & 0xffu), float(h >> 24)) * (1.0 / 256.0) - 0.5) *
                u_fx_block_px * u_fx_amount;
    o_color = vec4(m * (1.0 + u_fx_amount) + kick * ticks, l, moshed);
}

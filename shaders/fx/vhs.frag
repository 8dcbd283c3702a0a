// VHS tape: wobble (the tape stretches), a tracking roll band crawling down, chroma bleed
// (colour is a third of the bandwidth of luma and smears to the right), tape noise and
// head-switching at the bottom lines.
//! param fx_vhs: 0..1 strength of every part at once
#include "common.glsl"
#include "fx/fx_common.glsl"

in vec2 v_uv;
out vec4 o_color;

vec3 rgb2yiq(vec3 c)
{
    return vec3(dot(c, vec3(0.299, 0.587, 0.114)), dot(c, vec3(0.596, -0.274, -0.322)),
                dot(c, vec3(0.211, -0.523, 0.312)));
}

vec3 yiq2rgb(vec3 c)
{
    return vec3(dot(c, vec3(1.0, 0.956, 0.621)), dot(c, vec3(1.0, -0.272, -0.647)),
                dot(c, vec3(1.0, -1.106, 1.703)));
}

void main()
{
    vec2 px = 1.0 / u_resolution;
    float scale = u_resolution.y / 720.0;
    ivec2 ip = ivec2(gl_FragCoord.xy);
    float t = u_time;
    float y = v_uv.y;
    // Tape wobble: two slow sines over the height, a few pixels at 720p.
    float wob = (0.6 * sin(y * 23.0 + t * 2.7) + 0.4 * sin(y * 161.0 - t * 9.0)) * 3.0;
    // Tracking roll: a band crawls down the picture every ~7 s, torn and noisy inside.
    float roll = 1.0 - fract(t * 0.14);
    float dist = abs(y - roll);
    float band = smoothstep(0.07, 0.0, min(dist, 1.0 - dist)) * u_fx_amount;
    float tear = band * (fx_hash(ip.y, fx_tick(30.0), 5) - 0.3) * 40.0;
    // Head switching: the last 2% of lines slide, as a real deck's bottom edge does.
    float head = step(y, 0.02) * (1.0 - y / 0.02) * 30.0;
    float xoff = (wob + tear + head) * scale * u_fx_amount * px.x;
    vec2 uv = vec2(v_uv.x + xoff, y);
    vec3 c0 = rgb2yiq(texture(u_fx_src, uv).rgb);
    float bleed = (2.0 + 6.0 * u_fx_amount) * scale * px.x;
    vec3 c1 = rgb2yiq(texture(u_fx_src, uv - vec2(bleed, 0.0)).rgb);
    vec3 c2 = rgb2yiq(texture(u_fx_src, uv - vec2(2.0 * bleed, 0.0)).rgb);
    vec2 iq = mix(c0.yz, (c0.yz + c1.yz + c2.yz) / 3.0, u_fx_amount) * (1.0 - 0.25 * u_fx_amount);
    float n = fx_hash(ip.x, ip.y, fx_tick(30.0)) - 0.5;
    float luma = c0.x + n * (0.12 * u_fx_amount + 0.6 * band) + 0.04 * u_fx_amount;
    o_color = vec4(clamp(yiq2rgb(vec3(luma, iq)), 0.0, 1.0), 1.0);
}

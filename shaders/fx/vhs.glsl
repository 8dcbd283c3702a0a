// VHS tape: wobble (the tape stretches), a tracking roll band crawling down, chroma bleed
// (colour is a third of the bandwidth of luma and smears to the right), tape noise and
// head-switching at the bottom lines.
//! param fx_vhs: 0..1 strength of every part at once
// A stage of the fused chain (fx/chain.frag): three taps along the line (the displaced
// pixel and two to its left for the bleed), in whole pixels.

#define FX_VHS_TAPS 3

vec3 fx_rgb2yiq(vec3 c)
{
    return vec3(dot(c, vec3(0.299, 0.587, 0.114)), dot(c, vec3(0.596, -0.274, -0.322)),
                dot(c, vec3(0.211, -0.523, 0.312)));
}

vec3 fx_yiq2rgb(vec3 c)
{
    return vec3(dot(c, vec3(1.0, 0.956, 0.621)), dot(c, vec3(1.0, -0.272, -0.647)),
                dot(c, vec3(1.0, -1.106, 1.703)));
}

// The tracking roll band's strength at line p.y (0 outside the band).
float fx_vhs_band(ivec2 p, float a)
{
    float y = (float(p.y) + 0.5) / u_resolution.y;
    // Tracking roll: a band crawls down the picture every ~7 s, torn and noisy inside.
    float roll = 1.0 - fract(u_time * 0.14);
    float dist = abs(y - roll);
    return smoothstep(0.07, 0.0, min(dist, 1.0 - dist)) * a;
}

ivec2 fx_vhs_tap(ivec2 p, float a, int i)
{
    float scale = u_resolution.y / 720.0;
    float t = u_time;
    float y = (float(p.y) + 0.5) / u_resolution.y;
    // Tape wobble: two slow sines over the height, a few pixels at 720p.
    float wob = (0.6 * sin(y * 23.0 + t * 2.7) + 0.4 * sin(y * 161.0 - t * 9.0)) * 3.0;
    float tear = fx_vhs_band(p, a) * (fx_hash(p.y, fx_tick(30.0), 5) - 0.3) * 40.0;
    // Head switching: the last 2% of lines slide, as a real deck's bottom edge does.
    float head = step(y, 0.02) * (1.0 - y / 0.02) * 30.0;
    int xoff = int(round((wob + tear + head) * scale * a));
    int bleed = int(round((2.0 + 6.0 * a) * scale));
    return fx_clampi(ivec2(p.x + xoff - i * bleed, p.y));
}

vec4 fx_vhs_mix(ivec2 p, float a, vec4 t0, vec4 t1, vec4 t2)
{
    vec3 c0 = fx_rgb2yiq(t0.rgb), c1 = fx_rgb2yiq(t1.rgb), c2 = fx_rgb2yiq(t2.rgb);
    vec2 iq = mix(c0.yz, (c0.yz + c1.yz + c2.yz) / 3.0, a) * (1.0 - 0.25 * a);
    float n = fx_hash(p.x, p.y, fx_tick(30.0)) - 0.5;
    float luma = c0.x + n * (0.12 * a + 0.6 * fx_vhs_band(p, a)) + 0.04 * a;
    return vec4(clamp(fx_yiq2rgb(vec3(luma, iq)), 0.0, 1.0), 1.0);
}

// Scanline tear and jitter: bands of lines slip sideways (wrapping, like a lost h-sync),
// every line jitters by a pixel or two.
//! param fx_tear: 0..1 how many bands tear (up to 40%) and how far (up to 1/8 width)
#include "common.glsl"
#include "fx/fx_common.glsl"

in vec2 v_uv;
out vec4 o_color;

void main()
{
    int epoch = fx_tick(15.0);  // tears hold 1/15 s: a 1/30 s flicker reads as noise
    float scale = u_resolution.y / 720.0;
    float band_h = max(2.0, floor(mix(6.0, 80.0, fx_hash(epoch, 1, 0)) * scale));
    int line = int(gl_FragCoord.y);
    int band = int(gl_FragCoord.y / band_h);
    float torn = step(fx_hash(band, epoch, 2), 0.4 * u_fx_amount);
    float shift = torn * (fx_hash(band, epoch, 3) - 0.5) * 0.25 * u_fx_amount;
    float jitter = (fx_hash(line, fx_tick(30.0), 4) - 0.5) * 4.0 * scale * u_fx_amount / u_resolution.x;
    o_color = texture(u_fx_src, vec2(fract(v_uv.x + shift + jitter), v_uv.y));
}

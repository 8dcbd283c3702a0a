// Scanline tear and jitter: bands of lines slip sideways (wrapping, like a lost h-sync),
// every line jitters by a pixel or two.
//! param fx_tear: 0..1 how many bands tear (up to 40%) and how far (up to 1/8 width)
// A stage of the fused chain (fx/chain.frag): one tap, in whole pixels, so a fused
// evaluation reads the very pixel an 8-bit pass would.

#define FX_TEAR_TAPS 1

// The band height of this 1/15 s, max(2, floor(mix(6, 80, fx_hash(epoch, 1, 0)) * h / 720)),
// from fx.c: the same for every pixel, and a fused pass evaluates this stage up to 9
// times a pixel (llvmpipe does not hoist work that only depends on uniforms).
uniform float u_fx_tear_band;

ivec2 fx_tear_tap(ivec2 p, float a, int i)
{
    int epoch = fx_tick(15.0);  // tears hold 1/15 s: a 1/30 s flicker reads as noise
    float scale = u_resolution.y / 720.0;
    int band = int((float(p.y) + 0.5) / u_fx_tear_band);
    float torn = step(fx_hash(band, epoch, 2), 0.4 * a);
    float shift = torn * (fx_hash(band, epoch, 3) - 0.5) * 0.25 * a;
    float jitter = (fx_hash(p.y, fx_tick(30.0), 4) - 0.5) * 4.0 * scale * a;
    int w = int(u_resolution.x);
    int x = p.x + int(round(shift * u_resolution.x + jitter));  // |dx| <= w / 8 + 2
    // Wrap without %: an integer division is scalar on llvmpipe, a select is not.
    x += x < 0 ? w : 0;
    return ivec2(x >= w ? x - w : x, p.y);
}

vec4 fx_tear_mix(ivec2 p, float a, vec4 c0, vec4 c1, vec4 c2)
{
    return c0;
}

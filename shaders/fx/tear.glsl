// Scanline tear and jitter: bands of lines slip sideways (wrapping, like a lost h-sync),
// every line jitters by a pixel or two.
//! param fx_tear: 0..1 how many bands tear (up to 40%) and how far (up to 1/8 width)
// A stage of the fused chain (fx/chain.frag): one tap, in whole pixels, so a fused
// evaluation reads the very pixel an 8-bit pass would.

// The shift of each line, round(shift * width + jitter) with the band's tear (a band of
// max(2, floor(mix(6, 80, fx_hash(epoch, 1, 0)) * h / 720)) lines, torn when
// fx_hash(band, epoch, 2) <= 0.4 a, shift (fx_hash(band, epoch, 3) - 0.5) * a / 4 of the
// width, epoch the 1/15 s tick) and the line's jitter ((fx_hash(y, tick30, 4) - 0.5) * 4 a
// px at 720p), is fx_row_tear(y): computed per frame in fx.c (fill_rows), not per tap.

#define FX_TEAR_TAPS 1
#define FX_TEAR_SELECTS 1  // its result is a texel of its input: no rounding after it

ivec2 fx_tear_tap(ivec2 p, float a, int i)
{
    int w = int(u_resolution.x);
#ifdef FX_TEAR_UNDER_RGB
    // Under rgb: tap fx_up_i of fx_up_p is on row fx_up_p.y (i 0) or the row of its split
    // (1, 2), whose shifts the row table holds at fx_up_p.y: one texel for all three.
    int s = fx_up_i == 0 ? fx_row_tear(fx_up_p.y) : fx_row_tear_split(fx_up_p.y, fx_up_i);
    int x = p.x + s;
#else
    int x = p.x + fx_row_tear(p.y);  // |dx| <= w / 8 + 2
#endif
    // Wrap without %: an integer division is scalar on llvmpipe, a select is not.
    x += x < 0 ? w : 0;
    return ivec2(x >= w ? x - w : x, p.y);
}

vec4 fx_tear_mix(ivec2 p, float a, vec4 c0, vec4 c1, vec4 c2)
{
    return c0;
}

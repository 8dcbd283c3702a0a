// Grade: zoom and rotate the picture, then hue, saturation, contrast and brightness.
// The first stage of the fx chain (fx/chain.frag), before every effect, and the whole of
// post/grade.frag. Needs common.glsl. It reads its source at any position (bilinear), so
// it is only ever stage 0: the one that reads a texture, not an earlier stage.

vec3 fx_grade(sampler2D src, vec2 uv)
{
    vec2 p = strata_uv_centered(uv);
    uv = p / vec2(u_resolution.x / u_resolution.y, 1.0) * 0.5 + 0.5;
    // Mirror at the edges when zoomed out: no hard black frame inside the picture.
    uv = 1.0 - abs(1.0 - mod(uv, 2.0));
    return strata_grade(texture(src, uv).rgb);
}

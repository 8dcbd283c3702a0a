// Flow, step 4: one Lucas-Kanade refinement at a pyramid level. The current flow
// (from the coarser level, sampled bilinearly: uv units need no rescaling) warps B
// onto A; a 5x5 window solves for the residual motion.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform sampler2D u_flow;
uniform vec2 u_texel; // 1 / level size

void main()
{
    vec2 f = texture(u_flow, v_uv).rg;
    float sxx = 0.0, sxy = 0.0, syy = 0.0, sxt = 0.0, syt = 0.0;
    for (int j = -2; j <= 2; j++) {
        for (int i = -2; i <= 2; i++) {
            vec2 uv = v_uv + vec2(i, j) * u_texel;
            vec2 wb = uv + f;
            float ix = (texture(u_b, wb + vec2(u_texel.x, 0)).r
                      - texture(u_b, wb - vec2(u_texel.x, 0)).r) * 0.5;
            float iy = (texture(u_b, wb + vec2(0, u_texel.y)).r
                      - texture(u_b, wb - vec2(0, u_texel.y)).r) * 0.5;
            float it = texture(u_b, wb).r - texture(u_a, uv).r;
            float w = 1.0 / (1.0 + float(i * i + j * j) * 0.25);
            sxx += w * ix * ix;
            sxy += w * ix * iy;
            syy += w * iy * iy;
            sxt += w * ix * it;
            syt += w * iy * it;
        }
    }
    float det = sxx * syy - sxy * sxy;
    vec2 d = vec2(0.0);
    if (det > 1e-7) // textured enough to trust; flat areas keep the coarse flow
        d = -vec2(syy * sxt - sxy * syt, sxx * syt - sxy * sxt) / det;
    d = clamp(d, vec2(-2.0), vec2(2.0)); // at most 2 texels per step: no wild jumps
    o_color = vec4(f + d * u_texel, 0.0, 1.0);
}

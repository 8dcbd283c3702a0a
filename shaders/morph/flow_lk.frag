// Flow, step 4: one Lucas-Kanade refinement at a pyramid level. The current flow
// (from the coarser level, sampled bilinearly: uv units need no rescaling) warps B
// onto A; a 5x5 window solves for the residual motion. u_b holds (I, Ix, Iy).
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;    // (I, Ix, Iy) of A
uniform sampler2D u_b;    // (I, Ix, Iy) of B
uniform sampler2D u_flow;
uniform vec2 u_texel;     // 1 / level size

void main()
{
    vec2 f = texture(u_flow, v_uv).rg;
    float sxx = 0.0, sxy = 0.0, syy = 0.0, sxt = 0.0, syt = 0.0;
    for (int j = -2; j <= 2; j++) {
        for (int i = -2; i <= 2; i++) {
            vec2 uv = v_uv + vec2(i, j) * u_texel;
            vec3 b = texture(u_b, uv + f).rgb;
            float it = b.r - texture(u_a, uv).r;
            float w = 1.0 / (1.0 + float(i * i + j * j) * 0.25);
            sxx += w * b.g * b.g;
            sxy += w * b.g * b.b;
            syy += w * b.b * b.b;
            sxt += w * b.g * it;
            syt += w * b.b * it;
        }
    }
    float det = sxx * syy - sxy * sxy;
    vec2 d = vec2(0.0);
    if (det > 1e-7) // textured enough to trust; flat areas keep the coarse flow
        d = -vec2(syy * sxt - sxy * syt, sxx * syt - sxy * sxt) / det;
    d = clamp(d, vec2(-2.0), vec2(2.0)); // at most 2 texels per step: no wild jumps
    o_color = vec4(f + d * u_texel, 0.0, 1.0);
}

// Flow, step 6a: the evidence for the flow F from A to B at each texel, once, so the
// check (step 6b) reads it for a texel and its 24 neighbours with one fetch each instead
// of two 3x3 patches each (that was 9/10 of the morph's worst frame). .r: how alike the
// 3x3 patch of A at p and that of B at p + F are (a mean luma miss of 0.06 is 1/e); .g:
// how much structure either patch has, 0..1 (luma deviation 0.01 .. 0.03 across the
// patch). A patch with no structure (a flat letterbox bar) matches any other flat patch,
// so its likeness says nothing. 0..1 both: an 8-bit target holds them.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_fwd; // F, A -> B, uv units
uniform sampler2D u_a;   // luma of A at this level
uniform sampler2D u_b;   // luma of B
uniform vec2 u_texel;    // one texel of this level, in uv

void main()
{
    vec2 q = v_uv + texture(u_fwd, v_uv).rg;
    float sd = 0.0, sa = 0.0, sa2 = 0.0, sb = 0.0, sb2 = 0.0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            vec2 o = vec2(i, j) * u_texel;
            float va = texture(u_a, v_uv + o).r, vb = texture(u_b, q + o).r, d = va - vb;
            sd += d * d;
            sa += va;
            sa2 += va * va;
            sb += vb;
            sb2 += vb * vb;
        }
    float dev = sqrt(max(max(sa2 / 9.0 - sa * sa / 81.0, sb2 / 9.0 - sb * sb / 81.0), 0.0));
    o_color = vec4(exp(-sd / 9.0 / (0.06 * 0.06)), smoothstep(0.01, 0.03, dev), 0.0, 1.0);
}

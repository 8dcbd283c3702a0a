// Flow, step 6a: the evidence for the flow F from A to B at each texel, once, so the
// check (step 6b) reads it for a texel and its 24 neighbours with one fetch each instead
// of two 3x3 patches each (that was 9/10 of the morph's worst frame). .r: how alike the
// 3x3 patch of A at p and that of B at p + F are (a mean luma miss of 0.06 is 1/e); .g:
// how much structure either patch has, 0..1 (luma deviation 0.01 .. 0.03 across the
// patch). A patch with no structure (a flat letterbox bar) matches any other flat patch,
// so its likeness says nothing, and neither does a patch on a bar's edge against another
// bar's edge (flow_bars). .b: 1 where the bars alone rule this texel's flow out (for
// flow_check's occluder, whose evidence it works out itself). 0..1: 8 bits hold them.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_fwd; // F, A -> B, uv units
uniform sampler2D u_a;   // luma of A at this level
uniform sampler2D u_b;   // luma of B
uniform vec2 u_texel;    // one texel of this level, in uv
uniform sampler2D u_cols_a, u_rows_a, u_cols_b, u_rows_b; // flow_bars of A and of B

// Whether p is on a bar of the picture (cols, rows: flow_bars).
float inbar(sampler2D cols, sampler2D rows, vec2 p)
{
    return step(0.5, max(texture(cols, vec2(p.x, 0.5)).r, texture(rows, vec2(0.5, p.y)).r));
}

// Whether the 3x3 patch at p touches a bar of the picture.
float bar(sampler2D cols, sampler2D rows, vec2 p)
{
    float b = 0.0;
    for (int i = -1; i <= 1; i++) {
        b = max(b, texture(cols, vec2(p.x + float(i) * u_texel.x, 0.5)).r);
        b = max(b, texture(rows, vec2(0.5, p.y + float(i) * u_texel.y)).r);
    }
    return step(0.5, b);
}

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
    // A bar edge against a bar edge is no evidence of motion, however alike they are.
    float bars = bar(u_cols_a, u_rows_a, v_uv) * bar(u_cols_b, u_rows_b, q);
    // Nor is a match that starts where B has a bar or ends where A has one: a strip of
    // picture beside one bar's edge, carried to the other's by the edges' move, matched
    // whatever low-contrast picture it found there (the strip between a 4:3 and a 1:1
    // picture's bars). Such places cross-fade instead.
    float off = max(inbar(u_cols_b, u_rows_b, v_uv), inbar(u_cols_a, u_rows_a, q));
    o_color = vec4(exp(-sd / 9.0 / (0.06 * 0.06)) * (1.0 - off),
                   smoothstep(0.01, 0.03, dev) * (1.0 - bars), off, 1.0);
}

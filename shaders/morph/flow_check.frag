// Flow, step 6b: how far to trust the flow F from A to B at each texel, 0..1.
// Two tests, both must pass: F and the flow back from where it lands cancel
// (forward-backward consistency; between unrelated pictures they rarely do), and the
// 3x3 patch of A at p looks like the patch of B at p + F; a flow longer than a texel
// counts that likeness only where the patch (or a matching neighbour moving the same
// way) has structure, since flat black bars match each other anywhere. A point that
// leaves the frame is not trusted. A point that fails only because it is occluded (the
// thing at p + F in the other picture is a trusted mover that travels further) keeps the
// mover's trust, so a shape crossing a flat background still travels. The compose pass
// morphs untrusted places softly instead of carrying them along a flow that is only
// noise (which tore the picture into blocks).
//
// Cost: the evidence of a texel's neighbours comes from flow_match (step 6a), one fetch
// each at texel centres (the diagonals at whole-texel offsets), instead of two 3x3
// patches each: the check was 9/10 of the morph's worst frame. The occluder's trust,
// at p + F between texel centres, is worked out in full, and only where it can count.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_fwd; // F, A -> B, uv units
uniform sampler2D u_bwd; // B -> A
uniform sampler2D u_a;   // luma of A at this level
uniform sampler2D u_b;   // luma of B
uniform sampler2D u_ma;  // flow_match of F: (likeness, structure) per texel
uniform sampler2D u_mb;  // flow_match of the flow B -> A
uniform vec2 u_texel;    // one texel of this level, in uv

// The 3x3 patch of la at p against that of lb at q: .x the likeness (a mean luma miss
// of 0.06 is 1/e), .y how much structure either patch has, 0..1 (luma deviation
// 0.01 .. 0.03 across the patch), as flow_match.
vec2 evidence(sampler2D la, sampler2D lb, vec2 p, vec2 q)
{
    float sd = 0.0, sa = 0.0, sa2 = 0.0, sb = 0.0, sb2 = 0.0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            vec2 o = vec2(i, j) * u_texel;
            float va = texture(la, p + o).r, vb = texture(lb, q + o).r, d = va - vb;
            sd += d * d;
            sa += va;
            sa2 += va * va;
            sb += vb;
            sb2 += vb * vb;
        }
    float dev = sqrt(max(max(sa2 / 9.0 - sa * sa / 81.0, sb2 / 9.0 - sb * sb / 81.0), 0.0));
    return vec2(exp(-sd / 9.0 / (0.06 * 0.06)), smoothstep(0.01, 0.03, dev));
}

// 8 directions at 3 distances (about 2, 4 and 6 texels; diagonals at whole texels).
ivec2 offset(int k)
{
    int s = k / 8, d = k % 8;
    ivec2 axis = ivec2(2 * (s + 1), 0), diag = ivec2(s == 0 ? 1 : s + 2);
    ivec2 dirs[8] = ivec2[8](ivec2(1, 0), ivec2(1, 1), ivec2(0, 1), ivec2(-1, 1), ivec2(-1, 0),
                             ivec2(-1, -1), ivec2(0, -1), ivec2(1, -1));
    return (d % 2 == 0 ? axis.x : diag.x) * dirs[d];
}

// Trust of the point p of the picture with luma la, whose flow fw leads into lb. exact:
// the neighbours' evidence from the patches themselves (p between texel centres); else
// from m, the flow_match of fw (p at a texel centre). A trust that cannot exceed floor
// (the tests before the neighbours already hold it there) returns 0 without them.
float trust(sampler2D fw, sampler2D bw, sampler2D la, sampler2D lb, sampler2D m, bool exact,
            float floor_, vec2 p, out vec2 f)
{
    f = texture(fw, p).rg;
    vec2 q = p + f;
    vec2 g = texture(bw, q).rg;
    // In texels: a miss of about one texel (4 px at the base level) still matches, a
    // little more on long moves, where the coarse levels round.
    vec2 fp = f / u_texel, gp = g / u_texel, e = fp + gp;
    float fb = exp(-dot(e, e) / (1.0 + 0.02 * (dot(fp, fp) + dot(gp, gp))));
    vec2 ev = exact ? evidence(la, lb, p, q) * (1.0 - texture(m, p).b) : texture(m, p).rg;
    float inside = step(0.0, q.x) * step(q.x, 1.0) * step(0.0, q.y) * step(q.y, 1.0);
    float most = fb * ev.x * inside;
    if (most <= floor_)
        return 0.0;
    // A flow longer than a texel through a flat patch is unconstrained: trust it only as
    // far as the patch has structure, or neighbours on both sides of it (2 .. 6 texels
    // away) have structure, match, and move the same way (the flat inside of a moving
    // shape is carried by its edge; a flat bar beside an edge is not).
    float tex = ev.y;
    float moves = smoothstep(1.0, 3.0, length(fp));
    if (moves > 0.0 && tex < 1.0) {
        float side[8];
        for (int k = 0; k < 8; k++)
            side[k] = 0.0;
        for (int k = 0; k < 24; k++) {
            vec2 n = p + vec2(offset(k)) * u_texel;
            vec2 fn = texture(fw, n).rg;
            vec2 dn = (fn - f) / u_texel;
            vec2 en = exact ? evidence(la, lb, n, n + fn) : texture(m, n).rg;
            side[k % 8] = max(side[k % 8], en.x * en.y * exp(-dot(dn, dn) / 2.0));
        }
        // Support from both sides along one axis: the inside of a shape is enclosed by
        // its edge, a flat bar beside one matching edge (two pillarbox edges) is not.
        for (int k = 0; k < 4; k++)
            tex = max(tex, min(side[k], side[k + 4]));
    }
    return most * mix(1.0, tex, moves);
}

void main()
{
    vec2 f, g;
    float c = trust(u_fwd, u_bwd, u_a, u_b, u_ma, false, -1.0, v_uv, f);
    // The point of B at p + F, its trust and its own flow back: only where it travels
    // further than this point does (occluded here) and could add trust.
    vec2 q = v_uv + f, gq = texture(u_bwd, q).rg;
    if (c < 1.0 && length(gq / u_texel) > length(f / u_texel) + 1.0)
        c = max(c, trust(u_bwd, u_fwd, u_b, u_a, u_mb, true, c, q, g));
    o_color = vec4(c, 0.0, 0.0, 1.0);
}

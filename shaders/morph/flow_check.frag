// Flow, step 6: how far to trust the flow F from A to B at each texel, 0..1.
// Two tests, both must pass: F and the flow back from where it lands cancel
// (forward-backward consistency; between unrelated pictures they rarely do), and the
// 3x3 patch of A at p looks like the patch of B at p + F. A point that leaves the frame
// is not trusted. A point that fails only because it is occluded (the thing at p + F in
// the other picture is a trusted mover that travels further) keeps the mover's trust,
// so a shape crossing a flat background still travels. The compose pass morphs
// untrusted places softly instead of carrying them along a flow that is only noise
// (which tore the picture into blocks).
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_fwd; // F, A -> B, uv units
uniform sampler2D u_bwd; // B -> A
uniform sampler2D u_a;   // luma of A at this level
uniform sampler2D u_b;   // luma of B
uniform vec2 u_texel;    // one texel of this level, in uv

// Trust of the point p of the picture with luma la, whose flow fw leads into lb.
float trust(sampler2D fw, sampler2D bw, sampler2D la, sampler2D lb, vec2 p, out vec2 f)
{
    f = texture(fw, p).rg;
    vec2 q = p + f;
    vec2 g = texture(bw, q).rg;
    // In texels: a miss of about one texel (4 px at the base level) still matches, a
    // little more on long moves, where the coarse levels round.
    vec2 fp = f / u_texel, gp = g / u_texel, e = fp + gp;
    float fb = exp(-dot(e, e) / (1.0 + 0.02 * (dot(fp, fp) + dot(gp, gp))));
    float sd = 0.0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            vec2 o = vec2(i, j) * u_texel;
            float d = texture(la, p + o).r - texture(lb, q + o).r;
            sd += d * d;
        }
    float like = exp(-sd / 9.0 / (0.06 * 0.06)); // a mean luma miss of 0.06 is 1/e
    float inside = step(0.0, q.x) * step(q.x, 1.0) * step(0.0, q.y) * step(q.y, 1.0);
    return fb * like * inside;
}

void main()
{
    vec2 f, g;
    float c = trust(u_fwd, u_bwd, u_a, u_b, v_uv, f);
    // The point of B at p + F, its trust and its own flow back.
    float co = trust(u_bwd, u_fwd, u_b, u_a, v_uv + f, g);
    if (length(g / u_texel) > length(f / u_texel) + 1.0)
        c = max(c, co);
    o_color = vec4(c, 0.0, 0.0, 1.0);
}

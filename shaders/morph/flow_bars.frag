// Flow, step 6 (before the evidence): letterbox and pillarbox bars of one picture at the
// flow's base level, as fit mode makes them: near-black columns (u_axis 0) or rows (1)
// from a border inwards, ended by a full-height (full-width) straight edge of picture,
// i.e. a first column beside them at most a fifth black. Writes 1 on a bar, else 0. (A
// black background is not a bar: the column beside it is mostly black too.) A bar's edge
// is a straight black-to-picture edge, and two pictures' bar edges match each other
// wherever they are; flow_match does not let such matches carry picture.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_src; // luma at the base level
uniform int u_axis;      // 0: one texel per column (a row texture), 1: one per row
uniform int u_len;       // texels along a column (row)
uniform int u_count;     // columns (rows)

// How much of line i is black, 0..1.
float black(int i)
{
    float n = 0.0;
    for (int k = 0; k < u_len; k++)
        n += step(texelFetch(u_src, u_axis == 0 ? ivec2(i, k) : ivec2(k, i), 0).r, 0.04);
    return n / float(u_len);
}

void main()
{
    int x = u_axis == 0 ? int(gl_FragCoord.x) : int(gl_FragCoord.y);
    // The first line from each border that is not all black.
    int lo = 0, hi = u_count - 1;
    while (lo < u_count / 2 && black(lo) >= 1.0)
        lo++;
    while (hi > u_count / 2 && black(hi) >= 1.0)
        hi--;
    bool bar = (x < lo && black(lo) <= 0.2) || (x > hi && black(hi) <= 0.2);
    o_color = vec4(bar ? 1.0 : 0.0, 0.0, 0.0, 1.0);
}

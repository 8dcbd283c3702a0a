// Flow, step 5: an edge-aware 3x3 average, weighting neighbours that look like the
// centre in A, so motion stays sharp at object edges and noise goes away.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_flow;
uniform sampler2D u_a;
uniform vec2 u_texel;

void main()
{
    float c = texture(u_a, v_uv).r;
    vec2 acc = vec2(0.0);
    float wsum = 0.0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            vec2 uv = v_uv + vec2(i, j) * u_texel;
            float d = texture(u_a, uv).r - c;
            float w = exp(-d * d * 400.0);
            acc += w * texture(u_flow, uv).rg;
            wsum += w;
        }
    o_color = vec4(acc / wsum, 0.0, 1.0);
}

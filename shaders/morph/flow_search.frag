// Flow, step 3: at the coarsest level, an exhaustive search for the displacement d
// that makes B(p + d) look like A(p) over a 3x3 patch. Large moves (a shape crossing
// the screen) are found here; a small penalty on |d| keeps flat areas still.
in vec2 v_uv;
out vec4 o_color;
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform ivec2 u_size;  // level size in texels
uniform int u_radius;  // search radius in texels

float lum(sampler2D s, ivec2 p)
{
    return texelFetch(s, clamp(p, ivec2(0), u_size - 1), 0).r;
}

void main()
{
    ivec2 p = ivec2(gl_FragCoord.xy);
    float pa[9];
    for (int i = 0; i < 9; i++)
        pa[i] = lum(u_a, p + ivec2(i % 3 - 1, i / 3 - 1));
    float best = 1e9;
    ivec2 bd = ivec2(0);
    for (int dy = -u_radius; dy <= u_radius; dy++) {
        for (int dx = -u_radius; dx <= u_radius; dx++) {
            ivec2 q = p + ivec2(dx, dy);
            if (q.x < 0 || q.y < 0 || q.x >= u_size.x || q.y >= u_size.y)
                continue;
            float ssd = 0.0;
            for (int i = 0; i < 9; i++) {
                float e = lum(u_b, q + ivec2(i % 3 - 1, i / 3 - 1)) - pa[i];
                ssd += e * e;
            }
            ssd += 2e-4 * float(dx * dx + dy * dy);
            if (ssd < best) {
                best = ssd;
                bd = ivec2(dx, dy);
            }
        }
    }
    o_color = vec4(vec2(bd) / vec2(u_size), 0.0, 1.0); // in uv units
}

// The built-in generator: a CPPN, a per-pixel MLP of (x, y, r) whose first-layer bias
// carries the latent (folded on the CPU once per frame). The maths follows the CPU
// reference in engine/bank/cppn.c exactly (see bank.h); 16 units per layer live in
// 4 vec4 blocks, so every hidden layer is 16 mat4 * vec4 products.
#include "common.glsl"

in vec2 v_uv;
out vec4 o_color;

uniform vec4 u_w0x[4], u_w0y[4], u_w0r[4]; // layer 0 weights for x, y, r
uniform vec4 u_bias0[4];                    // b0 + Wz * latent
uniform mat4 u_w[48];                       // 3 hidden layers x 4x4 blocks [jb*4 + kb]
uniform vec4 u_b[12];                       // 3 hidden layers x 4 blocks
uniform vec4 u_wout[12];                    // 3 outputs x 4 blocks
uniform vec3 u_bout;
uniform mat3 u_colour;
uniform vec3 u_colour_off;

vec4 tanh4(vec4 x)
{
    // Stable for any x (a naive (e^2x-1)/(e^2x+1) overflows to NaN).
    vec4 e = exp(-2.0 * abs(x));
    return sign(x) * (1.0 - e) / (1.0 + e);
}

void main()
{
    float aspect = u_resolution.x / u_resolution.y;
    // Pixel centres, row 0 at the top, as the CPU reference.
    float x = aspect * (2.0 * gl_FragCoord.x / u_resolution.x - 1.0);
    float y = 1.0 - 2.0 * gl_FragCoord.y / u_resolution.y;
    float r = sqrt(x * x + y * y);
    vec4 h[4];
    for (int j = 0; j < 4; j++)
        h[j] = tanh4(u_w0x[j] * x + u_w0y[j] * y + u_w0r[j] * r + u_bias0[j]);
    for (int l = 0; l < 3; l++) {
        vec4 n[4];
        for (int j = 0; j < 4; j++) {
            vec4 acc = u_b[l * 4 + j];
            for (int k = 0; k < 4; k++)
                acc += u_w[l * 16 + j * 4 + k] * h[k];
            // layer index l+1: odd layers use sin, even use tanh
            n[j] = (l % 2 == 0) ? sin(acc) : tanh4(acc);
        }
        for (int j = 0; j < 4; j++)
            h[j] = n[j];
    }
    vec3 o = u_bout;
    for (int k = 0; k < 4; k++)
        o += vec3(dot(u_wout[k], h[k]), dot(u_wout[4 + k], h[k]), dot(u_wout[8 + k], h[k]));
    vec3 s = 1.0 / (1.0 + exp(-o));
    o_color = vec4(clamp(u_colour * s + u_colour_off, 0.0, 1.0), 1.0);
}

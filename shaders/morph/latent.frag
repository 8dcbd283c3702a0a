// The built-in generator: a CPPN, a per-pixel MLP of warped coordinates. The latent
// (folded on the CPU once per frame, strata_cppn_frame_make) sets the coordinate stage
// (affine, warp, a blend of five species), every layer's bias and the palette. The
// maths follows the CPU reference in engine/bank/cppn.c exactly (see bank.h); 16 units
// per layer live in 4 vec4 blocks, so every hidden layer is 16 mat4 * vec4 products.
#include "common.glsl"

in vec2 v_uv;
out vec4 o_color;

uniform vec4 u_w0x[4], u_w0y[4], u_w0r[4]; // layer 0 weights for x, y, r
uniform vec4 u_bias0[4];                    // b0 + Wz * latent
uniform mat4 u_w[48];                       // 3 hidden layers x 4x4 blocks [jb*4 + kb]
uniform vec4 u_b[12];                       // 3 hidden layers x 4 blocks (+ Wzh * latent)
uniform vec4 u_wout[12];                    // 3 outputs x 4 blocks
uniform vec3 u_bout;
uniform mat3 u_colour;
uniform vec3 u_colour_off;                  // M', off' of the frame
uniform vec2 u_xf[3];                       // (a, c), (b, d), (tx, ty)
uniform vec3 u_warp;                        // amplitude, phase u, phase v
uniform vec4 u_species;                     // plain, kaleidoscope, mirror, rings
uniform float u_horizon;                    // the fifth species' weight
uniform float u_nfold;

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
    vec2 p = u_xf[0] * x + u_xf[1] * y + u_xf[2];
    p.x += u_warp.x * sin(2.1 * p.y + u_warp.y);
    p.y += u_warp.x * sin(1.9 * p.x + u_warp.z);
    float rho = length(p);
    vec2 kal = vec2(0.0);
    float ring = 0.0;
    if (rho >= 1e-6) {
        float a = atan(p.y, p.x), P = 6.2831853 / u_nfold;
        float a2 = abs(a - P * floor(a / P) - 0.5 * P);
        kal = rho * vec2(cos(a2), sin(a2));
        ring = sin(u_nfold * a);
    }
    vec2 q = u_species.x * p + u_species.y * kal + u_species.z * vec2(abs(p.x), p.y) +
             u_species.w * vec2(1.6 * rho - 1.2, 0.9 * ring);
    // Horizon (horizon() in cppn.c): the screen's own axes, a ground in perspective
    // below a line the warp undulates, the warped plane as a sky above it.
    float hs = length(u_xf[0]);
    float d = y + 0.2 + 0.3 * u_warp.x * sin(1.7 * x + u_warp.y);
    float e = 1.0 / (max(d, 0.0) + 0.12);
    vec2 ground = vec2(0.25 * hs * x * e + u_xf[2].x, 0.5 * e + u_xf[2].y - 2.5);
    vec2 sky = vec2(0.8 * p.x, 0.8 * p.y + 1.5);
    float b = clamp(d / 0.03 + 0.5, 0.0, 1.0);
    q += u_horizon * (sky + b * (ground - sky));
    x = q.x;
    y = q.y;
    float r = sqrt(x * x + y * y);
    // Written out with constant indices (not loops over uniform arrays): software
    // rasterisers such as llvmpipe then vectorise the whole network.
    vec4 h0 = tanh4(u_w0x[0] * x + u_w0y[0] * y + u_w0r[0] * r + u_bias0[0]);
    vec4 h1 = tanh4(u_w0x[1] * x + u_w0y[1] * y + u_w0r[1] * r + u_bias0[1]);
    vec4 h2 = tanh4(u_w0x[2] * x + u_w0y[2] * y + u_w0r[2] * r + u_bias0[2]);
    vec4 h3 = tanh4(u_w0x[3] * x + u_w0y[3] * y + u_w0r[3] * r + u_bias0[3]);
    vec4 n0, n1, n2, n3;
    // hidden layer 1 (sin)
    n0 = sin(u_b[0] + u_w[0] * h0 + u_w[1] * h1 + u_w[2] * h2 + u_w[3] * h3);
    n1 = sin(u_b[1] + u_w[4] * h0 + u_w[5] * h1 + u_w[6] * h2 + u_w[7] * h3);
    n2 = sin(u_b[2] + u_w[8] * h0 + u_w[9] * h1 + u_w[10] * h2 + u_w[11] * h3);
    n3 = sin(u_b[3] + u_w[12] * h0 + u_w[13] * h1 + u_w[14] * h2 + u_w[15] * h3);
    h0 = n0; h1 = n1; h2 = n2; h3 = n3;
    // hidden layer 2 (tanh)
    n0 = tanh4(u_b[4] + u_w[16] * h0 + u_w[17] * h1 + u_w[18] * h2 + u_w[19] * h3);
    n1 = tanh4(u_b[5] + u_w[20] * h0 + u_w[21] * h1 + u_w[22] * h2 + u_w[23] * h3);
    n2 = tanh4(u_b[6] + u_w[24] * h0 + u_w[25] * h1 + u_w[26] * h2 + u_w[27] * h3);
    n3 = tanh4(u_b[7] + u_w[28] * h0 + u_w[29] * h1 + u_w[30] * h2 + u_w[31] * h3);
    h0 = n0; h1 = n1; h2 = n2; h3 = n3;
    // hidden layer 3 (sin)
    n0 = sin(u_b[8] + u_w[32] * h0 + u_w[33] * h1 + u_w[34] * h2 + u_w[35] * h3);
    n1 = sin(u_b[9] + u_w[36] * h0 + u_w[37] * h1 + u_w[38] * h2 + u_w[39] * h3);
    n2 = sin(u_b[10] + u_w[40] * h0 + u_w[41] * h1 + u_w[42] * h2 + u_w[43] * h3);
    n3 = sin(u_b[11] + u_w[44] * h0 + u_w[45] * h1 + u_w[46] * h2 + u_w[47] * h3);
    h0 = n0; h1 = n1; h2 = n2; h3 = n3;
    vec3 o = u_bout + vec3(dot(u_wout[0], h0) + dot(u_wout[1], h1) + dot(u_wout[2], h2) + dot(u_wout[3], h3),
                           dot(u_wout[4], h0) + dot(u_wout[5], h1) + dot(u_wout[6], h2) + dot(u_wout[7], h3),
                           dot(u_wout[8], h0) + dot(u_wout[9], h1) + dot(u_wout[10], h2) + dot(u_wout[11], h3));
    vec3 s = 1.0 / (1.0 + exp(-o));
    o_color = vec4(clamp(u_colour * s + u_colour_off, 0.0, 1.0), 1.0);
}

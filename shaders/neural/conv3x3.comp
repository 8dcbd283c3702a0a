// A 3x3 convolution (pad 1, stride 1) over planar fp32 activations [C][H][W], for the
// TAESD decoder (engine/neural/gpu.c). What the decoder fuses into it:
//   reads:  tanh(x / 3) * 3 (the clamp in front of the first conv); a nearest x2 upsample
//           (the input is half the output size and each texel is read for 2x2 pixels)
//   writes: bias, + a residual buffer (a Block's skip), ReLU; or, for the last conv,
//           RGB clamped to 0..1 into an rgba8 image, top row first (GL row H-1-y).
// A workgroup computes a 16x16 pixel tile for OCB output channels; each invocation a 2x2
// pixel block for all OCB channels (64 accumulators), so every input value read from
// shared memory feeds 4 pixels x OCB channels and every weight (vec4 over 4 channels)
// 4 pixels. gpu.c's TILE and OCB must match the numbers here.
#define TX 8
#define TY 8
#define TILE 16       // output pixels per workgroup side: TX * 2
#define OCB 16        // output channels per workgroup (gl_WorkGroupID.z picks them)
#define ICB 8         // input channels per pass through shared memory
#define SW (TILE + 2) // the input tile with its 1-pixel halo
layout(local_size_x = TX, local_size_y = TY) in;

layout(std430, binding = 0) readonly buffer In { float src[]; };
layout(std430, binding = 1) writeonly buffer Out { float dst[]; };
layout(std430, binding = 2) readonly buffer Res { float res[]; };
layout(std430, binding = 3) readonly buffer Weights { float wts[]; };
layout(rgba8, binding = 0) writeonly uniform image2D u_image;

uniform int u_cin, u_cout;
uniform ivec2 u_size;    // output w, h
uniform ivec2 u_in_size; // input w, h: u_size, or u_size / 2 with u_up
uniform int u_up, u_tanh, u_relu, u_res, u_to_image;
uniform int u_w;         // offset of the weights [cout][cin][3][3] in wts
uniform int u_b;         // offset of the bias [cout] in wts, -1: none

shared float s_in[ICB * SW * SW];
shared vec4 s_w[ICB * 9 * (OCB / 4)]; // [ic][tap][oc / 4], 4 output channels per vec4

float load_input(int c, int gx, int gy)
{
    if (c >= u_cin || gx < 0 || gy < 0 || gx >= u_size.x || gy >= u_size.y)
        return 0.0;
    if (u_up != 0) {
        gx >>= 1;
        gy >>= 1;
    }
    float v = src[(c * u_in_size.y + gy) * u_in_size.x + gx];
    // clamp the argument: some drivers compute tanh as a ratio of exponentials (inf/inf)
    return u_tanh != 0 ? tanh(clamp(v / 3.0, -10.0, 10.0)) * 3.0 : v;
}

void main()
{
    int lid = int(gl_LocalInvocationIndex);
    int ox = int(gl_WorkGroupID.x) * TILE, oy = int(gl_WorkGroupID.y) * TILE;
    int oc0 = int(gl_WorkGroupID.z) * OCB;
    int lx = int(gl_LocalInvocationID.x) * 2, ly = int(gl_LocalInvocationID.y) * 2;
    vec4 acc[4][OCB / 4];
    for (int p = 0; p < 4; p++)
        for (int g = 0; g < OCB / 4; g++)
            acc[p][g] = vec4(0.0);

    for (int ic0 = 0; ic0 < u_cin; ic0 += ICB) {
        for (int i = lid; i < ICB * SW * SW; i += TX * TY) {
            int c = i / (SW * SW), r = i % (SW * SW);
            s_in[i] = load_input(ic0 + c, ox + r % SW - 1, oy + r / SW - 1);
        }
        for (int i = lid; i < OCB * ICB * 9; i += TX * TY) {
            int o = i / (ICB * 9), r = i % (ICB * 9);
            int c = r / 9, k = r % 9;
            int oc = oc0 + o, ic = ic0 + c;
            float w = oc < u_cout && ic < u_cin ? wts[u_w + (oc * u_cin + ic) * 9 + k] : 0.0;
            s_w[(c * 9 + k) * (OCB / 4) + o / 4][o % 4] = w;
        }
        barrier();
        for (int c = 0; c < ICB; c++) {
            float win[4][4];
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                    win[y][x] = s_in[(c * SW + ly + y) * SW + lx + x];
            for (int k = 0; k < 9; k++) {
                int ky = k / 3, kx = k % 3;
                for (int g = 0; g < OCB / 4; g++) {
                    vec4 w = s_w[(c * 9 + k) * (OCB / 4) + g];
                    acc[0][g] += win[ky][kx] * w;
                    acc[1][g] += win[ky][kx + 1] * w;
                    acc[2][g] += win[ky + 1][kx] * w;
                    acc[3][g] += win[ky + 1][kx + 1] * w;
                }
            }
        }
        barrier();
    }

    for (int p = 0; p < 4; p++) {
        int x = ox + lx + (p & 1), y = oy + ly + (p >> 1);
        if (x >= u_size.x || y >= u_size.y)
            continue;
        if (u_to_image != 0) {
            vec3 rgb = acc[p][0].xyz;
            if (u_b >= 0)
                rgb += vec3(wts[u_b], wts[u_b + 1], wts[u_b + 2]);
            imageStore(u_image, ivec2(x, u_size.y - 1 - y), vec4(clamp(rgb, 0.0, 1.0), 1.0));
            continue;
        }
        for (int o = 0; o < OCB; o++) {
            int oc = oc0 + o;
            if (oc >= u_cout)
                break;
            int at = (oc * u_size.y + y) * u_size.x + x;
            float v = acc[p][o / 4][o % 4];
            if (u_b >= 0)
                v += wts[u_b + oc];
            if (u_res != 0)
                v += res[at];
            dst[at] = u_relu != 0 ? max(v, 0.0) : v;
        }
    }
}

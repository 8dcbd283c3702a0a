// A 3x3 convolution (pad 1, stride 1 or 2) over planar fp32 activations [C][H][W], for the
// TAESD decoder and encoder (engine/neural/gpu.c). What the decoder fuses into it:
//   reads:  tanh(x / 3) * 3 (the clamp in front of the first conv); a nearest x2 upsample
//           (the input is half the output size and each texel is read for 2x2 pixels)
//   writes: bias, + a residual buffer (a Block's skip), ReLU; or, for the last conv,
//           RGB clamped to 0..1 into an rgba8 image, top row first (GL row H-1-y).
// A workgroup computes a 16x16 pixel tile for OCB output channels; each invocation a 2x2
// pixel block for all OCB channels (64 accumulators, in named variables: llvmpipe keeps
// an indexed array in memory, 1.9x slower), so every input value read from shared memory
// feeds 4 pixels x 16 channels and every weight (vec4 over 4 channels) 4 pixels. TAP and
// store are written for OCB 16; gpu.c's CONV3_TILE and CONV3_OCB must match.
// Stride 2 (the encoder's downsampling convs, no fusions) is this file compiled with
// STRIDE 2 (conv3x3_s2.comp): the same 16x16 output tile reads a 33x33 input tile, which
// for 8 channels would not fit the 32 KB of shared memory GL 4.3 promises, so each
// 8-channel pass loads it 4 channels at a time; each invocation reads a 5x5 input window
// for its 2x2 pixels. A compile-time choice: a uniform stride with both paths in one
// program made llvmpipe's stride-1 decode 1.4x slower.
#ifndef STRIDE
#define STRIDE 1
#endif
#define TX 8
#define TY 8
#define TILE 16       // output pixels per workgroup side: TX * 2
#define OCB 16        // output channels per workgroup (gl_WorkGroupID.z picks them)
#define ICB 8         // input channels per pass through shared memory
#define SW (TILE + 2) // the input tile with its 1-pixel halo
#define SW2 (2 * TILE + 1) // stride 2: the input tile of a 16x16 output tile
#define ICB2 4             // stride 2: input channels per shared-memory load
layout(local_size_x = TX, local_size_y = TY) in;

layout(std430, binding = 0) readonly buffer In { float src[]; };
layout(std430, binding = 1) writeonly buffer Out { float dst[]; };
layout(std430, binding = 2) readonly buffer Res { float res[]; };
layout(std430, binding = 3) readonly buffer Weights { float wts[]; };
layout(rgba8, binding = 0) writeonly uniform image2D u_image;

uniform int u_cin, u_cout;
uniform ivec2 u_size;    // output w, h
uniform ivec2 u_in_size; // input w, h: u_size, or u_size / 2 with u_up
uniform int u_up, u_tanh, u_relu, u_res, u_to_image; // STRIDE 2: up and tanh are 0
uniform int u_w;         // offset of the weights [cout][cin][3][3] in wts
uniform int u_b;         // offset of the bias [cout] in wts, -1: none

#if STRIDE == 2
shared float s_in[ICB2 * SW2 * SW2];
#else
shared float s_in[ICB * SW * SW];
#endif
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

// STRIDE 2: the input at (gx, gy) of the input's own size, 0 outside
float load_input2(int c, int gx, int gy)
{
    if (c >= u_cin || gx < 0 || gy < 0 || gx >= u_in_size.x || gy >= u_in_size.y)
        return 0.0;
    return src[(c * u_in_size.y + gy) * u_in_size.x + gx];
}

// bias, residual, ReLU and the write of one pixel's 16 channels (or its RGB)
void store(int x, int y, int oc0, vec4 c0, vec4 c1, vec4 c2, vec4 c3)
{
    if (x >= u_size.x || y >= u_size.y)
        return;
    if (u_to_image != 0) {
        vec3 rgb = c0.xyz;
        if (u_b >= 0)
            rgb += vec3(wts[u_b], wts[u_b + 1], wts[u_b + 2]);
        imageStore(u_image, ivec2(x, u_size.y - 1 - y), vec4(clamp(rgb, 0.0, 1.0), 1.0));
        return;
    }
    vec4 acc[4] = vec4[4](c0, c1, c2, c3);
    for (int o = 0; o < OCB; o++) {
        int oc = oc0 + o;
        if (oc >= u_cout)
            break;
        int at = (oc * u_size.y + y) * u_size.x + x;
        float v = acc[o / 4][o % 4];
        if (u_b >= 0)
            v += wts[u_b + oc];
        if (u_res != 0)
            v += res[at];
        dst[at] = u_relu != 0 ? max(v, 0.0) : v;
    }
}

// the weights [cout][cin][3][3] of input channels ic0.. and output channels oc0.. into s_w
void load_weights(int lid, int ic0, int oc0)
{
    for (int i = lid; i < OCB * ICB * 9; i += TX * TY) {
        int o = i / (ICB * 9), r = i % (ICB * 9);
        int c = r / 9, k = r % 9;
        int oc = oc0 + o, ic = ic0 + c;
        float w = oc < u_cout && ic < u_cin ? wts[u_w + (oc * u_cin + ic) * 9 + k] : 0.0;
        s_w[(c * 9 + k) * (OCB / 4) + o / 4][o % 4] = w;
    }
}

// one tap k of the 3x3 kernel for the 2x2 pixels (inputs v0..v3) and 16 channels
#define TAP(k, v0, v1, v2, v3)                                                                \
    {                                                                                        \
        vec4 w0 = s_w[wb + k * 4], w1 = s_w[wb + k * 4 + 1];                                 \
        vec4 w2 = s_w[wb + k * 4 + 2], w3 = s_w[wb + k * 4 + 3];                             \
        a00 += v0 * w0, a01 += v0 * w1, a02 += v0 * w2, a03 += v0 * w3;                     \
        a10 += v1 * w0, a11 += v1 * w1, a12 += v1 * w2, a13 += v1 * w3;                     \
        a20 += v2 * w0, a21 += v2 * w1, a22 += v2 * w2, a23 += v2 * w3;                     \
        a30 += v3 * w0, a31 += v3 * w1, a32 += v3 * w2, a33 += v3 * w3;                     \
    }

void main()
{
    int lid = int(gl_LocalInvocationIndex);
    int ox = int(gl_WorkGroupID.x) * TILE, oy = int(gl_WorkGroupID.y) * TILE;
    int oc0 = int(gl_WorkGroupID.z) * OCB;
    int lx = int(gl_LocalInvocationID.x) * 2, ly = int(gl_LocalInvocationID.y) * 2;
    // 4 pixels x 16 channels of accumulators, named so that no compiler keeps them in an
    // indexed array (llvmpipe puts those in memory)
    vec4 a00 = vec4(0.0), a01 = vec4(0.0), a02 = vec4(0.0), a03 = vec4(0.0);
    vec4 a10 = vec4(0.0), a11 = vec4(0.0), a12 = vec4(0.0), a13 = vec4(0.0);
    vec4 a20 = vec4(0.0), a21 = vec4(0.0), a22 = vec4(0.0), a23 = vec4(0.0);
    vec4 a30 = vec4(0.0), a31 = vec4(0.0), a32 = vec4(0.0), a33 = vec4(0.0);

    for (int ic0 = 0; ic0 < u_cin; ic0 += ICB) {
#if STRIDE == 2
        // two loads of ICB2 input channels per block of ICB weights
        for (int part = 0; part < ICB / ICB2; part++) {
            int ix = 2 * ox - 1, iy = 2 * oy - 1, cb = ic0 + part * ICB2;
            for (int i = lid; i < ICB2 * SW2 * SW2; i += TX * TY) {
                int c = i / (SW2 * SW2), r = i % (SW2 * SW2);
                s_in[i] = load_input2(cb + c, ix + r % SW2, iy + r / SW2);
            }
            if (part == 0)
                load_weights(lid, ic0, oc0);
            memoryBarrierShared();
            barrier();
            for (int c = 0; c < ICB2; c++) {
                // the 5x5 window from input (2 lx, 2 ly) of the tile: pixel (dx, dy) at
                // tap (kx, ky) reads r[2 dy + ky][2 dx + kx]
                int i0 = (c * SW2 + 2 * ly) * SW2 + 2 * lx;
                float r00 = s_in[i0], r01 = s_in[i0 + 1], r02 = s_in[i0 + 2], r03 = s_in[i0 + 3],
                      r04 = s_in[i0 + 4];
                i0 += SW2;
                float r10 = s_in[i0], r11 = s_in[i0 + 1], r12 = s_in[i0 + 2], r13 = s_in[i0 + 3],
                      r14 = s_in[i0 + 4];
                i0 += SW2;
                float r20 = s_in[i0], r21 = s_in[i0 + 1], r22 = s_in[i0 + 2], r23 = s_in[i0 + 3],
                      r24 = s_in[i0 + 4];
                i0 += SW2;
                float r30 = s_in[i0], r31 = s_in[i0 + 1], r32 = s_in[i0 + 2], r33 = s_in[i0 + 3],
                      r34 = s_in[i0 + 4];
                i0 += SW2;
                float r40 = s_in[i0], r41 = s_in[i0 + 1], r42 = s_in[i0 + 2], r43 = s_in[i0 + 3],
                      r44 = s_in[i0 + 4];
                int wb = (part * ICB2 + c) * 9 * 4;
                TAP(0, r00, r02, r20, r22);
                TAP(1, r01, r03, r21, r23);
                TAP(2, r02, r04, r22, r24);
                TAP(3, r10, r12, r30, r32);
                TAP(4, r11, r13, r31, r33);
                TAP(5, r12, r14, r32, r34);
                TAP(6, r20, r22, r40, r42);
                TAP(7, r21, r23, r41, r43);
                TAP(8, r22, r24, r42, r44);
            }
            memoryBarrierShared();
            barrier();
        }
#else
        for (int i = lid; i < ICB * SW * SW; i += TX * TY) {
            int c = i / (SW * SW), r = i % (SW * SW);
            s_in[i] = load_input(ic0 + c, ox + r % SW - 1, oy + r / SW - 1);
        }
        load_weights(lid, ic0, oc0);
        memoryBarrierShared();
        barrier();
        for (int c = 0; c < ICB; c++) {
            int i0 = (c * SW + ly) * SW + lx;
            float r00 = s_in[i0], r01 = s_in[i0 + 1], r02 = s_in[i0 + 2], r03 = s_in[i0 + 3];
            i0 += SW;
            float r10 = s_in[i0], r11 = s_in[i0 + 1], r12 = s_in[i0 + 2], r13 = s_in[i0 + 3];
            i0 += SW;
            float r20 = s_in[i0], r21 = s_in[i0 + 1], r22 = s_in[i0 + 2], r23 = s_in[i0 + 3];
            i0 += SW;
            float r30 = s_in[i0], r31 = s_in[i0 + 1], r32 = s_in[i0 + 2], r33 = s_in[i0 + 3];
            int wb = c * 9 * 4;
            TAP(0, r00, r01, r10, r11);
            TAP(1, r01, r02, r11, r12);
            TAP(2, r02, r03, r12, r13);
            TAP(3, r10, r11, r20, r21);
            TAP(4, r11, r12, r21, r22);
            TAP(5, r12, r13, r22, r23);
            TAP(6, r20, r21, r30, r31);
            TAP(7, r21, r22, r31, r32);
            TAP(8, r22, r23, r32, r33);
        }
        memoryBarrierShared();
        barrier();
#endif
    }

    store(ox + lx, oy + ly, oc0, a00, a01, a02, a03);
    store(ox + lx + 1, oy + ly, oc0, a10, a11, a12, a13);
    store(ox + lx, oy + ly + 1, oc0, a20, a21, a22, a23);
    store(ox + lx + 1, oy + ly + 1, oc0, a30, a31, a32, a33);
}

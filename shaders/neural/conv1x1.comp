// A 1x1 convolution over planar fp32 activations [C][H*W] (no bias), for the pools of
// the TAESD decoder's middle blocks (engine/neural/gpu.c): conv1x1(64->256), and
// conv1x1(256->64) whose reads apply the GroupNorm (mean and 1/std per group from
// neural/groupnorm.comp, then the affine and ReLU) and whose writes add the residual:
//   x + conv(ReLU(GroupNorm(conv(x)))).
// A workgroup computes 64 pixels for OCB output channels (gl_WorkGroupID.z picks them).
#define NPX 64
#define OCB 16
#define ICB 16
layout(local_size_x = NPX) in;

layout(std430, binding = 0) readonly buffer In { float src[]; };
layout(std430, binding = 1) writeonly buffer Out { float dst[]; };
layout(std430, binding = 2) readonly buffer Res { float res[]; };
layout(std430, binding = 3) readonly buffer Weights { float wts[]; };
layout(std430, binding = 4) readonly buffer Stats { vec2 stats[]; }; // per group: mean, 1/std

uniform int u_cin, u_cout, u_pixels;
uniform int u_w;      // weights [cout][cin] in wts
uniform int u_res;    // 1: add the residual
uniform int u_groups; // > 0: GroupNorm + affine + ReLU on read, with gamma at u_gn_w ...
uniform int u_gn_w, u_gn_b;

shared float s_in[ICB][NPX];
shared vec4 s_w[ICB][OCB / 4];

void main()
{
    int lid = int(gl_LocalInvocationIndex);
    int px = int(gl_WorkGroupID.x) * NPX + lid;
    int oc0 = int(gl_WorkGroupID.z) * OCB;
    vec4 acc[OCB / 4];
    for (int g = 0; g < OCB / 4; g++)
        acc[g] = vec4(0.0);
    int per_group = u_groups > 0 ? u_cin / u_groups : 1;

    for (int ic0 = 0; ic0 < u_cin; ic0 += ICB) {
        for (int c = 0; c < ICB; c++) {
            int ic = ic0 + c;
            float v = 0.0;
            if (ic < u_cin && px < u_pixels) {
                v = src[ic * u_pixels + px];
                if (u_groups > 0) {
                    vec2 s = stats[ic / per_group];
                    v = max((v - s.x) * s.y * wts[u_gn_w + ic] + wts[u_gn_b + ic], 0.0);
                }
            }
            s_in[c][lid] = v;
        }
        for (int i = lid; i < ICB * OCB; i += NPX) {
            int o = i / ICB, c = i % ICB;
            int oc = oc0 + o, ic = ic0 + c;
            s_w[c][o / 4][o % 4] = oc < u_cout && ic < u_cin ? wts[u_w + oc * u_cin + ic] : 0.0;
        }
        memoryBarrierShared();
        barrier();
        for (int c = 0; c < ICB; c++) {
            float v = s_in[c][lid];
            for (int g = 0; g < OCB / 4; g++)
                acc[g] += v * s_w[c][g];
        }
        memoryBarrierShared();
        barrier();
    }
    if (px >= u_pixels)
        return;
    for (int o = 0; o < OCB; o++) {
        int oc = oc0 + o;
        if (oc >= u_cout)
            break;
        int at = oc * u_pixels + px;
        float v = acc[o / 4][o % 4];
        dst[at] = u_res != 0 ? v + res[at] : v;
    }
}

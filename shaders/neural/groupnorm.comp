// GroupNorm statistics over planar fp32 activations [C][H*W] (engine/neural/gpu.c):
// a group's channels are one contiguous run of n = C / groups * H * W values.
//   u_mode 0: workgroup (chunk k, group g) reduces its 1/u_chunks of the group to
//             (count, mean, M2: the sum of squared deviations from that mean);
//   u_mode 1: one invocation per group merges the chunks (Chan et al.'s pairwise update,
//             no catastrophic cancellation) into (mean, 1/sqrt(var + eps)), var biased
//             like PyTorch's GroupNorm.
#define N 256
layout(local_size_x = N) in;

layout(std430, binding = 0) readonly buffer In { float src[]; };
layout(std430, binding = 4) buffer Stats { vec2 stats[]; };
layout(std430, binding = 5) buffer Partial { vec4 part[]; }; // [group][chunk]

uniform int u_mode, u_channels, u_pixels, u_groups, u_chunks;
uniform float u_eps;

shared float s_sum[N];

void main()
{
    int n = u_channels / u_groups * u_pixels;
    int lid = int(gl_LocalInvocationIndex);
    if (u_mode == 1) {
        if (lid >= u_groups)
            return;
        vec4 a = part[lid * u_chunks];
        for (int k = 1; k < u_chunks; k++) {
            vec4 b = part[lid * u_chunks + k];
            if (b.x == 0.0)
                continue;
            float count = a.x + b.x, d = b.y - a.y;
            a = vec4(count, a.y + d * b.x / count, a.z + b.z + d * d * a.x * b.x / count, 0.0);
        }
        stats[lid] = vec2(a.y, inversesqrt(a.z / float(n) + u_eps));
        return;
    }
    int k = int(gl_WorkGroupID.x), base = int(gl_WorkGroupID.y) * n;
    int chunk = (n + u_chunks - 1) / u_chunks;
    int begin = min(n, k * chunk), end = min(n, begin + chunk);
    float count = float(end - begin);
    // two passes over the chunk: the mean, then the squared deviations from it
    float v = 0.0;
    for (int i = begin + lid; i < end; i += N)
        v += src[base + i];
    float mean = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        s_sum[lid] = v;
        memoryBarrierShared();
        barrier();
        for (int s = N / 2; s > 0; s >>= 1) {
            if (lid < s)
                s_sum[lid] += s_sum[lid + s];
            memoryBarrierShared();
            barrier();
        }
        float total = s_sum[0];
        memoryBarrierShared();
        barrier();
        if (pass == 1) {
            if (lid == 0)
                part[int(gl_WorkGroupID.y) * u_chunks + k] = vec4(count, mean, total, 0.0);
            break;
        }
        mean = count > 0.0 ? total / count : 0.0;
        v = 0.0;
        for (int i = begin + lid; i < end; i += N) {
            float d = src[base + i] - mean;
            v += d * d;
        }
    }
}

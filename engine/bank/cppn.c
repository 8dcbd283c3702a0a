/* The built-in CPPN generator (CPU reference), latent helpers. The maths is documented
 * in bank.h; the shader in shaders/morph/latent.frag must follow it. */
#include "bank.h"

#include <math.h>
#include <string.h>

#include "bank_internal.h"

uint64_t strata_bank_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1], never 0 so log() in Box-Muller stays finite. */
static double uniform01(uint64_t *state)
{
    return ((double)(strata_bank_splitmix64(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* One standard normal per call (the second Box-Muller value is dropped so the stream
 * position never depends on call parity). */
static float normal(uint64_t *state)
{
    double u1 = uniform01(state), u2 = uniform01(state);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void hsv_to_rgb(float h, float sat, float v, float *rgb)
{
    for (int i = 0; i < 3; i++) {
        float k = fmodf(h * 6.0f + (float)(5 - 2 * i), 6.0f);
        float m = fminf(fminf(k, 4.0f - k), 1.0f);
        rgb[i] = v - v * sat * fmaxf(m, 0.0f);
    }
}

strata_status strata_cppn_init(strata_cppn *c, uint64_t seed, int dim, strata_result *r)
{
    if (dim < 1 || dim > STRATA_CPPN_MAX_DIM)
        return strata_fail(r, STRATA_ERR_ARG, "cppn: latent dim %d outside 1..%d", dim,
                           STRATA_CPPN_MAX_DIM);
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->dim = dim;
    const int H = STRATA_CPPN_WIDTH;
    uint64_t s = seed ^ 0x5354524154414350ull; /* "STRATACP": decouples from latents */
    /* Gains chosen by eye: coordinates strong enough for several bands across the
     * frame, the latent about as strong as a coordinate so a walk visibly changes it. */
    for (int j = 0; j < H; j++)
        for (int k = 0; k < 3; k++)
            c->w0[j][k] = 2.4f * normal(&s);
    float zg = 2.0f / sqrtf((float)dim);
    for (int j = 0; j < H; j++)
        for (int k = 0; k < dim; k++)
            c->wz[j][k] = zg * normal(&s);
    for (int j = 0; j < H; j++)
        c->b0[j] = 0.5f * normal(&s);
    float hg = 3.2f / sqrtf((float)H);
    for (int l = 0; l < STRATA_CPPN_LAYERS - 1; l++) {
        for (int j = 0; j < H; j++)
            for (int k = 0; k < H; k++)
                c->w[l][j][k] = hg * normal(&s);
        for (int j = 0; j < H; j++)
            c->b[l][j] = 0.3f * normal(&s);
    }
    /* 4: outputs that reach well into the sigmoids, so palette regions meet at edges
     * rather than in long gradients (2.5 looked washed out on a large screen). */
    float og = 4.0f / sqrtf((float)H);
    for (int ch = 0; ch < 3; ch++)
        for (int k = 0; k < H; k++)
            c->wout[ch][k] = og * normal(&s);
    for (int ch = 0; ch < 3; ch++)
        c->bout[ch] = 0.2f * normal(&s);
    /* Colour map: the three sigmoid channels weight a seeded triad of colours (dark,
     * mid, light) over a deep base, so every seed gets a palette of its own that stays
     * rich: never three primaries, never a washed-out grey. */
    double hue = uniform01(&s);
    static const float value[3] = {0.95f, 0.62f, 0.34f};
    for (int col = 0; col < 3; col++) {
        double h = hue + 0.27 * col + 0.06 * normal(&s);
        float sat = 0.45f + 0.4f * (float)uniform01(&s);
        float rgb[3];
        hsv_to_rgb((float)(h - floor(h)), sat, value[col], rgb);
        for (int row = 0; row < 3; row++)
            c->colour[row * 3 + col] = 0.75f * rgb[row];
    }
    float base[3];
    hsv_to_rgb((float)(hue - floor(hue)), 0.6f, 0.06f, base);
    for (int row = 0; row < 3; row++)
        c->colour[9 + row] = base[row];
    /* Drawn after everything above, so a seed's network and colour map stay what they
     * were before the latent reached further. Hidden-bias gains: a sin layer's bias is a
     * phase, about a radian per unit of latent moves its bands a good way. */
    float hz = 0.9f / sqrtf((float)dim);
    for (int l = 0; l < STRATA_CPPN_LAYERS - 1; l++)
        for (int j = 0; j < H; j++)
            for (int k = 0; k < dim; k++)
                c->wzh[l][j][k] = hz * normal(&s);
    float cz = 1.0f / sqrtf((float)dim);
    for (int i = 0; i < STRATA_CPPN_CONTROLS; i++)
        for (int k = 0; k < dim; k++)
            c->wc[i][k] = cz * normal(&s);
    c->nfold = 3 + (int)(strata_bank_splitmix64(&s) % 6);
    return STRATA_OK;
}

static float sigm(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Rotation by t radians about the grey axis (1,1,1)/sqrt(3), row-major (Rodrigues). */
static void hue_matrix(float t, float m[9])
{
    float c = cosf(t), s = sinf(t), k = (1.0f - c) / 3.0f, q = s * 0.57735027f;
    m[0] = c + k, m[1] = k - q, m[2] = k + q;
    m[3] = k + q, m[4] = c + k, m[5] = k - q;
    m[6] = k - q, m[7] = k + q, m[8] = c + k;
}

static void frame_colour(const strata_cppn *c, const float *g, float *out)
{
    float hue[9], k[9], kh[9];
    hue_matrix(3.0f * g[11], hue);
    float sat = 0.55f + 0.9f * sigm(g[12]), val = 0.65f + 0.7f * sigm(1.5f * g[13]);
    for (int i = 0; i < 9; i++)
        k[i] = val * ((1.0f - sat) / 3.0f + ((i % 4) == 0 ? sat : 0.0f));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            kh[i * 3 + j] =
                k[i * 3] * hue[j] + k[i * 3 + 1] * hue[3 + j] + k[i * 3 + 2] * hue[6 + j];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            out[i * 3 + j] = kh[i * 3] * c->colour[j] + kh[i * 3 + 1] * c->colour[3 + j] +
                             kh[i * 3 + 2] * c->colour[6 + j];
        out[9 + i] = kh[i * 3] * c->colour[9] + kh[i * 3 + 1] * c->colour[10] +
                     kh[i * 3 + 2] * c->colour[11];
    }
}

static void frame_fit(const strata_cppn *c, strata_cppn_frame *f);

void strata_cppn_frame_make(const strata_cppn *c, const float *latent, strata_cppn_frame *f)
{
    const int H = STRATA_CPPN_WIDTH;
    strata_cppn_first_layer_bias(c, latent, f->bias0);
    for (int l = 0; l < STRATA_CPPN_LAYERS - 1; l++)
        for (int j = 0; j < H; j++) {
            float acc = c->b[l][j];
            for (int k = 0; k < c->dim; k++)
                acc += c->wzh[l][j][k] * latent[k];
            f->bias[l][j] = acc;
        }
    float g[STRATA_CPPN_CONTROLS];
    for (int i = 0; i < STRATA_CPPN_CONTROLS; i++) {
        float acc = 0.0f;
        for (int k = 0; k < c->dim; k++)
            acc += c->wc[i][k] * latent[k];
        g[i] = acc;
    }
    float sc = expf(0.55f * g[0]), th = 1.3f * g[1];
    f->xf[0] = sc * cosf(th), f->xf[1] = -sc * sinf(th);
    f->xf[2] = sc * sinf(th), f->xf[3] = sc * cosf(th);
    f->xf[4] = 0.6f * g[2], f->xf[5] = 0.6f * g[3];
    f->warp[0] = 0.45f * sigm(2.0f * g[8]);
    f->warp[1] = 1.7f * g[9], f->warp[2] = 1.7f * g[10];
    /* Species logits: g4..g7, then g14 for the horizon. */
    float lg[5] = {g[4], g[5], g[6], g[7], g[14]}, mx = lg[0], sum = 0.0f;
    for (int i = 1; i < 5; i++)
        mx = fmaxf(mx, lg[i]);
    for (int i = 0; i < 5; i++)
        sum += f->species[i] = expf(2.2f * (lg[i] - mx));
    for (int i = 0; i < 5; i++)
        f->species[i] /= sum;
    frame_colour(c, g, f->colour);
    frame_fit(c, f);
}

void strata_cppn_first_layer_bias(const strata_cppn *c, const float *latent, float *bias0)
{
    for (int j = 0; j < STRATA_CPPN_WIDTH; j++) {
        float acc = c->b0[j];
        for (int k = 0; k < c->dim; k++)
            acc += c->wz[j][k] * latent[k];
        bias0[j] = acc;
    }
}

/* Horizon: the screen's own axes (never turned), a line a fifth above the centre that
 * the warp makes undulate like a dune crest; below it a ground plane in perspective
 * (depth 1 / (d + 0.12): bands crowd towards the line and spread out at the bottom),
 * above it a sky in another part of the network's plane; the two meet across 0.03
 * (a sharp line that stays a continuous function, so the GPU matches the CPU on it). */
static void horizon(const strata_cppn_frame *f, float x, float y, float u, float v, float *hx,
                    float *hy)
{
    float s = sqrtf(f->xf[0] * f->xf[0] + f->xf[2] * f->xf[2]);
    float d = y + 0.2f + 0.3f * f->warp[0] * sinf(1.7f * x + f->warp[1]);
    float e = 1.0f / (fmaxf(d, 0.0f) + 0.12f);
    float gx = 0.25f * s * x * e + f->xf[4], gy = 0.5f * e + f->xf[5] - 2.5f;
    float kx = 0.8f * u, ky = 0.8f * v + 1.5f;
    float b = fminf(fmaxf(d / 0.03f + 0.5f, 0.0f), 1.0f);
    *hx = kx + b * (gx - kx);
    *hy = ky + b * (gy - ky);
}

/* The coordinate stage: affine, warp, species blend (see bank.h). */
static void cppn_coords(const strata_cppn *c, const strata_cppn_frame *f, float x, float y,
                        float *X, float *Y)
{
    float u = f->xf[0] * x + f->xf[1] * y + f->xf[4];
    float v = f->xf[2] * x + f->xf[3] * y + f->xf[5];
    u += f->warp[0] * sinf(2.1f * v + f->warp[1]);
    v += f->warp[0] * sinf(1.9f * u + f->warp[2]);
    float rho = sqrtf(u * u + v * v), n = (float)c->nfold;
    float ku = 0.0f, kv = 0.0f, ring = 0.0f;
    if (rho >= 1e-6f) {
        float a = atan2f(v, u), P = 6.2831853f / n;
        float m = a - P * floorf(a / P), a2 = fabsf(m - 0.5f * P);
        ku = rho * cosf(a2);
        kv = rho * sinf(a2);
        ring = sinf(n * a);
    }
    float hx, hy;
    horizon(f, x, y, u, v, &hx, &hy);
    const float *w = f->species;
    *X = w[0] * u + w[1] * ku + w[2] * fabsf(u) + w[3] * (1.6f * rho - 1.2f) + w[4] * hx;
    *Y = w[0] * v + w[1] * kv + w[2] * v + w[3] * (0.9f * ring) + w[4] * hy;
}

/* The network: the three sigmoid outputs s[c] that index the palette. */
static void cppn_net(const strata_cppn *c, const strata_cppn_frame *f, float x, float y,
                     float sg[3])
{
    const int H = STRATA_CPPN_WIDTH;
    float h[STRATA_CPPN_WIDTH], n[STRATA_CPPN_WIDTH];
    float X, Y;
    cppn_coords(c, f, x, y, &X, &Y);
    float rr = sqrtf(X * X + Y * Y);
    for (int j = 0; j < H; j++)
        h[j] = tanhf(c->w0[j][0] * X + c->w0[j][1] * Y + c->w0[j][2] * rr + f->bias0[j]);
    for (int l = 1; l < STRATA_CPPN_LAYERS; l++) {
        for (int j = 0; j < H; j++) {
            float acc = f->bias[l - 1][j];
            for (int k = 0; k < H; k++)
                acc += c->w[l - 1][j][k] * h[k];
            n[j] = (l & 1) ? sinf(acc) : tanhf(acc);
        }
        memcpy(h, n, sizeof h);
    }
    for (int ch = 0; ch < 3; ch++) {
        float acc = c->bout[ch];
        for (int k = 0; k < H; k++)
            acc += c->wout[ch][k] * h[k];
        sg[ch] = 1.0f / (1.0f + expf(-acc));
    }
}

/* ---- the fit: every keyframe gets form ----------------------------------- *
 * Some latents zoom so far into the network (scale exp(0.55 g0) down to 0.2) that the
 * frame is one colour or a soft gradient, or sit where the outputs barely move. The
 * fit looks at the network on a coarse 16 x 9 grid over a 16:9 frame and (1) zooms out
 * until neighbouring grid points differ by FIT_EDGE on average (at most FIT_ZOOM x),
 * then (2) stretches the palette index s about its mean (at most FIT_GAIN x) until the
 * colour and luma spread reach FIT_CSTD and FIT_LSTD. Both factors are continuous in the
 * latent and 1 for most keyframes (9 of the default set's first 64 zoom out), so
 * slerps still morph smoothly and the shader's maths stays as it is: the zoom goes into
 * xf, the stretch into M' and off'. Grid edge measured on the default set (seed
 * 20261122, output gain 2.5): flat keyframes 0.056 and 0.078, soft ones 0.2-0.3, the
 * median 0.55. */
#define FIT_EDGE 0.45f
#define FIT_ZOOM 5.0f
#define FIT_CSTD 0.12f
#define FIT_LSTD 0.10f
#define FIT_GAIN 3.0f

enum { GX = 16, GY = 9, GN = GX * GY };

static void grid_eval(const strata_cppn *c, const strata_cppn_frame *f, float sg[GN][3])
{
    for (int j = 0; j < GY; j++)
        for (int i = 0; i < GX; i++) {
            float x = (16.0f / 9.0f) * (2.0f * ((float)i + 0.5f) / GX - 1.0f);
            float y = 2.0f * ((float)j + 0.5f) / GY - 1.0f;
            cppn_net(c, f, x, y, sg[j * GX + i]);
        }
}

/* Mean |difference| of s between grid neighbours, summed over the three channels. */
static float grid_edge(float sg[GN][3])
{
    double e = 0.0;
    int n = 0;
    for (int j = 0; j < GY; j++)
        for (int i = 0; i < GX; i++) {
            for (int ch = 0; ch < 3; ch++) {
                float v = sg[j * GX + i][ch];
                if (i + 1 < GX)
                    e += fabsf(sg[j * GX + i + 1][ch] - v);
                if (j + 1 < GY)
                    e += fabsf(sg[(j + 1) * GX + i][ch] - v);
            }
            n += (i + 1 < GX) + (j + 1 < GY);
        }
    return (float)(e / n);
}

static float clamp_gain(float want, float most)
{
    /* want is NaN for a damaged latent: no fit at all. */
    return want > 1.0f ? (want < most ? want : most) : 1.0f;
}

/* s' = k s + b per channel, about the mean, the mean drawn towards 0.5 as k grows (a
 * dim or washed-out frame opens up to its whole palette), folded into M' and off'. */
static void stretch_palette(strata_cppn_frame *f, const double mean[3], float k)
{
    float M[9], off[3];
    memcpy(M, f->colour, sizeof M);
    memcpy(off, f->colour + 9, sizeof off);
    for (int ch = 0; ch < 3; ch++) {
        float mu = (float)mean[ch], mu2 = mu + (1.0f - 1.0f / k) * (0.5f - mu);
        float b = mu2 - k * mu;
        for (int row = 0; row < 3; row++) {
            f->colour[row * 3 + ch] = k * M[row * 3 + ch];
            off[row] += b * M[row * 3 + ch];
        }
    }
    memcpy(f->colour + 9, off, sizeof off);
}

static void frame_fit(const strata_cppn *c, strata_cppn_frame *f)
{
    float sg[GN][3];
    grid_eval(c, f, sg);
    float e = grid_edge(sg);
    float zoom = clamp_gain(e > 1e-6f ? FIT_EDGE / e : FIT_ZOOM, FIT_ZOOM);
    if (zoom > 1.0f) {
        for (int i = 0; i < 4; i++)
            f->xf[i] *= zoom;
        grid_eval(c, f, sg);
    }
    static const float luma[3] = {0.2126f, 0.7152f, 0.0722f};
    double ss[3] = {0}, cs[3] = {0}, cq[3] = {0}, ls = 0.0, lq = 0.0;
    for (int p = 0; p < GN; p++) {
        double l = 0.0;
        for (int row = 0; row < 3; row++) {
            const float *m = &f->colour[row * 3];
            double v = m[0] * sg[p][0] + m[1] * sg[p][1] + m[2] * sg[p][2];
            ss[row] += sg[p][row];
            cs[row] += v;
            cq[row] += v * v;
            l += luma[row] * v;
        }
        ls += l;
        lq += l * l;
    }
    double var = 0.0;
    for (int ch = 0; ch < 3; ch++) {
        ss[ch] /= GN;
        var += fmax(cq[ch] / GN - (cs[ch] / GN) * (cs[ch] / GN), 0.0) / 3.0;
    }
    float cstd = (float)sqrt(var), lstd = (float)sqrt(fmax(lq / GN - (ls / GN) * (ls / GN), 0.0));
    float want =
        fmaxf(cstd > 1e-6f ? FIT_CSTD / cstd : FIT_GAIN, lstd > 1e-6f ? FIT_LSTD / lstd : FIT_GAIN);
    float k = clamp_gain(want, FIT_GAIN);
    if (k > 1.0f)
        stretch_palette(f, ss, k);
}

void strata_cppn_eval_pixel(const strata_cppn *c, const strata_cppn_frame *f, float x, float y,
                            float rgb_out[3])
{
    float sg[3];
    cppn_net(c, f, x, y, sg);
    for (int ch = 0; ch < 3; ch++) {
        const float *m = &f->colour[ch * 3];
        float v = m[0] * sg[0] + m[1] * sg[1] + m[2] * sg[2] + f->colour[9 + ch];
        /* Written so NaN (a damaged bank's latent) maps to 0, never to UB later. */
        rgb_out[ch] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    }
}

void strata_cppn_render(const strata_cppn *c, const float *latent, int w, int h, uint8_t *rgba)
{
    strata_cppn_frame f;
    strata_cppn_frame_make(c, latent, &f);
    float aspect = (float)w / (float)h;
    for (int py = 0; py < h; py++) {
        float y = 2.0f * ((float)py + 0.5f) / (float)h - 1.0f;
        for (int px = 0; px < w; px++) {
            float x = aspect * (2.0f * ((float)px + 0.5f) / (float)w - 1.0f);
            float rgb[3];
            strata_cppn_eval_pixel(c, &f, x, y, rgb);
            uint8_t *o = rgba + ((size_t)py * (size_t)w + (size_t)px) * 4;
            for (int ch = 0; ch < 3; ch++)
                o[ch] = (uint8_t)(rgb[ch] * 255.0f + 0.5f);
            o[3] = 255;
        }
    }
}

void strata_cppn_pack_shader(const strata_cppn *c, float *out)
{
    const int H = STRATA_CPPN_WIDTH;
    for (int j = 0; j < H; j++)
        for (int k = 0; k < 3; k++)
            out[STRATA_CPPN_OFF_W0 + j * 3 + k] = c->w0[j][k];
    for (int l = 1; l < STRATA_CPPN_LAYERS; l++) {
        float *base = out + STRATA_CPPN_OFF_HID + (l - 1) * STRATA_CPPN_HID_STRIDE;
        for (int j = 0; j < H; j++)
            for (int k = 0; k < H; k++)
                base[j * H + k] = c->w[l - 1][j][k];
        for (int j = 0; j < H; j++)
            base[H * H + j] = c->b[l - 1][j];
    }
    for (int ch = 0; ch < 3; ch++)
        for (int k = 0; k < H; k++)
            out[STRATA_CPPN_OFF_WOUT + ch * H + k] = c->wout[ch][k];
    for (int ch = 0; ch < 3; ch++)
        out[STRATA_CPPN_OFF_BOUT + ch] = c->bout[ch];
    for (int i = 0; i < 12; i++)
        out[STRATA_CPPN_OFF_COLOUR + i] = c->colour[i];
}

void strata_cppn_random_latent(uint64_t seed, uint64_t index, int dim, float *out)
{
    /* A separate stream per index, so keyframe i is the same whatever the count. */
    uint64_t s = seed ^ 0x4C4154454E54ull;
    s ^= strata_bank_splitmix64(&s) ^ (index * 0xD1B54A32D192ED03ull);
    for (int k = 0; k < dim; k++)
        out[k] = normal(&s);
}

void strata_latent_slerp(const float *a, const float *b, float t, int dim, float *out)
{
    if (t <= 0.0f) {
        memcpy(out, a, sizeof(float) * (size_t)dim);
        return;
    }
    if (t >= 1.0f) {
        memcpy(out, b, sizeof(float) * (size_t)dim);
        return;
    }
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (int k = 0; k < dim; k++) {
        dot += (double)a[k] * b[k];
        na += (double)a[k] * a[k];
        nb += (double)b[k] * b[k];
    }
    double wa = 1.0 - t, wb = t;
    if (na > 0.0 && nb > 0.0) {
        double cosom = dot / sqrt(na * nb);
        cosom = cosom > 1.0 ? 1.0 : (cosom < -1.0 ? -1.0 : cosom);
        double om = acos(cosom), so = sin(om);
        /* Nearly parallel: slerp degenerates to lerp and sin(om) would divide by ~0. */
        if (so > 1e-6) {
            wa = sin((1.0 - t) * om) / so;
            wb = sin(t * om) / so;
        }
    }
    for (int k = 0; k < dim; k++)
        out[k] = (float)(wa * a[k] + wb * b[k]);
}

/* The encoder and decoder backends of strata-bank encode / import: the GPU (GL 4.3 compute
 * in a hidden context over SDL's offscreen driver, nothing shown) or the CPU reference
 * (commands.h). */
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"

struct bank_nn {
    strata_taesd *enc, *dec;
    strata_gl gl;
    bool sdl, gl_open, shaders;
    strata_neural_gpu *gdec; /* NULL: the CPU reference decodes */
    strata_neural_gpu *genc; /* NULL: the CPU reference encodes (or no encoder) */
    strata_target target;    /* the GPU decode's output, re-made when the size changes */
    float *rgb;              /* CPU decode scratch */
    size_t rgb_n;
};

static strata_status load_role(const char *path, strata_taesd_role role, const char *opt,
                               strata_taesd **out, strata_result *r)
{
    if (strata_taesd_load(path, out, r) != STRATA_OK)
        return r->status;
    if ((*out)->role == role)
        return STRATA_OK;
    bool dec = role == STRATA_TAESD_DECODER;
    strata_fail(r, STRATA_ERR_ARG, "%s %s: is a TAESD %s, %s takes the %s (*_%s.safetensors)",
                opt, path, dec ? "encoder" : "decoder", opt, dec ? "decoder" : "encoder",
                dec ? "decoder" : "encoder");
    strata_taesd_free(*out);
    *out = NULL;
    return STRATA_ERR_ARG;
}

static bool software_renderer(const char *name)
{
    static const char *const soft[] = {"llvmpipe", "softpipe", "SwiftShader", "swrast"};
    for (size_t i = 0; i < sizeof soft / sizeof *soft; i++)
        if (strstr(name, soft[i]))
            return true;
    return false;
}

/* A hidden GL context and the GPU decoder; false with why filled (the CPU is used). */
static bool gpu_open(bank_nn *n, bank_nn_backend want, char *why, size_t why_n)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 0); /* a user's choice of driver stays */
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(why, why_n, "no GL context (SDL: %.150s)", SDL_GetError());
        return false;
    }
    n->sdl = true;
    strata_result r = {0};
    if (strata_gl_open(&n->gl, &(strata_window_desc){.width = 64, .height = 64, .hidden = true},
                       &r) != STRATA_OK) {
        snprintf(why, why_n, "no GL context (%.150s)", r.msg);
        return false;
    }
    n->gl_open = true;
    if (!n->gl.compute) {
        snprintf(why, why_n, "%.80s gives OpenGL %d.%d, compute shaders need 4.3", n->gl.renderer,
                 n->gl.major, n->gl.minor);
        return false;
    }
    if (want == BANK_NN_AUTO && software_renderer(n->gl.renderer)) {
        snprintf(why, why_n, "%.80s is a software rasteriser, where the CPU reference is faster "
                 "(--gpu uses it anyway)", n->gl.renderer);
        return false;
    }
    if (strata_render_init(&n->gl, NULL, &r) != STRATA_OK) {
        snprintf(why, why_n, "shaders: %.150s", r.msg);
        return false;
    }
    n->shaders = true;
    n->gdec = strata_neural_gpu_create(n->dec, &r);
    if (!n->gdec) {
        snprintf(why, why_n, "GPU decoder: %.150s", r.msg);
        return false;
    }
    if (n->enc && !(n->genc = strata_neural_gpu_create(n->enc, &r))) {
        snprintf(why, why_n, "GPU encoder: %.150s", r.msg);
        return false;
    }
    return true;
}

static void gpu_close(bank_nn *n)
{
    strata_neural_gpu_destroy(n->gdec);
    strata_neural_gpu_destroy(n->genc);
    n->gdec = n->genc = NULL;
    if (n->target.fbo || n->target.tex)
        strata_target_free(&n->target);
    memset(&n->target, 0, sizeof n->target);
    if (n->shaders) {
        strata_render_shutdown();
    }
    if (n->gl_open)
        strata_gl_close(&n->gl);
    if (n->sdl)
        SDL_Quit();
    n->shaders = n->gl_open = n->sdl = false;
}

bank_nn *bank_nn_open(const char *enc_path, const char *dec_path, bank_nn_backend want,
                      char *note, size_t note_n, strata_result *r)
{
    note[0] = 0;
    bank_nn *n = calloc(1, sizeof *n);
    if (!n) {
        strata_fail(r, STRATA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if ((enc_path && load_role(enc_path, STRATA_TAESD_ENCODER, "--model", &n->enc, r)) ||
        load_role(dec_path, STRATA_TAESD_DECODER, "--decoder", &n->dec, r)) {
        bank_nn_close(n);
        return NULL;
    }
    if (n->enc && n->enc->family != n->dec->family) {
        strata_fail(r, STRATA_ERR_ARG,
                    "the encoder %s is %s (%d channels) but the decoder %s is %s (%d): "
                    "use the pair of one model",
                    enc_path, strata_taesd_family_name(n->enc->family),
                    n->enc->latent_channels, dec_path, strata_taesd_family_name(n->dec->family),
                    n->dec->latent_channels);
        bank_nn_close(n);
        return NULL;
    }
    if (want == BANK_NN_CPU)
        return n;
    char why[256];
    if (!gpu_open(n, want, why, sizeof why)) {
        gpu_close(n);
        if (want == BANK_NN_GPU) {
            strata_fail(r, STRATA_ERR_GL, "--gpu: %.200s", why);
            bank_nn_close(n);
            return NULL;
        }
        snprintf(note, note_n, "the CPU reference runs the models: %.200s", why);
    }
    return n;
}

void bank_nn_close(bank_nn *n)
{
    if (!n)
        return;
    gpu_close(n);
    strata_taesd_free(n->enc);
    strata_taesd_free(n->dec);
    free(n->rgb);
    free(n);
}

const strata_taesd *bank_nn_decoder(const bank_nn *n)
{
    return n->dec;
}

const strata_taesd *bank_nn_encoder(const bank_nn *n)
{
    return n->enc;
}

bool bank_nn_on_gpu(const bank_nn *n, bool encoder)
{
    return encoder ? n->genc != NULL : n->gdec != NULL;
}

bool bank_nn_encode(bank_nn *n, const float *rgb, int h, int w, float *latent,
                    strata_result *r)
{
    if (n->genc)
        return strata_neural_gpu_encode(n->genc, rgb, h, w, latent, r);
    if (!n->enc || !strata_taesd_encode_cpu(n->enc, rgb, h, w, latent)) {
        strata_fail(r, STRATA_ERR_NOMEM, "the encoder failed at %dx%d (out of memory?)", w, h);
        return false;
    }
    return true;
}

static uint8_t to_u8(float v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return (uint8_t)lrintf(v * 255.0f);
}

bool bank_nn_preview(bank_nn *n, const float *latent, int lh, int lw, uint8_t *rgba,
                     strata_result *r)
{
    int w = 8 * lw, h = 8 * lh;
    if (n->gdec) {
        if (n->target.w != w || n->target.h != h) {
            if (n->target.fbo || n->target.tex)
                strata_target_free(&n->target);
            memset(&n->target, 0, sizeof n->target);
            if (!strata_target_init(&n->target, w, h, GL_RGBA8)) {
                strata_fail(r, STRATA_ERR_GL, "no %dx%d GL target", w, h);
                return false;
            }
        }
        if (!strata_neural_gpu_decode(n->gdec, latent, lh, lw, &n->target)) {
            strata_fail(r, STRATA_ERR_GL, "the GPU decode failed at latent %dx%d", lw, lh);
            return false;
        }
        strata_target_read(&n->target, rgba);
        for (size_t i = 0; i < (size_t)w * h; i++)
            rgba[i * 4 + 3] = 255;
        return true;
    }
    size_t px = (size_t)w * h;
    if (n->rgb_n < px * 3) {
        free(n->rgb);
        n->rgb = malloc(px * 3 * sizeof(float));
        n->rgb_n = n->rgb ? px * 3 : 0;
    }
    if (!n->rgb || !strata_taesd_decode_cpu(n->dec, latent, lh, lw, n->rgb)) {
        strata_fail(r, STRATA_ERR_NOMEM, "the decoder failed at latent %dx%d", lw, lh);
        return false;
    }
    for (size_t i = 0; i < px; i++) {
        for (int c = 0; c < 3; c++)
            rgba[i * 4 + c] = to_u8(n->rgb[c * px + i]);
        rgba[i * 4 + 3] = 255;
    }
    return true;
}

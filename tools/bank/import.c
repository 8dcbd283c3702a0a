/* strata-bank import FILE.latent... [--format F] [--decoder DEC] -o OUT.strata
 *
 * ComfyUI's Save Latent files (nodes.py SaveLatent) are safetensors holding
 * "latent_tensor" [N, C, H, W] (the raw VAE latent, as ComfyUI's LATENT carries it) and an
 * empty "latent_format_version_0" (files without it are the older format, which stored
 * latents already multiplied by 0.18215: ComfyUI's LoadLatent divides them by 0.18215, and
 * so does this). The TAESD decoders take the diffusion model's latent; ComfyUI's TAESD
 * wrapper (comfy/taesd/taesd.py) decodes taesd_decoder((x - vae_shift) * vae_scale) with
 * the per-model figures of nodes.py VAELoader.load_taesd, which this table repeats.
 * FLUX.2 (ComfyUI's Flux2 latent format) is 128 channels at 1/16 of the picture: the 32
 * VAE channels patchified 2x2 (and normalised by the VAE's batch norm), with no scale or
 * shift; ComfyUI's DecoderFlux2 unpatchifies them, channel 4c + 2i + j at (y, x) going to
 * channel c at (2y + i, 2x + j), and so does this. 32-channel files are taken as already
 * unpatchified. Sources and versions: /work/notes/import.md. */
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank.h"

typedef struct latent_format {
    const char *name;
    int channels; /* of the decoder; flux2 files may hold 128 (patchified) */
    float scale, shift;
    const char *model, *decoder_file;
} latent_format;

static const latent_format formats[] = {
    {"sd15", 4, 0.18215f, 0.0f, "Stable Diffusion 1.x/2.x", "taesd_decoder.safetensors"},
    {"sdxl", 4, 0.13025f, 0.0f, "SDXL", "taesdxl_decoder.safetensors"},
    {"sd3", 16, 1.5305f, 0.0609f, "SD3", "taesd3_decoder.safetensors"},
    {"flux1", 16, 0.3611f, 0.1159f, "FLUX.1", "taef1_decoder.safetensors"},
    {"flux2", 32, 1.0f, 0.0f, "FLUX.2", "taef2_decoder.safetensors"},
};
#define NFORMATS (int)(sizeof formats / sizeof *formats)
#define OLD_FORMAT_SCALE 0.18215f /* LoadLatent: files without latent_format_version_0 */

/* The shape of one file's latent_tensor. */
typedef struct latent_file {
    const char *path;
    strata_safetensors *st;
    const strata_tensor *t;
    int n, c, h, w;
    bool old_format;
} latent_file;

static strata_status latent_open(const char *path, latent_file *f, strata_result *r)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    if (strata_safetensors_open(path, &f->st, r) != STRATA_OK)
        return r->status;
    f->t = strata_safetensors_find(f->st, "latent_tensor");
    if (!f->t)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: no latent_tensor (not a ComfyUI Save Latent file)", path);
    const strata_tensor *t = f->t;
    if (t->ndim != 4)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: latent_tensor has %d dimensions, expected 4 [N, C, H, W]%s", path,
                           t->ndim, t->ndim == 5 ? " (a video latent?)" : "");
    for (int i = 0; i < 4; i++)
        if (t->shape[i] < 1 || t->shape[i] > 65536)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: latent_tensor [%lld, %lld, %lld, %lld] has an empty or "
                               "absurd side",
                               path, (long long)t->shape[0], (long long)t->shape[1],
                               (long long)t->shape[2], (long long)t->shape[3]);
    f->n = (int)t->shape[0];
    f->c = (int)t->shape[1];
    f->h = (int)t->shape[2];
    f->w = (int)t->shape[3];
    if (f->c != 4 && f->c != 16 && f->c != 32 && f->c != 128)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: %d latent channels: strata knows 4 (SD 1.x/2.x, SDXL), 16 (SD3, "
                           "FLUX.1), 32 or 128 (FLUX.2)",
                           path, f->c);
    f->old_format = !strata_safetensors_find(f->st, "latent_format_version_0");
    return STRATA_OK;
}

static void latent_close(latent_file *f)
{
    strata_safetensors_close(f->st);
    f->st = NULL;
}

/* --format, else the one format the channel count allows. */
static const latent_format *pick_format(const char *name, const latent_file *f, strata_result *r)
{
    int dc = f->c == 128 ? 32 : f->c;
    if (name) {
        for (int i = 0; i < NFORMATS; i++) {
            if (strcmp(formats[i].name, name) != 0)
                continue;
            if (formats[i].channels == dc)
                return &formats[i];
            strata_fail(r, STRATA_ERR_ARG,
                        "--format %s: %s latents have %d channels, %s holds %d", name,
                        formats[i].model, formats[i].channels, f->path, f->c);
            return NULL;
        }
        strata_fail(r, STRATA_ERR_ARG, "--format %.40s: unknown (sd15, sdxl, sd3, flux1, flux2)",
                    name);
        return NULL;
    }
    if (dc == 32)
        return &formats[4];
    strata_fail(r, STRATA_ERR_ARG,
                "%s: %d channels are %s latents: say which with --format %s (ComfyUI's .latent "
                "does not record the model)",
                f->path, f->c, dc == 4 ? "SD 1.x/2.x or SDXL" : "SD3 or FLUX.1",
                dc == 4 ? "sd15|sdxl" : "sd3|flux1");
    return NULL;
}

/* Keyframe k of f as the decoder's input: scaled, shifted, FLUX.2 unpatchified. all holds
 * the whole tensor as fp32; out C' x lh x lw. */
static void latent_scaled(const latent_file *f, const latent_format *fmt, const float *all,
                          int k, float *out)
{
    float pre = f->old_format ? 1.0f / OLD_FORMAT_SCALE : 1.0f;
    size_t plane = (size_t)f->h * f->w;
    const float *src = all + (size_t)k * f->c * plane;
    if (f->c != 128) {
        for (size_t i = 0; i < (size_t)f->c * plane; i++)
            out[i] = (src[i] * pre - fmt->shift) * fmt->scale;
        return;
    }
    int lw = 2 * f->w; /* comfy/taesd/taesd.py DecoderFlux2: reshape(B, 32, 2, 2, H, W),
                          permute(0, 1, 4, 2, 5, 3), reshape(B, 32, 2H, 2W) */
    for (int c = 0; c < 32; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int y = 0; y < f->h; y++)
                    for (int x = 0; x < f->w; x++) {
                        float v = src[(size_t)(4 * c + 2 * i + j) * plane + (size_t)y * f->w + x];
                        out[((size_t)c * 2 * f->h + 2 * y + i) * lw + 2 * x + j] =
                            (v * pre - fmt->shift) * fmt->scale;
                    }
}

typedef struct import_run {
    const char **files;
    int nfiles;
    const char *format, *decoder, *out;
    bank_nn_backend backend;
} import_run;

/* Every keyframe of one file into the writer. */
static strata_status import_file(const latent_file *f, const latent_format *fmt, bank_nn *nn,
                                 strata_bank_neural_writer *wr, int lh, int lw, int *done,
                                 int total, strata_result *r)
{
    size_t lat_n = (size_t)fmt->channels * lh * lw;
    float *all = malloc((size_t)f->t->count * sizeof(float));
    float *lat = malloc(lat_n * sizeof(float));
    uint8_t *rgba = malloc((size_t)64 * lh * lw * 4);
    strata_status s = STRATA_OK;
    if (!all || !lat || !rgba)
        s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", f->path);
    if (s == STRATA_OK)
        strata_tensor_to_f32(f->t, all);
    const char *base = bank_tool_basename(f->path);
    for (int k = 0; s == STRATA_OK && k < f->n; k++) {
        latent_scaled(f, fmt, all, k, lat);
        char name[512];
        if (f->n > 1)
            snprintf(name, sizeof name, "%s#%d", base, k);
        else
            snprintf(name, sizeof name, "%s", base);
        if (!bank_nn_preview(nn, lat, lh, lw, rgba, r)) {
            s = strata_fail(r, r->status, "%s: preview: %s", name, r->msg);
            break;
        }
        char *prov = bank_prov_latent(f->st, base, k, f->n);
        if (!prov) {
            s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", name);
            break;
        }
        strata_bank_neural_keyframe kf = {
            .name = name, .latent = lat, .preview = rgba, .provenance = prov};
        s = strata_bank_neural_add(wr, &kf, r);
        free(prov);
        bank_tool_progress(++*done, total);
    }
    free(all);
    free(lat);
    free(rgba);
    return s;
}

/* The first file decides: its format, its latent size (at most 128x128), a decoder given. */
static const latent_format *first_checks(const import_run *d, const latent_file *f, int *lh,
                                         int *lw, strata_result *r)
{
    const latent_format *fmt = pick_format(d->format, f, r);
    if (!fmt)
        return NULL;
    *lh = f->c == 128 ? 2 * f->h : f->h;
    *lw = f->c == 128 ? 2 * f->w : f->w;
    if (*lh > 128 || *lw > 128) {
        strata_fail(r, STRATA_ERR_FORMAT,
                    "%s: latent %dx%d (a %dx%d picture) is larger than strata's 128x128 "
                    "(1024x1024)",
                    f->path, *lw, *lh, 8 * *lw, 8 * *lh);
        return NULL;
    }
    if (!d->decoder) {
        strata_fail(r, STRATA_ERR_ARG,
                    "%s holds %s latents: the previews need its TAESD decoder, --decoder %s "
                    "(where to download it: docs/NEURAL.md)",
                    f->path, fmt->model, fmt->decoder_file);
        return NULL;
    }
    return fmt;
}

/* Open and check every file before anything is decoded: one shape (the first file's). */
static strata_status open_all(const import_run *d, latent_file *files, int *total,
                              strata_result *r)
{
    *total = 0;
    for (int i = 0; i < d->nfiles; i++) {
        latent_file *f = &files[i];
        if (latent_open(d->files[i], f, r) != STRATA_OK)
            return r->status;
        if (f->c != files[0].c || f->h != files[0].h || f->w != files[0].w)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: latent [%d, %d, %d] differs from %s's [%d, %d, %d] "
                               "(channels, height, width): one bank holds one latent shape",
                               f->path, f->c, f->h, f->w, files[0].path, files[0].c, files[0].h,
                               files[0].w);
        *total += f->n;
    }
    return STRATA_OK;
}

/* The decoder, refused when its family does not take the format's latents. */
static bank_nn *open_decoder(const import_run *d, const latent_format *fmt,
                             const latent_file *first, strata_result *r)
{
    char note[300];
    bank_nn *nn = bank_nn_open(NULL, d->decoder, d->backend, note, sizeof note, r);
    if (!nn)
        return NULL;
    const strata_taesd *m = bank_nn_decoder(nn);
    if (m->latent_channels != fmt->channels) {
        strata_fail(r, STRATA_ERR_ARG,
                    "--decoder %s is %s (%d channels), %s holds %s latents (%d): use %s",
                    d->decoder, strata_taesd_family_name(m->family), m->latent_channels,
                    first->path, fmt->model, fmt->channels, fmt->decoder_file);
        bank_nn_close(nn);
        return NULL;
    }
    if (note[0])
        fprintf(stderr, "strata-bank import: %s\n", note);
    return nn;
}

/* Check every file, choose the format and the decoder, then write every keyframe. */
static int import_all(const import_run *d)
{
    strata_result r = {0};
    int lh = 0, lw = 0, total = 0, done = 0;
    const latent_format *fmt = NULL;
    bank_nn *nn = NULL;
    strata_bank_neural_writer *wr = NULL;
    strata_bank_neural_shape shape = {0};
    latent_file *files = calloc((size_t)d->nfiles, sizeof *files);
    strata_status s = files ? open_all(d, files, &total, &r)
                            : strata_fail(&r, STRATA_ERR_NOMEM, "out of memory");
    if (s == STRATA_OK && !(fmt = first_checks(d, &files[0], &lh, &lw, &r)))
        s = r.status;
    if (s == STRATA_OK && !(nn = open_decoder(d, fmt, &files[0], &r)))
        s = r.status;
    if (s == STRATA_OK) {
        shape = (strata_bank_neural_shape){.channels = fmt->channels, .lh = lh, .lw = lw};
        snprintf(shape.family, sizeof shape.family, "%s",
                 strata_taesd_family_name(bank_nn_decoder(nn)->family));
        snprintf(shape.format, sizeof shape.format, "%s", fmt->name);
        if (!(wr = strata_bank_neural_begin(d->out, &shape, &r)))
            s = r.status;
    }
    for (int i = 0; s == STRATA_OK && i < d->nfiles; i++)
        s = import_file(&files[i], fmt, nn, wr, lh, lw, &done, total, &r);
    for (int i = 0; files && i < d->nfiles; i++)
        latent_close(&files[i]);
    free(files);
    bool gpu = nn && bank_nn_on_gpu(nn, false);
    bank_nn_close(nn);
    if (s == STRATA_OK) {
        s = strata_bank_neural_finish(wr, &r);
        wr = NULL;
    }
    if (s != STRATA_OK) {
        strata_bank_neural_abort(wr);
        fprintf(stderr, "strata-bank import: %s\n", r.msg);
        return 1;
    }
    printf("%s: %d keyframes from %d file%s, %s latents %dx%dx%d (%s, %dx%d pictures), "
           "previews decoded on the %s\n",
           d->out, total, d->nfiles, d->nfiles == 1 ? "" : "s", fmt->name, shape.channels, lh,
           lw, shape.family, 8 * lw, 8 * lh, gpu ? "GPU" : "CPU");
    return 0;
}

int strata_bank_cmd_import(int argc, char **argv)
{
    import_run d = {0};
    bool cpu = false, gpu = false;
    const strata_arg t[] = {
        {.name = "-o", .alias = "--out", .kind = STRATA_ARG_STR, .dst = &d.out},
        {.name = "--format", .kind = STRATA_ARG_STR, .dst = &d.format},
        {.name = "--decoder", .kind = STRATA_ARG_STR, .dst = &d.decoder},
        {.name = "--cpu", .kind = STRATA_ARG_FLAG, .dst = &cpu},
        {.name = "--gpu", .kind = STRATA_ARG_FLAG, .dst = &gpu},
    };
    const char **pos = calloc((size_t)argc, sizeof *pos);
    if (!pos)
        return 1;
    int rc = 2;
    if (!bank_tool_parse("import", t, 5, argc, argv, pos, argc, &d.nfiles))
        goto done;
    d.files = pos;
    if (d.nfiles == 0 || !d.out) {
        fprintf(stderr, "strata-bank import: %s is required (strata-bank --help)\n",
                d.nfiles == 0 ? "FILE.latent" : "-o NAME.strata");
        goto done;
    }
    if (cpu && gpu) {
        fprintf(stderr, "strata-bank import: --cpu and --gpu exclude each other\n");
        goto done;
    }
    d.backend = cpu ? BANK_NN_CPU : gpu ? BANK_NN_GPU : BANK_NN_AUTO;
    strata_result r = {0};
    if (strata_file_check_replaceable(d.out, &r) != STRATA_OK) {
        fprintf(stderr, "strata-bank import: -o %s\n", r.msg);
        rc = 1;
        goto done;
    }
    strata_log_set_level(STRATA_LOG_WARN); /* the GL context's info lines are noise here */
    rc = import_all(&d);
done:
    free(pos);
    return rc;
}

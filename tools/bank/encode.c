/* strata-bank encode DIR --model ENCODER [--decoder DECODER] --size WxH [--fit|--fill]
 *                    [--cpu|--gpu] -o OUT.strata
 *
 * Every image of a folder (PNG, JPEG, WebP, natural name order) fitted or filled to WxH,
 * encoded by a TAESD encoder into the diffusion model's latent, its preview decoded from that
 * latent by the matching decoder, its PNG text chunks (ComfyUI's prompt and workflow, A1111's
 * parameters) kept as provenance; a neural bank written atomically. A file that does not
 * decode is skipped with one line naming it. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank/bank.h"
#include "bank/bank_internal.h"

#define ENCODE_MAX_SIDE 1024
#define ENCODE_MAX_FILE (256u << 20) /* bytes of one image file */

typedef struct encode_run {
    const char *dir, *model, *decoder, *out;
    int w, h;
    strata_bank_fit fit;
    bank_nn_backend backend;
} encode_run;

/* The decoder next to the encoder: the last "encoder" in its file name said "decoder". */
static bool find_decoder(const char *model, char *out, size_t n, strata_result *r)
{
    const char *base = bank_tool_basename(model), *hit = NULL;
    for (const char *p = strstr(base, "encoder"); p; p = strstr(p + 1, "encoder"))
        hit = p;
    if (!hit) {
        strata_fail(r, STRATA_ERR_ARG,
                    "--model %s: the previews need the decoder of the same model: pass "
                    "--decoder (it is found by itself only beside a *_encoder* file)",
                    model);
        return false;
    }
    snprintf(out, n, "%.*sdecoder%s", (int)(hit - model), model, hit + 7);
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode)) {
        strata_fail(r, STRATA_ERR_ARG,
                    "no decoder for the previews: %s is not there; pass --decoder "
                    "(docs/NEURAL.md: which file fits which model)",
                    out);
        return false;
    }
    return true;
}

typedef struct encode_bufs {
    uint8_t *fitted; /* w x h RGBA8 */
    float *rgb;      /* [3][h][w] */
    float *latent;   /* [C][h/8][w/8] */
    uint8_t *preview;
} encode_bufs;

/* One image into the writer. Returns STRATA_OK when added; *skip set (and r saying why)
 * when the image itself is bad and the run goes on. */
static strata_status encode_one(const encode_run *d, bank_nn *nn, strata_bank_neural_writer *wr,
                                const char *name, encode_bufs *b, bool *skip, strata_result *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    *skip = true;
    char *data = NULL;
    size_t len = 0;
    if (strata_file_read(path, &data, &len, ENCODE_MAX_FILE, r) != STRATA_OK)
        return r->status;
    int iw = 0, ih = 0;
    uint8_t *px = strata_bank_decode((const uint8_t *)data, len, &iw, &ih, r);
    strata_status s = px ? strata_bank_resample(px, iw, ih, b->fitted, d->w, d->h, d->fit, r)
                         : r->status;
    free(px);
    if (s != STRATA_OK) {
        free(data);
        return s;
    }
    *skip = false;
    size_t n = (size_t)d->w * d->h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            b->rgb[c * n + i] = b->fitted[i * 4 + c] / 255.0f;
    char warn[300];
    char *prov = bank_prov_png((const uint8_t *)data, len, name, warn, sizeof warn);
    free(data);
    if (warn[0])
        fprintf(stderr, "%sstrata-bank encode: provenance: %s\n", isatty(2) ? "\n" : "", warn);
    if (!prov)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", name);
    if (!bank_nn_encode(nn, b->rgb, d->h, d->w, b->latent, r) ||
        !bank_nn_preview(nn, b->latent, d->h / 8, d->w / 8, b->preview, r)) {
        free(prov);
        return strata_fail(r, r->status, "%s: %s", name, r->msg);
    }
    strata_bank_neural_keyframe kf = {
        .name = name, .latent = b->latent, .preview = b->preview, .provenance = prov};
    s = strata_bank_neural_add(wr, &kf, r);
    free(prov);
    return s;
}

static int fail(const strata_result *r)
{
    fprintf(stderr, "strata-bank encode: %s\n", r->msg);
    return 1;
}

static int encode_all(const encode_run *d)
{
    strata_result r = {0};
    char decoder[4096];
    if (d->decoder) {
        snprintf(decoder, sizeof decoder, "%s", d->decoder);
    } else { /* a decoder given as --model is said as such before looking beside it */
        strata_taesd *m = NULL;
        if (strata_taesd_load(d->model, &m, &r) != STRATA_OK)
            return fail(&r);
        bool is_enc = m->role == STRATA_TAESD_ENCODER;
        strata_taesd_free(m);
        if (!is_enc) {
            strata_fail(&r, STRATA_ERR_ARG,
                        "--model %s: is a TAESD decoder, --model takes the encoder "
                        "(*_encoder.safetensors)",
                        d->model);
            return fail(&r);
        }
        if (!find_decoder(d->model, decoder, sizeof decoder, &r))
            return fail(&r);
    }
    char **names = NULL;
    int count = 0;
    if (strata_bank_scan_dir(d->dir, &names, &count, &r) != STRATA_OK)
        return fail(&r);
    if (count == 0) {
        strata_bank_free_names(names, count);
        fprintf(stderr, "strata-bank encode: %s: no images (png, jpg, jpeg, webp)\n", d->dir);
        return 1;
    }
    char note[300];
    bank_nn *nn = bank_nn_open(d->model, decoder, d->backend, note, sizeof note, &r);
    if (!nn) {
        strata_bank_free_names(names, count);
        return fail(&r);
    }
    if (note[0])
        fprintf(stderr, "strata-bank encode: %s\n", note);
    const strata_taesd *enc = bank_nn_encoder(nn);
    strata_bank_neural_shape shape = {
        .channels = enc->latent_channels, .lh = d->h / 8, .lw = d->w / 8};
    snprintf(shape.family, sizeof shape.family, "%s", strata_taesd_family_name(enc->family));
    /* Only taef2's family is one model; taesd/taesdxl and taesd3/taef1 share shapes. */
    snprintf(shape.format, sizeof shape.format, "%s",
             enc->family == STRATA_TAESD_F2 ? "flux2" : "");
    size_t n = (size_t)d->w * d->h;
    encode_bufs b = {malloc(n * 4), malloc(n * 3 * sizeof(float)),
                     malloc((size_t)shape.channels * (n / 64) * sizeof(float)), malloc(n * 4)};
    strata_bank_neural_writer *wr = NULL;
    strata_status s = STRATA_OK;
    if (!b.fitted || !b.rgb || !b.latent || !b.preview)
        s = strata_fail(&r, STRATA_ERR_NOMEM, "out of memory");
    else if (!(wr = strata_bank_neural_begin(d->out, &shape, &r)))
        s = r.status;
    int added = 0, skipped = 0;
    for (int i = 0; s == STRATA_OK && i < count; i++) {
        bool skip = false;
        strata_result er = {0};
        s = encode_one(d, nn, wr, names[i], &b, &skip, &er);
        if (s != STRATA_OK && skip) {
            fprintf(stderr, "%sstrata-bank encode: skipped %s: %s\n", isatty(2) ? "\n" : "",
                    names[i], er.msg);
            skipped++;
            s = STRATA_OK;
        } else if (s != STRATA_OK) {
            r = er;
        } else {
            added++;
        }
        bank_tool_progress(i + 1, count);
    }
    bool gpu_dec = bank_nn_on_gpu(nn, false), gpu_enc = bank_nn_on_gpu(nn, true);
    bank_nn_close(nn);
    strata_bank_free_names(names, count);
    free(b.fitted);
    free(b.rgb);
    free(b.latent);
    free(b.preview);
    if (s == STRATA_OK && added == 0)
        s = strata_fail(&r, STRATA_ERR_FORMAT, "%s: none of the %d images decoded", d->dir,
                        count);
    if (s == STRATA_OK) {
        s = strata_bank_neural_finish(wr, &r);
        wr = NULL;
    }
    if (s != STRATA_OK) {
        strata_bank_neural_abort(wr);
        return fail(&r);
    }
    printf("%s: %d keyframes, %d skipped, %s latents %dx%dx%d for %dx%d pictures (%s); "
           "encoded on the %s, previews decoded on the %s\n",
           d->out, added, skipped, shape.family, shape.channels, shape.lh, shape.lw, d->w, d->h,
           d->fit == STRATA_BANK_FILL ? "fill" : "fit", gpu_enc ? "GPU" : "CPU",
           gpu_dec ? "GPU" : "CPU");
    return 0;
}

int strata_bank_cmd_encode(int argc, char **argv)
{
    encode_run d = {0};
    int size[2] = {0, 0};
    bool fit = false, fill = false, cpu = false, gpu = false, size_given = false;
    const strata_arg t[] = {
        {.name = "-o", .alias = "--out", .kind = STRATA_ARG_STR, .dst = &d.out},
        {.name = "--model", .kind = STRATA_ARG_STR, .dst = &d.model},
        {.name = "--decoder", .kind = STRATA_ARG_STR, .dst = &d.decoder},
        {.name = "--size", .kind = STRATA_ARG_SIZE, .dst = size, .given = &size_given},
        {.name = "--fit", .kind = STRATA_ARG_FLAG, .dst = &fit},
        {.name = "--fill", .kind = STRATA_ARG_FLAG, .dst = &fill},
        {.name = "--cpu", .kind = STRATA_ARG_FLAG, .dst = &cpu},
        {.name = "--gpu", .kind = STRATA_ARG_FLAG, .dst = &gpu},
    };
    const char *pos[1];
    int npos = 0;
    if (!bank_tool_parse("encode", t, 8, argc, argv, pos, 1, &npos))
        return 2;
    const char *missing = !npos ? "DIR" : !d.model ? "--model ENCODER.safetensors"
                                      : !size_given ? "--size WxH"
                                      : !d.out      ? "-o NAME.strata"
                                                    : NULL;
    if (missing) {
        fprintf(stderr, "strata-bank encode: %s is required (strata-bank --help)\n", missing);
        return 2;
    }
    d.dir = pos[0];
    d.w = size[0];
    d.h = size[1];
    if (d.w % 8 || d.h % 8 || d.w > ENCODE_MAX_SIDE || d.h > ENCODE_MAX_SIDE) {
        fprintf(stderr,
                "strata-bank encode: --size %dx%d: both sides must be multiples of 8 (the "
                "latent is 1/8 of the picture) from 8 to %d; %dx%d is the nearest\n",
                d.w, d.h, ENCODE_MAX_SIDE, d.w < 8 ? 8 : (d.w > 1024 ? 1024 : (d.w + 4) / 8 * 8),
                d.h < 8 ? 8 : (d.h > 1024 ? 1024 : (d.h + 4) / 8 * 8));
        return 2;
    }
    if ((fit && fill) || (cpu && gpu)) {
        fprintf(stderr, "strata-bank encode: %s exclude each other\n",
                fit && fill ? "--fit and --fill" : "--cpu and --gpu");
        return 2;
    }
    d.fit = fill ? STRATA_BANK_FILL : STRATA_BANK_FIT;
    d.backend = cpu ? BANK_NN_CPU : gpu ? BANK_NN_GPU : BANK_NN_AUTO;
    strata_result r = {0};
    if (strata_file_check_replaceable(d.out, &r) != STRATA_OK) {
        fprintf(stderr, "strata-bank encode: -o %s\n", r.msg);
        return 1;
    }
    strata_log_set_level(STRATA_LOG_WARN); /* the GL context's info lines are noise here */
    return encode_all(&d);
}

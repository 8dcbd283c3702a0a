/* Writing neural banks (strata-bank encode and import): per keyframe a diffusion latent
 * (fp16), its preview (PNG) and its provenance (a JSON object), through the streaming
 * writer of writer.c. The previews and their thumbnails are encoded as they come
 * (SEC_DATA is streamed, thumbnails and provenance texts go to spool files); the fp16
 * latents, the pooled features, the index and the names stay in memory until finish
 * writes the remaining sections and renames the file into place. */
#include "bank_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <stb/stb_image_write.h>

#define NEURAL_THUMB 64
#define NAME_MAX_LEN 4096

struct strata_bank_neural_writer {
    bank_writer w;
    strata_bank_neural_shape shape;
    size_t dim;     /* channels * lh * lw */
    int count, cap; /* keyframes added, room in the arrays below */
    uint16_t *lat;  /* count x dim fp16 */
    float *feat;    /* count x channels*16 pooled latents */
    bank_entry *index;
    bank_prov *prov;
    strata_buf names;
    uint64_t text_len; /* bytes in the texts spool */
    FILE *thumbs;      /* count x 64x64 RGBA8 */
    FILE *texts;       /* provenance texts, each followed by a NUL */
    float *scratch;    /* dim floats: the latent as stored (fp16 rounded) */
    uint8_t thumb[NEURAL_THUMB * NEURAL_THUMB * 4];
};

static const struct {
    int channels;
    const char *family;
} families[] = {{4, "taesd/taesdxl"}, {16, "taesd3/taef1"}, {32, "taef2"}};

/* Text from a file or a caller for a message: control and non-ASCII bytes as '?'. */
static void shown(const char *s, size_t max, char *out, size_t cap)
{
    size_t n = 0;
    for (; n < max && s[n] && n + 1 < cap; n++)
        out[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
    out[n] = 0;
}

bool strata_bank_neural_shape_check(const strata_bank_neural_shape *s, const char *who,
                                    strata_result *r)
{
    if (s->channels != 4 && s->channels != 16 && s->channels != 32) {
        strata_fail(r, STRATA_ERR_FORMAT, "%s: %d latent channels (strata knows 4, 16 and 32)", who,
                    s->channels);
        return false;
    }
    if (s->lh < 1 || s->lh > 128 || s->lw < 1 || s->lw > 128) {
        strata_fail(r, STRATA_ERR_FORMAT, "%s: latent size %dx%d outside 1..128 on a side", who,
                    s->lw, s->lh);
        return false;
    }
    char fam[sizeof s->family + 1];
    shown(s->family, sizeof s->family, fam, sizeof fam);
    if (!memchr(s->family, 0, sizeof s->family) || !memchr(s->format, 0, sizeof s->format)) {
        strata_fail(r, STRATA_ERR_FORMAT, "%s: family or format name not terminated", who);
        return false;
    }
    int want = 0;
    for (size_t i = 0; i < sizeof families / sizeof *families; i++)
        if (strcmp(s->family, families[i].family) == 0)
            want = families[i].channels;
    if (want == 0) {
        strata_fail(r, STRATA_ERR_FORMAT,
                    "%s: unknown decoder family \"%s\" (taesd/taesdxl, taesd3/taef1, taef2)", who,
                    fam);
        return false;
    }
    if (want != s->channels) {
        strata_fail(r, STRATA_ERR_FORMAT, "%s: family %s has %d latent channels, not %d", who, fam,
                    want, s->channels);
        return false;
    }
    for (const char *c = s->format; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-", *c))) {
            char fmt[sizeof s->format + 1];
            shown(s->format, sizeof s->format, fmt, sizeof fmt);
            strata_fail(r, STRATA_ERR_FORMAT,
                        "%s: latent format \"%s\": only a-z, 0-9, '.', '_' and '-'", who, fmt);
            return false;
        }
    return true;
}

void strata_bank_neural_pool(const float *lat, int c, int lh, int lw, float *out)
{
    const int g = BANK_NEURAL_POOL;
    for (int ch = 0; ch < c; ch++) {
        const float *plane = lat + (size_t)ch * lh * lw;
        for (int gy = 0; gy < g; gy++) {
            int y0 = gy * lh / g, y1 = (gy + 1) * lh / g;
            y1 = y1 > y0 ? y1 : y0 + 1; /* a latent smaller than the grid repeats rows */
            for (int gx = 0; gx < g; gx++) {
                int x0 = gx * lw / g, x1 = (gx + 1) * lw / g;
                x1 = x1 > x0 ? x1 : x0 + 1;
                double sum = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        sum += plane[(size_t)y * lw + x];
                out[(ch * g + gy) * g + gx] = (float)(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }
}

static void writer_free(strata_bank_neural_writer *w)
{
    if (w->thumbs)
        fclose(w->thumbs);
    if (w->texts)
        fclose(w->texts);
    free(w->lat);
    free(w->feat);
    free(w->index);
    free(w->prov);
    free(w->scratch);
    strata_buf_free(&w->names);
    free(w);
}

strata_bank_neural_writer *
strata_bank_neural_begin(const char *out, const strata_bank_neural_shape *shape, strata_result *r)
{
    if (!out || !shape) {
        strata_fail(r, STRATA_ERR_ARG, "neural bank: no output path or shape");
        return NULL;
    }
    if (!strata_bank_neural_shape_check(shape, out, r))
        return NULL;
    strata_bank_neural_writer *w = calloc(1, sizeof *w);
    if (!w) {
        strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", out);
        return NULL;
    }
    w->shape = *shape;
    w->dim = (size_t)shape->channels * (size_t)shape->lh * (size_t)shape->lw;
    w->scratch = malloc(sizeof(float) * w->dim);
    w->thumbs = tmpfile();
    w->texts = tmpfile();
    if (!w->scratch || !w->thumbs || !w->texts) {
        strata_fail(r, STRATA_ERR_IO, "%s: no memory or temporary file for the spools: %s", out,
                    strerror(errno));
        writer_free(w);
        return NULL;
    }
    if (!strata_bank_writer_open(&w->w, out, r)) {
        writer_free(w);
        return NULL;
    }
    strata_bank_writer_begin(&w->w, SEC_DATA); /* previews are streamed as they come */
    return w;
}

static bool grow(strata_bank_neural_writer *w)
{
    if (w->count < w->cap)
        return true;
    int cap = w->cap ? w->cap * 2 : 64;
    size_t fd = (size_t)w->shape.channels * BANK_NEURAL_POOL * BANK_NEURAL_POOL;
    uint16_t *lat = realloc(w->lat, sizeof *lat * w->dim * (size_t)cap);
    if (lat)
        w->lat = lat;
    float *feat = realloc(w->feat, sizeof *feat * fd * (size_t)cap);
    if (feat)
        w->feat = feat;
    bank_entry *index = realloc(w->index, sizeof *index * (size_t)cap);
    if (index)
        w->index = index;
    bank_prov *prov = realloc(w->prov, sizeof *prov * (size_t)cap);
    if (prov)
        w->prov = prov;
    if (!lat || !feat || !index || !prov)
        return false;
    w->cap = cap;
    return true;
}

/* The latent into fp16 at slot w->count, every value checked; the rounded values in
 * w->scratch. */
static strata_status take_latent(strata_bank_neural_writer *w, const float *lat, const char *name,
                                 strata_result *r)
{
    uint16_t *dst = w->lat + w->dim * (size_t)w->count;
    size_t plane = (size_t)w->shape.lh * (size_t)w->shape.lw;
    for (size_t i = 0; i < w->dim; i++) {
        float v = lat[i];
        uint16_t h = strata_float_to_half(v);
        if (!isfinite(v) || (h & 0x7fffu) == 0x7c00u) {
            int c = (int)(i / plane), y = (int)(i % plane / (size_t)w->shape.lw),
                x = (int)(i % (size_t)w->shape.lw);
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: keyframe %d (%s): latent value %g at channel %d, row %d, "
                               "column %d is %s",
                               w->w.path, w->count, name, (double)v, c, y, x,
                               isfinite(v) ? "outside the fp16 range (largest 65504)"
                                           : "not a finite number");
        }
        dst[i] = h;
        w->scratch[i] = strata_half_to_float(h);
    }
    return STRATA_OK;
}

static strata_status check_provenance(const strata_bank_neural_writer *w, const char *text,
                                      const char *name, strata_result *r)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    const char *what = !j                  ? err.text
                       : json_is_object(j) ? NULL
                       : json_is_array(j)  ? "an array"
                       : json_is_string(j) ? "a string"
                                           : "a number, boolean or null";
    char why[160];
    if (what)
        snprintf(why, sizeof why, "%s", what);
    json_decref(j);
    if (!what)
        return STRATA_OK;
    return strata_fail(r, STRATA_ERR_FORMAT,
                       "%s: keyframe %d (%s): provenance is not a JSON "
                       "object (%s)",
                       w->w.path, w->count, name, why);
}

/* Preview as PNG, its thumbnail. */
static strata_status encode_preview(strata_bank_neural_writer *w, const uint8_t *rgba,
                                    strata_buf *png, strata_result *r)
{
    int pw = 8 * w->shape.lw, ph = 8 * w->shape.lh;
    if (!stbi_write_png_to_func(strata_buf_write_cb, png, pw, ph, 4, rgba, pw * 4) || png->failed)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: keyframe %d: PNG encoding failed", w->w.path,
                           w->count);
    return strata_bank_resample(rgba, pw, ph, w->thumb, NEURAL_THUMB, NEURAL_THUMB,
                                STRATA_BANK_FILL, r);
}

static strata_status io_failed(strata_bank_neural_writer *w, strata_result *r)
{
    return strata_fail(r, STRATA_ERR_IO, "%s: write failed: %s", w->w.tmp, strerror(w->w.err));
}

/* Everything checked and encoded: append it. */
static strata_status commit(strata_bank_neural_writer *w, const strata_bank_neural_keyframe *kf,
                            const strata_buf *png, strata_result *r)
{
    size_t nl = strlen(kf->name) + 1;
    size_t pl = kf->provenance ? strlen(kf->provenance) : 0;
    if (w->names.len + nl > UINT32_MAX)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: names past 4 GiB", w->w.path);
    bank_entry e = {
        .data_offset = w->w.pos - w->w.sec[SEC_DATA].offset,
        .data_size = (uint32_t)png->len,
        .data_crc = strata_bank_crc32(0, png->data, png->len),
        .width = (uint32_t)(8 * w->shape.lw),
        .height = (uint32_t)(8 * w->shape.lh),
        .name_offset = (uint32_t)w->names.len,
        .format = BANK_FMT_PNG,
    };
    if (!strata_buf_append(&w->names, kf->name, nl))
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory for names", w->w.path);
    errno = 0;
    if (fwrite(w->thumb, 1, sizeof w->thumb, w->thumbs) != sizeof w->thumb ||
        (pl && fwrite(kf->provenance, 1, pl + 1, w->texts) != pl + 1))
        strata_bank_writer_fail(&w->w);
    strata_bank_writer_write(&w->w, png->data, png->len);
    if (w->w.failed)
        return io_failed(w, r);
    w->index[w->count] = e;
    w->prov[w->count] = (bank_prov){pl ? w->text_len : 0, pl};
    w->text_len += pl ? pl + 1 : 0;
    size_t fd = (size_t)w->shape.channels * BANK_NEURAL_POOL * BANK_NEURAL_POOL;
    strata_bank_neural_pool(w->scratch, w->shape.channels, w->shape.lh, w->shape.lw,
                            w->feat + fd * (size_t)w->count);
    w->count++;
    return STRATA_OK;
}

strata_status strata_bank_neural_add(strata_bank_neural_writer *w,
                                     const strata_bank_neural_keyframe *kf, strata_result *r)
{
    if (!w || !kf || !kf->name || !kf->latent || !kf->preview)
        return strata_fail(r, STRATA_ERR_ARG, "neural bank: a keyframe without %s",
                           !w || !kf     ? "a writer"
                           : !kf->name   ? "a name"
                           : !kf->latent ? "a latent"
                                         : "a preview");
    if (w->w.failed)
        return io_failed(w, r);
    char name[96];
    shown(kf->name, 80, name, sizeof name);
    if (strlen(kf->name) > NAME_MAX_LEN)
        return strata_fail(r, STRATA_ERR_ARG, "%s: keyframe %d: name %s... longer than %d bytes",
                           w->w.path, w->count, name, NAME_MAX_LEN);
    if (w->count >= BANK_MAX_COUNT)
        return strata_fail(r, STRATA_ERR_ARG, "%s: more than %d keyframes", w->w.path,
                           BANK_MAX_COUNT);
    if (!grow(w))
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory at keyframe %d", w->w.path,
                           w->count);
    strata_status s = take_latent(w, kf->latent, name, r);
    if (s == STRATA_OK && kf->provenance)
        s = check_provenance(w, kf->provenance, name, r);
    strata_buf png = {0};
    if (s == STRATA_OK)
        s = encode_preview(w, kf->preview, &png, r);
    if (s == STRATA_OK && png.len > UINT32_MAX)
        s = strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %d: preview PNG past 4 GiB", w->w.path,
                        w->count);
    if (s == STRATA_OK)
        s = commit(w, kf, &png, r);
    strata_buf_free(&png);
    return s;
}

static strata_status write_sections(strata_bank_neural_writer *w, strata_result *r)
{
    size_t n = (size_t)w->count;
    int fd = w->shape.channels * BANK_NEURAL_POOL * BANK_NEURAL_POOL;
    int32_t *knn = malloc(sizeof(int32_t) * n * BANK_KNN_K);
    if (!knn)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory for the graph", w->w.path);
    strata_bank_knn(w->feat, w->count, fd, BANK_KNN_K, 2, knn);
    bank_neural_desc desc = {.channels = (uint32_t)w->shape.channels,
                             .lh = (uint32_t)w->shape.lh,
                             .lw = (uint32_t)w->shape.lw};
    memcpy(desc.family, w->shape.family, sizeof desc.family);
    memcpy(desc.format, w->shape.format, sizeof desc.format);
    /* The caller's arrays may hold bytes after the NUL: the file gets zeros there. */
    size_t fl = strlen(desc.family), ml = strlen(desc.format);
    memset(desc.family + fl, 0, sizeof desc.family - fl);
    memset(desc.format + ml, 0, sizeof desc.format - ml);
    bank_writer *bw = &w->w;
    strata_bank_writer_end(bw); /* SEC_DATA */
    strata_bank_writer_begin(bw, SEC_THUMBS);
    bool ok = strata_bank_writer_copy(bw, w->thumbs);
    strata_bank_writer_end(bw);
    strata_bank_writer_section(bw, SEC_FEATURES, w->feat, sizeof(float) * n * (size_t)fd);
    strata_bank_writer_section(bw, SEC_KNN, knn, sizeof(int32_t) * n * BANK_KNN_K);
    strata_bank_writer_section(bw, SEC_LATENTS, w->lat, sizeof(uint16_t) * n * w->dim);
    strata_bank_writer_section(bw, SEC_NEURAL, &desc, sizeof desc);
    strata_bank_writer_begin(bw, SEC_PROVENANCE);
    strata_bank_writer_write(bw, w->prov, sizeof(bank_prov) * n);
    ok = strata_bank_writer_copy(bw, w->texts) && ok;
    strata_bank_writer_end(bw);
    strata_bank_writer_section(bw, SEC_INDEX, w->index, sizeof(bank_entry) * n);
    strata_bank_writer_section(bw, SEC_NAMES, w->names.data, w->names.len);
    strata_bank_writer_section(bw, SEC_COLOUR, NULL, 0);
    free(knn);
    if (!ok)
        return strata_fail(r, STRATA_ERR_IO, "%s: reading back a spool file failed", w->w.path);
    return STRATA_OK;
}

strata_status strata_bank_neural_finish(strata_bank_neural_writer *w, strata_result *r)
{
    if (!w)
        return strata_fail(r, STRATA_ERR_ARG, "neural bank: no writer");
    strata_status s = STRATA_OK;
    if (w->count == 0)
        s = strata_fail(r, STRATA_ERR_ARG, "%s: no keyframes to write", w->w.path);
    if (s == STRATA_OK)
        s = write_sections(w, r);
    bank_header h = {.kind = STRATA_BANK_NEURAL,
                     .count = (uint32_t)w->count,
                     .dim = (uint32_t)w->dim,
                     .thumb_w = NEURAL_THUMB,
                     .thumb_h = NEURAL_THUMB,
                     .feat_dim =
                         (uint32_t)(w->shape.channels * BANK_NEURAL_POOL * BANK_NEURAL_POOL),
                     .knn_k = BANK_KNN_K};
    if (s == STRATA_OK)
        s = strata_bank_writer_finish(&w->w, &h, r);
    else
        strata_bank_writer_abort(&w->w);
    writer_free(w);
    return s;
}

void strata_bank_neural_abort(strata_bank_neural_writer *w)
{
    if (!w)
        return;
    strata_bank_writer_abort(&w->w);
    writer_free(w);
}

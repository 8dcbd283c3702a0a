/* Building packed bank files: image banks from a folder, latent sets from a seed,
 * through the streaming writer (writer.c: NAME.tmp.PID, fsync, rename). */
#include "bank_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

#define IMG_THUMB 64
#define LAT_THUMB 16
#define CHUNK 64

/* ---- a tiny parallel for ------------------------------------------------ */

typedef void (*job_fn)(void *ctx, int i);
typedef struct job {
    job_fn fn;
    void *ctx;
    int first, end, step;
} job;

static void *job_main(void *arg)
{
    job *j = arg;
    for (int i = j->first; i < j->end; i += j->step)
        j->fn(j->ctx, i);
    return NULL;
}

static void parallel_for(int begin, int end, int threads, job_fn fn, void *ctx)
{
    threads = threads < 1 ? 2 : (threads > 16 ? 16 : threads);
    job jobs[16];
    pthread_t tid[16];
    bool started[16] = {false};
    for (int t = 1; t < threads; t++) {
        jobs[t] = (job){fn, ctx, begin + t, end, threads};
        started[t] = pthread_create(&tid[t], NULL, job_main, &jobs[t]) == 0;
    }
    jobs[0] = (job){fn, ctx, begin, end, threads};
    job_main(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            job_main(&jobs[t]);
    }
}

/* ---- image banks --------------------------------------------------------- */

typedef struct item {
    bool ok;
    bool reencoded;
    char msg[256];
    uint8_t *bytes; /* encoded image to store */
    size_t len;
    int w, h;
    bank_format fmt;
    uint8_t thumb[IMG_THUMB * IMG_THUMB * 4];
    float feat[BANK_FEAT_DIM];
} item;

typedef struct build_ctx {
    const strata_bank_build_desc *d;
    char **names;
    item *items; /* CHUNK entries, item i at i % CHUNK */
} build_ctx;

/* Shrink to max_size on the long side and re-encode: JPEG stays JPEG, the rest PNG. */
static bool reencode(item *it, const uint8_t *px, int max_size)
{
    int nw = it->w >= it->h ? max_size : (int)((int64_t)it->w * max_size / it->h);
    int nh = it->h > it->w ? max_size : (int)((int64_t)it->h * max_size / it->w);
    nw = nw < 1 ? 1 : nw;
    nh = nh < 1 ? 1 : nh;
    uint8_t *small = malloc((size_t)nw * nh * 4);
    strata_buf g = {0};
    strata_result r;
    bool ok = small && strata_bank_resample(px, it->w, it->h, small, nw, nh, STRATA_BANK_FILL,
                                            &r) == STRATA_OK;
    if (ok && it->fmt == BANK_FMT_JPEG)
        ok = stbi_write_jpg_to_func(strata_buf_write_cb, &g, nw, nh, 4, small, 90) && !g.failed;
    else if (ok)
        ok = stbi_write_png_to_func(strata_buf_write_cb, &g, nw, nh, 4, small, nw * 4) && !g.failed;
    free(small);
    if (!ok) {
        strata_buf_free(&g);
        return false;
    }
    free(it->bytes);
    it->bytes = g.data;
    it->len = g.len;
    it->w = nw;
    it->h = nh;
    it->fmt = it->fmt == BANK_FMT_JPEG ? BANK_FMT_JPEG : BANK_FMT_PNG;
    it->reencoded = true;
    return true;
}

static void build_one(void *ctxp, int i)
{
    build_ctx *c = ctxp;
    item *it = &c->items[i % CHUNK];
    memset(it, 0, offsetof(item, thumb));
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->d->dir, c->names[i]);
    strata_result r = {0};
    char *raw = NULL;
    if (strata_file_read(path, &raw, &it->len, 512u << 20, &r) != STRATA_OK) {
        snprintf(it->msg, sizeof it->msg, "%s", r.msg);
        return;
    }
    it->bytes = (uint8_t *)raw;
    it->fmt = strata_bank_sniff(it->bytes, it->len);
    uint8_t *px = strata_bank_decode(it->bytes, it->len, &it->w, &it->h, &r);
    if (!px || strata_bank_resample(px, it->w, it->h, it->thumb, IMG_THUMB, IMG_THUMB,
                                    STRATA_BANK_FILL, &r) != STRATA_OK) {
        snprintf(it->msg, sizeof it->msg, "%s", r.msg);
        free(px);
        return;
    }
    strata_bank_features(it->thumb, IMG_THUMB, IMG_THUMB, it->feat);
    int ms = c->d->max_size;
    if (ms > 0 && (it->w > ms || it->h > ms) && !reencode(it, px, ms)) {
        snprintf(it->msg, sizeof it->msg, "re-encoding at %d failed", ms);
        free(px);
        return;
    }
    free(px);
    it->ok = true;
}

typedef struct build_state {
    bank_entry *index;
    float *feat;
    char *names;
    size_t names_len, names_cap;
    FILE *thumbs;
    int count;
} build_state;

static bool keep_item(bank_writer *w, build_state *bs, const item *it, const char *name)
{
    size_t nl = strlen(name) + 1;
    if (bs->names_len + nl > bs->names_cap) {
        size_t cap = bs->names_cap * 2 + nl + 4096;
        char *n = realloc(bs->names, cap);
        if (!n)
            return false;
        bs->names = n;
        bs->names_cap = cap;
    }
    bank_entry *e = &bs->index[bs->count];
    *e = (bank_entry){
        .data_offset = w->pos - w->sec[SEC_DATA].offset,
        .data_size = (uint32_t)it->len,
        .data_crc = strata_bank_crc32(0, it->bytes, it->len),
        .width = (uint32_t)it->w,
        .height = (uint32_t)it->h,
        .name_offset = (uint32_t)bs->names_len,
        .format = (uint32_t)it->fmt,
    };
    memcpy(bs->names + bs->names_len, name, nl);
    bs->names_len += nl;
    strata_bank_writer_write(w, it->bytes, it->len);
    memcpy(bs->feat + (size_t)bs->count * BANK_FEAT_DIM, it->feat, sizeof it->feat);
    if (fwrite(it->thumb, 1, sizeof it->thumb, bs->thumbs) != sizeof it->thumb)
        return false;
    bs->count++;
    return true;
}

static strata_status write_tail(bank_writer *w, build_state *bs, int threads, strata_result *r)
{
    int32_t *knn = malloc(sizeof(int32_t) * (size_t)bs->count * BANK_KNN_K);
    if (!knn)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory for the graph", w->path);
    strata_bank_knn(bs->feat, bs->count, BANK_FEAT_DIM, BANK_KNN_K, threads, knn);
    strata_bank_writer_begin(w, SEC_THUMBS);
    bool ok = strata_bank_writer_copy(w, bs->thumbs);
    strata_bank_writer_end(w);
    strata_bank_writer_section(w, SEC_FEATURES, bs->feat,
                               sizeof(float) * (size_t)bs->count * BANK_FEAT_DIM);
    strata_bank_writer_section(w, SEC_KNN, knn, sizeof(int32_t) * (size_t)bs->count * BANK_KNN_K);
    strata_bank_writer_section(w, SEC_INDEX, bs->index, sizeof(bank_entry) * (size_t)bs->count);
    strata_bank_writer_section(w, SEC_NAMES, bs->names, bs->names_len);
    strata_bank_writer_section(w, SEC_LATENTS, NULL, 0);
    strata_bank_writer_section(w, SEC_COLOUR, NULL, 0);
    free(knn);
    if (!ok)
        return strata_fail(r, STRATA_ERR_IO, "%s: thumbnail spool failed", w->path);
    return STRATA_OK;
}

static strata_status build_items(bank_writer *w, build_state *bs, const strata_bank_build_desc *d,
                                 char **names, int n, strata_bank_build_stats *st, strata_result *r)
{
    item *items = malloc(sizeof(item) * CHUNK);
    if (!items)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", d->out);
    build_ctx ctx = {d, names, items};
    strata_bank_writer_begin(w, SEC_DATA);
    for (int c0 = 0; c0 < n; c0 += CHUNK) {
        int c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
        parallel_for(c0, c1, d->threads ? d->threads : 2, build_one, &ctx);
        for (int i = c0; i < c1; i++) {
            item *it = &items[i % CHUNK];
            if (!it->ok) {
                LOG_WARN("BANK", "skipping %s/%s: %s", d->dir, names[i], it->msg);
                st->skipped++;
            } else if (it->len > UINT32_MAX) {
                errno = EFBIG;
                strata_bank_writer_fail(w);
            } else if ((errno = 0, !keep_item(w, bs, it, names[i]))) {
                strata_bank_writer_fail(w);
            } else {
                st->reencoded += it->reencoded;
            }
            free(it->bytes);
        }
        if (d->progress)
            d->progress(d->progress_user, c1, n);
    }
    strata_bank_writer_end(w);
    free(items);
    if (bs->count == 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: no decodable images", d->dir);
    return STRATA_OK;
}

strata_status strata_bank_build(const strata_bank_build_desc *d, strata_bank_build_stats *st,
                                strata_result *r)
{
    strata_bank_build_stats local;
    st = st ? st : &local;
    memset(st, 0, sizeof *st);
    char **names;
    int n;
    strata_status s = strata_bank_scan_dir(d->dir, &names, &n, r);
    if (s != STRATA_OK)
        return s;
    if (n == 0) {
        strata_bank_free_names(names, n);
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: no PNG, JPEG or WebP images", d->dir);
    }
    build_state bs = {0};
    bs.index = malloc(sizeof(bank_entry) * (size_t)n);
    bs.feat = malloc(sizeof(float) * (size_t)n * BANK_FEAT_DIM);
    bs.thumbs = tmpfile();
    bank_writer w;
    if (!bs.index || !bs.feat || !bs.thumbs)
        s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", d->out);
    else if (!strata_bank_writer_open(&w, d->out, r))
        s = STRATA_ERR_IO;
    else {
        s = build_items(&w, &bs, d, names, n, st, r);
        if (s == STRATA_OK)
            s = write_tail(&w, &bs, d->threads, r);
        bank_header h = {.kind = STRATA_BANK_IMAGE,
                         .count = (uint32_t)bs.count,
                         .thumb_w = IMG_THUMB,
                         .thumb_h = IMG_THUMB,
                         .feat_dim = BANK_FEAT_DIM,
                         .knn_k = BANK_KNN_K};
        if (s == STRATA_OK)
            s = strata_bank_writer_finish(&w, &h, r);
        else
            strata_bank_writer_abort(&w);
        st->count = bs.count;
        st->bytes = w.pos;
    }
    if (bs.thumbs)
        fclose(bs.thumbs);
    free(bs.index);
    free(bs.feat);
    free(bs.names);
    strata_bank_free_names(names, n);
    return s;
}

/* ---- latent sets ---------------------------------------------------------- */

#define DIV_W 32
#define DIV_H 18

typedef struct latent_ctx {
    const strata_cppn *cppn;
    const float *latents;
    int dim;
    uint8_t *img; /* per item: DIV_W x DIV_H RGBA or thumbnails */
    int iw, ih;
    float *feat;
} latent_ctx;

static void render_one(void *p, int i)
{
    latent_ctx *c = p;
    uint8_t *out = c->img + (size_t)i * c->iw * c->ih * 4;
    strata_cppn_render(c->cppn, c->latents + (size_t)i * c->dim, c->iw, c->ih, out);
    if (c->feat)
        strata_bank_features(out, c->iw, c->ih, c->feat + (size_t)i * BANK_FEAT_DIM);
}

/* Farthest-point sampling in rendered-image space: start from candidate 0, then take
 * the candidate whose nearest chosen image is farthest away, count times. */
static strata_status pick_diverse(const strata_bank_latent_desc *d, const strata_cppn *cppn,
                                  float *out, strata_result *r)
{
    int nc = d->count * 4;
    size_t px = DIV_W * DIV_H * 4;
    float *cand = malloc(sizeof(float) * (size_t)nc * d->dim);
    uint8_t *img = malloc(px * (size_t)nc);
    float *mind = malloc(sizeof(float) * (size_t)nc);
    if (!cand || !img || !mind) {
        free(cand);
        free(img);
        free(mind);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", d->out);
    }
    for (int i = 0; i < nc; i++)
        strata_cppn_random_latent(d->seed, (uint64_t)i, d->dim, cand + (size_t)i * d->dim);
    latent_ctx c = {cppn, cand, d->dim, img, DIV_W, DIV_H, NULL};
    parallel_for(0, nc, d->threads ? d->threads : 2, render_one, &c);
    for (int i = 0; i < nc; i++)
        mind[i] = 3.4e38f;
    int pick = 0;
    for (int k = 0; k < d->count; k++) {
        memcpy(out + (size_t)k * d->dim, cand + (size_t)pick * d->dim, sizeof(float) * d->dim);
        const uint8_t *a = img + (size_t)pick * px;
        int next = 0;
        float best = -1;
        for (int i = 0; i < nc; i++) {
            const uint8_t *b = img + (size_t)i * px;
            float dd = 0;
            for (size_t q = 0; q < px; q++) {
                float e = (float)a[q] - (float)b[q];
                dd += e * e;
            }
            mind[i] = dd < mind[i] ? dd : mind[i];
            if (mind[i] > best) {
                best = mind[i];
                next = i;
            }
        }
        pick = next;
        if (d->progress)
            d->progress(d->progress_user, k + 1, d->count * 2);
    }
    free(cand);
    free(img);
    free(mind);
    return STRATA_OK;
}

static strata_status latent_sections(bank_writer *w, const strata_bank_latent_desc *d,
                                     const strata_cppn *cppn, float *lat, strata_result *r)
{
    int n = d->count;
    size_t tb = LAT_THUMB * LAT_THUMB * 4;
    uint8_t *thumbs = malloc(tb * (size_t)n);
    float *feat = malloc(sizeof(float) * (size_t)n * BANK_FEAT_DIM);
    int32_t *knn = malloc(sizeof(int32_t) * (size_t)n * BANK_KNN_K);
    bank_entry *index = calloc((size_t)n, sizeof *index);
    char *names = malloc((size_t)n * 16);
    strata_status s = STRATA_OK;
    if (!thumbs || !feat || !knn || !index || !names) {
        s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", d->out);
        goto done;
    }
    latent_ctx c = {cppn, lat, d->dim, thumbs, LAT_THUMB, LAT_THUMB, feat};
    int threads = d->threads ? d->threads : 2;
    /* Thumbnails in slices so the progress bar moves. */
    for (int i0 = 0; i0 < n; i0 += 256) {
        parallel_for(i0, i0 + 256 < n ? i0 + 256 : n, threads, render_one, &c);
        if (d->progress)
            d->progress(d->progress_user, (d->diverse ? n : 0) + (i0 + 256 < n ? i0 + 256 : n),
                        d->diverse ? 2 * n : n);
    }
    strata_bank_knn(feat, n, BANK_FEAT_DIM, BANK_KNN_K, threads, knn);
    size_t nl = 0;
    for (int i = 0; i < n; i++) {
        index[i].name_offset = (uint32_t)nl;
        nl += (size_t)snprintf(names + nl, 16, "latent-%05d", i) + 1;
    }
    strata_bank_writer_section(w, SEC_LATENTS, lat, sizeof(float) * (size_t)n * d->dim);
    strata_bank_writer_section(w, SEC_COLOUR, cppn->colour, sizeof cppn->colour);
    strata_bank_writer_section(w, SEC_THUMBS, thumbs, tb * (size_t)n);
    strata_bank_writer_section(w, SEC_FEATURES, feat, sizeof(float) * (size_t)n * BANK_FEAT_DIM);
    strata_bank_writer_section(w, SEC_KNN, knn, sizeof(int32_t) * (size_t)n * BANK_KNN_K);
    strata_bank_writer_section(w, SEC_INDEX, index, sizeof(bank_entry) * (size_t)n);
    strata_bank_writer_section(w, SEC_NAMES, names, nl);
    strata_bank_writer_section(w, SEC_DATA, NULL, 0);
done:
    free(thumbs);
    free(feat);
    free(knn);
    free(index);
    free(names);
    return s;
}

strata_status strata_bank_build_latent(const strata_bank_latent_desc *d, strata_result *r)
{
    if (d->count < 1 || d->count > 1000000)
        return strata_fail(r, STRATA_ERR_ARG, "latent: count %d outside 1..1000000", d->count);
    if (d->diverse && d->count > 4096)
        return strata_fail(r, STRATA_ERR_ARG, "latent: --diverse supports up to 4096 keyframes");
    strata_cppn *cppn = malloc(sizeof *cppn);
    float *lat = malloc(sizeof(float) * (size_t)d->count * (size_t)(d->dim > 0 ? d->dim : 1));
    strata_status s = STRATA_OK;
    if (!cppn || !lat)
        s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", d->out);
    if (s == STRATA_OK)
        s = strata_cppn_init(cppn, d->seed, d->dim, r);
    if (s == STRATA_OK && d->diverse)
        s = pick_diverse(d, cppn, lat, r);
    else if (s == STRATA_OK)
        for (int i = 0; i < d->count; i++)
            strata_cppn_random_latent(d->seed, (uint64_t)i, d->dim, lat + (size_t)i * d->dim);
    bank_writer w;
    if (s == STRATA_OK && !strata_bank_writer_open(&w, d->out, r))
        s = STRATA_ERR_IO;
    else if (s == STRATA_OK) {
        s = latent_sections(&w, d, cppn, lat, r);
        bank_header h = {.kind = STRATA_BANK_LATENT,
                         .count = (uint32_t)d->count,
                         .dim = (uint32_t)d->dim,
                         .thumb_w = LAT_THUMB,
                         .thumb_h = LAT_THUMB,
                         .feat_dim = BANK_FEAT_DIM,
                         .knn_k = BANK_KNN_K,
                         .seed = d->seed};
        if (s == STRATA_OK)
            s = strata_bank_writer_finish(&w, &h, r);
        else
            strata_bank_writer_abort(&w);
    }
    free(cppn);
    free(lat);
    return s;
}

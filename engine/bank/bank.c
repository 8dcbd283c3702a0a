/* Opening banks and the streaming loader thread. */
#include "bank_internal.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_MAX 64
#define FILE_MAX_BYTES (512u * 1024u * 1024u)

enum { SLOT_FREE = 0, SLOT_OUT = 1 };

typedef struct bank_request {
    int n;
    int idx[STRATA_BANK_REQUEST_MAX];
} bank_request;

struct strata_bank {
    // --- immutable after open
    strata_bank_type kind;
    char *path;
    int count, w, h;
    strata_bank_fit fit;
    char **names; /* folder banks */
    bool packed;
    bank_pack pack;
    const bank_entry *index;
    const char *namebuf; /* packed: NAMES section; generated latent sets: owned */
    char *owned_names;
    const float *latents;
    float *owned_latents;
    const int32_t *knn;
    int32_t *owned_knn;
    const uint16_t *neural_latents; /* neural banks: count x dim fp16 (SEC_LATENTS) */
    const uint8_t *provenance;      /* neural banks: SEC_PROVENANCE, checked at open */
    strata_bank_neural_shape shape; /* neural banks */
    int knn_k;
    int thumb_w, thumb_h;
    pthread_mutex_t thumbs_lock; /* packed banks: thumbnails are read on first use */
    const uint8_t *thumbs;       /* --- protected by thumbs_lock until set */
    bool thumbs_tried;           /* --- protected by thumbs_lock */
    strata_cppn *cppn;
    // --- shared (atomics)
    _Atomic uint8_t *bad;
    _Atomic int slot_state[POOL_MAX];
    _Atomic bool quit;
    sem_t wake;            /* posted by request, release and close */
    strata_queue requests; /* render -> loader */
    strata_queue ready;    /* loader -> render */
    int nslots;
    uint8_t *pool;
    // --- loader thread only
    int slot_index[POOL_MAX];
    bank_request pending;
    int pending_pos;
    pthread_t thread;
    bool thread_started;
};

static size_t frame_bytes(const strata_bank *b)
{
    return (size_t)b->w * (size_t)b->h * 4;
}

static void mark_bad(strata_bank *b, int i, const char *why)
{
    if (atomic_exchange(&b->bad[i], 1) == 0)
        LOG_WARN("BANK", "skipping keyframe %d (%s): %s", i, strata_bank_name(b, i), why);
}

/* Image and neural banks deliver pixels through the loader (neural: the previews). */
static bool has_loader_pixels(const strata_bank *b)
{
    return b->kind == STRATA_BANK_IMAGE || b->kind == STRATA_BANK_NEURAL;
}

/* Decode keyframe i into dst (w*h*4). Runs on the loader thread or in load_sync. */
static strata_status decode_into(strata_bank *b, int i, uint8_t *dst, strata_result *r)
{
    const uint8_t *data;
    size_t len;
    char *owned = NULL;
    if (b->packed) {
        /* Read into a buffer of our own: the file may be rewritten while we play, and a
         * short read or a checksum mismatch only skips this keyframe. */
        bank_entry e;
        memcpy(&e, &b->index[i], sizeof e);
        len = e.data_size;
        if (!(owned = malloc(len)))
            return strata_fail(r, STRATA_ERR_NOMEM, "out of memory for %zu bytes", len);
        strata_status rs = strata_bank_pack_read(
            &b->pack, b->pack.sec[SEC_DATA].offset + e.data_offset, owned, len, r);
        if (rs == STRATA_OK && strata_bank_crc32(0, owned, len) != e.data_crc)
            rs = strata_fail(r, STRATA_ERR_FORMAT, "image checksum mismatch (%s changed on disk?)",
                             b->path);
        if (rs != STRATA_OK) {
            free(owned);
            return rs;
        }
        data = (const uint8_t *)owned;
    } else {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", b->path, b->names[i]);
        strata_result fr;
        if (strata_file_read(path, &owned, &len, FILE_MAX_BYTES, &fr) != STRATA_OK)
            return strata_fail(r, fr.status, "%s", fr.msg);
        data = (const uint8_t *)owned;
    }
    int sw = 0, sh = 0;
    uint8_t *src = strata_bank_decode(data, len, &sw, &sh, r);
    free(owned);
    if (!src)
        return r ? r->status : STRATA_ERR_FORMAT;
    strata_status s = strata_bank_resample(src, sw, sh, dst, b->w, b->h, b->fit, r);
    free(src);
    return s;
}

static bool slot_holds(const strata_bank *b, int i)
{
    for (int s = 0; s < b->nslots; s++)
        if (atomic_load(&b->slot_state[s]) == SLOT_OUT && b->slot_index[s] == i)
            return true;
    return false;
}

static int free_slot(const strata_bank *b)
{
    for (int s = 0; s < b->nslots; s++)
        if (atomic_load_explicit(&b->slot_state[s], memory_order_acquire) == SLOT_FREE)
            return s;
    return -1;
}

static void *loader_main(void *arg)
{
    strata_bank *b = arg;
    while (!atomic_load(&b->quit)) {
        bank_request req;
        /* The newest request wins: what the traversal wants now. */
        while (strata_queue_pop(&b->requests, &req)) {
            b->pending = req;
            b->pending_pos = 0;
        }
        if (b->pending_pos >= b->pending.n) {
            sem_wait(&b->wake);
            continue;
        }
        int i = b->pending.idx[b->pending_pos];
        if (atomic_load(&b->bad[i]) || slot_holds(b, i)) {
            b->pending_pos++;
            continue;
        }
        int s = free_slot(b);
        if (s < 0) {
            sem_wait(&b->wake); /* the render thread still holds every buffer */
            continue;
        }
        b->pending_pos++;
        strata_result r = {0};
        uint8_t *dst = b->pool + (size_t)s * frame_bytes(b);
        if (decode_into(b, i, dst, &r) != STRATA_OK) {
            mark_bad(b, i, r.msg);
            continue;
        }
        b->slot_index[s] = i;
        atomic_store_explicit(&b->slot_state[s], SLOT_OUT, memory_order_release);
        strata_keyframe_pixels px = {i, b->w, b->h, dst, s};
        /* Cannot fail: the ready queue holds more items than there are slots. */
        strata_queue_push(&b->ready, &px);
    }
    return NULL;
}

static strata_status open_folder(strata_bank *b, const char *path, strata_result *r)
{
    strata_status s = strata_bank_scan_dir(path, &b->names, &b->count, r);
    if (s != STRATA_OK)
        return s;
    if (b->count == 0)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: no PNG, JPEG or WebP images", path);
    b->kind = STRATA_BANK_IMAGE;
    return STRATA_OK;
}

static strata_status open_packed(strata_bank *b, const char *path, strata_result *r)
{
    uint32_t mask = (1u << SEC_NAMES) | (1u << SEC_KNN) | (1u << SEC_LATENTS) | (1u << SEC_COLOUR) |
                    (1u << SEC_PROVENANCE);
    strata_status s = strata_bank_pack_open(&b->pack, path, mask, mask, r);
    if (s != STRATA_OK)
        return s;
    b->packed = true;
    const bank_header *h = &b->pack.h;
    b->kind = (strata_bank_type)h->kind;
    b->count = (int)h->count;
    b->index = bank_sec(&b->pack, SEC_INDEX);
    b->namebuf = bank_sec(&b->pack, SEC_NAMES);
    b->knn = bank_sec(&b->pack, SEC_KNN);
    b->knn_k = (int)h->knn_k;
    b->thumb_w = (int)h->thumb_w;
    b->thumb_h = (int)h->thumb_h;
    if (b->kind == STRATA_BANK_LATENT) {
        b->latents = bank_sec(&b->pack, SEC_LATENTS);
        if (!(b->cppn = malloc(sizeof *b->cppn)))
            return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
        if (strata_cppn_init(b->cppn, h->seed, (int)h->dim, r) != STRATA_OK)
            return r ? r->status : STRATA_ERR_FORMAT;
        memcpy(b->cppn->colour, bank_sec(&b->pack, SEC_COLOUR), sizeof b->cppn->colour);
    }
    if (b->kind == STRATA_BANK_NEURAL) {
        b->neural_latents = bank_sec(&b->pack, SEC_LATENTS);
        b->provenance = bank_sec(&b->pack, SEC_PROVENANCE);
        b->shape = b->pack.neural;
    }
    return STRATA_OK;
}

static strata_status start_loader(strata_bank *b, int cache_mb, strata_result *r)
{
    size_t budget = (size_t)cache_mb * 1024 * 1024;
    size_t n = budget / frame_bytes(b);
    b->nslots = n < 2 ? 2 : (n > POOL_MAX ? POOL_MAX : (int)n);
    if (!(b->pool = malloc(frame_bytes(b) * (size_t)b->nslots)))
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: no memory for %d frame buffers", b->path,
                           b->nslots);
    if (strata_queue_init(&b->requests, sizeof(bank_request), 16, r) != STRATA_OK ||
        strata_queue_init(&b->ready, sizeof(strata_keyframe_pixels), POOL_MAX * 2, r) != STRATA_OK)
        return r ? r->status : STRATA_ERR_NOMEM;
    if (sem_init(&b->wake, 0, 0) != 0)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: sem_init failed", b->path);
    if (pthread_create(&b->thread, NULL, loader_main, b) != 0) {
        sem_destroy(&b->wake);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: cannot start the loader thread", b->path);
    }
    b->thread_started = true;
    return STRATA_OK;
}

static strata_status apply_desc(strata_bank *b, const strata_bank_open_desc *d, strata_result *r)
{
    strata_bank_open_desc z = {0};
    if (!d)
        d = &z;
    b->w = d->width ? d->width : 1280;
    b->h = d->height ? d->height : 720;
    b->fit = d->fit;
    if (b->w < 1 || b->h < 1 || b->w > 8192 || b->h > 8192)
        return strata_fail(r, STRATA_ERR_ARG, "bank: target size %dx%d outside 1..8192", b->w,
                           b->h);
    return STRATA_OK;
}

static strata_status finish_open(strata_bank *b, const strata_bank_open_desc *d, strata_result *r)
{
    if (!(b->bad = calloc((size_t)b->count, 1)))
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", b->path);
    if (has_loader_pixels(b))
        return start_loader(b, d && d->cache_mb > 0 ? d->cache_mb : 64, r);
    return STRATA_OK;
}

strata_bank *strata_bank_open(const char *path, const strata_bank_open_desc *d, strata_result *r)
{
    strata_bank *b = calloc(1, sizeof *b);
    if (b)
        pthread_mutex_init(&b->thumbs_lock, NULL);
    if (!b || !(b->path = strdup(path))) {
        free(b);
        strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    strata_status s = apply_desc(b, d, r);
    if (s == STRATA_OK)
        s = strata_file_is_dir(path) ? open_folder(b, path, r) : open_packed(b, path, r);
    if (s == STRATA_OK)
        s = finish_open(b, d, r);
    if (s != STRATA_OK) {
        strata_bank_close(b);
        return NULL;
    }
    return b;
}

strata_bank *strata_bank_generate_latent(int count, int dim, uint64_t seed,
                                         const strata_bank_open_desc *d, strata_result *r)
{
    if (count < 1 || count > 65536) {
        strata_fail(r, STRATA_ERR_ARG, "latent set: count %d outside 1..65536", count);
        return NULL;
    }
    strata_bank *b = calloc(1, sizeof *b);
    if (!b) {
        strata_fail(r, STRATA_ERR_NOMEM, "latent set: out of memory");
        return NULL;
    }
    pthread_mutex_init(&b->thumbs_lock, NULL);
    b->kind = STRATA_BANK_LATENT;
    b->count = count;
    b->path = strdup("(generated latent set)");
    b->cppn = malloc(sizeof *b->cppn);
    b->owned_latents = malloc(sizeof(float) * (size_t)count * (size_t)dim);
    b->owned_names = malloc((size_t)count * 16);
    b->knn_k = count - 1 < BANK_KNN_K ? count - 1 : BANK_KNN_K;
    b->owned_knn = malloc(sizeof(int32_t) * (size_t)count * (size_t)(b->knn_k + 1));
    strata_status s = apply_desc(b, d, r);
    if (s == STRATA_OK &&
        (!b->path || !b->cppn || !b->owned_latents || !b->owned_names || !b->owned_knn))
        s = strata_fail(r, STRATA_ERR_NOMEM, "latent set: out of memory");
    if (s == STRATA_OK)
        s = strata_cppn_init(b->cppn, seed, dim, r);
    if (s != STRATA_OK) {
        strata_bank_close(b);
        return NULL;
    }
    for (int i = 0; i < count; i++) {
        strata_cppn_random_latent(seed, (uint64_t)i, dim, b->owned_latents + (size_t)i * dim);
        snprintf(b->owned_names + (size_t)i * 16, 16, "latent-%05d", i);
    }
    /* Neighbours by latent distance: cheap, and close latents render alike. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    strata_bank_knn(b->owned_latents, count, dim, b->knn_k,
                    cpus < 1   ? 1
                    : cpus > 8 ? 8
                               : (int)cpus,
                    b->owned_knn);
    b->latents = b->owned_latents;
    b->knn = b->owned_knn;
    if (finish_open(b, d, r) != STRATA_OK) {
        strata_bank_close(b);
        return NULL;
    }
    return b;
}

void strata_bank_close(strata_bank *b)
{
    if (!b)
        return;
    if (b->thread_started) {
        atomic_store(&b->quit, true);
        sem_post(&b->wake);
        pthread_join(b->thread, NULL);
        sem_destroy(&b->wake);
    }
    strata_queue_free(&b->requests);
    strata_queue_free(&b->ready);
    free(b->pool);
    free((void *)b->bad);
    if (b->packed)
        strata_bank_pack_close(&b->pack);
    if (b->packed)
        free((void *)b->thumbs);
    pthread_mutex_destroy(&b->thumbs_lock);
    strata_bank_free_names(b->names, b->count);
    free(b->owned_names);
    free(b->owned_latents);
    free(b->owned_knn);
    free(b->cppn);
    free(b->path);
    free(b);
}

int strata_bank_count(const strata_bank *b)
{
    if (!b)
        return 0; /* a scene without a bank (an ISF generator scene) */
    return b->count;
}

strata_bank_type strata_bank_kind(const strata_bank *b)
{
    if (!b)
        return 0;
    return b->kind;
}

void strata_bank_size(const strata_bank *b, int *width, int *height)
{
    if (!b) {
        *width = *height = 0;
        return;
    }
    *width = b->w;
    *height = b->h;
}

const char *strata_bank_name(const strata_bank *b, int i)
{
    if (!b)
        return "?";
    if (i < 0 || i >= b->count)
        return "?";
    if (b->names)
        return b->names[i];
    if (b->owned_names)
        return b->owned_names + (size_t)i * 16;
    bank_entry e;
    memcpy(&e, &b->index[i], sizeof e);
    return b->namebuf + e.name_offset; /* validated at open: in range, NUL-terminated */
}

const float *strata_bank_latent(const strata_bank *b, int i)
{
    if (!b->latents || i < 0 || i >= b->count)
        return NULL;
    return b->latents + (size_t)i * (size_t)b->cppn->dim;
}

int strata_bank_latent_dim(const strata_bank *b)
{
    return b->cppn ? b->cppn->dim : 0;
}

const strata_cppn *strata_bank_cppn(const strata_bank *b)
{
    return b->cppn;
}

int strata_bank_neighbours(const strata_bank *b, int i, int *out, int max)
{
    if (!b->knn || i < 0 || i >= b->count)
        return 0;
    int n = 0;
    const int32_t *row = b->knn + (size_t)i * (size_t)b->knn_k;
    for (int k = 0; k < b->knn_k && n < max; k++) {
        int32_t j = row[k];
        /* Bounds-checked on read: a crafted graph must not index outside the bank. */
        if (j >= 0 && j < b->count && j != i && !atomic_load(&b->bad[j]))
            out[n++] = j;
    }
    return n;
}

/* Thumbnails are read on first use (only tools and tests look at them), checked, and
 * kept until close. */
static const uint8_t *load_thumbs(strata_bank *b)
{
    pthread_mutex_lock(&b->thumbs_lock);
    if (!b->thumbs_tried) {
        b->thumbs_tried = true;
        const bank_section_entry *e = &b->pack.sec[SEC_THUMBS];
        uint8_t *t = malloc(e->size ? (size_t)e->size : 1);
        strata_result r = {0};
        if (!t)
            strata_fail(&r, STRATA_ERR_NOMEM, "%s: out of memory for thumbnails", b->path);
        else if (strata_bank_pack_read(&b->pack, e->offset, t, (size_t)e->size, &r) == STRATA_OK &&
                 strata_bank_crc32(0, t, (size_t)e->size) != e->crc)
            strata_fail(&r, STRATA_ERR_FORMAT, "%s: thumbnail section checksum mismatch", b->path);
        if (r.status != STRATA_OK) {
            LOG_WARN("BANK", "no thumbnails: %s", r.msg);
            free(t);
            t = NULL;
        }
        b->thumbs = t;
    }
    const uint8_t *t = b->thumbs;
    pthread_mutex_unlock(&b->thumbs_lock);
    return t;
}

const uint8_t *strata_bank_thumbnail(const strata_bank *b, int i, int *w, int *h)
{
    if (!b->packed || i < 0 || i >= b->count)
        return NULL;
    const uint8_t *thumbs = load_thumbs((strata_bank *)b);
    if (!thumbs)
        return NULL;
    *w = b->thumb_w;
    *h = b->thumb_h;
    return thumbs + (size_t)i * (size_t)b->thumb_w * (size_t)b->thumb_h * 4;
}

bool strata_bank_is_bad(const strata_bank *b, int i)
{
    if (i < 0 || i >= b->count)
        return true;
    return atomic_load(&((strata_bank *)b)->bad[i]) != 0;
}

bool strata_bank_request(strata_bank *b, const int *indices, int n)
{
    if (!has_loader_pixels(b))
        return true;
    bank_request req = {0};
    for (int k = 0; k < n && req.n < STRATA_BANK_REQUEST_MAX; k++)
        if (indices[k] >= 0 && indices[k] < b->count && !atomic_load(&b->bad[indices[k]]))
            req.idx[req.n++] = indices[k];
    if (!strata_queue_push(&b->requests, &req))
        return false;
    sem_post(&b->wake);
    return true;
}

bool strata_bank_poll_ready(strata_bank *b, strata_keyframe_pixels *out)
{
    if (!has_loader_pixels(b))
        return false;
    return strata_queue_pop(&b->ready, out);
}

void strata_bank_release_pixels(strata_bank *b, strata_keyframe_pixels *px)
{
    if (!px->rgba)
        return;
    if (px->slot < 0) {
        free(px->rgba);
    } else if (px->slot < b->nslots) {
        atomic_store_explicit(&b->slot_state[px->slot], SLOT_FREE, memory_order_release);
        sem_post(&b->wake);
    }
    px->rgba = NULL;
}

strata_status strata_bank_load_sync(strata_bank *b, int i, strata_keyframe_pixels *out,
                                    strata_result *r)
{
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= b->count)
        return strata_fail(r, STRATA_ERR_ARG, "%s: keyframe %d outside 0..%d", b->path, i,
                           b->count - 1);
    if (atomic_load(&b->bad[i]))
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: keyframe %d is bad", b->path, i);
    uint8_t *px = malloc(frame_bytes(b));
    if (!px)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", b->path);
    if (b->kind == STRATA_BANK_LATENT) {
        strata_cppn_render(b->cppn, strata_bank_latent(b, i), b->w, b->h, px);
    } else {
        strata_result dr = {0};
        if (decode_into(b, i, px, &dr) != STRATA_OK) {
            free(px);
            mark_bad(b, i, dr.msg);
            return strata_fail(r, dr.status, "%s: keyframe %d (%s): %s", b->path, i,
                               strata_bank_name(b, i), dr.msg);
        }
    }
    *out = (strata_keyframe_pixels){i, b->w, b->h, px, -1};
    return STRATA_OK;
}

bool strata_bank_image_size(const strata_bank *b, int i, int *width, int *height)
{
    if (!b->packed || b->kind == STRATA_BANK_LATENT || i < 0 || i >= b->count)
        return false;
    bank_entry e;
    memcpy(&e, &b->index[i], sizeof e);
    *width = (int)e.width; /* checked at open: 1..16384 */
    *height = (int)e.height;
    return true;
}

bool strata_bank_neural_shape_get(const strata_bank *b, strata_bank_neural_shape *out)
{
    if (b->kind != STRATA_BANK_NEURAL)
        return false;
    *out = b->shape;
    return true;
}

bool strata_bank_neural_latent(const strata_bank *b, int i, float *out)
{
    if (b->kind != STRATA_BANK_NEURAL || i < 0 || i >= b->count)
        return false;
    size_t dim = (size_t)b->shape.channels * (size_t)b->shape.lh * (size_t)b->shape.lw;
    const uint16_t *h = b->neural_latents + dim * (size_t)i;
    for (size_t k = 0; k < dim; k++)
        out[k] = strata_half_to_float(h[k]);
    return true;
}

const char *strata_bank_provenance(const strata_bank *b, int i)
{
    if (b->kind != STRATA_BANK_NEURAL || i < 0 || i >= b->count)
        return NULL;
    bank_prov e;
    memcpy(&e, b->provenance + (size_t)i * sizeof e, sizeof e);
    if (e.length == 0)
        return NULL;
    /* Checked at open: inside the section, NUL-terminated. */
    return (const char *)b->provenance + (size_t)b->count * sizeof e + e.offset;
}

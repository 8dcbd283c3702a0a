/* PNG output on a thread of its own, from a fixed pool of frame buffers. */
#include "render.h"

#include <pthread.h>
#include <stb/stb_image_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint8_t *rgba;
    char path[1024];
    bool full;
} slot;

struct strata_writer {
    int w, h, n;
    slot *slots;
    int head, tail, count; /* --- protected by lock */
    int failed;            /* --- protected by lock */
    bool quit, busy;       /* --- protected by lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
};

strata_status strata_png_write(const char *path, int w, int h, const uint8_t *rgba,
                               strata_result *r)
{
    strata_buf m = {0};
    if (!stbi_write_png_to_func(strata_buf_write_cb, &m, w, h, 4, rgba, w * 4) || m.failed) {
        strata_buf_free(&m);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: PNG encode failed", path);
    }
    strata_status st = strata_file_write_atomic(path, m.data, m.len, r);
    strata_buf_free(&m);
    return st;
}

static void *writer_main(void *arg)
{
    strata_writer *wr = arg;
    pthread_mutex_lock(&wr->lock);
    for (;;) {
        while (!wr->count && !wr->quit)
            pthread_cond_wait(&wr->cond, &wr->lock);
        if (!wr->count && wr->quit)
            break;
        slot *s = &wr->slots[wr->head];
        wr->busy = true;
        pthread_mutex_unlock(&wr->lock);
        strata_result r = {0};
        bool ok = strata_png_write(s->path, wr->w, wr->h, s->rgba, &r) == STRATA_OK;
        if (!ok)
            LOG_ERROR("RENDER", "%s", r.msg);
        pthread_mutex_lock(&wr->lock);
        wr->busy = false;
        if (!ok)
            wr->failed++;
        wr->head = (wr->head + 1) % wr->n;
        wr->count--;
        pthread_cond_broadcast(&wr->cond);
    }
    pthread_mutex_unlock(&wr->lock);
    return NULL;
}

strata_writer *strata_writer_create(int w, int h, int pool)
{
    strata_writer *wr = calloc(1, sizeof *wr);
    if (!wr)
        return NULL;
    wr->w = w;
    wr->h = h;
    wr->n = pool < 1 ? 1 : pool;
    wr->slots = calloc((size_t)wr->n, sizeof *wr->slots);
    for (int i = 0; wr->slots && i < wr->n; i++)
        wr->slots[i].rgba = malloc((size_t)w * h * 4);
    pthread_mutex_init(&wr->lock, NULL);
    pthread_cond_init(&wr->cond, NULL);
    if (!wr->slots || pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
        free(wr->slots);
        free(wr);
        return NULL;
    }
    return wr;
}

bool strata_writer_submit(strata_writer *wr, const char *path, const uint8_t *rgba, bool wait)
{
    pthread_mutex_lock(&wr->lock);
    while (wr->count == wr->n && wait)
        pthread_cond_wait(&wr->cond, &wr->lock);
    if (wr->count == wr->n) {
        pthread_mutex_unlock(&wr->lock);
        return false;
    }
    slot *s = &wr->slots[wr->tail];
    pthread_mutex_unlock(&wr->lock);
    /* The slot at tail is ours until count is raised: the thread reads only at head. */
    memcpy(s->rgba, rgba, (size_t)wr->w * wr->h * 4);
    snprintf(s->path, sizeof s->path, "%s", path);
    pthread_mutex_lock(&wr->lock);
    wr->tail = (wr->tail + 1) % wr->n;
    wr->count++;
    pthread_cond_broadcast(&wr->cond);
    pthread_mutex_unlock(&wr->lock);
    return true;
}

int strata_writer_flush(strata_writer *wr)
{
    pthread_mutex_lock(&wr->lock);
    while (wr->count)
        pthread_cond_wait(&wr->cond, &wr->lock);
    int failed = wr->failed;
    pthread_mutex_unlock(&wr->lock);
    return failed;
}

void strata_writer_destroy(strata_writer *wr)
{
    if (!wr)
        return;
    strata_writer_flush(wr);
    pthread_mutex_lock(&wr->lock);
    wr->quit = true;
    pthread_cond_broadcast(&wr->cond);
    pthread_mutex_unlock(&wr->lock);
    pthread_join(wr->thread, NULL);
    for (int i = 0; i < wr->n; i++)
        free(wr->slots[i].rgba);
    free(wr->slots);
    pthread_mutex_destroy(&wr->lock);
    pthread_cond_destroy(&wr->cond);
    free(wr);
}

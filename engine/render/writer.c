/* PNG output on a thread of its own, from a fixed pool of frame buffers. Render mode
 * replaces its own frames (atomic rename); screenshots are created exclusively and never
 * replace a file (strata_writer_set_exclusive).
 *
 * Encoding is libpng at zlib level 1 with the UP filter on every row: render mode writes
 * many frames, and stb_image_write (zlib level 8, a filter chosen per row) took 4-6x the
 * CPU for files 24-28 % larger. At level 1, UP is as fast as SUB and AVG and within 3 %
 * of the smallest single filter; NONE is slower (more to deflate) and 20 % larger, and
 * libpng's adaptive choice of all five costs 1.5x for 1-2 % (tests/render/png_bench).
 * No tIME, no text chunks: the same pixels always give the same bytes. */
#include "render.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <png.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    _Atomic bool exclusive;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
};

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Publish tmp as name in dfd unless name exists: renameat2(RENAME_NOREPLACE), or link()
 * where the filesystem has no such rename. 0 or an errno (EEXIST: name was there). */
static int publish_new(int dfd, const char *tmp, const char *name)
{
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
        return 0;
    int e = errno;
    if (e == EINVAL || e == ENOSYS) {
        e = linkat(dfd, tmp, dfd, name, 0) == 0 ? 0 : errno;
        unlinkat(dfd, tmp, 0);
    }
    return e;
}

/* Create path with data, never replacing anything: a temp file made with O_EXCL in the
 * same folder, written and synced, then published under its name only if that name is
 * free. An existing file (even one that appeared after the OSC check) is an error. */
static strata_status write_new(const char *path, const void *data, size_t len, strata_result *r)
{
    static _Atomic unsigned seq;
    char dir[1024];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return strata_fail(r, STRATA_ERR_IO, "%s: folder: %s", path, strerror(errno));
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".strata-new-%d-%u.tmp", (int)getpid(), atomic_fetch_add(&seq, 1));
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (!write_all(fd, data, len) || fsync(fd) != 0)
            e = errno ? errno : EIO;
        if (close(fd) != 0 && !e)
            e = errno;
        if (!e)
            e = publish_new(dfd, tmp, name);
        if (e) /* the temp file never stays behind (ENOENT once published or linked) */
            unlinkat(dfd, tmp, 0);
    }
    if (!e)
        fsync(dfd);
    close(dfd);
    if (e == EEXIST)
        return strata_fail(r, STRATA_ERR_IO, "%s exists: not replaced", path);
    if (e)
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(e));
    return STRATA_OK;
}

/* libpng reports errors through these; the encoder's jmp_buf takes us back to png_encode
 * so a libpng error is a strata_result naming the file, never an abort. */
typedef struct png_job {
    strata_buf out;
    char msg[160]; /* libpng's message, or empty */
} png_job;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* the encoder's warnings concern options we never set */
}

static void png_on_write(png_structp png, png_bytep data, size_t n)
{
    png_job *j = png_get_io_ptr(png);
    if (!strata_buf_append(&j->out, data, n))
        png_error(png, "out of memory");
}

static void png_on_flush(png_structp png)
{
    (void)png;
}

/* Encode w x h RGBA8 (top row first) into j->out. Everything that lives across the
 * setjmp is in *j or set before it, so nothing needs to be volatile. */
static bool png_encode(png_job *j, int w, int h, const uint8_t *rgba)
{
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(j->msg, sizeof j->msg, "out of memory");
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, j, png_on_write, png_on_flush);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, rgba + (size_t)y * w * 4);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

static strata_status png_write(const char *path, int w, int h, const uint8_t *rgba, bool exclusive,
                               strata_result *r)
{
    png_job j = {0};
    if (!png_encode(&j, w, h, rgba) || j.out.failed) {
        bool nomem = j.out.failed || !j.msg[0] || !strcmp(j.msg, "out of memory");
        strata_buf_free(&j.out);
        return strata_fail(r, nomem ? STRATA_ERR_NOMEM : STRATA_ERR_ARG,
                           "%s: PNG encode failed: %s", path, nomem ? "out of memory" : j.msg);
    }
    strata_status st = exclusive ? write_new(path, j.out.data, j.out.len, r)
                                 : strata_file_write_atomic(path, j.out.data, j.out.len, r);
    strata_buf_free(&j.out);
    return st;
}

strata_status strata_png_write(const char *path, int w, int h, const uint8_t *rgba,
                               strata_result *r)
{
    return png_write(path, w, h, rgba, false, r);
}

void strata_writer_set_exclusive(strata_writer *wr, bool on)
{
    atomic_store(&wr->exclusive, on);
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
        bool ok =
            png_write(s->path, wr->w, wr->h, s->rgba, atomic_load(&wr->exclusive), &r) == STRATA_OK;
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

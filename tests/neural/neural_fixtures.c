/* Fixtures for the neural tests (see neural_fixtures.h). */
#include "neural_fixtures.h"

#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "neural/neural.h"

int64_t nf_count(const nf_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

nf_tensor *nf_add(nf_list *l, const char *name, int ndim, const int64_t *shape, float scale,
                  uint32_t *seed)
{
    nf_tensor *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = "F16";
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    int64_t n = nf_count(t);
    t->values = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        t->values[i] = rnd(seed) * scale;
    return t;
}

nf_tensor *nf_find(nf_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->t[i].name, name))
            return &l->t[i];
    return NULL;
}

bool nf_remove(nf_list *l, const char *name)
{
    nf_tensor *t = nf_find(l, name);
    if (!t)
        return false;
    free(t->values);
    int i = (int)(t - l->t);
    memmove(&l->t[i], &l->t[i + 1], (size_t)(l->n - i - 1) * sizeof *t);
    l->n--;
    return true;
}

void nf_free(nf_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->t[i].values);
    l->n = 0;
}

static void conv(nf_list *l, int index, int in, int out, int k, bool bias, uint32_t *seed)
{
    char name[48];
    float scale = 1.0f / sqrtf((float)(in * k * k));
    snprintf(name, sizeof name, "%d.weight", index);
    nf_add(l, name, 4, (int64_t[]){out, in, k, k}, scale, seed);
    if (bias) {
        snprintf(name, sizeof name, "%d.bias", index);
        nf_add(l, name, 1, (int64_t[]){out}, 0.1f, seed);
    }
}

static void block(nf_list *l, int index, bool pool, uint32_t *seed)
{
    char name[48];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%d.conv.%d.weight", index, 2 * i);
        nf_add(l, name, 4, (int64_t[]){64, 64, 3, 3}, 1.0f / 24.0f, seed);
        snprintf(name, sizeof name, "%d.conv.%d.bias", index, 2 * i);
        nf_add(l, name, 1, (int64_t[]){64}, 0.1f, seed);
    }
    if (!pool)
        return;
    snprintf(name, sizeof name, "%d.pool.0.weight", index);
    nf_add(l, name, 4, (int64_t[]){256, 64, 1, 1}, 0.125f, seed);
    snprintf(name, sizeof name, "%d.pool.1.weight", index);
    nf_add(l, name, 1, (int64_t[]){256}, 1.0f, seed);
    snprintf(name, sizeof name, "%d.pool.1.bias", index);
    nf_add(l, name, 1, (int64_t[]){256}, 0.1f, seed);
    snprintf(name, sizeof name, "%d.pool.3.weight", index);
    nf_add(l, name, 4, (int64_t[]){64, 256, 1, 1}, 0.0625f, seed);
}

/* taesd.py: Decoder = Clamp, conv(C, 64), ReLU, Block x3, Upsample, conv(no bias), Block x3,
 * Upsample, conv, Block x3, Upsample, conv, Block, conv(64, 3).
 * Encoder = conv(3, 64), Block, [conv stride 2 (no bias), Block x3] x3, conv(64, C). */
void nf_taesd(nf_list *l, int channels, bool decoder, bool pools, uint32_t seed)
{
    nf_free(l);
    if (decoder) {
        conv(l, 1, channels, 64, 3, true, &seed);
        for (int i = 3; i <= 5; i++)
            block(l, i, pools, &seed);
        conv(l, 7, 64, 64, 3, false, &seed);
        for (int i = 8; i <= 10; i++)
            block(l, i, false, &seed);
        conv(l, 12, 64, 64, 3, false, &seed);
        for (int i = 13; i <= 15; i++)
            block(l, i, false, &seed);
        conv(l, 17, 64, 64, 3, false, &seed);
        block(l, 18, false, &seed);
        conv(l, 19, 64, 3, 3, true, &seed);
    } else {
        conv(l, 0, 3, 64, 3, true, &seed);
        block(l, 1, false, &seed);
        for (int s = 0; s < 3; s++) {
            conv(l, 2 + 4 * s, 64, 64, 3, false, &seed);
            for (int i = 3 + 4 * s; i <= 5 + 4 * s; i++)
                block(l, i, pools && s == 2, &seed);
        }
        conv(l, 14, 64, channels, 3, true, &seed);
    }
}

static size_t dsize(const char *dtype)
{
    return strcmp(dtype, "F32") == 0 ? 4 : 2;
}

/* s as a JSON string (quotes included) at h + k; returns the new k. */
static size_t json_quote(char *h, size_t k, const char *s)
{
    h[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            h[k++] = '\\';
            h[k++] = (char)*p;
        } else if (*p < 0x20) {
            k += (size_t)sprintf(h + k, "\\u%04x", *p);
        } else {
            h[k++] = (char)*p;
        }
    }
    h[k++] = '"';
    return k;
}

uint8_t *nf_bytes(const nf_list *l, size_t *len)
{
    static const char *const note[] = {"note", "strata test"};
    return nf_bytes_meta(l, note, 1, len);
}

uint8_t *nf_bytes_meta(const nf_list *l, const char *const *meta, int nmeta, size_t *len)
{
    size_t hcap = 256 + (size_t)l->n * 160, data = 0;
    for (int i = 0; i < 2 * nmeta; i++)
        hcap += 6 * strlen(meta[i]) + 4;
    char *h = malloc(hcap);
    size_t k = (size_t)snprintf(h, hcap, "{\"__metadata__\":{");
    for (int i = 0; i < nmeta; i++) {
        if (i)
            h[k++] = ',';
        k = json_quote(h, k, meta[2 * i]);
        h[k++] = ':';
        k = json_quote(h, k, meta[2 * i + 1]);
    }
    h[k++] = '}';
    for (int i = 0; i < l->n; i++) {
        const nf_tensor *t = &l->t[i];
        size_t bytes = (size_t)nf_count(t) * dsize(t->dtype);
        k += (size_t)snprintf(h + k, hcap - k, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name,
                              t->dtype);
        for (int d = 0; d < t->ndim; d++)
            k += (size_t)snprintf(h + k, hcap - k, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        k += (size_t)snprintf(h + k, hcap - k, "],\"data_offsets\":[%zu,%zu]}", data, data + bytes);
        data += bytes;
    }
    k += (size_t)snprintf(h + k, hcap - k, "}");
    while (k % 8)
        h[k++] = ' ';
    *len = 8 + k + data;
    uint8_t *out = malloc(*len);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)((uint64_t)k >> (8 * i));
    memcpy(out + 8, h, k);
    free(h);
    uint8_t *p = out + 8 + k;
    for (int i = 0; i < l->n; i++) {
        const nf_tensor *t = &l->t[i];
        for (int64_t j = 0; j < nf_count(t); j++) {
            float f = t->values[j];
            if (!strcmp(t->dtype, "F32")) {
                uint32_t u;
                memcpy(&u, &f, 4);
                for (int b = 0; b < 4; b++)
                    *p++ = (uint8_t)(u >> (8 * b));
            } else {
                uint16_t u;
                if (!strcmp(t->dtype, "F16")) {
                    u = strata_float_to_half(f);
                } else {
                    uint32_t x;
                    memcpy(&x, &f, 4);
                    u = (uint16_t)(x >> 16); /* bf16 by truncation: exact for the tests */
                }
                *p++ = (uint8_t)u;
                *p++ = (uint8_t)(u >> 8);
            }
        }
    }
    return out;
}

bool nf_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

bool nf_write_meta(const char *path, const nf_list *l, const char *const *meta, int nmeta)
{
    size_t len;
    uint8_t *b = nf_bytes_meta(l, meta, nmeta, &len);
    bool ok = nf_write_bytes(path, b, len);
    free(b);
    return ok;
}

bool nf_write(const char *path, const nf_list *l)
{
    size_t len;
    uint8_t *b = nf_bytes(l, &len);
    bool ok = nf_write_bytes(path, b, len);
    free(b);
    return ok;
}

bool nf_taesd_visible(nf_list *l)
{
    nf_tensor *w = nf_find(l, "19.weight"), *b = nf_find(l, "19.bias");
    if (!w || !b)
        return false;
    for (int64_t i = 0; i < nf_count(w); i++)
        w->values[i] *= 4.0f;
    for (int i = 0; i < 3; i++)
        b->values[i] = 0.5f;
    return true;
}

strata_taesd *nf_taesd_model(const nf_list *l, const char *name, strata_result *r)
{
    size_t len;
    uint8_t *bytes = nf_bytes(l, &len);
    strata_safetensors *st = NULL;
    if (!bytes) {
        strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    strata_status s = strata_safetensors_parse(bytes, len, name, &st, r);
    free(bytes);
    if (s != STRATA_OK)
        return NULL;
    strata_taesd *m = NULL;
    s = strata_taesd_from_safetensors(st, name, &m, r);
    strata_safetensors_close(st);
    return s == STRATA_OK ? m : NULL;
}

bool nf_taef2_path(const char *file, char *path, size_t n)
{
    const char *src = getenv("STRATA_SOURCE_DIR");
    snprintf(path, n, "%s/../shared/models/taef2/%s", src ? src : "(STRATA_SOURCE_DIR unset)",
             file);
    if (src && access(path, R_OK) == 0)
        return true;
    printf("skipped: %s is not here (the TAEF2 weights live outside the project, in "
           "../shared/models/taef2)\n",
           path);
    return false;
}

strata_taesd *nf_taef2_load(const char *file, strata_result *r)
{
    char path[1024];
    strata_taesd *m = NULL;
    *r = (strata_result){0};
    if (nf_taef2_path(file, path, sizeof path))
        strata_taesd_load(path, &m, r);
    return m;
}

bool nf_tempdir(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/strata-%s-XXXXXX", tag);
    return mkdtemp(dir) != NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

bool nf_rmtree(const char *dir)
{
    return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) == 0;
}

static int run_failed(char *err, size_t ecap, const char *what, const char *why)
{
    snprintf(err, ecap, "strata-bank %s: %s", what, why);
    fprintf(stderr, "nf_run_bank: %s\n", err);
    return NF_RUN_FAILED;
}

int nf_run_bank(const char *const *args, char *out, size_t ocap, char *err, size_t ecap)
{
    const char *bin = getenv("STRATA_BINARY_DIR");
    if (!bin)
        return run_failed(err, ecap, args[0], "STRATA_BINARY_DIR is not set");
    char prog[1024], drop[4096];
    snprintf(prog, sizeof prog, "%s/strata-bank", bin);
    const char *argv[24] = {prog};
    for (int i = 0; args[i] && i < 22; i++)
        argv[i + 1] = args[i];
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv, .pipe_stdout = true}, &r);
    if (!p)
        return run_failed(err, ecap, args[0], r.msg);
    size_t k = 0;
    for (;;) { /* bounded: 60 s without output ends the wait */
        struct pollfd pfd = {.fd = strata_proc_stdout_fd(p), .events = POLLIN};
        if (poll(&pfd, 1, 60000) <= 0) {
            strata_proc_destroy(p);
            return run_failed(err, ecap, args[0], "no output for 60 s");
        }
        ssize_t got = out ? read(pfd.fd, out + k, ocap - 1 - k) : read(pfd.fd, drop, sizeof drop);
        if (got <= 0)
            break;
        k += out ? (size_t)got : 0;
    }
    if (out)
        out[k] = 0;
    int status = 0;
    bool exited = strata_proc_wait(p, 60.0, &status);
    strata_proc_stderr_tail(p, err, ecap);
    strata_proc_destroy(p);
    if (!exited)
        return run_failed(err, ecap, args[0], "did not exit within 60 s");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

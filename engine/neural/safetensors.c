/* safetensors: an 8-byte little-endian header length, a JSON header (tensor name ->
 * dtype, shape, data_offsets; an optional "__metadata__" object of strings), then the
 * data. The file is mapped read-only; tensors point into the mapping. Every field of the
 * header is checked before a tensor is handed out: a hostile file gets one message that
 * names the file and the tensor, never an out-of-bounds read. */
#include "neural.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAX (100u * 1000u * 1000u) /* 100 MB: far above any real model's header */

struct strata_safetensors {
    const uint8_t *bytes; /* the whole file */
    size_t len;
    bool mapped;         /* munmap, else free */
    const uint8_t *data; /* after the header */
    size_t data_len;
    int count;
    strata_tensor *tensors;
    int nmeta;
    char **meta; /* key, value, key, value ... */
};

/* ---- fp16 / bf16 (fp16 <-> float is core's strata_half_to_float) ------------- */

static size_t dtype_size(strata_dtype d)
{
    return d == STRATA_DT_F32 ? 4 : 2;
}

static const char *dtype_name(strata_dtype d)
{
    return d == STRATA_DT_F32 ? "F32" : d == STRATA_DT_BF16 ? "BF16" : "F16";
}

void strata_tensor_to_f32(const strata_tensor *t, float *out)
{
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < t->count; i++) {
        if (t->dtype == STRATA_DT_F32) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                         (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
            memcpy(&out[i], &u, sizeof u);
        } else {
            uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
            if (t->dtype == STRATA_DT_F16) {
                out[i] = strata_half_to_float(h);
            } else {
                uint32_t u = (uint32_t)h << 16; /* bf16: the top half of a float */
                memcpy(&out[i], &u, sizeof u);
            }
        }
    }
}

/* ---- the header --------------------------------------------------------------- */

/* Tensor names in messages: at most 80 characters of what the file says, control
 * characters shown as '?' (a hostile name must not drive the terminal). */
#define TN "\"%s\""
#define NAME_SHOWN 81

static const char *shown(const char *s, char *buf)
{
    size_t i = 0;
    for (; s[i] && i < NAME_SHOWN - 1; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = 0;
    return buf;
}

static bool json_u64(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static void shape_text(const strata_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* One tensor's entry: dtype, shape and offsets checked against the data. */
static strata_status parse_tensor(const char *file, const char *raw_key, const json_t *v,
                                  size_t data_len, strata_tensor *t, uint64_t off[2],
                                  strata_result *r)
{
    char key[NAME_SHOWN];
    shown(raw_key, key);
    if (!json_is_object(v))
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: tensor " TN ": not a JSON object", file, key);
    const json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
                 *of = json_object_get(v, "data_offsets");
    const char *miss = !dt ? "dtype" : !sh ? "shape" : !of ? "data_offsets" : NULL;
    if (miss)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: tensor " TN ": no \"%s\"", file, key, miss);
    const char *d = json_string_value(dt);
    if (!d)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: tensor " TN ": dtype is not a string", file,
                           key);
    if (!strcmp(d, "F16"))
        t->dtype = STRATA_DT_F16;
    else if (!strcmp(d, "BF16"))
        t->dtype = STRATA_DT_BF16;
    else if (!strcmp(d, "F32"))
        t->dtype = STRATA_DT_F32;
    else {
        char dn[NAME_SHOWN];
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor " TN ": dtype \"%s\" is not supported (F16, BF16, "
                           "F32)",
                           file, key, shown(d, dn));
    }
    if (!json_is_array(sh) || json_array_size(sh) > STRATA_TENSOR_MAX_DIMS)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor " TN ": shape is not an array of at most %d sizes", file,
                           key, STRATA_TENSOR_MAX_DIMS);
    t->ndim = (int)json_array_size(sh);
    /* count * size must fit the data (< 2^63): checked at each step, so no overflow */
    uint64_t limit = (uint64_t)INT64_MAX / dtype_size(t->dtype), count = 1;
    for (int i = 0; i < t->ndim; i++) {
        uint64_t s;
        if (!json_u64(json_array_get(sh, (size_t)i), &s))
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: tensor " TN ": shape[%d] is not a whole number >= 0", file, key,
                               i);
        if (s > limit || (s && count > limit / s))
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: tensor " TN ": shape overflows (the sizes multiply past "
                               "2^63 bytes)",
                               file, key);
        count *= s;
        t->shape[i] = (int64_t)s;
    }
    t->count = (int64_t)count;
    if (!json_is_array(of) || json_array_size(of) != 2 ||
        !json_u64(json_array_get(of, 0), &off[0]) || !json_u64(json_array_get(of, 1), &off[1]))
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor " TN ": data_offsets is not [begin, end] in whole "
                           "numbers >= 0",
                           file, key);
    if (off[0] > off[1] || off[1] > data_len)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor " TN ": data_offsets [%llu, %llu] lie outside the data "
                           "(%zu bytes)",
                           file, key, (unsigned long long)off[0], (unsigned long long)off[1],
                           data_len);
    uint64_t need = count * dtype_size(t->dtype);
    if (off[1] - off[0] != need) {
        char s[160];
        shape_text(t, s, sizeof s);
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: tensor " TN ": data_offsets [%llu, %llu] hold %llu bytes; shape "
                           "%s of %s needs %llu",
                           file, key, (unsigned long long)off[0], (unsigned long long)off[1],
                           (unsigned long long)(off[1] - off[0]), s, dtype_name(t->dtype),
                           (unsigned long long)need);
    }
    return STRATA_OK;
}

static strata_status parse_meta(const char *file, const json_t *v, strata_safetensors *st,
                                strata_result *r)
{
    if (!json_is_object(v))
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: \"__metadata__\" is not a JSON object", file);
    st->meta = calloc(2 * json_object_size(v) + 1, sizeof *st->meta);
    if (!st->meta)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
    const char *k;
    const json_t *s;
    char kn[NAME_SHOWN];
    json_object_foreach((json_t *)v, k, s)
    {
        if (!json_is_string(s))
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: \"__metadata__\" key " TN ": not a string", file, shown(k, kn));
        st->meta[2 * st->nmeta] = strdup(k);
        st->meta[2 * st->nmeta + 1] = strdup(json_string_value(s));
        st->nmeta++;
        if (!st->meta[2 * st->nmeta - 2] || !st->meta[2 * st->nmeta - 1])
            return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
    }
    return STRATA_OK;
}

typedef struct span {
    uint64_t begin, end;
    int tensor;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->tensor - y->tensor; /* the header's order: the same message every time */
}

/* Two tensors may not share a byte (empty tensors share none). */
static strata_status check_overlap(const char *file, strata_safetensors *st, span *sp,
                                   strata_result *r)
{
    qsort(sp, (size_t)st->count, sizeof *sp, span_cmp);
    const span *prev = NULL;
    for (int i = 0; i < st->count; i++) {
        if (sp[i].begin == sp[i].end)
            continue;
        char a[NAME_SHOWN], b[NAME_SHOWN];
        if (prev && sp[i].begin < prev->end)
            return strata_fail(r, STRATA_ERR_FORMAT,
                               "%s: tensors " TN " and " TN " overlap (bytes %llu..%llu and "
                               "%llu..%llu of the data)",
                               file, shown(st->tensors[prev->tensor].name, a),
                               shown(st->tensors[sp[i].tensor].name, b),
                               (unsigned long long)prev->begin, (unsigned long long)prev->end,
                               (unsigned long long)sp[i].begin, (unsigned long long)sp[i].end);
        if (!prev || sp[i].end > prev->end)
            prev = &sp[i];
    }
    return STRATA_OK;
}

static strata_status parse_header(const char *file, json_t *root, strata_safetensors *st,
                                  strata_result *r)
{
    if (!json_is_object(root))
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: the header is not a JSON object of tensors",
                           file);
    size_t n = json_object_size(root);
    st->tensors = calloc(n ? n : 1, sizeof *st->tensors);
    span *sp = calloc(n ? n : 1, sizeof *sp);
    if (!st->tensors || !sp) {
        free(sp);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory (%zu tensors)", file, n);
    }
    const char *key;
    json_t *v;
    strata_status s = STRATA_OK;
    json_object_foreach(root, key, v)
    {
        if (!strcmp(key, "__metadata__")) {
            if ((s = parse_meta(file, v, st, r)) != STRATA_OK)
                break;
            continue;
        }
        strata_tensor *t = &st->tensors[st->count];
        uint64_t off[2] = {0, 0};
        if ((s = parse_tensor(file, key, v, st->data_len, t, off, r)) != STRATA_OK)
            break;
        if (!(t->name = strdup(key))) {
            s = strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", file);
            break;
        }
        t->data = st->data + off[0];
        sp[st->count] = (span){off[0], off[1], st->count};
        st->count++;
    }
    if (s == STRATA_OK)
        s = check_overlap(file, st, sp, r);
    free(sp);
    return s;
}

/* Parse bytes (the whole file, owned by st from here on). */
static strata_status parse_bytes(const char *file, strata_safetensors *st, strata_result *r)
{
    if (st->len < 8)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: %zu bytes: too short for a safetensors file (an 8-byte header "
                           "length comes first)",
                           file, st->len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | st->bytes[i];
    if (n > HEADER_MAX)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: header length %llu is over the 100 MB limit (not a safetensors "
                           "file?)",
                           file, (unsigned long long)n);
    if (n > st->len - 8)
        return strata_fail(r, STRATA_ERR_FORMAT,
                           "%s: header length %llu runs past the end of the file (%zu bytes)", file,
                           (unsigned long long)n, st->len);
    st->data = st->bytes + 8 + n;
    st->data_len = st->len - 8 - (size_t)n;
    json_error_t err;
    json_t *root = json_loadb((const char *)st->bytes + 8, (size_t)n,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!root)
        return strata_fail(r, STRATA_ERR_FORMAT, "%s: header JSON, line %d column %d: %.120s", file,
                           err.line, err.column, err.text);
    strata_status s = parse_header(file, root, st, r);
    json_decref(root);
    return s;
}

strata_status strata_safetensors_parse(const void *bytes, size_t len, const char *name,
                                       strata_safetensors **out, strata_result *r)
{
    *out = NULL;
    strata_safetensors *st = calloc(1, sizeof *st);
    uint8_t *copy = malloc(len ? len : 1);
    if (!st || !copy) {
        free(st);
        free(copy);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory (%zu bytes)", name, len);
    }
    if (len)
        memcpy(copy, bytes, len);
    st->bytes = copy;
    st->len = len;
    strata_status s = parse_bytes(name, st, r);
    if (s != STRATA_OK) {
        strata_safetensors_close(st);
        return s;
    }
    *out = st;
    return STRATA_OK;
}

strata_status strata_safetensors_open(const char *path, strata_safetensors **out, strata_result *r)
{
    *out = NULL;
    int fd = strata_file_open_read(path, r);
    if (fd < 0)
        return r ? r->status : STRATA_ERR_IO;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(e));
    }
    strata_safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        close(fd);
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
    }
    st->len = (size_t)sb.st_size;
    if (st->len >= 8) {
        void *m = mmap(NULL, st->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            free(st);
            return strata_fail(r, STRATA_ERR_IO, "%s: mmap: %s", path, strerror(e));
        }
        st->bytes = m;
        st->mapped = true;
    }
    close(fd); /* the mapping stays valid */
    strata_status s = parse_bytes(path, st, r);
    if (s != STRATA_OK) {
        strata_safetensors_close(st);
        return s;
    }
    *out = st;
    return STRATA_OK;
}

void strata_safetensors_close(strata_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->count; i++)
        free((char *)st->tensors[i].name);
    free(st->tensors);
    for (int i = 0; i < 2 * st->nmeta; i++)
        free(st->meta[i]);
    free(st->meta);
    if (st->mapped)
        munmap((void *)st->bytes, st->len);
    else
        free((void *)st->bytes);
    free(st);
}

int strata_safetensors_count(const strata_safetensors *st)
{
    return st->count;
}

const strata_tensor *strata_safetensors_at(const strata_safetensors *st, int i)
{
    return i >= 0 && i < st->count ? &st->tensors[i] : NULL;
}

const strata_tensor *strata_safetensors_find(const strata_safetensors *st, const char *name)
{
    for (int i = 0; i < st->count; i++)
        if (!strcmp(st->tensors[i].name, name))
            return &st->tensors[i];
    return NULL;
}

const char *strata_safetensors_meta(const strata_safetensors *st, const char *key)
{
    for (int i = 0; i < st->nmeta; i++)
        if (!strcmp(st->meta[2 * i], key))
            return st->meta[2 * i + 1];
    return NULL;
}

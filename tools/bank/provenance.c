/* Provenance of keyframes: the text chunks ComfyUI and A1111 write into PNGs, and the
 * metadata of ComfyUI's .latent files, as one JSON object per keyframe (commands.h). */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

static const char *const prov_keys[] = {"prompt", "workflow", "parameters"};
#define PROV_NKEYS 3

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Latin-1 (tEXt, zTXt) to UTF-8: every byte over 0x7f becomes two. */
static char *latin1_to_utf8(const uint8_t *s, size_t n, size_t *out_n)
{
    char *o = malloc(2 * n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            o[k++] = (char)s[i];
        } else {
            o[k++] = (char)(0xc0 | s[i] >> 6);
            o[k++] = (char)(0x80 | (s[i] & 0x3f));
        }
    }
    o[k] = 0;
    *out_n = k;
    return o;
}

/* Inflate a zlib stream into a new buffer of at most max bytes. NULL with why set. */
static uint8_t *inflate_bounded(const uint8_t *src, size_t n, size_t max, size_t *out_n,
                                const char **why)
{
    size_t cap = n * 4 + 256 < max ? n * 4 + 256 : max;
    uint8_t *out = malloc(cap + 1);
    z_stream z = {0};
    if (!out || inflateInit(&z) != Z_OK) {
        free(out);
        *why = "out of memory";
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.total_out == cap) {
            if (cap >= max) {
                *why = "inflates past the 16 MiB bound";
                break;
            }
            size_t ncap = cap * 2 < max ? cap * 2 : max;
            uint8_t *g = realloc(out, ncap + 1);
            if (!g) {
                *why = "out of memory";
                break;
            }
            out = g;
            cap = ncap;
        }
        z.next_out = out + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            *why = "the compressed text is truncated";
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_out == 0)
            rc = Z_OK;
    }
    size_t got = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            *why = "the compressed text does not inflate";
        free(out);
        return NULL;
    }
    out[got] = 0;
    *out_n = got;
    return out;
}

/* A value: the parsed JSON for prompt and workflow when it parses, else the text. */
static json_t *prov_value(const char *key, const char *text, size_t n)
{
    if (strcmp(key, "parameters") != 0) {
        json_t *j = json_loadb(text, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        if (j && (json_is_object(j) || json_is_array(j)))
            return j;
        json_decref(j);
    }
    return json_stringn(text, n); /* NULL: not UTF-8 */
}

static int prov_key_index(const char *kw, size_t n)
{
    for (int i = 0; i < PROV_NKEYS; i++)
        if (strlen(prov_keys[i]) == n && memcmp(prov_keys[i], kw, n) == 0)
            return i;
    return -1;
}

typedef struct png_text {
    const char *source, *type; /* for messages */
    size_t at;                 /* chunk offset */
    char *warn;
    size_t warn_n;
    size_t total; /* text bytes kept so far */
} png_text;

static void prov_warn(png_text *t, const char *why)
{
    if (t->warn[0])
        return; /* one line: the first problem */
    snprintf(t->warn, t->warn_n, "%s: %s chunk at byte %zu: %s", t->source, t->type, t->at,
             why);
}

/* One tEXt / zTXt / iTXt chunk's data: keyword, then the text as the type says. Returns
 * why it was skipped, NULL when kept or not one of ours. */
static const char *png_text_chunk(png_text *t, json_t *obj, const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n < 80 ? n : 80);
    if (!nul)
        return "no keyword (skipped)";
    size_t kn = (size_t)(nul - d);
    int key = prov_key_index((const char *)d, kn);
    if (key < 0 || json_object_get(obj, prov_keys[key]))
        return NULL; /* not one we keep, or seen already: the first one counts */
    const uint8_t *p = nul + 1, *end = d + n;
    bool compressed = false, utf8 = false;
    if (!strcmp(t->type, "zTXt")) {
        if (p >= end || *p != 0)
            return "unknown compression method (skipped)";
        p++;
        compressed = true;
    } else if (!strcmp(t->type, "iTXt")) {
        utf8 = true;
        if (end - p < 2 || p[0] > 1 || (p[0] == 1 && p[1] != 0))
            return "bad compression flag or method (skipped)";
        compressed = p[0] == 1;
        p += 2;
        for (int skip = 0; skip < 2; skip++) { /* language tag, translated keyword */
            const uint8_t *z = memchr(p, 0, (size_t)(end - p));
            if (!z)
                return "truncated language tag or keyword (skipped)";
            p = z + 1;
        }
    }
    size_t tn = (size_t)(end - p);
    uint8_t *inflated = NULL;
    const char *why = NULL;
    if (compressed) {
        inflated = inflate_bounded(p, tn, BANK_PROV_TEXT_MAX, &tn, &why);
        if (!inflated)
            return why;
        p = inflated;
    }
    if (tn > BANK_PROV_TEXT_MAX || t->total + tn > BANK_PROV_TOTAL_MAX) {
        free(inflated);
        return "text past the size bound (skipped)";
    }
    char *text = NULL;
    if (utf8) {
        text = malloc(tn + 1);
        if (text) {
            memcpy(text, p, tn);
            text[tn] = 0;
        }
    } else {
        text = latin1_to_utf8(p, tn, &tn);
    }
    free(inflated);
    json_t *v = text ? prov_value(prov_keys[key], text, tn) : NULL;
    free(text);
    if (!v)
        return "text is not valid UTF-8 (skipped)";
    t->total += tn;
    json_object_set_new(obj, prov_keys[key], v);
    return NULL;
}

static char *prov_dump(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);
    return s;
}

char *bank_prov_png(const uint8_t *data, size_t len, const char *source, char *warn,
                    size_t warn_n)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    warn[0] = 0;
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, "source", json_string(source)) != 0) {
        json_decref(obj);
        return NULL;
    }
    if (len < 8 || memcmp(data, sig, 8) != 0)
        return prov_dump(obj);
    png_text t = {.source = source, .warn = warn, .warn_n = warn_n};
    size_t pos = 8;
    const char *why;
    while (len - pos >= 12) {
        uint32_t n = be32(data + pos);
        char type[5] = {0};
        memcpy(type, data + pos + 4, 4);
        for (int i = 0; i < 4; i++)
            if (type[i] < 'A' || (type[i] > 'Z' && type[i] < 'a') || type[i] > 'z')
                type[i] = '?';
        t.type = type;
        t.at = pos;
        if (n > 0x7fffffffu || n > len - pos - 12) {
            prov_warn(&t, "runs past the end of the file (text chunks after it are lost)");
            break;
        }
        const uint8_t *d = data + pos + 8;
        bool text = !strcmp(type, "tEXt") || !strcmp(type, "zTXt") || !strcmp(type, "iTXt");
        if (text) {
            uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data + pos + 4, n + 4u);
            if (crc != be32(d + n))
                prov_warn(&t, "bad CRC (skipped)");
            else if ((why = png_text_chunk(&t, obj, d, n)) != NULL)
                prov_warn(&t, why);
        }
        if (!strcmp(type, "IEND"))
            break;
        pos += 12 + (size_t)n;
    }
    return prov_dump(obj);
}

char *bank_prov_latent(const strata_safetensors *st, const char *source, int batch_index,
                       int batch_n)
{
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, "source", json_string(source)) != 0) {
        json_decref(obj);
        return NULL;
    }
    if (batch_n > 1)
        json_object_set_new(obj, "batch_index", json_integer(batch_index));
    for (int i = 0; i < 2; i++) { /* a .latent carries prompt and workflow, no parameters */
        const char *s = strata_safetensors_meta(st, prov_keys[i]);
        if (!s || !s[0])
            continue;
        json_t *v = prov_value(prov_keys[i], s, strlen(s));
        if (v)
            json_object_set_new(obj, prov_keys[i], v);
    }
    return prov_dump(obj);
}

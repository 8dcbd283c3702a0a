/* neural: fp16 conversion, the safetensors reader on good and hostile files, the TAESD
 * model validation (missing, extra, mis-shaped tensors, NaN weights), and the CPU
 * reference on every family with weights made by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neural/neural.h"
#include "neural_fixtures.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/strata-neural-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    /* the files this test wrote, then the folder */
    const char *names[] = {"good.safetensors", "hostile.safetensors", "fifo", "model.safetensors"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return 0;
}

static void path_in_tmp(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

#define assert_msg_has(r, text)                                                                    \
    do {                                                                                           \
        if (!strstr((r).msg, (text)))                                                              \
            fail_msg("message \"%s\" lacks \"%s\"", (r).msg, (text));                              \
    } while (0)

/* ---- fp16 --------------------------------------------------------------------- */

static void half_exact(void **state)
{
    (void)state;
    assert_true(strata_half_to_float(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    assert_true(strata_half_to_float(0x03ff) == 1023.0f * ldexpf(1.0f, -24));
    assert_true(strata_half_to_float(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
    assert_true(strata_half_to_float(0x7bff) == 65504.0f);
    assert_true(strata_half_to_float(0x3c00) == 1.0f);
    assert_true(strata_half_to_float(0xc000) == -2.0f);
    assert_true(isinf(strata_half_to_float(0x7c00)));
    assert_true(isnan(strata_half_to_float(0x7e00)));
    assert_true(signbit(strata_half_to_float(0x8000)));
    /* every non-NaN half survives the round trip bit for bit */
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = strata_half_to_float((uint16_t)h);
        if (isnan(f)) {
            assert_true(isnan(strata_half_to_float(strata_float_to_half(f))));
            continue;
        }
        if (strata_float_to_half(f) != h)
            fail_msg("half 0x%04x -> %g -> 0x%04x", h, f, strata_float_to_half(f));
    }
    /* round to nearest, ties to even; overflow to inf; underflow to 0 */
    assert_int_equal(strata_float_to_half(1.0f + ldexpf(1.0f, -11)), 0x3c00);
    assert_int_equal(strata_float_to_half(1.0f + 3 * ldexpf(1.0f, -11)), 0x3c02);
    assert_int_equal(strata_float_to_half(ldexpf(1.0f, -25)), 0x0000);
    assert_int_equal(strata_float_to_half(ldexpf(1.5f, -25)), 0x0001);
    assert_int_equal(strata_float_to_half(ldexpf(3.0f, -25)), 0x0002);
    assert_int_equal(strata_float_to_half(65520.0f), 0x7c00);
    assert_int_equal(strata_float_to_half(65519.0f), 0x7bff);
    assert_int_equal(strata_float_to_half(1e-10f), 0x0000);
    assert_int_equal(strata_float_to_half(-1e9f), 0xfc00);
#ifdef __FLT16_MAX__
    /* the compiler's own conversion agrees over a sweep of floats */
    uint32_t s = 12345;
    for (int i = 0; i < 2000000; i++) {
        s = s * 1664525u + 1013904223u;
        uint32_t bits = s & 0x7fffffffu; /* any exponent; the sign tested below */
        bits = (bits & 0x807fffffu) | ((100u + (bits >> 23) % 60u) << 23);
        float f;
        memcpy(&f, &bits, 4);
        _Float16 c = (_Float16)f;
        uint16_t ch;
        memcpy(&ch, &c, 2);
        if (strata_float_to_half(f) != ch)
            fail_msg("%a: 0x%04x, compiler 0x%04x", f, strata_float_to_half(f), ch);
        if (strata_float_to_half(-f) != (ch | 0x8000))
            fail_msg("%a: negative", -f);
    }
#endif
}

/* ---- safetensors ------------------------------------------------------------- */

static void good_file(void **state)
{
    (void)state;
    nf_list l = {0};
    uint32_t seed = 1;
    nf_tensor *a = nf_add(&l, "a.weight", 2, (int64_t[]){3, 5}, 1.0f, &seed);
    nf_tensor *b = nf_add(&l, "b", 1, (int64_t[]){7}, 100.0f, &seed);
    nf_tensor *c = nf_add(&l, "c", 3, (int64_t[]){2, 1, 2}, 3.0f, &seed);
    nf_add(&l, "empty", 1, (int64_t[]){0}, 1.0f, &seed);
    b->dtype = "F32";
    c->dtype = "BF16";
    for (int i = 0; i < 15; i++) /* exact in fp16 */
        a->values[i] = strata_half_to_float(strata_float_to_half(a->values[i]));
    for (int i = 0; i < 4; i++) { /* exact in bf16 */
        uint32_t u;
        memcpy(&u, &c->values[i], 4);
        u &= 0xffff0000u;
        memcpy(&c->values[i], &u, 4);
    }
    char path[128];
    path_in_tmp(path, sizeof path, "good.safetensors");
    assert_true(nf_write(path, &l));
    strata_result r = {0};
    strata_safetensors *st = NULL;
    assert_int_equal(strata_safetensors_open(path, &st, &r), STRATA_OK);
    assert_int_equal(strata_safetensors_count(st), 4);
    assert_string_equal(strata_safetensors_meta(st, "note"), "strata test");
    assert_null(strata_safetensors_meta(st, "other"));
    assert_null(strata_safetensors_find(st, "__metadata__"));
    const strata_tensor *t = strata_safetensors_find(st, "a.weight");
    assert_non_null(t);
    assert_int_equal(t->dtype, STRATA_DT_F16);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 3);
    assert_int_equal(t->shape[1], 5);
    assert_int_equal(t->count, 15);
    float got[16];
    strata_tensor_to_f32(t, got);
    assert_memory_equal(got, a->values, 15 * sizeof(float));
    t = strata_safetensors_find(st, "b");
    assert_int_equal(t->dtype, STRATA_DT_F32);
    strata_tensor_to_f32(t, got);
    assert_memory_equal(got, b->values, 7 * sizeof(float));
    t = strata_safetensors_find(st, "c");
    assert_int_equal(t->dtype, STRATA_DT_BF16);
    strata_tensor_to_f32(t, got);
    assert_memory_equal(got, c->values, 4 * sizeof(float));
    assert_int_equal(strata_safetensors_find(st, "empty")->count, 0);
    assert_null(strata_safetensors_at(st, 4));
    strata_safetensors_close(st);
    /* the same bytes in memory */
    size_t len;
    uint8_t *bytes = nf_bytes(&l, &len);
    assert_int_equal(strata_safetensors_parse(bytes, len, "mem", &st, &r), STRATA_OK);
    assert_int_equal(strata_safetensors_count(st), 4);
    strata_safetensors_close(st);
    free(bytes);
    nf_free(&l);
}

/* A file of an 8-byte length, the header text and data_len zero bytes. */
static uint8_t *craft(const char *header, uint64_t hlen, size_t data_len, size_t *len)
{
    size_t n = strlen(header);
    *len = 8 + n + data_len;
    uint8_t *b = calloc(1, *len);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(hlen >> (8 * i));
    memcpy(b + 8, header, n);
    return b;
}

typedef struct hostile {
    const char *header;
    size_t data;
    const char *expect;
} hostile;

static const hostile cases[] = {
    {"[1, 2]", 0, "the header is not a JSON object"},
    {"\"x\"", 0, "the header is not a JSON object"},
    {"{\"a\": ", 0, "header JSON"},
    {"{\"a\": 1}", 0, "tensor \"a\": not a JSON object"},
    {"{\"a\": {\"shape\": [1], \"data_offsets\": [0, 2]}}", 2, "tensor \"a\": no \"dtype\""},
    {"{\"a\": {\"dtype\": \"F16\", \"data_offsets\": [0, 2]}}", 2, "tensor \"a\": no \"shape\""},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1]}}", 2, "tensor \"a\": no \"data_offsets\""},
    {"{\"a\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8,
     "tensor \"a\": dtype \"I64\" is not supported"},
    {"{\"a\": {\"dtype\": 3, \"shape\": [1], \"data_offsets\": [0, 8]}}", 8,
     "tensor \"a\": dtype is not a string"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [-1], \"data_offsets\": [0, 2]}}", 2,
     "tensor \"a\": shape[0] is not a whole number"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1.5], \"data_offsets\": [0, 2]}}", 2,
     "tensor \"a\": shape[0] is not a whole number"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": 4, \"data_offsets\": [0, 8]}}", 8,
     "tensor \"a\": shape is not an array"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 2]}}", 2,
     "tensor \"a\": shape is not an array of at most 8"},
    {"{\"big\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], "
     "\"data_offsets\": [0, 0]}}",
     0, "tensor \"big\": shape overflows"},
    {"{\"big\": {\"dtype\": \"F16\", \"shape\": [3037000500, 3037000500, 0], "
     "\"data_offsets\": [0, 0]}}",
     0, "tensor \"big\": shape overflows"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 8]}}", 4,
     "tensor \"a\": data_offsets [0, 8] lie outside the data (4 bytes)"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [4, 2]}}", 4,
     "tensor \"a\": data_offsets [4, 2] lie outside"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8,
     "tensor \"a\": data_offsets [0, 8] hold 8 bytes; shape [3] of F16 needs 6"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [2, 2], \"data_offsets\": [0, 4]}}", 4,
     "tensor \"a\": data_offsets [0, 4] hold 4 bytes; shape [2, 2] of F16 needs 8"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0]}}", 2,
     "tensor \"a\": data_offsets is not [begin, end]"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 8]}, "
     "\"b\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [6, 14]}}",
     16, "tensors \"a\" and \"b\" overlap"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}, "
     "\"b\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [4, 8]}}",
     16, "tensors \"a\" and \"b\" overlap"},
    {"{\"a\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0, 2]}, "
     "\"a\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [2, 4]}}",
     4, "duplicate"},
    {"{\"__metadata__\": {\"k\": 1}}", 0, "\"__metadata__\" key \"k\": not a string"},
    /* a name that would drive the terminal is shown with '?' for its control characters */
    {"{\"\\u001b[2J\\u0007\": 1}", 0, "tensor \"?[2J?\": not a JSON object"},
    {"{\"a\": {\"dtype\": \"\\u001b]0;x\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8,
     "dtype \"?]0;x\" is not supported"},
    /* the same begin: the first in the header is named first, every time */
    {"{\"z\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}, "
     "\"y\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0, 2]}}",
     4, "tensors \"z\" and \"y\" overlap"},
    {"{\"__metadata__\": [1]}", 0, "\"__metadata__\" is not a JSON object"},
};

static void hostile_headers(void **state)
{
    (void)state;
    char path[128];
    path_in_tmp(path, sizeof path, "hostile.safetensors");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        uint8_t *b = craft(cases[i].header, strlen(cases[i].header), cases[i].data, &len);
        strata_result r = {0};
        strata_safetensors *st = (strata_safetensors *)1;
        if (strata_safetensors_parse(b, len, "x.safetensors", &st, &r) == STRATA_OK)
            fail_msg("case %zu accepted: %s", i, cases[i].header);
        assert_null(st);
        assert_int_equal(r.status, STRATA_ERR_FORMAT);
        assert_msg_has(r, "x.safetensors: ");
        assert_msg_has(r, cases[i].expect);
        /* the same from a file: the message names the path */
        assert_true(nf_write_bytes(path, b, len));
        assert_int_not_equal(strata_safetensors_open(path, &st, &r), STRATA_OK);
        assert_msg_has(r, path);
        assert_msg_has(r, cases[i].expect);
        free(b);
    }
}

static void hostile_lengths(void **state)
{
    (void)state;
    strata_result r = {0};
    strata_safetensors *st;
    const char *h = "{}";
    size_t len;
    /* header length past the file */
    uint8_t *b = craft(h, 1000, 0, &len);
    assert_int_not_equal(strata_safetensors_parse(b, len, "f", &st, &r), STRATA_OK);
    assert_msg_has(r, "f: header length 1000 runs past the end of the file (10 bytes)");
    free(b);
    /* over 100 MB (and a length that would wrap a size_t addition) */
    b = craft(h, 100000001, 0, &len);
    assert_int_not_equal(strata_safetensors_parse(b, len, "f", &st, &r), STRATA_OK);
    assert_msg_has(r, "header length 100000001 is over the 100 MB limit");
    free(b);
    b = craft(h, UINT64_MAX - 3, 0, &len);
    assert_int_not_equal(strata_safetensors_parse(b, len, "f", &st, &r), STRATA_OK);
    assert_msg_has(r, "over the 100 MB limit");
    free(b);
    /* shorter than the length field */
    assert_int_not_equal(strata_safetensors_parse("abc", 3, "f", &st, &r), STRATA_OK);
    assert_msg_has(r, "f: 3 bytes: too short");
    assert_int_not_equal(strata_safetensors_parse("", 0, "f", &st, &r), STRATA_OK);
    /* an empty file, a missing file, a FIFO and a folder, by path */
    char path[128];
    path_in_tmp(path, sizeof path, "hostile.safetensors");
    assert_true(nf_write_bytes(path, "", 0));
    assert_int_not_equal(strata_safetensors_open(path, &st, &r), STRATA_OK);
    assert_msg_has(r, "0 bytes: too short");
    path_in_tmp(path, sizeof path, "missing.safetensors");
    assert_int_equal(strata_safetensors_open(path, &st, &r), STRATA_ERR_IO);
    assert_msg_has(r, "missing.safetensors: No such file");
    path_in_tmp(path, sizeof path, "fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(strata_safetensors_open(path, &st, &r), STRATA_ERR_IO);
    assert_msg_has(r, "not a regular file (a FIFO)");
    assert_int_equal(strata_safetensors_open(tmpdir, &st, &r), STRATA_ERR_IO);
    assert_msg_has(r, "is a directory");
    /* an empty header object is a valid file with no tensors */
    b = craft("{}      ", 8, 0, &len);
    assert_int_equal(strata_safetensors_parse(b, len, "f", &st, &r), STRATA_OK);
    assert_int_equal(strata_safetensors_count(st), 0);
    strata_safetensors_close(st);
    free(b);
    strata_safetensors_close(NULL);
}

/* ---- the model ------------------------------------------------------------------ */

static strata_status load_list(const nf_list *l, strata_taesd **m, strata_result *r)
{
    *m = nf_taesd_model(l, "m.safetensors", r);
    return *m ? STRATA_OK : r->status;
}

static void model_families(void **state)
{
    (void)state;
    static const struct {
        int c;
        bool pools;
        strata_taesd_family f;
        const char *name;
    } fam[] = {{4, false, STRATA_TAESD_SD, "taesd/taesdxl"},
               {16, false, STRATA_TAESD_SD3, "taesd3/taef1"},
               {32, true, STRATA_TAESD_F2, "taef2"}};
    for (int i = 0; i < 3; i++)
        for (int dec = 0; dec < 2; dec++) {
            nf_list l = {0};
            nf_taesd(&l, fam[i].c, dec, fam[i].pools, 7);
            strata_result r = {0};
            strata_taesd *m = NULL;
            if (load_list(&l, &m, &r) != STRATA_OK)
                fail_msg("%s: %s", fam[i].name, r.msg);
            assert_int_equal(m->family, fam[i].f);
            assert_int_equal(m->role, dec ? STRATA_TAESD_DECODER : STRATA_TAESD_ENCODER);
            assert_int_equal(m->latent_channels, fam[i].c);
            assert_string_equal(strata_taesd_family_name(m->family), fam[i].name);
            assert_non_null(strstr(m->name, dec ? "decoder" : "encoder"));
            assert_int_equal(m->nops, dec ? 20 : 15);
            int64_t params = 0;
            for (int j = 0; j < l.n; j++)
                params += nf_count(&l.t[j]);
            assert_int_equal(m->params, params);
            /* taesd's README: 1,222,531 parameters in the decoder, 1,222,532 in the encoder */
            if (fam[i].c == 4)
                assert_int_equal(m->params, dec ? 1222531 : 1222532);
            /* a weight lands where the model says */
            const nf_tensor *t = nf_find(&l, dec ? "19.bias" : "14.bias");
            const strata_taesd_op *last = &m->ops[m->nops - 1];
            assert_int_equal(last->kind, STRATA_TAESD_CONV);
            assert_true(last->conv.b[1] ==
                        strata_half_to_float(strata_float_to_half(t->values[1])));
            strata_taesd_free(m);
            nf_free(&l);
        }
    strata_taesd_free(NULL);
}

/* Load the list; expect a refusal whose message has every one of the texts. */
static void refused(const nf_list *l, const char *a, const char *b)
{
    strata_result r = {0};
    strata_taesd *m = (strata_taesd *)1;
    if (load_list(l, &m, &r) == STRATA_OK)
        fail_msg("accepted, expected \"%s\"", a);
    assert_null(m);
    assert_msg_has(r, "m.safetensors: ");
    assert_msg_has(r, a);
    if (b)
        assert_msg_has(r, b);
}

static void model_hostile(void **state)
{
    (void)state;
    nf_list l = {0};
    uint32_t seed = 3;
    nf_taesd(&l, 32, true, true, 9);
    assert_true(nf_remove(&l, "8.conv.2.bias"));
    refused(&l, "tensor \"8.conv.2.bias\" is missing (expected [64]", "taef2 decoder");
    nf_taesd(&l, 32, true, true, 9);
    assert_true(nf_remove(&l, "4.pool.1.weight"));
    refused(&l, "tensor \"4.pool.1.weight\" is missing (expected [256]", NULL);
    nf_free(&l);

    nf_taesd(&l, 16, true, false, 9);
    nf_add(&l, "20.weight", 1, (int64_t[]){3}, 1.0f, &seed);
    refused(&l, "extra tensor \"20.weight\" (not part of the taesd3/taef1 decoder)", NULL);
    nf_free(&l);
    nf_taesd(&l, 16, true, false, 9);
    nf_add(&l, "\\u001b[31mred", 1, (int64_t[]){3}, 1.0f, &seed); /* JSON-escaped ESC */
    refused(&l, "extra tensor \"?[31mred\"", NULL);
    nf_free(&l);

    nf_taesd(&l, 4, false, false, 9);
    nf_tensor *t = nf_find(&l, "6.weight");
    t->shape[1] = 32;
    t->shape[0] = 128;
    refused(&l, "tensor \"6.weight\" has shape [128, 32, 3, 3], expected [64, 64, 3, 3]", NULL);
    nf_free(&l);

    nf_taesd(&l, 4, true, false, 9);
    nf_find(&l, "19.weight")->values[100] = NAN;
    refused(&l, "tensor \"19.weight\" holds NaN at element 100", NULL);
    nf_free(&l);

    nf_taesd(&l, 4, true, false, 9);
    nf_find(&l, "13.conv.0.bias")->values[5] = INFINITY;
    refused(&l, "tensor \"13.conv.0.bias\" holds an infinity", NULL);
    nf_free(&l);

    nf_taesd(&l, 32, true, false, 9); /* 32 channels without pools */
    refused(&l, "32 latent channels without pools", "taef2: 32 with pools");
    nf_free(&l);

    nf_taesd(&l, 8, true, false, 9);
    refused(&l, "tensor \"1.weight\" has shape [64, 8, 3, 3], expected [64, C, 3, 3]", NULL);
    nf_free(&l);

    nf_taesd(&l, 4, false, false, 9);
    assert_true(nf_remove(&l, "14.weight"));
    refused(&l, "tensor \"14.weight\" is missing", NULL);
    nf_free(&l);

    nf_taesd(&l, 4, true, false, 9);
    nf_add(&l, "0.weight", 4, (int64_t[]){64, 3, 3, 3}, 1.0f, &seed);
    refused(&l, "has both \"0.weight\"", NULL);
    nf_free(&l);

    nf_add(&l, "decoder.layers.1.weight", 4, (int64_t[]){64, 4, 3, 3}, 1.0f, &seed);
    refused(&l, "not a TAESD decoder or encoder", "diffusers AutoencoderTiny");
    nf_free(&l);

    /* a file that is not there, through strata_taesd_load */
    strata_result r = {0};
    strata_taesd *m;
    assert_int_equal(strata_taesd_load("/nonexistent/taef2_decoder.safetensors", &m, &r),
                     STRATA_ERR_IO);
    assert_msg_has(r, "/nonexistent/taef2_decoder.safetensors");
}

/* ---- the CPU reference on every family ------------------------------------------------ */

static bool all_finite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return false;
    return true;
}

static void cpu_families(void **state)
{
    (void)state;
    const int chans[3] = {4, 16, 32};
    for (int i = 0; i < 3; i++) {
        int c = chans[i];
        nf_list l = {0};
        strata_result r = {0};
        strata_taesd *dec, *enc;
        char path[128];
        path_in_tmp(path, sizeof path, "model.safetensors");
        nf_taesd(&l, c, true, c == 32, 11);
        assert_true(nf_write(path, &l));
        nf_free(&l);
        if (strata_taesd_load(path, &dec, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        nf_taesd(&l, c, false, c == 32, 12);
        assert_true(nf_write(path, &l));
        nf_free(&l);
        if (strata_taesd_load(path, &enc, &r) != STRATA_OK)
            fail_msg("%s", r.msg);
        /* a non-square latent: 2 x 3 -> a 24 x 16 picture (w x h) */
        int lh = 2, lw = 3;
        float *lat = malloc(sizeof(float) * c * lh * lw);
        for (int j = 0; j < c * lh * lw; j++)
            lat[j] = sinf(0.37f * j) * 2.0f;
        size_t npx = (size_t)3 * 8 * lh * 8 * lw;
        float *rgb = malloc(sizeof(float) * (npx + 1));
        rgb[npx] = 12345.0f; /* a guard: nothing is written past the picture */
        assert_true(strata_taesd_decode_cpu(dec, lat, lh, lw, rgb));
        assert_true(rgb[npx] == 12345.0f);
        assert_true(all_finite(rgb, npx));
        float lo = rgb[0], hi = rgb[0];
        for (size_t j = 0; j < npx; j++)
            lo = fminf(lo, rgb[j]), hi = fmaxf(hi, rgb[j]);
        assert_true(hi > lo); /* a picture, not a constant */
        /* the picture back into a latent of the same size */
        float *back = malloc(sizeof(float) * (c * lh * lw + 1));
        back[c * lh * lw] = 12345.0f;
        assert_true(strata_taesd_encode_cpu(enc, rgb, 8 * lh, 8 * lw, back));
        assert_true(back[c * lh * lw] == 12345.0f);
        assert_true(all_finite(back, (size_t)c * lh * lw));
        /* the wrong role or size is refused */
        assert_false(strata_taesd_decode_cpu(enc, lat, lh, lw, rgb));
        assert_false(strata_taesd_encode_cpu(dec, rgb, 8 * lh, 8 * lw, back));
        assert_false(strata_taesd_encode_cpu(enc, rgb, 12, 16, back));
        assert_false(strata_taesd_decode_cpu(dec, lat, 0, lw, rgb));
        free(lat);
        free(rgb);
        free(back);
        strata_taesd_free(dec);
        strata_taesd_free(enc);
    }
}

/* ---- strata-bank model ----------------------------------------------------------- */

static void bank_model_command(void **state)
{
    (void)state;
    char path[128], out[4096], err[1024];
    path_in_tmp(path, sizeof path, "model.safetensors");
    nf_list l = {0};
    nf_taesd(&l, 16, false, false, 5);
    assert_true(nf_write(path, &l));
    int64_t params = 0;
    for (int i = 0; i < l.n; i++)
        params += nf_count(&l.t[i]);
    int tensors = l.n;
    nf_free(&l);
    const char *args[] = {"model", path, NULL};
    assert_int_equal(nf_run_bank(args, out, sizeof out, err, sizeof err), 0);
    char want[128];
    snprintf(want, sizeof want, "params     %lld\n", (long long)params);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "tensors    %d\n", tensors);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "family     taesd3/taef1\n"));
    assert_non_null(strstr(out, "role       encoder\n"));
    assert_non_null(strstr(out, "latent     16 channels"));
    assert_non_null(strstr(out, "dtype      F16\n"));
    /* a broken model: exit 1 and the tensor named */
    nf_taesd(&l, 4, true, false, 5);
    nf_find(&l, "7.weight")->values[3] = NAN;
    assert_true(nf_write(path, &l));
    nf_free(&l);
    assert_int_equal(nf_run_bank(args, out, sizeof out, err, sizeof err), 1);
    assert_non_null(strstr(err, "tensor \"7.weight\" holds NaN"));
    /* no file: a usage error */
    const char *none[] = {"model", NULL};
    assert_int_equal(nf_run_bank(none, out, sizeof out, err, sizeof err), 2);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(half_exact),      cmocka_unit_test(good_file),
        cmocka_unit_test(hostile_headers), cmocka_unit_test(hostile_lengths),
        cmocka_unit_test(model_families),  cmocka_unit_test(model_hostile),
        cmocka_unit_test(cpu_families),    cmocka_unit_test(bank_model_command),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

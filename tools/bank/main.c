/* strata-bank: build, inspect, verify and benchmark keyframe banks.
 *
 *   strata-bank build DIR -o NAME.strata [--max-size N] [--threads N]
 *   strata-bank latent --count N --dim D --seed S [--diverse] -o NAME.strata
 *   strata-bank info FILE [--keyframe N [--json]]  (info.h)
 *   strata-bank verify FILE
 *   strata-bank bench PATH [--size WxH] [--play N]
 *   strata-bank synth DIR --count N [--size WxH]   (synthetic PNGs for benchmarks)
 *   strata-bank model FILE [--bench] [--runs N]     (a TAESD weight file: what it is)
 *   strata-bank encode DIR --model ENCODER --size WxH -o NAME.strata   (commands.h)
 *   strata-bank import FILE.latent... --decoder DECODER -o NAME.strata  (commands.h)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <stb/stb_image_write.h>

#include "bank/bank.h"
#include "commands.h"
#include "core/core.h"
#include "info.h"
#include "neural/neural.h"

static void usage(FILE *out)
{
    fprintf(out, "usage:\n"
                 "  strata-bank build DIR -o NAME.strata [--max-size N] [--threads N]\n"
                 "  strata-bank latent --count N --dim D --seed S [--diverse] -o NAME.strata\n"
                 "  strata-bank info FILE [--keyframe N [--json]]\n"
                 "  strata-bank verify FILE\n"
                 "  strata-bank bench PATH [--size WxH] [--play N]\n"
                 "  strata-bank synth DIR --count N [--size WxH]\n"
                 "  strata-bank model FILE [--bench] [--runs N]\n"
                 "  strata-bank encode DIR --model ENCODER.safetensors [--decoder "
                 "DECODER.safetensors]\n"
                 "                     --size WxH [--fit|--fill] [--cpu|--gpu] -o NAME.strata\n"
                 "  strata-bank import FILE.latent... [--format sd15|sdxl|sd3|flux1|flux2]\n"
                 "                     --decoder DECODER.safetensors [--cpu|--gpu] -o NAME.strata\n"
                 "options take --opt value or --opt=value; -o is also --out\n");
}

/* The bank builders' progress callback: the shared bar (cli.c). */
static void progress(void *user, int done, int total)
{
    (void)user;
    bank_tool_progress(done, total);
}

/* One row of an option table (designated, so the rest is zero). */
#define OPT(n, k, d) .name = (n), .kind = (k), .dst = (d)

static int fail(const strata_result *r)
{
    fprintf(stderr, "strata-bank: %s\n", r->msg);
    return 1;
}

static bool need(const char *cmd, const char *what, const void *v)
{
    if (!v)
        fprintf(stderr, "strata-bank %s: %s is required (strata-bank --help)\n", cmd, what);
    return v != NULL;
}

/* An output may be a new file or one strata-bank replaces; never a device, a FIFO, a
 * folder or a link (renaming over /dev/full as root replaced the device node). */
static bool output_ok(const char *cmd, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return true; /* does not exist yet (or the writer will say why) */
    if (S_ISREG(st.st_mode))
        return true;
    const char *kind = S_ISDIR(st.st_mode)    ? "a folder"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISLNK(st.st_mode)  ? "a symbolic link"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    fprintf(stderr,
            "strata-bank %s: -o %s: is %s; the output must be a new or regular file "
            "(not replaced)\n",
            cmd, path, kind);
    return false;
}

static int cmd_build(int argc, char **argv)
{
    strata_bank_build_desc d = {.progress = progress};
    const char *pos[1];
    int npos = 0;
    const strata_arg t[] = {
        {OPT("-o", STRATA_ARG_STR, &d.out), .alias = "--out"},
        {OPT("--max-size", STRATA_ARG_INT, &d.max_size), .lo = 16, .hi = 16384},
        {OPT("--threads", STRATA_ARG_INT, &d.threads), .lo = 1, .hi = 16},
    };
    if (!bank_tool_parse("build", t, 3, argc, argv, pos, 1, &npos))
        return 2;
    d.dir = npos ? pos[0] : NULL;
    if (!need("build", "DIR", d.dir) || !need("build", "-o NAME.strata", d.out))
        return 2;
    if (!output_ok("build", d.out))
        return 1;
    strata_result r = {0};
    strata_bank_build_stats st;
    if (strata_bank_build(&d, &st, &r) != STRATA_OK)
        return fail(&r);
    printf("%s: %d keyframes, %d skipped, %d re-encoded, %llu bytes\n", d.out, st.count, st.skipped,
           st.reencoded, (unsigned long long)st.bytes);
    return 0;
}

static int cmd_latent(int argc, char **argv)
{
    strata_bank_latent_desc d = {.progress = progress};
    bool count_given = false, dim_given = false, seed_given = false;
    const strata_arg t[] = {
        {OPT("-o", STRATA_ARG_STR, &d.out), .alias = "--out"},
        {OPT("--count", STRATA_ARG_INT, &d.count), .lo = 1, .hi = 1000000, .given = &count_given},
        {OPT("--dim", STRATA_ARG_INT, &d.dim), .lo = 1, .hi = STRATA_CPPN_MAX_DIM,
         .given = &dim_given},
        {OPT("--seed", STRATA_ARG_U64, &d.seed), .given = &seed_given},
        {OPT("--diverse", STRATA_ARG_FLAG, &d.diverse)},
    };
    int npos = 0;
    if (!bank_tool_parse("latent", t, 5, argc, argv, NULL, 0, &npos))
        return 2;
    if (!need("latent", "-o NAME.strata", d.out) ||
        !need("latent", "--count N", count_given ? "" : NULL) ||
        !need("latent", "--dim D", dim_given ? "" : NULL) ||
        !need("latent", "--seed S", seed_given ? "" : NULL))
        return 2;
    if (!output_ok("latent", d.out))
        return 1;
    strata_result r = {0};
    if (strata_bank_build_latent(&d, &r) != STRATA_OK)
        return fail(&r);
    printf("%s: %d latents of dim %d, seed %llu%s\n", d.out, d.count, d.dim,
           (unsigned long long)d.seed, d.diverse ? ", diverse" : "");
    return 0;
}

/* verify: exactly one FILE, no options. */
static const char *one_file(const char *cmd, int argc, char **argv)
{
    const char *pos[1];
    int npos = 0;
    if (!bank_tool_parse(cmd, NULL, 0, argc, argv, pos, 1, &npos))
        return NULL;
    return need(cmd, "FILE", npos ? pos[0] : NULL) ? pos[0] : NULL;
}

static int cmd_verify(int argc, char **argv)
{
    const char *file = one_file("verify", argc, argv);
    if (!file)
        return 2;
    strata_result r = {0};
    if (strata_bank_verify(file, &r) != STRATA_OK)
        return fail(&r);
    printf("%s: ok\n", file);
    return 0;
}

static long peak_rss_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* Open time, time to the first decoded keyframe, then --play N keyframes spread over
 * the whole bank through the streaming loader, and peak RSS. */
static int cmd_bench(int argc, char **argv)
{
    int size[2] = {1280, 720}, play = 200;
    const char *pos[1];
    int npos = 0;
    const strata_arg t[] = {
        {OPT("--size", STRATA_ARG_SIZE, size)},
        {OPT("--play", STRATA_ARG_INT, &play), .lo = 0, .hi = 1000000},
    };
    if (!bank_tool_parse("bench", t, 2, argc, argv, pos, 1, &npos) ||
        !need("bench", "PATH", npos ? "" : 0))
        return 2;
    const char *path = pos[0];
    int w = size[0], h = size[1];
    long rss0 = peak_rss_kb();
    strata_result r = {0};
    double t0 = strata_time_s();
    strata_bank *b = strata_bank_open(
        path, &(strata_bank_open_desc){.width = w, .height = h, .cache_mb = 64}, &r);
    if (!b)
        return fail(&r);
    double t_open = strata_time_s() - t0;
    int n = strata_bank_count(b), got = 0;
    double t_first = 0;
    if (strata_bank_kind(b) == STRATA_BANK_LATENT) {
        float bias[STRATA_CPPN_WIDTH];
        strata_cppn_first_layer_bias(strata_bank_cppn(b), strata_bank_latent(b, 0), bias);
        t_first = strata_time_s() - t0;
        for (int i = 0; i < play; i++)
            strata_cppn_first_layer_bias(
                strata_bank_cppn(b), strata_bank_latent(b, (int)((long long)i * n / play)), bias);
        got = play;
    } else {
        for (int i = 0; i < play; i++) {
            int want[2] = {(int)((long long)i * n / play), (int)((long long)(i + 1) * n / play)};
            strata_bank_request(b, want, 2);
            strata_keyframe_pixels px = {0};
            double ts = strata_time_s();
            while (!strata_bank_poll_ready(b, &px)) {
                if (strata_time_s() - ts > 5.0)
                    break;
                strata_sleep_s(0.0005);
            }
            if (px.rgba && got++ == 0)
                t_first = strata_time_s() - t0;
            if (px.rgba)
                strata_bank_release_pixels(b, &px);
        }
    }
    double t_all = strata_time_s() - t0;
    printf("bank        %s\nkeyframes   %d (%s)\nopen        %.2f ms\nfirst frame %.2f ms\n"
           "played      %d keyframes in %.2f s\npeak RSS    %.1f MiB (before open %.1f MiB)\n",
           path, n,
           strata_bank_kind(b) == STRATA_BANK_LATENT   ? "latent"
           : strata_bank_kind(b) == STRATA_BANK_NEURAL ? "neural: previews through the loader"
                                                       : "image",
           t_open * 1e3,
           t_first * 1e3, got, t_all, peak_rss_kb() / 1024.0, rss0 / 1024.0);
    strata_bank_close(b);
    return 0;
}

/* Synthetic keyframes for benchmarks: gradients with a moving disc, PNG. */
static int cmd_synth(int argc, char **argv)
{
    int count = 0, size[2] = {256, 144};
    bool count_given = false;
    const char *pos[1];
    int npos = 0;
    const strata_arg t[] = {
        {OPT("--count", STRATA_ARG_INT, &count), .lo = 1, .hi = 1000000, .given = &count_given},
        {OPT("--size", STRATA_ARG_SIZE, size)},
    };
    if (!bank_tool_parse("synth", t, 2, argc, argv, pos, 1, &npos) ||
        !need("synth", "DIR", npos ? "" : 0) ||
        !need("synth", "--count N", count_given ? "" : NULL))
        return 2;
    const char *dir = pos[0];
    int w = size[0], h = size[1];
    strata_result r = {0};
    if (strata_file_mkdirs(dir, &r) != STRATA_OK)
        return fail(&r);
    unsigned char *px = malloc((size_t)w * h * 3);
    if (!px)
        return 1;
    for (int i = 0; i < count; i++) {
        float cx = (float)((i * 37) % w), cy = (float)((i * 11) % h), rad = (float)h / 5;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                unsigned char *p = px + ((size_t)y * w + x) * 3;
                float dx = x - cx, dy = y - cy;
                bool in = dx * dx + dy * dy < rad * rad;
                p[0] = (unsigned char)(in ? 255 : (x * 255 / w + i) & 255);
                p[1] = (unsigned char)(in ? 200 : y * 255 / h);
                p[2] = (unsigned char)((i * 7) & 255);
            }
        char path[4096];
        snprintf(path, sizeof path, "%s/frame%d.png", dir, i);
        if (!stbi_write_png(path, w, h, 3, px, w * 3)) {
            fprintf(stderr, "strata-bank: %s: write failed\n", path);
            free(px);
            return 1;
        }
        progress(NULL, i + 1, count);
    }
    free(px);
    printf("%s: %d PNGs of %dx%d\n", dir, count, w, h);
    return 0;
}

/* Multiply-adds x 2 of one op of m at an input of c x h x w; updates c, h, w. */
static double op_flops(const strata_taesd_op *op, int *c, int *h, int *w)
{
    double hw = (double)*h * *w, f = 0;
    switch (op->kind) {
    case STRATA_TAESD_CONV: {
        const strata_taesd_conv *cv = &op->conv;
        *h = (*h + 2 * (cv->k / 2) - cv->k) / cv->stride + 1;
        *w = (*w + 2 * (cv->k / 2) - cv->k) / cv->stride + 1;
        *c = cv->out;
        return 2.0 * cv->in * cv->out * cv->k * cv->k * *h * *w;
    }
    case STRATA_TAESD_BLOCK:
        f = 3 * 2.0 * 64 * 64 * 9 * hw;
        if (op->block.pool)
            f += 2 * 2.0 * 64 * 256 * hw;
        return f;
    case STRATA_TAESD_UPSAMPLE:
        *h *= 2;
        *w *= 2;
        return 0;
    default:
        return 0;
    }
}

static double model_flops(const strata_taesd *m, int c, int h, int w)
{
    double f = 0;
    for (int i = 0; i < m->nops; i++)
        f += op_flops(&m->ops[i], &c, &h, &w);
    return f;
}

/* The CPU reference's time per decode (or encode) at a few sizes: best and mean of runs. */
static int model_bench(const strata_taesd *m, int runs)
{
    static const int sides[] = {8, 16, 32};
    bool dec = m->role == STRATA_TAESD_DECODER;
    printf("CPU reference (%s, 1 thread), %d runs each:\n", dec ? "decode" : "encode", runs);
    for (size_t s = 0; s < sizeof sides / sizeof *sides; s++) {
        int l = sides[s], px = 8 * l, c = m->latent_channels;
        float *in = malloc(sizeof(float) * (size_t)(dec ? c * l * l : 3 * px * px));
        float *out = malloc(sizeof(float) * (size_t)(dec ? 3 * px * px : c * l * l));
        if (!in || !out) {
            free(in);
            free(out);
            fprintf(stderr, "strata-bank model: out of memory at latent %dx%d\n", l, l);
            return 1;
        }
        int n = dec ? c * l * l : 3 * px * px;
        for (int i = 0; i < n; i++)
            in[i] = dec ? 2.0f * sinf(0.37f * (float)i) : 0.5f + 0.4f * sinf(0.01f * (float)i);
        double best = 1e30, sum = 0;
        for (int r = 0; r < runs; r++) {
            double t0 = strata_time_s();
            bool ok = dec ? strata_taesd_decode_cpu(m, in, l, l, out)
                          : strata_taesd_encode_cpu(m, in, px, px, out);
            double t = strata_time_s() - t0;
            if (!ok) {
                free(in);
                free(out);
                fprintf(stderr, "strata-bank model: the CPU reference failed at %dx%d\n", l, l);
                return 1;
            }
            best = t < best ? t : best;
            sum += t;
        }
        double gf = dec ? model_flops(m, c, l, l) : model_flops(m, 3, px, px);
        printf("  latent %3dx%-3d (%4dx%-4d px)  best %9.1f ms  mean %9.1f ms  %6.2f GFLOP  "
               "%5.2f GFLOP/s\n",
               l, l, px, px, best * 1e3, sum / runs * 1e3, gf / 1e9, gf / best / 1e9);
        free(in);
        free(out);
        fflush(stdout);
    }
    return 0;
}

/* What a TAESD weight file is: family, role, channels, params, tensors, dtype. */
static int cmd_model(int argc, char **argv)
{
    bool bench = false;
    int runs = 3;
    const char *pos[1];
    int npos = 0;
    const strata_arg t[] = {
        {OPT("--bench", STRATA_ARG_FLAG, &bench)},
        {OPT("--runs", STRATA_ARG_INT, &runs), .lo = 1, .hi = 100},
    };
    if (!bank_tool_parse("model", t, 2, argc, argv, pos, 1, &npos) ||
        !need("model", "FILE", npos ? "" : 0))
        return 2;
    const char *file = pos[0];
    strata_result r = {0};
    strata_safetensors *st;
    if (strata_safetensors_open(file, &st, &r) != STRATA_OK)
        return fail(&r);
    strata_taesd *m;
    if (strata_taesd_from_safetensors(st, file, &m, &r) != STRATA_OK) {
        strata_safetensors_close(st);
        return fail(&r);
    }
    int n = strata_safetensors_count(st), seen[3] = {0};
    for (int i = 0; i < n; i++)
        seen[strata_safetensors_at(st, i)->dtype]++;
    static const char *const dn[3] = {"F16", "BF16", "F32"};
    char dtypes[32] = "";
    for (int d = 0; d < 3; d++)
        if (seen[d])
            snprintf(dtypes + strlen(dtypes), sizeof dtypes - strlen(dtypes), "%s%s",
                     dtypes[0] ? ", " : "", dn[d]);
    const char *src = strata_safetensors_meta(st, "source");
    static const char *const gen[3] = {"Stable Diffusion 1.x/2.x (taesd) or SDXL (taesdxl)",
                                       "SD3 (taesd3) or FLUX.1 (taef1)", "FLUX.2 (taef2)"};
    printf("file       %s\nmodel      %s\nfamily     %s\nlatents of %s\nrole       %s\n"
           "latent     %d channels at 1/8 of the picture\nparams     %lld\ntensors    %d\n"
           "dtype      %s\n",
           file, m->name, strata_taesd_family_name(m->family), gen[m->family],
           m->role == STRATA_TAESD_DECODER ? "decoder" : "encoder", m->latent_channels,
           (long long)m->params, n, dtypes);
    if (src)
        printf("source     %.200s\n", src);
    strata_safetensors_close(st);
    int rc = bench ? model_bench(m, runs) : 0;
    strata_taesd_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (strcmp(c, "build") == 0)
        return cmd_build(argc, argv);
    if (strcmp(c, "latent") == 0)
        return cmd_latent(argc, argv);
    if (strcmp(c, "info") == 0)
        return strata_bank_cmd_info(argc, argv);
    if (strcmp(c, "verify") == 0)
        return cmd_verify(argc, argv);
    if (strcmp(c, "bench") == 0)
        return cmd_bench(argc, argv);
    if (strcmp(c, "synth") == 0)
        return cmd_synth(argc, argv);
    if (strcmp(c, "model") == 0)
        return cmd_model(argc, argv);
    if (strcmp(c, "encode") == 0)
        return strata_bank_cmd_encode(argc, argv);
    if (strcmp(c, "import") == 0)
        return strata_bank_cmd_import(argc, argv);
    fprintf(stderr,
            "strata-bank: unknown command %.120s (build, latent, info, verify, bench, "
            "synth, model, encode, import; see --help)\n",
            c);
    return 2;
}

/* strata-bank: build, inspect, verify and benchmark keyframe banks.
 *
 *   strata-bank build DIR -o NAME.strata [--max-size N] [--threads N]
 *   strata-bank latent --count N --dim D --seed S [--diverse] -o NAME.strata
 *   strata-bank info FILE
 *   strata-bank verify FILE
 *   strata-bank bench PATH [--size WxH] [--play N]
 *   strata-bank synth DIR --count N [--size WxH]   (synthetic PNGs for benchmarks)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

#include "bank/bank.h"
#include "core/core.h"

static void usage(void)
{
    fprintf(stderr, "usage:\n"
                    "  strata-bank build DIR -o NAME.strata [--max-size N] [--threads N]\n"
                    "  strata-bank latent --count N --dim D --seed S [--diverse] -o NAME.strata\n"
                    "  strata-bank info FILE\n"
                    "  strata-bank verify FILE\n"
                    "  strata-bank bench PATH [--size WxH] [--play N]\n"
                    "  strata-bank synth DIR --count N [--size WxH]\n");
}

static void progress(void *user, int done, int total)
{
    (void)user;
    if (!isatty(2) || total <= 0)
        return;
    int width = 40, fill = (int)((long long)done * width / total);
    fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "########################################",
            width - fill, "", done, total);
    if (done >= total)
        fputc('\n', stderr);
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* Tiny option scanner: "--name value" pairs and flags after the command. */
static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 2; i < argc - 1; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static bool flag(int argc, char **argv, const char *name)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

static int fail(const strata_result *r)
{
    fprintf(stderr, "strata-bank: %s\n", r->msg);
    return 1;
}

static int cmd_build(int argc, char **argv)
{
    const char *out = opt(argc, argv, "-o");
    strata_bank_build_desc d = {.dir = argc > 2 ? argv[2] : NULL, .out = out, .progress = progress};
    const char *ms = opt(argc, argv, "--max-size"), *th = opt(argc, argv, "--threads");
    if (!d.dir || !out || (ms && !parse_int(ms, 16, 16384, &d.max_size)) ||
        (th && !parse_int(th, 1, 16, &d.threads))) {
        usage();
        return 2;
    }
    strata_result r = {0};
    strata_bank_build_stats st;
    if (strata_bank_build(&d, &st, &r) != STRATA_OK)
        return fail(&r);
    printf("%s: %d keyframes, %d skipped, %d re-encoded, %llu bytes\n", out, st.count, st.skipped,
           st.reencoded, (unsigned long long)st.bytes);
    return 0;
}

static int cmd_latent(int argc, char **argv)
{
    strata_bank_latent_desc d = {.out = opt(argc, argv, "-o"),
                                 .diverse = flag(argc, argv, "--diverse"),
                                 .progress = progress};
    const char *c = opt(argc, argv, "--count"), *dm = opt(argc, argv, "--dim");
    const char *s = opt(argc, argv, "--seed");
    char *end = NULL;
    if (s)
        d.seed = strtoull(s, &end, 0);
    if (!d.out || !c || !dm || !s || *end || !parse_int(c, 1, 1000000, &d.count) ||
        !parse_int(dm, 1, STRATA_CPPN_MAX_DIM, &d.dim)) {
        usage();
        return 2;
    }
    strata_result r = {0};
    if (strata_bank_build_latent(&d, &r) != STRATA_OK)
        return fail(&r);
    printf("%s: %d latents of dim %d, seed %llu%s\n", d.out, d.count, d.dim,
           (unsigned long long)d.seed, d.diverse ? ", diverse" : "");
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    strata_result r = {0};
    strata_bank_info in;
    if (strata_bank_read_info(argv[2], &in, &r) != STRATA_OK)
        return fail(&r);
    printf("file       %s\nversion    %u\nkind       %s\nkeyframes  %d\n", argv[2], in.version,
           in.kind == STRATA_BANK_LATENT ? "latent" : "image", in.count);
    if (in.kind == STRATA_BANK_LATENT)
        printf("latent dim %d\nseed       %llu\n", in.dim, (unsigned long long)in.seed);
    printf("thumbnails %dx%d\nfeatures   %d floats\nneighbours k=%d\nimages     %llu bytes\n"
           "file size  %llu bytes\n",
           in.thumb_w, in.thumb_h, in.feat_dim, in.knn_k, (unsigned long long)in.image_bytes,
           (unsigned long long)in.file_size);
    strata_bank *b =
        strata_bank_open(argv[2], &(strata_bank_open_desc){.width = 64, .height = 64}, &r);
    if (!b)
        return fail(&r);
    int n = strata_bank_count(b) < 5 ? strata_bank_count(b) : 5;
    for (int i = 0; i < n; i++) {
        int nb[8], k = strata_bank_neighbours(b, i, nb, 8);
        printf("  %5d %-28s neighbours", i, strata_bank_name(b, i));
        for (int j = 0; j < k; j++)
            printf(" %d", nb[j]);
        printf("\n");
    }
    strata_bank_close(b);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    strata_result r = {0};
    if (strata_bank_verify(argv[2], &r) != STRATA_OK)
        return fail(&r);
    printf("%s: ok\n", argv[2]);
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
    int w = 1280, h = 720, play = 200;
    const char *sz = opt(argc, argv, "--size"), *pl = opt(argc, argv, "--play");
    if (argc < 3 || (sz && !strata_parse_size(sz, &w, &h)) ||
        (pl && !parse_int(pl, 0, 1000000, &play))) {
        usage();
        return 2;
    }
    long rss0 = peak_rss_kb();
    strata_result r = {0};
    double t0 = strata_time_s();
    strata_bank *b = strata_bank_open(
        argv[2], &(strata_bank_open_desc){.width = w, .height = h, .cache_mb = 64}, &r);
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
           argv[2], n, strata_bank_kind(b) == STRATA_BANK_LATENT ? "latent" : "image", t_open * 1e3,
           t_first * 1e3, got, t_all, peak_rss_kb() / 1024.0, rss0 / 1024.0);
    strata_bank_close(b);
    return 0;
}

/* Synthetic keyframes for benchmarks: gradients with a moving disc, PNG. */
static int cmd_synth(int argc, char **argv)
{
    int count = 0, w = 256, h = 144;
    const char *c = opt(argc, argv, "--count"), *sz = opt(argc, argv, "--size");
    if (argc < 3 || !c || !parse_int(c, 1, 1000000, &count) ||
        (sz && !strata_parse_size(sz, &w, &h))) {
        usage();
        return 2;
    }
    strata_result r = {0};
    if (strata_file_mkdirs(argv[2], &r) != STRATA_OK)
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
        snprintf(path, sizeof path, "%s/frame%d.png", argv[2], i);
        if (!stbi_write_png(path, w, h, 3, px, w * 3)) {
            fprintf(stderr, "strata-bank: %s: write failed\n", path);
            free(px);
            return 1;
        }
        progress(NULL, i + 1, count);
    }
    free(px);
    printf("%s: %d PNGs of %dx%d\n", argv[2], count, w, h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *c = argv[1];
    if (strcmp(c, "build") == 0)
        return cmd_build(argc, argv);
    if (strcmp(c, "latent") == 0)
        return cmd_latent(argc, argv);
    if (strcmp(c, "info") == 0)
        return cmd_info(argc, argv);
    if (strcmp(c, "verify") == 0)
        return cmd_verify(argc, argv);
    if (strcmp(c, "bench") == 0)
        return cmd_bench(argc, argv);
    if (strcmp(c, "synth") == 0)
        return cmd_synth(argc, argv);
    usage();
    return 2;
}

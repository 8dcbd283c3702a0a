/* strata-bank info: a bank's header facts, and with --keyframe N one keyframe: its name,
 * stored image size, latent statistics, neighbours and provenance. Provenance is a JSON
 * object ({"source", "prompt", "workflow", "parameters", ...}, see commands.h); the prompt,
 * negative prompt, seed, model and sampler are picked out of ComfyUI's prompt graph and
 * A1111's parameters text, the rest is listed by key; --json prints the object itself.
 * Text from a file reaches the terminal with control characters shown as '?'. */
#include "info.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bank/bank.h"
#include "commands.h"
#include "core/core.h"

#define LABEL "  %-11s "

/* Text from a file to the terminal: control characters (C0, DEL and C1 in UTF-8, which
 * a terminal may take for an escape) as '?', continuation lines indented under the first.
 * At most max bytes (0: all). */
static void put_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    bool cut = max && n > max;
    for (size_t i = 0; i < (cut ? max : n); i++) {
        unsigned char c = (unsigned char)s[i], next = (unsigned char)s[i + 1];
        if (c == '\n') {
            fputs("\n              ", stdout);
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
            putchar('?');
            i++;
        } else {
            putchar(c < 0x20 || c == 0x7f ? '?' : c);
        }
    }
    if (cut)
        printf("... (%zu bytes; --json shows all)", n);
    putchar('\n');
}

static void line_text(const char *label, const char *s)
{
    printf(LABEL, label);
    put_text(s, 2000);
}

/* ---- ComfyUI: the API prompt graph {"id": {"class_type", "inputs"}} ---------------- */

/* The text that reaches a sampler's positive or negative input, when it is a text
 * encoder's "text" (links are ["node id", output]). */
static const char *linked_text(json_t *graph, json_t *link)
{
    if (!json_is_array(link) || !json_is_string(json_array_get(link, 0)))
        return NULL;
    json_t *node = json_object_get(graph, json_string_value(json_array_get(link, 0)));
    json_t *text = json_object_get(json_object_get(node, "inputs"), "text");
    return json_is_string(text) ? json_string_value(text) : NULL;
}

static void print_sampler(json_t *in)
{
    json_t *steps = json_object_get(in, "steps"), *cfg = json_object_get(in, "cfg");
    json_t *name = json_object_get(in, "sampler_name"), *sch = json_object_get(in, "scheduler");
    json_t *den = json_object_get(in, "denoise");
    if (json_is_string(name))
        line_text("sampler", json_string_value(name));
    if (json_is_integer(steps))
        printf(LABEL "%lld\n", "steps", (long long)json_integer_value(steps));
    if (json_is_number(cfg))
        printf(LABEL "%g\n", "cfg", json_number_value(cfg));
    if (json_is_string(sch)) {
        printf(LABEL, "scheduler");
        put_text(json_string_value(sch), 80);
    }
    if (json_is_number(den))
        printf(LABEL "%g\n", "denoise", json_number_value(den));
}

/* Prompts, seed, model and sampler of a ComfyUI API graph; false when it is none. */
static bool print_comfy_graph(json_t *graph)
{
    if (!json_is_object(graph))
        return false;
    const char *key;
    json_t *node;
    bool any = false, sampled = false;
    json_object_foreach(graph, key, node)
    {
        json_t *in = json_object_get(node, "inputs");
        if (!json_is_object(in))
            continue;
        any = true;
        const char *pos = linked_text(graph, json_object_get(in, "positive"));
        const char *neg = linked_text(graph, json_object_get(in, "negative"));
        if (pos)
            line_text("prompt", pos);
        if (neg && *neg)
            line_text("negative", neg);
        static const char *const seeds[] = {"seed", "noise_seed"};
        for (int k = 0; k < 2; k++) {
            json_t *s = json_object_get(in, seeds[k]);
            if (json_is_integer(s))
                printf(LABEL "%lld\n", "seed", (long long)json_integer_value(s));
        }
        static const char *const models[] = {"ckpt_name", "unet_name"};
        for (int k = 0; k < 2; k++) {
            json_t *m = json_object_get(in, models[k]);
            if (json_is_string(m))
                line_text("model", json_string_value(m));
        }
        if (!sampled && json_object_get(in, "sampler_name")) {
            print_sampler(in);
            sampled = true;
        }
    }
    return any;
}

/* ---- A1111: "prompt\nNegative prompt: ...\nSteps: 20, Sampler: Euler a, Seed: 1, ..." */

/* The value of "Key: value" in A1111's comma-separated settings line, into out. */
static bool a1111_setting(const char *line, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += kl) {
        if ((p != line && p[-1] != ' ') || strncmp(p + kl, ": ", 2) != 0)
            continue;
        const char *v = p + kl + 2, *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strcspn(v, "\n");
        snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), v);
        return true;
    }
    return false;
}

static void print_a1111(const char *text)
{
    const char *neg = strstr(text, "\nNegative prompt: ");
    const char *steps = strstr(text, "\nSteps: ");
    if (!steps && !strncmp(text, "Steps: ", 7))
        steps = text - 1;
    const char *prompt_end = neg ? neg : steps ? steps : text + strlen(text);
    char *buf = strndup(text, (size_t)(prompt_end - text));
    if (buf && *buf)
        line_text("prompt", buf);
    free(buf);
    if (neg) {
        const char *ns = neg + 18, *ne = steps && steps > ns ? steps : ns + strlen(ns);
        if ((buf = strndup(ns, (size_t)(ne - ns))) != NULL)
            line_text("negative", buf);
        free(buf);
    }
    if (!steps)
        return;
    const char *settings = steps + 1;
    char v[256];
    if (a1111_setting(settings, "Seed", v, sizeof v))
        line_text("seed", v);
    if (a1111_setting(settings, "Model", v, sizeof v))
        line_text("model", v);
    if (a1111_setting(settings, "Sampler", v, sizeof v))
        line_text("sampler", v);
    line_text("settings", settings);
}

/* ---- one keyframe --------------------------------------------------------------- */

static void print_other(const char *key, json_t *v)
{
    printf(LABEL, key);
    if (json_is_string(v))
        put_text(json_string_value(v), 2000);
    else if (json_is_integer(v))
        printf("%lld\n", (long long)json_integer_value(v));
    else if (json_is_real(v))
        printf("%g\n", json_real_value(v));
    else if (json_is_boolean(v))
        printf("%s\n", json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        printf("null\n");
    else if (!strcmp(key, "workflow") && json_is_array(json_object_get(v, "nodes")))
        printf("(ComfyUI workflow, %zu nodes; --json shows it)\n",
               json_array_size(json_object_get(v, "nodes")));
    else
        printf("(JSON %s of %zu; --json shows it)\n", json_is_object(v) ? "object" : "array",
               json_is_object(v) ? json_object_size(v) : json_array_size(v));
}

static void print_provenance(const char *text)
{
    if (!text) {
        printf("provenance none\n");
        return;
    }
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    if (!json_is_object(root)) {
        printf("provenance (not a JSON object: %s)\n", root ? "another value" : err.text);
        json_decref(root);
        return;
    }
    printf("provenance\n");
    json_t *prompt = json_object_get(root, "prompt"), *graph = NULL;
    if (json_is_string(prompt)) /* a graph kept as text, or a prompt */
        graph = json_loads(json_string_value(prompt), 0, NULL);
    bool shown_prompt = print_comfy_graph(json_is_object(prompt) ? prompt : graph);
    if (json_is_string(prompt) && !json_is_object(graph)) {
        line_text("prompt", json_string_value(prompt));
        shown_prompt = true;
    }
    json_decref(graph);
    json_t *params = json_object_get(root, "parameters");
    if (json_is_string(params))
        print_a1111(json_string_value(params));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if ((!strcmp(key, "prompt") && shown_prompt) ||
            (!strcmp(key, "parameters") && json_is_string(v)))
            continue; /* shown above, picked apart */
        char label[40];
        snprintf(label, sizeof label, "%s", key);
        for (char *c = label; *c; c++)
            *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
        print_other(label, v);
    }
    json_decref(root);
}

static void print_latent_stats(const float *z, size_t n, const char *what)
{
    double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        sum += z[k];
        sq += (double)z[k] * z[k];
        lo = z[k] < lo ? z[k] : lo;
        hi = z[k] > hi ? z[k] : hi;
    }
    double mean = sum / (double)n, var = sq / (double)n - mean * mean;
    printf("latent     %s: mean %.4f  std %.4f  min %.4f  max %.4f\n", what, mean,
           sqrt(var > 0 ? var : 0), lo, hi);
}

static void print_neighbours(strata_bank *b, int i)
{
    int nb[16], k = strata_bank_neighbours(b, i, nb, 16);
    printf("neighbours");
    if (k == 0)
        printf(" none");
    for (int j = 0; j < k; j++) {
        printf(" %d (", nb[j]);
        const char *nm = strata_bank_name(b, nb[j]);
        for (int c = 0; nm[c] && c < 60; c++)
            putchar((unsigned char)nm[c] < 0x20 || nm[c] == 0x7f ? '?' : nm[c]);
        printf(")%s", j + 1 < k ? "," : "");
    }
    printf("\n");
}

static int keyframe_info(const char *file, int i, bool json)
{
    strata_result r = {0};
    strata_bank *b =
        strata_bank_open(file, &(strata_bank_open_desc){.width = 64, .height = 64}, &r);
    if (!b) {
        fprintf(stderr, "strata-bank: %s\n", r.msg);
        return 1;
    }
    int n = strata_bank_count(b);
    if (i >= n) {
        fprintf(stderr, "strata-bank info: --keyframe %d: %s has %d keyframes (0..%d)\n", i, file,
                n, n - 1);
        strata_bank_close(b);
        return 2;
    }
    const char *prov = strata_bank_provenance(b, i);
    if (json) {
        json_t *root = prov ? json_loads(prov, 0, NULL) : NULL;
        char *out = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", out ? out : prov ? prov : "null");
        free(out);
        json_decref(root);
        strata_bank_close(b);
        return 0;
    }
    printf("keyframe   %d of %d\nname       ", i, n);
    put_text(strata_bank_name(b, i), 400);
    int w, h;
    if (strata_bank_image_size(b, i, &w, &h))
        printf("%-10s %dx%d\n", strata_bank_kind(b) == STRATA_BANK_NEURAL ? "preview" : "image", w,
               h);
    strata_bank_neural_shape sh;
    if (strata_bank_neural_shape_get(b, &sh)) {
        size_t dim = (size_t)sh.channels * sh.lh * sh.lw;
        float *z = malloc(sizeof(float) * dim);
        char what[64];
        snprintf(what, sizeof what, "%d channels of %dx%d", sh.channels, sh.lw, sh.lh);
        if (z && strata_bank_neural_latent(b, i, z))
            print_latent_stats(z, dim, what);
        free(z);
    } else if (strata_bank_latent(b, i)) {
        char what[32];
        snprintf(what, sizeof what, "%d floats", strata_bank_latent_dim(b));
        print_latent_stats(strata_bank_latent(b, i), (size_t)strata_bank_latent_dim(b), what);
    }
    print_neighbours(b, i);
    if (strata_bank_kind(b) == STRATA_BANK_NEURAL)
        print_provenance(prov);
    strata_bank_close(b);
    return 0;
}

/* ---- the whole bank ----------------------------------------------------------- */

static const char *kind_name(strata_bank_type k)
{
    return k == STRATA_BANK_LATENT ? "latent" : k == STRATA_BANK_NEURAL ? "neural" : "image";
}

static int bank_info(const char *file)
{
    strata_result r = {0};
    strata_bank_info in;
    /* Opened first: a damaged file prints its error and nothing else. */
    strata_bank *b = NULL;
    if (strata_bank_read_info(file, &in, &r) != STRATA_OK ||
        !(b = strata_bank_open(file, &(strata_bank_open_desc){.width = 64, .height = 64}, &r))) {
        fprintf(stderr, "strata-bank: %s\n", r.msg);
        return 1;
    }
    printf("file       %s\nversion    %u\nkind       %s\nkeyframes  %d\n", file, in.version,
           kind_name(in.kind), in.count);
    if (in.kind == STRATA_BANK_LATENT)
        printf("latent dim %d\nseed       %llu\n", in.dim, (unsigned long long)in.seed);
    const strata_bank_neural_shape *s = &in.neural;
    if (in.kind == STRATA_BANK_NEURAL)
        printf("latent     %d channels of %dx%d (picture %dx%d)\nfamily     %s\n"
               "format     %s\n",
               s->channels, s->lw, s->lh, 8 * s->lw, 8 * s->lh, s->family,
               s->format[0] ? s->format : "(not known)");
    printf("thumbnails %dx%d\nfeatures   %d floats%s\nneighbours k=%d\n%-10s %llu bytes\n"
           "file size  %llu bytes\n",
           in.thumb_w, in.thumb_h, in.feat_dim,
           in.kind == STRATA_BANK_NEURAL ? " (latents pooled 4x4 per channel)" : "", in.knn_k,
           in.kind == STRATA_BANK_NEURAL ? "previews" : "images",
           (unsigned long long)in.image_bytes, (unsigned long long)in.file_size);
    int with = 0;
    for (int i = 0; in.kind == STRATA_BANK_NEURAL && i < in.count; i++)
        with += strata_bank_provenance(b, i) != NULL;
    if (in.kind == STRATA_BANK_NEURAL)
        printf("provenance %d of %d keyframes\n", with, in.count);
    int n = strata_bank_count(b) < 5 ? strata_bank_count(b) : 5;
    for (int i = 0; i < n; i++) {
        int nb[8], k = strata_bank_neighbours(b, i, nb, 8);
        char name[40];
        snprintf(name, sizeof name, "%s", strata_bank_name(b, i));
        for (char *c = name; *c; c++)
            *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
        printf("  %5d %-28s neighbours", i, name);
        for (int j = 0; j < k; j++)
            printf(" %d", nb[j]);
        printf("\n");
    }
    strata_bank_close(b);
    return 0;
}

int strata_bank_cmd_info(int argc, char **argv)
{
    int keyframe = -1;
    bool json = false, kf_given = false;
    const char *pos[1];
    int npos = 0;
    const strata_arg t[] = {
        {.name = "--keyframe",
         .kind = STRATA_ARG_INT,
         .dst = &keyframe,
         .lo = 0,
         .hi = 16777215,
         .given = &kf_given},
        {.name = "--json", .kind = STRATA_ARG_FLAG, .dst = &json},
    };
    if (!bank_tool_parse("info", t, 2, argc, argv, pos, 1, &npos))
        return 2;
    if (npos == 0) {
        fprintf(stderr, "strata-bank info: FILE is required (strata-bank --help)\n");
        return 2;
    }
    if (json && !kf_given) {
        fprintf(stderr, "strata-bank info: --json prints a keyframe's provenance: it needs "
                        "--keyframe N\n");
        return 2;
    }
    return kf_given ? keyframe_info(pos[0], keyframe, json) : bank_info(pos[0]);
}

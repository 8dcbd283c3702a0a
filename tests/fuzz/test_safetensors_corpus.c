/* Replays the safetensors fuzz corpus (tests/fuzz/corpus_safetensors) and every
 * truncation of each file, and a flipped byte at every position, through the reader and
 * the model validation. good_* files parse, bad_* files are refused with a message that
 * names the file; nothing crashes (run under the sanitizers in Debug builds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neural/neural.h"

/* Parse, touch every tensor, offer it as a model. Returns the parse status. */
static strata_status one(const void *data, size_t len, strata_result *r)
{
    strata_safetensors *st;
    strata_status s = strata_safetensors_parse(data, len, "corpus", &st, r);
    if (s != STRATA_OK)
        return s;
    for (int i = 0; i < strata_safetensors_count(st); i++) {
        const strata_tensor *t = strata_safetensors_at(st, i);
        float *f = malloc((size_t)(t->count ? t->count : 1) * sizeof *f);
        assert_non_null(f);
        strata_tensor_to_f32(t, f);
        free(f);
        assert_ptr_equal(strata_safetensors_find(st, t->name), t);
    }
    strata_taesd *m;
    strata_result mr;
    if (strata_taesd_from_safetensors(st, "corpus", &m, &mr) == STRATA_OK)
        strata_taesd_free(m);
    strata_safetensors_close(st);
    return s;
}

static void replay_corpus(void **state)
{
    (void)state;
    const char *src = getenv("STRATA_SOURCE_DIR");
    assert_non_null(src);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus_safetensors", src);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, good = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t len;
        strata_result r = {0};
        assert_int_equal(strata_file_read(path, &data, &len, 1 << 20, &r), STRATA_OK);
        strata_status s = one(data, len, &r);
        if (strncmp(e->d_name, "good_", 5) == 0) {
            if (s != STRATA_OK)
                fail_msg("%s: refused: %s", e->d_name, r.msg);
            good++;
        } else if (strncmp(e->d_name, "bad_", 4) == 0) {
            if (s == STRATA_OK)
                fail_msg("%s: accepted", e->d_name);
            if (strncmp(r.msg, "corpus: ", 8) != 0)
                fail_msg("%s: the message does not name the file: %s", e->d_name, r.msg);
            bad++;
        }
        for (size_t n = 0; n < len; n++)
            one(data, n, &r);
        for (size_t i = 0; i < len && i < 1024; i++) {
            data[i] ^= 0x5a;
            one(data, len, &r);
            data[i] ^= 0x5a;
        }
        free(data);
        files++;
    }
    closedir(d);
    assert_true(files >= 15 && good >= 4 && bad >= 10);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Replays the safetensors fuzz corpus (tests/fuzz/corpus_safetensors) and every
 * truncation of each file, and a flipped byte at every position, through the reader and
 * the model validation. good_* files parse, bad_* files are refused with a message that
 * names the file; nothing crashes (run under the sanitizers in Debug builds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neural/neural.h"
#include "support/corpus.h"

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

typedef struct tally {
    int good, bad;
} tally;

static void replay_file(const char *name, char *data, size_t len, void *user)
{
    tally *t = user;
    strata_result r = {0};
    strata_status s = one(data, len, &r);
    if (strncmp(name, "good_", 5) == 0) {
        if (s != STRATA_OK)
            fail_msg("%s: refused: %s", name, r.msg);
        t->good++;
    } else if (strncmp(name, "bad_", 4) == 0) {
        if (s == STRATA_OK)
            fail_msg("%s: accepted", name);
        if (strncmp(r.msg, "corpus: ", 8) != 0)
            fail_msg("%s: the message does not name the file: %s", name, r.msg);
        t->bad++;
    }
    for (size_t n = 0; n < len; n++)
        one(data, n, &r);
    for (size_t i = 0; i < len && i < 1024; i++) {
        data[i] ^= 0x5a;
        one(data, len, &r);
        data[i] ^= 0x5a;
    }
}

static void replay_corpus(void **state)
{
    (void)state;
    tally t = {0};
    int files = test_corpus_each("tests/fuzz/corpus_safetensors", replay_file, &t);
    assert_true(files >= 15 && t.good >= 4 && t.bad >= 10);
}

int main(void)
{
    strata_log_set_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Replays tests/midi/corpus, every truncation of each file and 2000 random inputs (fixed
 * seed) through the fuzz target (fuzz_midi.c): MIDI bytes and map files. Nothing crashes,
 * parameters stay in their ranges, the clock stays finite (the target aborts otherwise).
 * Run under the sanitizers in Debug builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay_corpus(void **state)
{
    (void)state;
    const char *src = getenv("STRATA_SOURCE_DIR");
    assert_non_null(src);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/midi/corpus", src);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
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
        for (size_t n = 0; n <= len; n++)
            LLVMFuzzerTestOneInput((const uint8_t *)data, n);
        free(data);
        files++;
    }
    closedir(d);
    assert_true(files >= 6);
    uint32_t x = 99;
    uint8_t buf[512];
    for (int i = 0; i < 2000; i++) {
        size_t n = 1 + i % sizeof buf;
        for (size_t k = 0; k < n; k++) {
            x = x * 1664525u + 1013904223u;
            buf[k] = (uint8_t)(x >> 24);
        }
        buf[0] &= 0xFE; /* MIDI bytes: random JSON says little */
        LLVMFuzzerTestOneInput(buf, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(replay_corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

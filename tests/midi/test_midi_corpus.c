/* Replays tests/midi/corpus, every truncation of each file and 2000 random inputs (fixed
 * seed) through the fuzz target (fuzz_midi.c): MIDI bytes and map files. Nothing crashes,
 * parameters stay in their ranges, the clock stays finite (the target aborts otherwise).
 * Run under the sanitizers in Debug builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "support/corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay_file(const char *name, char *data, size_t len, void *user)
{
    (void)name;
    (void)user;
    for (size_t n = 0; n <= len; n++)
        LLVMFuzzerTestOneInput((const uint8_t *)data, n);
}

static void replay_corpus(void **state)
{
    (void)state;
    int files = test_corpus_each("tests/midi/corpus", replay_file, NULL);
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

/* libFuzzer target for MIDI input: the first byte picks the path. Even: the rest are MIDI
 * bytes from a port (the parser, the queue, the mappings of every kind, learn, the clock)
 * in chunks the input chooses; odd: the rest is a --midi-map file.
 * Build: CC=clang CXX=clang++ cmake -DSTRATA_FUZZ=ON ... && make fuzz_midi
 * Run:   ./fuzz_midi -max_len=4096 tests/midi/corpus */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/midi.h"

static const char *map_text =
    "{\"bindings\": [{\"cc\": 21, \"param\": \"glitch\"},"
    " {\"cc\": 16, \"relative\": \"twos\", \"param\": \"hue\"},"
    " {\"cc\": 17, \"relative\": \"offset\", \"param\": \"zoom\", \"min\": 2, \"max\": 0.5},"
    " {\"cc14\": 1, \"param\": \"speed\"}, {\"bend\": true, \"param\": \"rotate\"},"
    " {\"note\": 36, \"trigger\": \"scene_next\"}, {\"note\": 40, \"param\": \"feedback\"},"
    " {\"cc\": 64, \"trigger\": \"key\", \"index\": 3}, {\"note\": 38, \"trigger\": \"burst\"}]}";

static strata_midi *m;
static strata_params params;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!m) {
        strata_log_set_quiet(true);
        strata_result r;
        strata_midi_config mc = {0};
        m = strata_midi_create(&mc, &r);
        strata_midi_map map;
        if (strata_midi_map_parse(map_text, strlen(map_text), "fuzz", &map, &r) == STRATA_OK)
            strata_midi_add_map(m, &map, &r);
        strata_params_init(&params);
    }
    if (size == 0)
        return 0;
    if (data[0] & 1) {
        strata_midi_map map;
        strata_result r;
        strata_midi_map_parse((const char *)data + 1, size - 1, "fuzz.json", &map, &r);
        return 0;
    }
    if (data[0] & 2)
        strata_midi_learn(m, "brightness");
    /* Chunks of 1..8 bytes, as ports deliver them. */
    uint64_t t = 1000000000ull;
    for (size_t i = 1; i < size;) {
        size_t n = 1 + (data[i] & 7);
        if (n > size - i)
            n = size - i;
        strata_midi_inject(m, 0, data + i, n, t);
        t += 1000000ull * (1 + (data[i] >> 4));
        i += n;
    }
    strata_midi_frame f = {.params = &params, .now = (double)t * 1e-9};
    strata_midi_apply(m, &f);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        if (!isfinite(params.base[i]) || params.base[i] < strata_param_defs[i].min ||
            params.base[i] > strata_param_defs[i].max)
            abort();
    if (f.clock.bpm < 0 || !isfinite(f.clock.bpm) || !isfinite(f.clock.beat))
        abort();
    return 0;
}

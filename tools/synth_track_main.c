/* strata-synth-track: write a synthesised test track as WAV.
 * usage: strata-synth-track OUT.wav BPM SECONDS [RATE] [CHANNELS] */
#include <stdio.h>
#include <stdlib.h>

#include "synth_track.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT.wav BPM SECONDS [RATE] [CHANNELS]\n", argv[0]);
        return 2;
    }
    double bpm = atof(argv[2]), secs = atof(argv[3]);
    uint32_t rate = argc > 4 ? (uint32_t)atoi(argv[4]) : 48000;
    int channels = argc > 5 ? atoi(argv[5]) : 2;
    if (bpm < 20 || bpm > 400 || secs <= 0 || secs > 3600 || rate < 8000 || channels < 1 ||
        channels > 8) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    size_t n = (size_t)(secs * rate);
    float *x = malloc(n * sizeof *x);
    if (!x)
        return 1;
    synth_groove(x, n, rate, bpm, 12345);
    int rc = synth_write_wav(argv[1], x, n, rate, channels);
    free(x);
    if (rc != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}

/* strata-audio-measure: print tempo and onset accuracy on synthesised tracks.
 * usage: strata-audio-measure [SECONDS]   (default 12)
 *        strata-audio-measure --music FILE [START SECONDS [GAP_FROM GAP_TO]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"

/* strata-audio-measure --music FILE [START SECONDS [GAP_FROM GAP_TO]]: a recorded track
 * through the analysis and the tempo clock, with a trace per second. */
static int music(int argc, char **argv)
{
    double start = argc > 3 ? atof(argv[3]) : 0.0, secs = argc > 4 ? atof(argv[4]) : 60.0;
    double g0 = argc > 6 ? atof(argv[5]) : 0.0, g1 = argc > 6 ? atof(argv[6]) : 0.0;
    music_figures m;
    int rc = measure_music(argv[2], start, secs, g0, g1, 5.0, &m, stdout);
    if (rc != 0) {
        fprintf(stderr, "strata-audio-measure: %s: cannot decode %.0f s from %.0f s\n", argv[2],
                secs, start);
        return 1;
    }
    printf("%s from %.0f s, %.1f s at %d Hz, silence %.0f-%.0f s; from 5 s on:\n"
           "  clock: median %.2f BPM, %.1f %% within 1 BPM of it, %.1f %% at 120, %d flips\n"
           "  source: audio %.1f %%, audio-hold %.1f %%, internal %.1f %%\n"
           "  tracker: median %.2f BPM, %.1f %% within 1 BPM of it, confidence < 0.3 on %.1f %%\n"
           "  phase: beat advance per frame %.2f..%.2f x nominal\n"
           "  before issue 9 (tracker at confidence >= 0.3, else 120): %.1f %% within 1 BPM of "
           "its median, %.1f %% at 120\n",
           argv[2], start, m.seconds, m.rate, g0, g1, m.clock_median, 100.0 * m.within_1,
           100.0 * m.at_120, m.flips, 100.0 * m.share_audio, 100.0 * m.share_hold,
           100.0 * m.share_internal, m.tracker_median, 100.0 * m.tracker_within_1,
           100.0 * m.low_conf, m.step_min, m.step_max, 100.0 * m.old_within_1,
           100.0 * m.old_at_120);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--music") == 0)
        return music(argc, argv);
    double secs = argc > 1 ? atof(argv[1]) : 12.0;
    if (secs < 9.0)
        secs = 9.0;
    static const double tracks[] = {90.0, 120.0, 128.0, 140.0};
    printf("%-6s %9s %9s %8s %10s %11s %10s %6s %9s\n", "bpm", "at 8 s", "err max", "lock s",
           "phase max", "phase mean", "beat max", "conf", "cpu ms/s");
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        tempo_figures t;
        if (measure_tempo(tracks[i], secs, &t) != 0)
            return 1;
        printf("%-6.0f %9.2f %9.2f %8.2f %8.1fms %9.1fms %8.1fms %6.2f %9.1f\n", tracks[i],
               t.bpm_at_8s, t.bpm_err_max, t.lock_s, t.phase_err_max, t.phase_err_mean,
               t.beat_err_max, t.confidence, t.cpu_ms_per_s);
        bad += t.bpm_err_max > 1.0 || t.phase_err_max > 30.0;
    }
    printf("\naubio_tempo alone, same tracks:\n%-6s %9s %9s %10s\n", "bpm", "at 8 s", "end",
           "beat max");
    for (int i = 0; i < 4; i++) {
        aubio_figures a;
        if (measure_aubio_tempo(tracks[i], secs, &a) != 0)
            return 1;
        printf("%-6.0f %9.2f %9.2f %8.1fms\n", tracks[i], a.bpm_at_8s, a.bpm_end, a.beat_err_max);
    }
    printf("\nper-band onsets (F-measure, 50 ms, 1..10 s):\n%-6s %6s %6s %6s\n", "bpm", "kick",
           "snare", "hat");
    for (int i = 0; i < 4; i++) {
        double f[3];
        if (measure_band_onsets(tracks[i], f) != 0)
            return 1;
        printf("%-6.0f %6.2f %6.2f %6.2f\n", tracks[i], f[0], f[1], f[2]);
    }
    onset_figures o;
    if (measure_onsets(30.0, 0.05, &o) != 0)
        return 1;
    printf("clicks: %zu true, %zu detected, %zu matched (50 ms): P %.3f R %.3f F %.3f\n", o.truth,
           o.detected, o.matched, o.precision, o.recall, o.f);
    bad += o.f < 0.9;
    return bad ? 1 : 0;
}

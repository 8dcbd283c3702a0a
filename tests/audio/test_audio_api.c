/* strata_audio without a device: frame-exact and realtime file input, --no-audio, a device
 * that does not exist. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio/audio.h"
#include "synth_track.h"

static char wav[64];

static int setup(void **state)
{
    (void)state;
    snprintf(wav, sizeof wav, "/tmp/strata-audio-api-%d.wav", (int)getpid());
    size_t n = 44100u * 12u;
    float *x = malloc(n * sizeof *x);
    if (!x)
        return -1;
    synth_groove(x, n, 44100, 128.0, 99); /* 44.1 kHz: the file's own rate is used */
    int rc = synth_write_wav(wav, x, n, 44100, 2);
    free(x);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    unlink(wav);
    return 0;
}

static void assert_sane(const strata_audio_frame *f)
{
    assert_true(isfinite(f->bpm) && isfinite(f->beat_phase) && isfinite(f->level.ratio) &&
                isfinite(f->bass.fast) && isfinite(f->confidence));
    assert_true(f->beat_phase >= 0.0f && f->beat_phase <= 1.0f);
    assert_true(f->bar_phase >= 0.0f && f->bar_phase <= 1.0f);
}

/* Render a file frame-exactly at 30 fps; returns a checksum of every frame. */
static uint64_t render_file(double seconds, strata_audio_frame *last)
{
    strata_audio_config cfg = {.file = wav, .frame_exact = true};
    strata_result r;
    strata_audio *a = strata_audio_create(&cfg, &r);
    assert_non_null(a);
    assert_int_equal(r.status, STRATA_OK);
    assert_non_null(strstr(strata_audio_status(a), "frame-exact"));
    uint64_t sum = 1469598103934665603ull;
    for (int i = 0; i <= (int)(seconds * 30); i++) {
        strata_audio_snapshot(a, i / 30.0, last);
        assert_sane(last);
        const unsigned char *p = (const unsigned char *)last;
        for (size_t k = 0; k < offsetof(strata_audio_frame, spectrum); k++)
            sum = (sum ^ p[k]) * 1099511628211ull;
    }
    assert_true(fabs(last->time - seconds) < 0.01);
    strata_audio_destroy(a);
    return sum;
}

static void test_frame_exact_file(void **state)
{
    (void)state;
    strata_audio_frame *f = malloc(sizeof *f);
    uint64_t a = render_file(10.0, f);
    print_message("frame-exact 128 BPM file: bpm %.2f conf %.2f\n", f->bpm, f->confidence);
    assert_true(f->live);
    assert_true(fabsf(f->bpm - 128.0f) <= 1.0f);
    uint64_t b = render_file(10.0, f);
    assert_true(a == b); /* the same inputs give the same frames */
    /* Past the end of the file: silence, not live, still defined. */
    strata_audio_config cfg = {.file = wav, .frame_exact = true};
    strata_audio *au = strata_audio_create(&cfg, NULL);
    strata_audio_snapshot(au, 20.0, f);
    assert_false(f->live);
    assert_sane(f);
    strata_audio_destroy(au);
    free(f);
}

static void test_realtime_file(void **state)
{
    (void)state;
    strata_audio_config cfg = {.file = wav};
    strata_audio *a = strata_audio_create(&cfg, NULL);
    assert_non_null(a);
    strata_audio_frame *f = malloc(sizeof *f);
    double t0 = strata_time_s();
    int live = 0;
    while (strata_time_s() - t0 < 1.5) {
        strata_audio_snapshot(a, strata_time_s() - t0, f);
        assert_sane(f);
        live += f->live;
        strata_sleep_s(1.0 / 60.0);
    }
    /* About 1.5 s of audio consumed at wall-clock pace (generous bounds). */
    print_message("realtime file: %.2f s consumed, level %.2f\n", f->time, f->level.fast);
    assert_true(f->time > 1.0 && f->time < 2.0);
    assert_true(live > 30);
    assert_true(f->level.fast > 0.05f);
    double p50, p99;
    assert_true(strata_audio_latency(a, &p50, &p99));
    print_message("file ring-to-snapshot latency p50 %.2f ms, p99 %.2f ms\n", p50, p99);
    assert_true(p50 >= 0.0 && p50 <= p99 && p99 < 1000.0);
    strata_audio_destroy(a);
    free(f);
}

static void test_no_audio_and_missing_inputs(void **state)
{
    (void)state;
    strata_audio_frame *f = malloc(sizeof *f);
    strata_audio_config cfg = {.no_audio = true};
    strata_audio *a = strata_audio_create(&cfg, NULL);
    assert_non_null(a);
    for (int i = 0; i < 120; i++) {
        strata_audio_snapshot(a, i / 60.0, f);
        assert_sane(f);
        assert_false(f->live);
    }
    assert_true(fabs(f->time - 119 / 60.0) < 0.01); /* the internal clock follows frames */
    assert_true(fabsf(f->level.ratio - 1.0f) < 1e-3f && f->level.fast == 0.0f);
    assert_non_null(strstr(strata_audio_status(a), "no-audio"));
    strata_audio_destroy(a);

    strata_result r;
    cfg = (strata_audio_config){.file = "/nonexistent/track.wav"};
    a = strata_audio_create(&cfg, &r);
    assert_non_null(a); /* never fails hard */
    assert_int_equal(r.status, STRATA_ERR_IO);
    strata_audio_snapshot(a, 0.5, f);
    assert_false(f->live);
    assert_non_null(strstr(strata_audio_status(a), "internal clock"));
    strata_audio_destroy(a);

    cfg = (strata_audio_config){.device = "no-such-device-strata"};
    a = strata_audio_create(&cfg, &r);
    assert_non_null(a);
    assert_int_equal(r.status, STRATA_ERR_DEVICE);
    strata_audio_snapshot(a, 0.5, f);
    assert_false(f->live);
    assert_non_null(strstr(strata_audio_status(a), "internal clock"));
    strata_audio_destroy(a);

    cfg = (strata_audio_config){.bpm_min = 150, .bpm_max = 100};
    assert_null(strata_audio_create(&cfg, &r));
    assert_int_equal(r.status, STRATA_ERR_ARG);
    free(f);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* A FIFO, a directory or a file libsndfile cannot read as --audio-file: refused at once
 * (a FIFO used to hang in open), each with a message naming the file and the reason;
 * never libsndfile's "No Error.". */
static void test_hostile_audio_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/strata-audio-hostile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[128], text[128];
    snprintf(fifo, sizeof fifo, "%s/track.wav", dir);
    snprintf(text, sizeof text, "%s/notes.wav", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    fputs("these are not samples\n", f);
    fclose(f);
    int fds_before = count_fds();
    const char *paths[3] = {fifo, dir, text};
    const char *want[3] = {"track.wav: not a regular file (a FIFO)", ": is a directory",
                           "notes.wav: "};
    for (int exact = 0; exact < 2; exact++)
        for (int i = 0; i < 3; i++) {
            strata_result r = {0};
            strata_audio_config cfg = {.file = paths[i], .frame_exact = exact};
            strata_audio *a = strata_audio_create(&cfg, &r);
            assert_non_null(a); /* never fails hard: the internal clock runs */
            assert_int_not_equal(r.status, STRATA_OK);
            if (!strstr(r.msg, want[i]) || strstr(r.msg, "No Error"))
                fail_msg("%s: message \"%s\"", paths[i], r.msg);
            assert_non_null(strstr(strata_audio_status(a), "internal clock"));
            strata_audio_destroy(a);
        }
    assert_int_equal(count_fds(), fds_before); /* nothing leaked, nothing closed twice */
    unlink(fifo);
    unlink(text);
    rmdir(dir);
}

static atomic_bool writing;
static atomic_int written;

static void *stderr_writer(void *arg)
{
    (void)arg;
    while (atomic_load(&writing)) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", atomic_load(&written));
        if (write(2, line, (size_t)n) == n)
            atomic_fetch_add(&written, 1);
    }
    return NULL;
}

/* Opening and closing audio devices never points fd 2 elsewhere: every line another
 * thread writes meanwhile arrives (they went to /dev/null while PortAudio probed). */
static void test_stderr_kept_while_devices_open(void **state)
{
    (void)state;
    char path[] = "/tmp/strata-audio-stderr-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
    atomic_store(&writing, true);
    atomic_store(&written, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stderr_writer, NULL), 0);
    for (int i = 0; i < 2; i++) {
        strata_result r;
        strata_audio_config cfg = {.device = "no-such-device-strata"};
        strata_audio *a = strata_audio_create(&cfg, &r);
        assert_non_null(a);
        strata_audio_destroy(a);
    }
    atomic_store(&writing, false);
    pthread_join(t, NULL);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    unlink(path);
    /* The file also holds the log lines of the failed opens: at least every line. */
    if (lines < atomic_load(&written))
        fail_msg("%d of %d lines written to fd 2 arrived", lines, atomic_load(&written));
    assert_true(atomic_load(&written) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_exact_file),
        cmocka_unit_test(test_realtime_file),
        cmocka_unit_test(test_no_audio_and_missing_inputs),
        cmocka_unit_test(test_hostile_audio_files),
        cmocka_unit_test(test_stderr_kept_while_devices_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

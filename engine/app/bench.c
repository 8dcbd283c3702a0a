/* strata bench: offscreen, no vsync, for --seconds; fps, frame times, GPU ms per pass,
 * CPU ms per frame, peak RSS. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int strata_bench_run(const strata_options *o)
{
    strata_engine e;
    strata_result r = {0};
    strata_options oo = *o;
    oo.no_vsync = true;
    if (strata_engine_init(&e, &oo, true, &r) != STRATA_OK) {
        LOG_ERROR("BENCH", "%s", r.msg);
        strata_engine_shutdown(&e);
        return 1;
    }
    strata_target outt;
    if (!strata_target_init(&outt, o->width, o->height, GL_RGBA8)) {
        strata_engine_shutdown(&e);
        return 1;
    }
    strata_osc_flood *flood = NULL;
    if (o->bench_osc) {
        /* Another thread floods our own port on loopback while we render. */
        flood = strata_osc_flood_start("127.0.0.1", strata_control_port(e.control), 2000.0,
                                       o->seconds + 1.0, &r);
        if (!flood)
            LOG_WARN("BENCH", "OSC flood: %s", r.msg);
    }
    size_t cap = 1 << 16, n = 0;
    double *frame_ms = malloc(cap * sizeof(double)), cpu_sum = 0;
    double start = strata_time_s(), last = start;
    /* Warm up: first frames compile lazily and fill caches. */
    for (int i = 0; i < 5; i++) {
        strata_engine_frame(&e, 1.0 / 60);
        glFinish();
    }
    start = last = strata_time_s();
    while (last - start < o->seconds && n < cap) {
        double t0 = strata_time_s();
        const strata_target *t = strata_engine_frame(&e, 1.0 / 60);
        strata_gpu_begin("output");
        strata_output_draw(t, &outt, 0, 0);
        strata_gpu_end();
        cpu_sum += (strata_time_s() - t0) * 1000.0;
        glFinish(); /* offscreen has no swap to pace us: wait for the GPU instead */
        double now = strata_time_s();
        frame_ms[n++] = (now - last) * 1000.0;
        last = now;
    }
    double total = last - start;
    strata_control_stats cs = {0};
    uint64_t sent = 0;
    if (flood) {
        sent = strata_osc_flood_stop(flood);
        strata_control_stats_get(e.control, &cs);
    }
    double alat50 = -1, alat99 = -1;
    bool have_alat = o->bench_audio && strata_audio_latency(e.audio_in, &alat50, &alat99);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += frame_ms[i];
    qsort(frame_ms, n, sizeof(double), cmp_double);
    double mean = n ? sum / (double)n : 0, p50 = n ? frame_ms[n / 2] : 0;
    double p99 = n ? frame_ms[(size_t)((double)(n - 1) * 0.99 + 0.5)] : 0;
    /* Let the last timer queries land. */
    glFinish();
    strata_pass_time pt[STRATA_MAX_PASSES];
    int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
    double fps = total > 0 ? (double)n / total : 0, rss = strata_peak_rss_mb();
    if (o->json) {
        printf("{\"size\":\"%dx%d\",\"render_size\":\"%dx%d\",\"seconds\":%.2f,\"frames\":%zu,"
               "\"fps\":%.2f,\"frame_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f},"
               "\"cpu_ms_per_frame\":%.3f,\"gpu_ms\":{",
               o->width, o->height, e.render_w, e.render_h, total, n, fps, mean, p50, p99,
               n ? cpu_sum / (double)n : 0);
        for (int i = 0; i < np; i++)
            printf("%s\"%s\":%.3f", i ? "," : "", pt[i].name, pt[i].gpu_avg_ms);
        printf("},\"peak_rss_mb\":%.1f,\"renderer\":\"%s\",\"gl\":\"%d.%d\","
               "\"bank\":\"%s\",\"keyframes\":%d,\"morph\":\"%s\",\"bank_open_ms\":%.2f,"
               "\"transitions\":%u}\n", rss, e.gl.renderer, e.gl.major, e.gl.minor,
               o->bank ? o->bank : "built-in", strata_bank_count(strata_engine_bank(&e)),
               strata_morph_mode_name(strata_morph_get_mode(strata_engine_morph(&e))), e.bank_open_ms,
               strata_morph_traversal(strata_engine_morph(&e))->transitions);
        if (flood)
            printf("{\"osc\":{\"sent\":%llu,\"applied\":%llu,\"coalesced\":%llu,"
                   "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"latency_frames\":"
                   "{\"p50\":%.2f,\"p99\":%.2f}}}\n", (unsigned long long)sent,
                   (unsigned long long)cs.applied, (unsigned long long)cs.coalesced,
                   cs.lat_p50_ms, cs.lat_p99_ms, cs.lat_p50_frames, cs.lat_p99_frames);
        if (o->bench_audio)
            printf("{\"audio\":{\"status\":\"%s\",\"latency_ms\":{\"p50\":%.3f,"
                   "\"p99\":%.3f}}}\n", strata_audio_status(e.audio_in), alat50, alat99);
    } else {
        printf("strata bench: %dx%d (render %dx%d), %.1f s, %zu frames on %s\n", o->width,
               o->height, e.render_w, e.render_h, total, n, e.gl.renderer);
        printf("  fps            %.1f\n", fps);
        printf("  frame ms       mean %.2f  p50 %.2f  p99 %.2f\n", mean, p50, p99);
        printf("  cpu ms/frame   %.3f\n", n ? cpu_sum / (double)n : 0);
        for (int i = 0; i < np; i++)
            printf("  gpu %-10s %.3f ms (peak %.3f)\n", pt[i].name, pt[i].gpu_avg_ms,
                   pt[i].gpu_peak_ms);
        printf("  peak RSS       %.1f MiB\n", rss);
        printf("  bank           %s: %d keyframes, morph %s, opened in %.2f ms, "
               "%u transitions\n", o->bank ? o->bank : "built-in", strata_bank_count(strata_engine_bank(&e)),
               strata_morph_mode_name(strata_morph_get_mode(strata_engine_morph(&e))), e.bank_open_ms,
               strata_morph_traversal(strata_engine_morph(&e))->transitions);
        if (flood)
            printf("  OSC            %llu sent, %llu applied, %llu coalesced; receive to "
                   "applied p50 %.2f ms (%.2f frames), p99 %.2f ms (%.2f frames)\n",
                   (unsigned long long)sent, (unsigned long long)cs.applied,
                   (unsigned long long)cs.coalesced, cs.lat_p50_ms, cs.lat_p50_frames,
                   cs.lat_p99_ms, cs.lat_p99_frames);
        if (o->bench_audio) {
            if (have_alat)
                printf("  audio          ring to snapshot p50 %.2f ms, p99 %.2f ms\n", alat50,
                       alat99);
            else
                printf("  audio          no latency figures: %s\n",
                       strata_audio_status(e.audio_in));
        }
    }
    free(frame_ms);
    strata_target_free(&outt);
    strata_engine_shutdown(&e);
    return 0;
}

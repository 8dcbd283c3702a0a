/* strata bench: offscreen, no vsync, for --seconds; fps, frame times, GPU ms per pass,
 * CPU ms per frame, peak RSS. --osc adds a second phase under an OSC flood from another
 * process (frame rate against idle, memory, receive-to-applied latency); --audio reports
 * the audio ring-to-snapshot latency. */
#include "app.h"

#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct phase {
    size_t n;
    double total, mean, p50, p99, max, cpu_ms, fps; /* max: the worst frame, a hitch */
    double cpu_all_ms; /* CPU of every thread per frame: what a shared machine moves least */
    double rss_start, rss_end;
} phase;

/* Render frames for `seconds` (after a short warm-up) and summarise them. */
static void run_phase(strata_engine *e, const strata_target *outt, double seconds, double pace,
                      double *ms, size_t cap, phase *ph)
{
    memset(ph, 0, sizeof *ph);
    for (int i = 0; i < 5; i++) { /* first frames compile lazily and fill caches */
        strata_engine_frame(e, 1.0 / 60);
        strata_gl_finish();
    }
    ph->rss_start = strata_rss_mb();
    double start = strata_time_s(), last = start, cpu = 0, sum = 0;
    double cpu0 = strata_process_cpu_s();
    /* A stop signal ends the phase early: the figures so far are still reported. */
    while (last - start < seconds && ph->n < cap && !strata_signal_stop_requested()) {
        double t0 = strata_time_s();
        /* The output as live mode draws it: straight from the fx chain when it fits. */
        strata_engine_present(e, 1.0 / 60, outt, 0, 0);
        strata_gpu_end();
        cpu += (strata_time_s() - t0) * 1000.0;
        strata_gl_finish(); /* offscreen has no swap to pace us: wait for the GPU instead */
        if (pace > 0) {
            /* --pace: wait for the next refresh as vsync would, so the figure is what a
             * show gets, and what it has to spare shows as the CPU time per frame. */
            double next = start + (double)(ph->n + 1) / pace;
            strata_sleep_s(next - strata_time_s());
        }
        double now = strata_time_s();
        ms[ph->n++] = (now - last) * 1000.0;
        last = now;
    }
    ph->cpu_all_ms = ph->n ? (strata_process_cpu_s() - cpu0) * 1000.0 / (double)ph->n : 0;
    ph->rss_end = strata_rss_mb();
    ph->total = last - start;
    for (size_t i = 0; i < ph->n; i++)
        sum += ms[i];
    strata_sort_doubles(ms, ph->n);
    size_t n = ph->n;
    ph->mean = n ? sum / (double)n : 0;
    ph->p50 = n ? ms[n / 2] : 0;
    ph->p99 = n ? ms[(size_t)((double)(n - 1) * 0.99 + 0.5)] : 0;
    ph->max = n ? ms[n - 1] : 0;
    ph->cpu_ms = n ? cpu / (double)n : 0;
    ph->fps = ph->total > 0 ? (double)n / ph->total : 0;
}

/* The flood comes from another process, as a controller's would: strata's own
 * `osc-flood` subcommand, started from an argv (no shell), prints how many it sent. */
static strata_proc *flood_start(int port, const char *param, double rate, double seconds)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = 0;
    char sport[16], addr[96], srate[32], ssec[32];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(addr, sizeof addr, "/strata/%s", param);
    snprintf(srate, sizeof srate, "%.0f", rate);
    snprintf(ssec, sizeof ssec, "%.2f", seconds);
    const char *argv[] = {self, "osc-flood", "127.0.0.1", sport, addr, srate, ssec, NULL};
    strata_result r = {0};
    strata_proc *p = strata_proc_spawn(&(strata_proc_desc){.argv = argv, .pipe_stdout = true}, &r);
    if (!p)
        LOG_WARN("BENCH", "%s", r.msg);
    return p;
}

/* Read the flood's count (one number on stdout) and reap it; waits at most timeout_s. */
static uint64_t flood_finish(strata_proc *p, double timeout_s)
{
    char buf[64];
    size_t len = 0;
    int fd = strata_proc_stdout_fd(p);
    double end = strata_time_s() + timeout_s;
    while (len < sizeof buf - 1 && strata_time_s() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    int status = 0;
    if (!strata_proc_wait(p, 2.0, &status) || status != 0) {
        char tail[512];
        strata_proc_stderr_tail(p, tail, sizeof tail);
        LOG_WARN("BENCH", "the OSC flood process did not end well: %s", tail);
    }
    strata_proc_destroy(p);
    char *e;
    unsigned long long v = strtoull(buf, &e, 10);
    return e != buf ? (uint64_t)v : 0;
}

int strata_osc_flood_main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: strata osc-flood HOST PORT ADDRESS RATE SECONDS\n");
        return 2;
    }
    strata_result r = {0};
    long port;
    double rate, seconds;
    if (!strata_args_parse_long(argv[3], 1, 65535, &port) ||
        !strata_args_parse_double(argv[5], 1, 1e8, &rate) ||
        !strata_args_parse_double(argv[6], 0.01, 1e6, &seconds)) {
        fprintf(stderr, "osc-flood: PORT 1..65535, RATE 1..1e8, SECONDS 0.01..1e6\n");
        return 2;
    }
    strata_osc_flood *f = strata_osc_flood_start_at(argv[2], (int)port, argv[4], rate, seconds, &r);
    if (!f) {
        fprintf(stderr, "osc-flood: %s\n", r.msg);
        return 1;
    }
    strata_sleep_s(seconds);
    printf("%llu\n", (unsigned long long)strata_osc_flood_stop(f));
    return 0;
}

/* A neural bank: its state and the decode's stages (the neural_* timers: each the average
 * GPU ms of the frames that stage ran in, peak, and their sum), as one JSON text to print
 * (malloc'd), or NULL for other banks. */
static char *neural_report(const strata_engine *e, const strata_pass_time *pt, int np)
{
    json_t *n = strata_engine_neural_json(e);
    if (!n)
        return NULL;
    json_t *stages = json_object();
    double sum = 0;
    for (int i = 0; i < np; i++) {
        if (strncmp(pt[i].name, "neural_", 7) != 0)
            continue;
        json_object_set_new(
            stages, pt[i].name,
            json_pack("{s:f, s:f}", "gpu_ms", pt[i].gpu_avg_ms, "peak_ms", pt[i].gpu_peak_ms));
        sum += pt[i].gpu_avg_ms;
    }
    json_object_set_new(n, "stages", stages);
    json_object_set_new(n, "stage_sum_gpu_ms", json_real(sum));
    char *text = json_dumps(n, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(n);
    return text;
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
    strata_gpu_set_sync(o->sync_passes);
    size_t cap = 1 << 17;
    double *frame_ms = malloc(cap * sizeof(double));
    phase idle, fl = {0};
    run_phase(&e, &outt, o->seconds, o->pace, frame_ms, cap, &idle);
    strata_control_stats cs = {0};
    uint64_t sent = 0;
    if (o->bench_osc) {
        /* Then the same again under a flood: frame rate, memory and latency. */
        strata_control_stats_reset(e.control);
        strata_proc *child = flood_start(strata_control_port(e.control), o->osc_param, o->osc_rate,
                                         o->seconds + 0.5);
        run_phase(&e, &outt, o->seconds, o->pace, frame_ms, cap, &fl);
        if (child) {
            sent = flood_finish(child, 10.0);
        } else {
            LOG_WARN("BENCH", "could not start the OSC flood process");
        }
        for (int i = 0; i < 3; i++) /* apply what is still queued */
            strata_engine_frame(&e, 1.0 / 60);
        strata_control_stats_get(e.control, &cs);
    }
    double alat50 = -1, alat99 = -1;
    bool have_alat = o->bench_audio && strata_audio_latency(e.audio_in, &alat50, &alat99);
    size_t n = idle.n;
    double total = idle.total, mean = idle.mean, p50 = idle.p50, p99 = idle.p99;
    double cpu_sum = idle.cpu_ms * (double)n;
    /* Let the last timer queries land. */
    strata_gl_finish();
    strata_pass_time pt[STRATA_MAX_PASSES];
    int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
    double fps = idle.fps, rss = strata_peak_rss_mb();
    char *neural = neural_report(&e, pt, np);
    if (o->json) {
        printf("{\"pace\":%.1f,\"sync_passes\":%s,\"size\":\"%dx%d\",\"render_size\":\"%dx%d\","
               "\"seconds\":%.2f,"
               "\"frames\":%zu,"
               "\"fps\":%.2f,\"frame_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
               "\"cpu_ms_per_frame\":%.3f,\"cpu_all_threads_ms_per_frame\":%.3f,\"gpu_ms\":{",
               o->pace, o->sync_passes ? "true" : "false", o->width, o->height, e.render_w,
               e.render_h, total, n, fps, mean, p50, p99, idle.max, n ? cpu_sum / (double)n : 0,
               idle.cpu_all_ms);
        for (int i = 0; i < np; i++)
            printf("%s\"%s\":%.3f", i ? "," : "", pt[i].name, pt[i].gpu_avg_ms);
        printf("},\"peak_rss_mb\":%.1f,\"renderer\":\"%s\",\"gl\":\"%d.%d\","
               "\"bank\":\"%s\",\"keyframes\":%d,\"morph\":\"%s\",\"bank_open_ms\":%.2f,"
               "\"transitions\":%u,\"neural\":%s}\n",
               rss, e.gl.renderer, e.gl.major, e.gl.minor, o->bank ? o->bank : "built-in",
               strata_bank_count(strata_engine_bank(&e)),
               strata_morph_mode_name(strata_morph_get_mode(strata_engine_morph(&e))),
               e.bank_open_ms, strata_morph_traversal(strata_engine_morph(&e))->transitions,
               neural ? neural : "null");
        if (o->bench_osc)
            printf(
                "{\"osc\":{\"address\":\"/strata/%s\",\"rate\":%.0f,\"sent\":%llu,\"applied\":%llu,"
                "\"coalesced\":%llu,\"errors\":%llu,\"fps_idle\":%.2f,\"fps_flood\":%.2f,"
                "\"fps_ratio\":%.3f,\"rss_mb_start\":%.1f,\"rss_mb_end\":%.1f,"
                "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"latency_frames\":"
                "{\"p50\":%.2f,\"p99\":%.2f}}}\n",
                o->osc_param, o->osc_rate, (unsigned long long)sent, (unsigned long long)cs.applied,
                (unsigned long long)cs.coalesced, (unsigned long long)cs.errors, idle.fps, fl.fps,
                idle.fps > 0 ? fl.fps / idle.fps : 0, fl.rss_start, fl.rss_end, cs.lat_p50_ms,
                cs.lat_p99_ms, cs.lat_p50_frames, cs.lat_p99_frames);
        if (o->bench_audio)
            printf("{\"audio\":{\"status\":\"%s\",\"latency_ms\":{\"p50\":%.3f,"
                   "\"p99\":%.3f}}}\n",
                   strata_audio_status(e.audio_in), alat50, alat99);
    } else {
        printf("strata bench: %dx%d (render %dx%d), %.1f s, %zu frames on %s%s%s\n", o->width,
               o->height, e.render_w, e.render_h, total, n, e.gl.renderer,
               o->pace > 0 ? ", paced" : "", o->sync_passes ? ", passes synced" : "");
        printf("  fps            %.1f\n", fps);
        printf("  frame ms       mean %.2f  p50 %.2f  p99 %.2f  max %.2f\n", mean, p50, p99,
               idle.max);
        printf("  cpu ms/frame   %.3f (issuing); %.3f (every thread)\n",
               n ? cpu_sum / (double)n : 0, idle.cpu_all_ms);
        for (int i = 0; i < np; i++)
            printf("  gpu %-10s %.3f ms (peak %.3f)\n", pt[i].name, pt[i].gpu_avg_ms,
                   pt[i].gpu_peak_ms);
        printf("  peak RSS       %.1f MiB\n", rss);
        printf("  bank           %s: %d keyframes, morph %s, opened in %.2f ms, "
               "%u transitions\n",
               !strata_engine_bank(&e) ? "none (ISF generator scene)"
               : o->bank               ? o->bank
                                       : "built-in",
               strata_bank_count(strata_engine_bank(&e)),
               strata_morph_mode_name(strata_morph_get_mode(strata_engine_morph(&e))),
               e.bank_open_ms, strata_morph_traversal(strata_engine_morph(&e))->transitions);
        strata_morph_neural_status ns;
        if (strata_morph_neural_status_get(strata_engine_morph(&e), &ns) && ns.decoding)
            printf("  neural         decoding latent %dx%d, %d passes (%d a frame), %.2f "
                   "decodes/s\n",
                   ns.lw, ns.lh, ns.passes, ns.passes_per_frame ? ns.passes_per_frame : ns.passes,
                   ns.decodes_per_s);
        else if (neural)
            printf("  neural         previews (blend): %s\n", ns.why);
        if (o->bench_osc) {
            printf("  OSC flood      %.0f msg/s of /strata/%s from another process: %llu sent, "
                   "%llu applied, %llu coalesced\n",
                   o->osc_rate, o->osc_param, (unsigned long long)sent,
                   (unsigned long long)cs.applied, (unsigned long long)cs.coalesced);
            printf("  OSC fps        idle %.1f, flood %.1f (%.1f %%); RSS %.1f -> %.1f MiB\n",
                   idle.fps, fl.fps, idle.fps > 0 ? 100.0 * fl.fps / idle.fps : 0, fl.rss_start,
                   fl.rss_end);
            printf("  OSC latency    receive to applied p50 %.2f ms (%.2f frames), p99 %.2f ms "
                   "(%.2f frames)\n",
                   cs.lat_p50_ms, cs.lat_p50_frames, cs.lat_p99_ms, cs.lat_p99_frames);
        }
        if (o->bench_audio) {
            if (have_alat)
                printf("  audio          ring to snapshot p50 %.2f ms, p99 %.2f ms\n", alat50,
                       alat99);
            else
                printf("  audio          no latency figures: %s\n",
                       strata_audio_status(e.audio_in));
        }
    }
    free(neural);
    free(frame_ms);
    strata_target_free(&outt);
    strata_engine_shutdown(&e);
    return 0;
}

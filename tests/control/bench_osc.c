/* bench_osc: what `strata bench --osc` reports, on a stand-in frame loop (60 Hz target,
 * ~4 ms of work per frame). Phases: idle; light load (200 msg/s, latency); flood
 * (100,000 msg/s from another process: frame rate vs idle, latency, memory).
 * usage: bench_osc [seconds-per-phase]   (not a test: numbers, not assertions) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/control.h"

static volatile double sink;

static long rss_kb(void)
{
    return (long)(strata_rss_mb() * 1024.0);
}

/* Run frames for `secs`; returns frames per second. */
static double run(strata_control *ctl, strata_params *p, double secs)
{
    double t0 = strata_time_s(), next = t0;
    int frames = 0;
    while (strata_time_s() - t0 < secs) {
        strata_control_frame f = {.params = p, .time = strata_time_s(), .dt = 1 / 60.0f};
        strata_control_apply(ctl, &f);
        double w0 = strata_time_s();
        double x = 0;
        while (strata_time_s() - w0 < 0.004) /* the render work */
            for (int i = 0; i < 1000; i++)
                x += i * 1e-9;
        sink = x;
        frames++;
        next += 1 / 60.0;
        double wait = next - strata_time_s();
        if (wait > 0)
            strata_sleep_s(wait);
        else
            next = strata_time_s();
    }
    return frames / (strata_time_s() - t0);
}

static void report(const char *what, strata_control *ctl)
{
    strata_control_stats s;
    strata_control_stats_get(ctl, &s);
    printf("%-6s latency p50 %.3f ms (%.0f frames), p99 %.3f ms (%.0f frames), max %.3f ms; "
           "received %llu coalesced %llu applied %llu dropped %llu\n",
           what, s.lat_p50_ms, s.lat_p50_frames, s.lat_p99_ms, s.lat_p99_frames, s.lat_max_ms,
           (unsigned long long)s.messages, (unsigned long long)s.coalesced,
           (unsigned long long)s.applied, (unsigned long long)s.dropped);
}

static pid_t sender(int port, double rate, double secs)
{
    fflush(stdout); /* or the child prints the parent's buffer again */
    pid_t pid = fork();
    if (pid == 0) {
        strata_result r;
        strata_osc_flood *f = strata_osc_flood_start("127.0.0.1", port, rate, secs, &r);
        uint64_t n = strata_osc_flood_stop(f);
        printf("sender: %llu messages in %.1f s (%.0f/s)\n", (unsigned long long)n, secs, n / secs);
        fflush(stdout);
        _exit(0);
    }
    return pid;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 5.0;
    strata_log_set_quiet(true);
    strata_result r = {0};
    strata_control_config cfg = {.osc_port = -1};
    strata_control *ctl = strata_control_create(&cfg, &r);
    if (!ctl) {
        fprintf(stderr, "%s\n", r.msg);
        return 1;
    }
    strata_params p;
    strata_params_init(&p);
    int port = strata_control_port(ctl);
    double idle = run(ctl, &p, secs);
    printf("idle   %.2f fps\n", idle);

    strata_control_stats_reset(ctl);
    pid_t pid = sender(port, 200, secs);
    double light = run(ctl, &p, secs);
    waitpid(pid, NULL, 0);
    printf("light  %.2f fps (200 msg/s)\n", light);
    report("light", ctl);

    strata_control_stats_reset(ctl);
    long rss0 = rss_kb();
    pid = sender(port, 100000, secs);
    double flood = run(ctl, &p, secs);
    waitpid(pid, NULL, 0);
    long rss1 = rss_kb();
    printf("flood  %.2f fps = %.1f%% of idle; rss %ld -> %ld kB\n", flood, 100 * flood / idle, rss0,
           rss1);
    report("flood", ctl);
    strata_control_destroy(ctl);
    return 0;
}

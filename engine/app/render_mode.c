/* strata render: offline, frame-exact. The clock is frame / fps, so the same inputs
 * give the same frames. PNG frames go through the writer thread; videos are raw RGBA
 * written into ffmpeg's stdin. ffmpeg is started from an argv (core/proc), never through
 * a shell, so a file name is only ever a file name. A stop signal (SIGINT, SIGTERM,
 * SIGHUP) ends the render cleanly: the frames so far are written and the video is
 * finalised (ffmpeg's stdin closed, its exit awaited), and the exit code is 0. */
#include "app.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum out_kind { OUT_PNG_DIR, OUT_PNG_PATTERN, OUT_VIDEO } out_kind;

/* ffmpeg muxer for each video extension we write. */
static const char *video_format(const char *out)
{
    const char *dot = strrchr(out, '.');
    const char *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash))
        return NULL;
    /* Any case: "CLIP.MP4" is a video, not a folder of PNGs named so. */
    return !strcasecmp(dot, ".mp4")    ? "mp4"
           : !strcasecmp(dot, ".mov")  ? "mov"
           : !strcasecmp(dot, ".webm") ? "webm"
           : !strcasecmp(dot, ".mkv")  ? "matroska"
                                       : NULL;
}

static out_kind classify(const char *out)
{
    if (video_format(out))
        return OUT_VIDEO;
    if (strchr(out, '%'))
        return OUT_PNG_PATTERN;
    return OUT_PNG_DIR;
}

/* ---- --out patterns -------------------------------------------------------- */

/* Scan a pattern: count frame-number conversions, find the first thing that is not
 * allowed. A conversion is %d or %0Nd (N 1..12); %% is a literal %. */
static bool scan_pattern(const char *s, int *convs, int *width, char *why, size_t n)
{
    *convs = 0;
    *width = 0;
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        const char *q = p + 1;
        int w = 0;
        if (*q == '0') {
            q++;
            while (*q >= '0' && *q <= '9' && w <= 12)
                w = w * 10 + (*q++ - '0');
            if (w < 1 || w > 12) {
                snprintf(why, n, "a frame number is %%d or %%0Nd with N 1..12");
                return false;
            }
        }
        if (*q != 'd') {
            snprintf(why, n,
                     "%%%.1s is not allowed: a PNG pattern takes one %%d or %%0Nd "
                     "(%%%% for a literal %%)",
                     p[1] ? p + 1 : "");
            return false;
        }
        (*convs)++;
        *width = w;
        p = q;
    }
    return true;
}

bool strata_out_pattern_check(const char *out, char *why, size_t n)
{
    if (!out || !*out) {
        snprintf(why, n, "the value is empty: give a folder, a PNG pattern or a video file");
        return false;
    }
    if (classify(out) != OUT_PNG_PATTERN)
        return true;
    int convs, width;
    if (!scan_pattern(out, &convs, &width, why, n))
        return false;
    if (convs != 1) {
        snprintf(why, n, "%s: a PNG pattern takes exactly one %%d or %%0Nd",
                 convs ? "more than one frame number" : "no frame number");
        return false;
    }
    return true;
}

bool strata_out_pattern_format(const char *pattern, long frame, char *out, size_t n)
{
    size_t len = 0;
    char num[32];
    for (const char *p = pattern; *p; p++) {
        const char *piece = p;
        size_t plen = 1;
        if (*p == '%' && p[1] == '%') {
            p++;
        } else if (*p == '%') {
            int w = 0;
            const char *q = p + 1;
            if (*q == '0')
                for (q++; *q >= '0' && *q <= '9'; q++)
                    w = w * 10 + (*q - '0');
            if (*q != 'd')
                return false; /* unchecked pattern */
            /* The format is ours, the width a checked number. */
            int k = snprintf(num, sizeof num, "%0*ld", w, frame);
            if (k < 0 || (size_t)k >= sizeof num)
                return false;
            piece = num;
            plen = (size_t)k;
            p = q;
        }
        if (len + plen >= n)
            return false;
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = 0;
    return true;
}

/* ---- ffmpeg ---------------------------------------------------------------- */

/* Say why ffmpeg failed: its exit and the end of what it wrote to stderr. */
static void report_ffmpeg(strata_proc *ff, const char *out, const char *what, int status,
                          bool exited)
{
    char ex[96], tail[1024];
    if (exited)
        strata_proc_describe_exit(status, ex, sizeof ex);
    else
        snprintf(ex, sizeof ex, "still running, stopped");
    strata_proc_stderr_tail(ff, tail, sizeof tail);
    LOG_ERROR("RENDER", "%s: %s (ffmpeg %s)%s%s", out, what, ex, tail[0] ? "; ffmpeg said: " : "",
              tail);
}

static strata_proc *open_ffmpeg(const strata_options *o, const char *exe, int w, int h,
                                strata_result *r)
{
    const char *fmt = video_format(o->out);
    bool webm = !strcmp(fmt, "webm"), mov = !strcmp(fmt, "mov");
    char size[32], rate[32], out_url[4200], audio_url[4200];
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(rate, sizeof rate, "%.6g", o->fps);
    /* file: keeps a name with a colon or a leading dash a plain file to ffmpeg. */
    snprintf(out_url, sizeof out_url, "file:%s", o->out);
    const char *argv[64];
    int n = 0;
    const char *head[] = {exe,  "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                          "-f", "rawvideo",     "-pix_fmt",  "rgba",  "-s",       size,
                          "-r", rate,           "-i",        "pipe:0"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        argv[n++] = head[i];
    if (o->audio_file) {
        snprintf(audio_url, sizeof audio_url, "file:%s", o->audio_file);
        const char *a[] = {"-i", audio_url, "-map", "0:v", "-map", "1:a", "-shortest"};
        for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
            argv[n++] = a[i];
        if (webm) {
            argv[n++] = "-c:a";
            argv[n++] = "libopus";
        } else {
            const char *aac[] = {"-c:a", "aac", "-b:a", "256k"};
            for (size_t i = 0; i < 4; i++)
                argv[n++] = aac[i];
        }
    }
    const char *vp9[] = {"-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "30", "-row-mt", "1"};
    const char *prores[] = {"-c:v", "prores_ks", "-profile:v", "3"};
    const char *x264[] = {"-c:v", "libx264", "-preset",  "medium",
                          "-crf", "18",      "-pix_fmt", "yuv420p"};
    const char **codec = webm ? vp9 : mov ? prores : x264;
    size_t nc = webm ? 8 : mov ? 4 : 8;
    for (size_t i = 0; i < nc; i++)
        argv[n++] = codec[i];
    argv[n++] = "-f";
    argv[n++] = fmt;
    argv[n++] = out_url;
    argv[n] = NULL;
    LOG_INFO("RENDER", "ffmpeg %s %s at %s fps into %s (%s)%s%s", size, "rgba", rate, o->out, fmt,
             o->audio_file ? " with audio from " : "", o->audio_file ? o->audio_file : "");
    return strata_proc_spawn(
        &(strata_proc_desc){.argv = argv, .pipe_stdin = true, .own_group = true}, r);
}

/* Close ffmpeg's input and wait for it to finish the file. True when it exited 0. */
static bool finish_ffmpeg(strata_proc *ff, const char *out)
{
    strata_proc_close_stdin(ff);
    int status = 0;
    /* Finishing is flushing the encoder's lookahead and writing the index: seconds at
     * usual sizes, longer for huge frames on a slow CPU. Wait while the file grows;
     * give up after 120 s without progress (a second stop signal ends it at once). */
    const double idle_limit = 120.0;
    double idle_since = strata_time_s();
    off_t last_size = -1;
    bool exited = false;
    while (!(exited = strata_proc_wait(ff, 1.0, &status))) {
        if (strata_signal_count() > 1)
            break;
        struct stat st;
        off_t size = stat(out, &st) == 0 ? st.st_size : -1;
        if (size != last_size) {
            last_size = size;
            idle_since = strata_time_s();
        } else if (strata_time_s() - idle_since > idle_limit) {
            break;
        }
    }
    if (!exited) {
        report_ffmpeg(ff, out, "ffmpeg did not finish the file (no progress for 120 s)", 0, false);
        strata_proc_kill(ff);
        return false;
    }
    if (status != 0) {
        report_ffmpeg(ff, out, "ffmpeg failed", status, true);
        return false;
    }
    return true;
}

/* ---- inputs ---------------------------------------------------------------- */

static bool shaders_ok(const strata_options *o)
{
    char first[600];
    int failed = strata_shaders_failed(first, sizeof first);
    if (!failed)
        return true;
    LOG_ERROR("RENDER", "%d shader program%s failed to build%s%s: %s", failed,
              failed == 1 ? "" : "s", o->shader_dir ? " from --shader-dir " : "",
              o->shader_dir ? o->shader_dir : "", first);
    return false;
}

static void progress(long done, long total, double started, bool tty)
{
    if (!tty)
        return;
    double el = strata_time_s() - started;
    double speed = el > 0 ? done / el : 0;
    double left = speed > 0 ? (total - done) / speed : 0;
    int width = 30, fill = (int)(width * done / (total ? total : 1));
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %ld/%ld frames  %.1f fps  %02d:%02d left ", bar, done, total, speed,
            (int)left / 60, (int)left % 60);
    if (done == total)
        fprintf(stderr, "\n");
}

static bool make_folders(const strata_options *o, out_kind kind)
{
    strata_result r = {0};
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", o->out);
    char *slash = strrchr(parent, '/');
    if (kind != OUT_PNG_DIR && slash && slash != parent) {
        *slash = 0; /* a pattern or a video file: make its folder */
        if (strata_file_mkdirs(parent, &r) != STRATA_OK) {
            LOG_ERROR("RENDER", "%s", r.msg);
            return false;
        }
    }
    if (kind == OUT_PNG_DIR && strata_file_mkdirs(o->out, &r) != STRATA_OK) {
        LOG_ERROR("RENDER", "%s", r.msg);
        return false;
    }
    return true;
}

int strata_render_run(const strata_options *o)
{
    out_kind kind = classify(o->out);
    char why[160];
    if (!strata_out_pattern_check(o->out, why, sizeof why)) {
        LOG_ERROR("RENDER", "--out %s: %s", o->out, why);
        return 2;
    }
    char ffmpeg[4096];
    if (kind == OUT_VIDEO && !strata_find_program("ffmpeg", ffmpeg, sizeof ffmpeg)) {
        LOG_ERROR("RENDER",
                  "%s: writing video needs ffmpeg, which is not in PATH "
                  "(apt-get install ffmpeg), or give a folder for PNG frames",
                  o->out);
        return 1;
    }
    if (!make_folders(o, kind))
        return 1;
    strata_result r = {0};
    strata_engine e;
    if (strata_engine_init(&e, o, true, &r) != STRATA_OK) {
        LOG_ERROR("RENDER", "%s", r.msg);
        strata_engine_shutdown(&e);
        return 1;
    }
    /* Every input that was asked for must be there: a render that ignores its sound
     * or renders black is not a success. */
    if (o->audio_file && !strata_audio_is_live(e.audio_in)) {
        LOG_ERROR("RENDER", "--audio-file %s: cannot be used (%s)", o->audio_file,
                  strata_audio_status(e.audio_in));
        strata_engine_shutdown(&e);
        return 1;
    }
    /* The output size is --size; the engine renders at --render-size and the output
     * pass letterboxes it when the two differ. */
    int ow = o->width, oh = o->height;
    strata_target outt = {0};
    bool scale = ow != e.render_w || oh != e.render_h;
    if (scale && !strata_target_init(&outt, ow, oh, GL_RGBA8)) {
        LOG_ERROR("RENDER", "cannot create the %dx%d output target", ow, oh);
        strata_engine_shutdown(&e);
        return 1;
    }
    size_t bytes = (size_t)ow * (size_t)oh * 4;
    uint8_t *rgba = malloc(bytes);
    strata_proc *ff = NULL;
    strata_writer *wr = NULL;
    bool tty = isatty(2);
    double started = strata_time_s();
    double dt = 1.0 / o->fps;
    int rc = rgba ? 0 : 1;
    if (!rgba)
        LOG_ERROR("RENDER", "out of memory for a %dx%d frame", ow, oh);
    long f = 0;
    for (; rc == 0 && f < o->frames; f++) {
        int sig = strata_signal_stop_requested();
        if (sig) {
            LOG_WARN("RENDER", "%s: stopping after %ld of %ld frames; finishing %s", strsignal(sig),
                     f, o->frames, o->out);
            break;
        }
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
        }
        double t0 = strata_time_s();
        const strata_target *t = strata_engine_frame(&e, f == 0 ? 0.0 : dt);
        if (f == 0) {
            /* Programs compile lazily: after the first frame all of them have been
             * built. Only then does the output start, so a failed input leaves none. */
            if (!shaders_ok(o)) {
                rc = 1;
                break;
            }
            if (kind == OUT_VIDEO) {
                ff = open_ffmpeg(o, ffmpeg, ow, oh, &r);
                if (!ff)
                    LOG_ERROR("RENDER", "%s: %s", o->out, r.msg);
            } else {
                wr = strata_writer_create(ow, oh, 4);
                if (!wr)
                    LOG_ERROR("RENDER", "%s: cannot start the PNG writer", o->out);
            }
            if (!ff && !wr) {
                rc = 1;
                break;
            }
        }
        if (scale) {
            strata_output_draw(t, &outt, 0, 0);
            t = &outt;
        }
        strata_target_read(t, rgba);
        if (ff) {
            if (strata_proc_write(ff, rgba, bytes, 60.0, &r) != STRATA_OK) {
                /* It exited or stalled: give it a moment to say why, then report. */
                int status = 0;
                strata_proc_close_stdin(ff);
                bool exited = strata_proc_wait(ff, 5.0, &status);
                report_ffmpeg(ff, o->out, r.msg, status, exited);
                rc = 1;
                break;
            }
        } else {
            char path[4200];
            bool fits =
                kind == OUT_PNG_PATTERN
                    ? strata_out_pattern_format(o->out, f, path, sizeof path)
                    : snprintf(path, sizeof path, "%s/%05ld.png", o->out, f) < (int)sizeof path;
            if (!fits) {
                LOG_ERROR("RENDER", "--out %s: the file name of frame %ld is too long", o->out, f);
                rc = 1;
                break;
            }
            strata_writer_submit(wr, path, rgba, true);
        }
        /* Frame-exact time for stats: the render clock, not the wall. */
        strata_engine_stats(&e, (double)(f + 1) * dt, (strata_time_s() - t0) * 1000.0);
        progress(f + 1, o->frames, started, tty);
    }
    if (tty && f < o->frames)
        fprintf(stderr, "\n");
    if (wr && strata_writer_flush(wr) > 0)
        rc = 1;
    strata_writer_destroy(wr);
    if (ff && rc == 0 && !finish_ffmpeg(ff, o->out))
        rc = 1;
    strata_proc_destroy(ff); /* reaped in every case */
    if (rc == 0 && !shaders_ok(o))
        rc = 1; /* a scene later in the setlist whose shader failed */
    double el = strata_time_s() - started;
    if (rc == 0)
        LOG_INFO("RENDER", "%ld frames to %s in %.1f s (%.1f fps)", f, o->out, el,
                 (double)f / (el > 0 ? el : 1));
    free(rgba);
    if (scale)
        strata_target_free(&outt);
    strata_engine_shutdown(&e);
    return rc;
}

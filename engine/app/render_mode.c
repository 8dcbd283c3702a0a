/* strata render: offline, frame-exact. The clock is frame / fps, so the same inputs
 * give the same frames. PNG frames go through the writer thread; videos are raw RGBA
 * piped into ffmpeg. */
#include "app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum out_kind { OUT_PNG_DIR, OUT_PNG_PATTERN, OUT_VIDEO } out_kind;

static out_kind classify(const char *out)
{
    const char *dot = strrchr(out, '.');
    if (dot && (!strcmp(dot, ".mp4") || !strcmp(dot, ".mov") || !strcmp(dot, ".webm") ||
                !strcmp(dot, ".mkv")))
        return OUT_VIDEO;
    if (strchr(out, '%'))
        return OUT_PNG_PATTERN;
    return OUT_PNG_DIR;
}

static bool have_ffmpeg(void)
{
    return system("command -v ffmpeg >/dev/null 2>&1") == 0;
}

static FILE *open_ffmpeg(const strata_options *o, int w, int h)
{
    const char *dot = strrchr(o->out, '.');
    const char *codec = !strcmp(dot, ".webm")  ? "-c:v libvpx-vp9 -b:v 0 -crf 30 -row-mt 1"
                        : !strcmp(dot, ".mov") ? "-c:v prores_ks -profile:v 3"
                                               : "-c:v libx264 -preset medium -crf 18 "
                                                 "-pix_fmt yuv420p";
    const char *acodec = !strcmp(dot, ".webm") ? "-c:a libopus" : "-c:a aac -b:a 256k";
    char audio[2200] = "";
    if (o->audio_file)
        snprintf(audio, sizeof audio, "-i '%s' -map 0:v -map 1:a %s -shortest", o->audio_file,
                 acodec);
    char cmd[5000];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt rgba -s %dx%d "
             "-r %g -i - %s %s '%s'",
             w, h, o->fps, audio, codec, o->out);
    LOG_INFO("RENDER", "%s", cmd);
    return popen(cmd, "w");
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

int strata_render_run(const strata_options *o)
{
    out_kind kind = classify(o->out);
    if (kind == OUT_VIDEO && !have_ffmpeg()) {
        LOG_ERROR("RENDER",
                  "%s: writing video needs ffmpeg, which is not installed "
                  "(apt-get install ffmpeg), or give a folder for PNG frames",
                  o->out);
        return 1;
    }
    strata_result r = {0};
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", o->out);
    char *slash = strrchr(parent, '/');
    if (kind != OUT_PNG_DIR && slash && slash != parent) {
        *slash = 0; /* a pattern or a video file: make its folder */
        if (strata_file_mkdirs(parent, &r) != STRATA_OK) {
            LOG_ERROR("RENDER", "%s", r.msg);
            return 1;
        }
    }
    if (kind == OUT_PNG_DIR && strata_file_mkdirs(o->out, &r) != STRATA_OK) {
        LOG_ERROR("RENDER", "%s", r.msg);
        return 1;
    }
    strata_engine e;
    if (strata_engine_init(&e, o, true, &r) != STRATA_OK) {
        LOG_ERROR("RENDER", "%s", r.msg);
        strata_engine_shutdown(&e);
        return 1;
    }
    /* The output size is --size; the engine renders at --render-size and the output
     * pass letterboxes it when the two differ. */
    int ow = o->width, oh = o->height;
    strata_target outt = {0};
    bool scale = ow != e.render_w || oh != e.render_h;
    if (scale && !strata_target_init(&outt, ow, oh, GL_RGBA8)) {
        strata_engine_shutdown(&e);
        return 1;
    }
    uint8_t *rgba = malloc((size_t)ow * oh * 4);
    FILE *pipe = kind == OUT_VIDEO ? open_ffmpeg(o, ow, oh) : NULL;
    strata_writer *wr = kind != OUT_VIDEO ? strata_writer_create(ow, oh, 4) : NULL;
    if (!rgba || (kind == OUT_VIDEO && !pipe) || (kind != OUT_VIDEO && !wr)) {
        LOG_ERROR("RENDER", "%s: cannot start output", o->out);
        strata_engine_shutdown(&e);
        return 1;
    }
    bool tty = isatty(2);
    double started = strata_time_s();
    double dt = 1.0 / o->fps;
    int rc = 0;
    for (long f = 0; f < o->frames; f++) {
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
        }
        double t0 = strata_time_s();
        const strata_target *t = strata_engine_frame(&e, f == 0 ? 0.0 : dt);
        if (scale) {
            strata_output_draw(t, &outt, 0, 0);
            t = &outt;
        }
        strata_target_read(t, rgba);
        if (pipe) {
            if (fwrite(rgba, 1, (size_t)ow * oh * 4, pipe) != (size_t)ow * oh * 4) {
                LOG_ERROR("RENDER", "%s: ffmpeg stopped taking frames", o->out);
                rc = 1;
                break;
            }
        } else {
            char path[4200];
            if (kind == OUT_PNG_PATTERN)
                snprintf(path, sizeof path, o->out, (int)f);
            else
                snprintf(path, sizeof path, "%s/%05ld.png", o->out, f);
            strata_writer_submit(wr, path, rgba, true);
        }
        /* Frame-exact time for stats: the render clock, not the wall. */
        strata_engine_stats(&e, (double)(f + 1) * dt, (strata_time_s() - t0) * 1000.0);
        progress(f + 1, o->frames, started, tty);
    }
    if (wr && strata_writer_flush(wr) > 0)
        rc = 1;
    strata_writer_destroy(wr);
    if (pipe && pclose(pipe) != 0) {
        LOG_ERROR("RENDER", "%s: ffmpeg failed", o->out);
        rc = 1;
    }
    double el = strata_time_s() - started;
    if (rc == 0)
        LOG_INFO("RENDER", "%ld frames to %s in %.1f s (%.1f fps)", o->frames, o->out, el,
                 o->frames / (el > 0 ? el : 1));
    free(rgba);
    if (scale)
        strata_target_free(&outt);
    strata_engine_shutdown(&e);
    return rc;
}

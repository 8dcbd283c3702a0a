/* The engine: state shared by live, render and bench, and the frame sequence. */
#include "app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

double strata_peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* The embedded default: a latent set generated in memory, no files needed. */
#define DEFAULT_LATENTS 48
#define DEFAULT_DIM 16
#define DEFAULT_SEED 20261122u

strata_status strata_engine_open_bank(strata_engine *e, const strata_options *o,
                                      strata_result *r)
{
    strata_bank_open_desc bd = {
        .width = e->render_w,
        .height = e->render_h,
        .fit = o->fill ? STRATA_BANK_FILL : STRATA_BANK_FIT,
    };
    double t0 = strata_time_s();
    if (o->bank)
        e->bank = strata_bank_open(o->bank, &bd, r);
    else
        e->bank = strata_bank_generate_latent(DEFAULT_LATENTS, DEFAULT_DIM, DEFAULT_SEED, &bd, r);
    if (!e->bank)
        return r->status ? r->status : STRATA_ERR_IO;
    bool latent = strata_bank_kind(e->bank) == STRATA_BANK_LATENT;
    strata_morph_mode mode = latent ? STRATA_MORPH_LATENT : STRATA_MORPH_FLOW;
    if (o->morph)
        strata_morph_mode_parse(o->morph, &mode);
    strata_order order = STRATA_ORDER_SEQUENCE;
    if (o->order)
        strata_order_parse(o->order, &order);
    strata_morph_desc md = {
        .bank = e->bank,
        .mode = mode,
        .order = order,
        .width = e->render_w,
        .height = e->render_h,
        .seed = o->seed,
        .cache_mb = o->cache_mb,
        .offline = o->mode == MODE_RENDER,
        .latent_scale = (float)o->latent_scale,
    };
    e->morph = strata_morph_create(&md, r);
    if (!e->morph)
        return r->status ? r->status : STRATA_ERR_GL;
    e->bank_open_ms = (strata_time_s() - t0) * 1000.0;
    LOG_INFO("BANK", "%s: %d keyframes (%s), morph %s, opened in %.0f ms",
             o->bank ? o->bank : "built-in latent set", strata_bank_count(e->bank),
             latent ? "latent" : "images", strata_morph_mode_name(strata_morph_get_mode(e->morph)),
             e->bank_open_ms);
    return STRATA_OK;
}

strata_status strata_engine_init(strata_engine *e, const strata_options *o, bool hidden,
                                 strata_result *r)
{
    memset(e, 0, sizeof *e);
    strata_params_init(&e->params);
    for (int i = 0; i < o->nsets; i++)
        if (!strata_params_set_arg(&e->params, o->sets[i], r))
            return STRATA_ERR_ARG;
    strata_audio_frame_silence(&e->audio);
    strata_window_desc wd = {
        .width = o->width,
        .height = o->height,
        .fullscreen = o->fullscreen,
        .display = o->display,
        .vsync = !o->no_vsync && o->mode == MODE_LIVE,
        .hidden = hidden,
        .title = "strata",
    };
    if (strata_gl_open(&e->gl, &wd, r) != STRATA_OK)
        return r->status;
    if (strata_shaders_init(&e->gl, o->shader_dir, r) != STRATA_OK)
        return r->status;
    strata_gpu_timers_init(&e->gl);
    e->render_w = o->render_w ? o->render_w : o->width;
    e->render_h = o->render_h ? o->render_h : o->height;
    for (int i = 0; i < 2; i++)
        if (!strata_target_init(&e->targets[i], e->render_w, e->render_h, GL_RGBA8))
            return strata_fail(r, STRATA_ERR_GL, "cannot create %dx%d render targets",
                               e->render_w, e->render_h);
    if (o->drift >= 0)
        strata_params_set(&e->params, STRATA_P_drift, (float)o->drift, true);
    if (strata_engine_open_bank(e, o, r) != STRATA_OK)
        return r->status;
    e->grade = strata_program_make("post/grade.frag", NULL);
    if (o->stats_path) {
        e->stats = fopen(o->stats_path, "w");
        if (!e->stats)
            return strata_fail(r, STRATA_ERR_IO, "--stats %s: cannot open", o->stats_path);
        setvbuf(e->stats, NULL, _IOLBF, 0);
    }
    return STRATA_OK;
}

void strata_engine_shutdown(strata_engine *e)
{
    if (e->stats)
        fclose(e->stats);
    strata_morph_destroy(e->morph);
    strata_bank_close(e->bank);
    for (int i = 0; i < 2; i++)
        strata_target_free(&e->targets[i]);
    strata_gpu_timers_shutdown();
    strata_shaders_shutdown();
    strata_gl_close(&e->gl);
}

/* Neutral grade: the pass is skipped, so the morph reaches the fx chain untouched. */
static bool grade_is_neutral(const float *p)
{
    return p[STRATA_P_zoom] == 1.0f && p[STRATA_P_rotate] == 0.0f && p[STRATA_P_hue] == 0.0f &&
           p[STRATA_P_saturation] == 1.0f && p[STRATA_P_contrast] == 1.0f &&
           p[STRATA_P_brightness] == 1.0f;
}

const strata_target *strata_engine_frame(strata_engine *e, double dt)
{
    /* 2. Drain command queues: shader sources reloaded by the watcher thread. */
    strata_shaders_update();
    /* 3. Audio snapshot: silence until an input is attached. */
    /* 4. Parameters. */
    strata_params_update(&e->params, (float)dt);
    const float *pv = e->params.value;
    e->time += dt * pv[STRATA_P_speed];
    /* 5. Traversal. */
    strata_traverse_in ti = {
        .dt = dt * pv[STRATA_P_speed],
        .drift = pv[STRATA_P_drift],
        .pulse = pv[STRATA_P_pulse],
        .motion = pv[STRATA_P_motion],
        .onset = e->audio.onset,
        .energy = e->audio.level.fast,
    };
    strata_morph_update(e->morph, &ti);
    /* 6. Passes. */
    strata_uniforms_upload_audio(&e->audio);
    int a, b;
    float t;
    strata_morph_state(e->morph, &a, &b, &t);
    strata_frame_uniforms u = {
        .time = e->time,
        .frame = e->frame,
        .dt = (float)dt,
        .width = e->render_w,
        .height = e->render_h,
        .audio = &e->audio,
        .bpm = 120.0f,
        .beat = (float)(e->time * 2.0),
        .beat_phase = (float)fmod(e->time * 2.0, 1.0),
        .bar_phase = (float)fmod(e->time * 0.5, 1.0),
        .params = pv,
        .morph = t,
    };
    int next = e->cur ^ 1;
    strata_gpu_begin("morph");
    if (strata_morph_draw(e->morph, &e->targets[next], &u))
        e->cur = next;
    strata_gpu_end();
    if (!grade_is_neutral(pv)) {
        next = e->cur ^ 1;
        strata_gpu_begin("grade");
        strata_target_bind(&e->targets[next]);
        if (strata_program_use(e->grade)) {
            strata_texture_bind(e->targets[e->cur].tex, 0);
            glUniform1i(strata_uniform_loc(e->grade, "u_src"), 0);
            strata_uniforms_apply(e->grade, &u);
            strata_draw_fullscreen();
            e->cur = next;
        }
        strata_gpu_end();
    }
    e->frame++;
    return &e->targets[e->cur];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void strata_frame_stats_pct(const strata_frame_stats *s, double *p50, double *p99,
                            double *mean)
{
    double tmp[512];
    int n = s->n;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        tmp[i] = s->frame_ms[i];
        sum += tmp[i];
    }
    if (n == 0) {
        *p50 = *p99 = *mean = 0;
        return;
    }
    qsort(tmp, (size_t)n, sizeof tmp[0], cmp_double);
    *p50 = tmp[n / 2];
    *p99 = tmp[(int)((n - 1) * 0.99 + 0.5)];
    *mean = sum / n;
}

void strata_engine_stats(strata_engine *e, double now, double frame_ms)
{
    strata_frame_stats *s = &e->ft;
    s->frame_ms[s->pos] = frame_ms;
    s->pos = (s->pos + 1) % 512;
    if (s->n < 512)
        s->n++;
    if (!e->stats)
        return;
    if (e->stats_last == 0) {
        e->stats_last = now;
        e->stats_frame = e->frame;
        return;
    }
    double span = now - e->stats_last;
    if (span < 1.0)
        return;
    double p50, p99, mean;
    strata_frame_stats_pct(s, &p50, &p99, &mean);
    fprintf(e->stats, "{\"time\":%.3f,\"frame\":%lld,\"fps\":%.2f,\"frame_ms_p50\":%.3f,"
            "\"frame_ms_p99\":%.3f,\"params\":{", e->time, (long long)e->frame,
            (double)(e->frame - e->stats_frame) / span, p50, p99);
    for (int i = 0; i < STRATA_PARAM_COUNT; i++)
        fprintf(e->stats, "%s\"%s\":%.4g", i ? "," : "", strata_param_defs[i].name,
                e->params.value[i]);
    fprintf(e->stats, "}}\n");
    e->stats_last = now;
    e->stats_frame = e->frame;
    s->n = s->pos = 0;
}

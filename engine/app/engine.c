/* The engine: state shared by live, render and bench, and the frame sequence. */
#include "app.h"
#include "isf/isf.h"
#include "midi/midi.h"
#include "oscquery/oscquery.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

strata_status strata_engine_init(strata_engine *e, const strata_options *o, bool hidden,
                                 strata_result *r)
{
    memset(e, 0, sizeof *e);
    e->opt = o;
    e->gain = 1.0f;
    strata_params_init(&e->params);
    for (int i = 0; i < o->nsets; i++)
        if (strncmp(o->sets[i], "isf/", 4) != 0 && /* after the ISF shaders load */
            !strata_params_set_arg(&e->params, o->sets[i], r))
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
    if (strata_render_init(&e->gl, o->shader_dir, r) != STRATA_OK)
        return r->status;
    e->render_w = e->full_w = o->render_w ? o->render_w : o->width;
    e->render_h = e->full_h = o->render_h ? o->render_h : o->height;
    /* Only live mode adapts: render is frame-exact and bench measures a fixed size. */
    strata_adapt_init(&e->adapt, o->mode == MODE_LIVE && !o->no_adapt,
                      o->target_fps > 0 ? o->target_fps : 60.0,
                      o->min_scale > 0 ? (float)o->min_scale : 0.5f);
    for (int i = 0; i < 2; i++)
        if (!strata_target_init(&e->targets[i], e->render_w, e->render_h, GL_RGBA8))
            return strata_fail(r, STRATA_ERR_GL, "cannot create %dx%d render targets", e->render_w,
                               e->render_h);
    e->fx = strata_fx_create(e->render_w, e->render_h, r);
    if (!e->fx)
        return r->status;
    /* The flow morph's programs compiled now, not in the first transition's frames. */
    if (o->mode != MODE_RENDER)
        strata_flow_warm(e->full_w, e->full_h);
    /* ISF shaders: their INPUTS become parameters, so --set isf/... applies after. */
    if (o->nisf || o->isf_dir) {
        strata_isf_chain_desc id = {.files = o->isf, .nfiles = o->nisf, .dir = o->isf_dir,
                                    .width = e->render_w, .height = e->render_h,
                                    .watch = o->mode == MODE_LIVE};
        if (!(e->isf = strata_isf_chain_create(&id, r)))
            return r->status;
    }
    /* Audio: a device, a file, or the internal clock; never a reason not to start. */
    strata_audio_config ac = o->audio;
    ac.file = o->audio_file;
    if (o->mode == MODE_RENDER) {
        ac.frame_exact = true;
        if (!o->audio_file)
            ac.no_audio = true; /* offline without a file: silence, deterministic */
    }
    if (o->mode == MODE_BENCH && !o->bench_audio && !o->audio_file)
        ac.no_audio = true;
    e->audio_in = strata_audio_create(&ac, r);
    if (!e->audio_in)
        return r->status;
    /* Control: OSC (not offline), tempo, routes. */
    strata_control_config cc = o->control;
    cc.osc_disabled = o->mode == MODE_RENDER || (o->mode == MODE_BENCH && !o->bench_osc);
    cc.bpm = o->bpm;
    cc.on_command = strata_engine_command;
    cc.user = e;
    e->control = strata_control_create(&cc, r);
    if (!e->control && !cc.osc_disabled && o->mode == MODE_LIVE) {
        /* A busy port (another strata, a leftover process) must not stop the show:
         * play without OSC and say so; tempo, routes and keys still work. */
        LOG_ERROR("APP", "%s; running without OSC control", r->msg);
        cc.osc_disabled = true;
        e->control = strata_control_create(&cc, r);
    }
    if (!e->control)
        return r->status;
    /* OSCQuery (live only): like OSC, a busy port is said and the show goes on. */
    if (o->mode == MODE_LIVE && !o->no_oscquery && !cc.osc_disabled) {
        strata_oscquery_config qc = {
            .port = o->oscquery_port,
            .bind = cc.osc_bind,
            .osc_port = strata_control_port(e->control),
            .osc_tcp = cc.osc_tcp,
            .control = e->control,
            .mdns = true,
        };
        strata_result qr = {0};
        if (!(e->oscquery = strata_oscquery_create(&qc, &qr)))
            LOG_WARN("APP", "%s; running without OSCQuery", qr.msg); /* the show goes on */
    }
    for (int i = 0; i < o->nroutes; i++)
        if (!strata_control_route_parse(e->control, o->routes[i], r))
            return STRATA_ERR_ARG;
    if (o->link)
        strata_control_set_link(e->control, true);
    if ((o->midi || o->midi_clock_out) && o->mode == MODE_LIVE &&
        strata_engine_midi_init(e, r) != STRATA_OK)
        return r->status;
    e->offline = o->mode == MODE_RENDER;
    e->fps = o->fps;
    e->wall_start = strata_time_s();
    if (o->state_path || o->install) {
        if (o->state_path) {
            snprintf(e->state_path, sizeof e->state_path, "%s", o->state_path);
        } else {
            const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
            if (xdg && xdg[0])
                snprintf(e->state_path, sizeof e->state_path, "%s/strata/state.json", xdg);
            else
                snprintf(e->state_path, sizeof e->state_path, "%s/.local/state/strata/state.json",
                         home ? home : ".");
        }
        strata_state_start(e->state_path);
    }
    if (strata_engine_scenes_init(e, r) != STRATA_OK)
        return r->status ? r->status : STRATA_ERR_IO;
    /* --set isf/...: every ISF shader is loaded now (--isf, --isf-dir, the presets'). */
    for (int i = 0; i < o->nsets; i++)
        if (!strncmp(o->sets[i], "isf/", 4) && !strata_params_set_arg(&e->params, o->sets[i], r))
            return STRATA_ERR_ARG;
    e->shots = strata_writer_create(e->render_w, e->render_h, 2);
    if (e->shots) /* a screenshot never replaces a file */
        strata_writer_set_exclusive(e->shots, true);
    if (o->stats_path) {
        /* Never blocking: a FIFO would wait for a reader before the first frame, then
         * stall the render thread whenever its reader does. */
        strata_result fr = {0};
        if (!(e->stats = strata_file_open_output(o->stats_path, false, &fr)))
            return strata_fail(r, STRATA_ERR_IO, "--stats %s", fr.msg);
        setvbuf(e->stats, NULL, _IOLBF, 0);
    }
    return STRATA_OK;
}

void strata_engine_shutdown(strata_engine *e)
{
    if (e->stats)
        fclose(e->stats);
    strata_writer_destroy(e->shots);
    e->shots = NULL;
    strata_oscquery_destroy(e->oscquery);
    e->oscquery = NULL;
    strata_midi_destroy(e->midi);
    e->midi = NULL;
    strata_control_destroy(e->control);
    e->control = NULL;
    strata_audio_destroy(e->audio_in);
    e->audio_in = NULL;
    strata_engine_scenes_shutdown(e);
    strata_state_stop();
    strata_isf_chain_destroy(e->isf);
    e->isf = NULL;
    strata_fx_destroy(e->fx);
    e->fx = NULL;
    for (int i = 0; i < 2; i++)
        strata_target_free(&e->targets[i]);
    strata_render_shutdown();
    strata_gl_close(&e->gl);
}

/* ---- MIDI (engine/midi) ------------------------------------------------------ */

strata_status strata_engine_midi_init(strata_engine *e, strata_result *r)
{
    const strata_options *o = e->opt;
    strata_midi_config mc = {.ports = o->midi, .clock_out = o->midi_clock_out};
    if (o->midi_api)
        strata_midi_parse_api(o->midi_api, &mc.api);
    if (!(e->midi = strata_midi_create(&mc, r)))
        return r->status;
    for (int i = 0; i < o->nmidi_maps; i++) {
        strata_midi_map map;
        if (strata_midi_map_load(o->midi_maps[i], &map, r) != STRATA_OK ||
            !strata_midi_add_map(e->midi, &map, r))
            return r->status ? r->status : STRATA_ERR_FORMAT;
        LOG_INFO("MIDI", "%s: %d bindings (%s)", o->midi_maps[i], map.n, map.name);
    }
    return STRATA_OK;
}

/* --stats' "midi": ports, counters, learn and the clock. */
json_t *strata_engine_midi_json(const strata_engine *e)
{
    strata_midi_stats ms;
    strata_midi_stats_get(e->midi, &ms);
    const char *armed = strata_midi_learn_armed(e->midi);
    const strata_midi_clock_state *c = &e->midi_clock;
    return json_pack("{s:i, s:I, s:I, s:I, s:I, s:o, s:{s:b, s:b, s:f, s:f}}", "ports",
                     ms.ports_open, "events", (json_int_t)ms.events, "junk", (json_int_t)ms.junk,
                     "dropped", (json_int_t)ms.dropped, "applied", (json_int_t)ms.applied,
                     "learn", armed ? json_string(armed) : json_null(), "clock", "active",
                     c->active, "running", c->running, "bpm", c->bpm, "beat", c->beat);
}

/* Before the control module's apply: MIDI's parameter sets are smoothed like OSC's, its
 * triggers run as OSC's commands do (strata_engine_command), a burst is an onset of the
 * velocity's height this frame. */
void strata_engine_midi_frame(strata_engine *e)
{
    if (!e->midi)
        return;
    strata_midi_frame mf = {.params = &e->params, .now = strata_time_s()};
    strata_midi_apply(e->midi, &mf);
    for (int i = 0; i < mf.ntriggers; i++) {
        const strata_midi_trigger *t = &mf.triggers[i];
        strata_cmd c = {.type = STRATA_CMD_NONE, .ival = t->index, .value = -1};
        switch (t->action) {
        case STRATA_MIDI_ACT_TAP:
            strata_control_tap(e->control);
            continue;
        case STRATA_MIDI_ACT_BURST:
            e->audio.onset = fmaxf(e->audio.onset, t->amount);
            continue;
        case STRATA_MIDI_ACT_SCENE_NEXT:
            c.type = STRATA_CMD_SCENE_NEXT;
            break;
        case STRATA_MIDI_ACT_SCENE_PREV:
            c.type = STRATA_CMD_SCENE_PREV;
            break;
        case STRATA_MIDI_ACT_SCENE:
            c.type = STRATA_CMD_SCENE;
            if (t->index >= e->setlist.count) {
                LOG_WARN("MIDI", "scene %d: the setlist has %d", t->index, e->setlist.count);
                continue;
            }
            break;
        case STRATA_MIDI_ACT_KEY:
            c.type = STRATA_CMD_KEY;
            if (t->index >= strata_bank_count(strata_engine_bank(e))) {
                LOG_WARN("MIDI", "keyframe %d: the bank has %d", t->index,
                         strata_bank_count(strata_engine_bank(e)));
                continue;
            }
            break;
        default:
            continue;
        }
        strata_engine_command(e->control, &c, e);
    }
    e->midi_clock = mf.clock;
    strata_control_set_midi_clock(e->control, mf.clock.active, mf.clock.running, mf.clock.bpm,
                                  mf.clock.beat);
}

bool strata_engine_command(strata_control *ctl, const strata_cmd *cmd, void *user)
{
    strata_engine *e = user;
    switch (cmd->type) {
    case STRATA_CMD_SCENE: {
        int idx = cmd->ival;
        if (idx < 0)
            idx = strata_setlist_find(&e->setlist, cmd->str);
        if (idx < 0 || idx >= e->setlist.count) {
            if (cmd->ival < 0)
                strata_control_reply_error(ctl, cmd, "/strata/scene: no scene named \"%s\"",
                                           cmd->str);
            else
                strata_control_reply_error(ctl, cmd, "/strata/scene: scene %d outside 0..%d",
                                           (int)cmd->ival, e->setlist.count - 1);
            return true;
        }
        strata_engine_goto_scene(e, idx);
        return true;
    }
    case STRATA_CMD_SCENE_NEXT:
    case STRATA_CMD_SCENE_PREV: {
        int n = e->setlist.count;
        int from = e->incoming ? e->incoming_index : e->scene_index;
        int step = cmd->type == STRATA_CMD_SCENE_NEXT ? 1 : -1;
        strata_engine_goto_scene(e, ((from + step) % n + n) % n);
        return true;
    }
    case STRATA_CMD_KEY: {
        int n = strata_bank_count(strata_engine_bank(e));
        if (cmd->ival < 0 || cmd->ival >= n) {
            strata_control_reply_error(ctl, cmd, "/strata/key: keyframe %d outside 0..%d",
                                       (int)cmd->ival, n - 1);
            return true; /* answered */
        }
        strata_morph_goto(strata_engine_morph(e), cmd->ival, cmd->value < 0 ? 2.0 : cmd->value);
        return true;
    }
    case STRATA_CMD_MIDI_LEARN:
        if (!e->midi)
            strata_control_reply_error(ctl, cmd, "/strata/midi/learn: MIDI is off (--midi)");
        else if (!strata_midi_learn(e->midi, cmd->str))
            strata_control_reply_error(ctl, cmd, "/strata/midi/learn: unknown parameter '%s'",
                                       cmd->str);
        return true;
    case STRATA_CMD_SCREENSHOT: {
        /* A bare name the control module checked (it named the unnamed one), always in
         * the screenshot folder; the writer creates it exclusively. */
        int n = snprintf(e->screenshot, sizeof e->screenshot, "%s/%s",
                         strata_control_screenshot_dir(ctl), cmd->str);
        if (n < 0 || (size_t)n >= sizeof e->screenshot || !cmd->str[0]) {
            strata_control_reply_error(ctl, cmd, "/strata/screenshot: path too long");
            return true;
        }
        e->screenshot_pending = true;
        return true;
    }
    case STRATA_CMD_GET: {
        int a, b;
        float t;
        strata_engine_scene_state(e, &a, &b, &t);
        if (!strcmp(cmd->str, "scene"))
            strata_control_reply_value(ctl, cmd, cmd->str, (float)e->scene_index);
        else if (!strcmp(cmd->str, "scenes"))
            strata_control_reply_value(ctl, cmd, cmd->str, (float)e->setlist.count);
        else if (!strcmp(cmd->str, "key"))
            strata_control_reply_value(ctl, cmd, cmd->str, (float)a);
        else if (!strcmp(cmd->str, "keyframes"))
            strata_control_reply_value(ctl, cmd, cmd->str,
                                       (float)strata_bank_count(strata_engine_bank(e)));
        else if (!strcmp(cmd->str, "morph/progress"))
            strata_control_reply_value(ctl, cmd, cmd->str, t);
        else if (!strcmp(cmd->str, "fps")) {
            double p50, p99, mean;
            strata_frame_stats_pct(&e->ft, &p50, &p99, &mean);
            strata_control_reply_value(ctl, cmd, cmd->str, mean > 0 ? 1000.0f / (float)mean : 0);
        } else
            return false;
        return true;
    }
    default:
        return false;
    }
}

/* ---- latent glitch ----------------------------------------------------------- */

/* How glitch maps onto each latent glitch and its share of an onset burst, in the fx
 * chain's terms: noise follows the master, the shift waits for a knee like the datamosh
 * block, swap and quantise (the loudest) come in late. */
static const strata_fx_shape lat_shape[4] = {
    {STRATA_FX_CURVE_LINEAR, 0.0f, 1.0f},    /* lat_noise */
    {STRATA_FX_CURVE_THRESHOLD, 0.2f, 1.0f}, /* lat_shift */
    {STRATA_FX_CURVE_THRESHOLD, 0.5f, 0.5f}, /* lat_swap */
    {STRATA_FX_CURVE_EXP, 3.0f, 0.5f},       /* lat_quant */
};

/* Patterns change 12 times a second of the scene clock: renders at any frame rate see
 * the same pattern at the same time (a frame count would not). */
#define LAT_PATTERN_HZ 12.0

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* This frame's latent glitch (e->lat_glitch, e->lat_seed; the scenes hand it to their
 * morphs): amounts from glitch, each lat_* parameter, its curve and the burst, exactly as
 * the fx chain computes its own (shared functions); all 0 at glitch 0. */
static void latent_glitch(strata_engine *e, const float *pv, float dt)
{
    e->lat_burst = strata_fx_burst_step(e->lat_burst, dt, e->audio.onset, pv);
    const int amount[4] = {STRATA_P_lat_noise, STRATA_P_lat_shift, STRATA_P_lat_swap,
                           STRATA_P_lat_quant};
    float a[4];
    for (int i = 0; i < 4; i++)
        a[i] = strata_fx_shape_amount(&lat_shape[i], pv[STRATA_P_glitch], pv[amount[i]],
                                      e->lat_burst, 0.0f);
    e->lat_glitch =
        (strata_latent_glitch){.noise = a[0], .shift = a[1], .swap = a[2], .quant = a[3]};
    /* The epsilon keeps a frame that lands on a tick (24 fps: every other frame) on it
     * whatever the rounding of the summed clock. */
    double tick = floor(e->time * LAT_PATTERN_HZ + 1e-6);
    e->lat_seed = mix64(tick > 0 ? (uint64_t)tick : 0);
}

bool strata_engine_set_render_scale(strata_engine *e, float s)
{
    int w, h;
    strata_adapt_size(e->full_w, e->full_h, s, &w, &h);
    if (w == e->render_w && h == e->render_h)
        return true;
    strata_target t[2] = {{0}, {0}};
    if (!strata_target_init(&t[0], w, h, GL_RGBA8) || !strata_target_init(&t[1], w, h, GL_RGBA8) ||
        !strata_fx_resize(e->fx, w, h)) {
        strata_target_free(&t[0]);
        strata_target_free(&t[1]);
        strata_fx_resize(e->fx, e->render_w, e->render_h);
        LOG_WARN("APP", "render scale x%.2f: cannot make %dx%d targets, staying at %dx%d", s, w, h,
                 e->render_w, e->render_h);
        return false;
    }
    for (int i = 0; i < 2; i++) {
        strata_target_free(&e->targets[i]);
        e->targets[i] = t[i];
    }
    LOG_INFO("APP", "render %dx%d -> %dx%d (x%.2f of %dx%d, holding %.0f fps)", e->render_w,
             e->render_h, w, h, s, e->full_w, e->full_h,
             e->adapt.budget_ms > 0 ? 1000.0 / e->adapt.budget_ms : 0.0);
    e->render_w = w;
    e->render_h = h;
    /* The last frame is gone with the old targets: the next one is drawn whole anyway. */
    return true;
}

void strata_engine_adapt(strata_engine *e, double work_ms, double dt)
{
    if (!strata_adapt_step(&e->adapt, work_ms, dt))
        return;
    if (!strata_engine_set_render_scale(e, e->adapt.scale)) {
        /* Keep the controller honest about the size actually in use. */
        e->adapt.scale = (float)e->render_w / (float)e->full_w;
    }
}

/* The frame; `to`: the output the fx chain's last pass may draw straight into (NULL:
 * the picture stays in a target, returned). NULL when it went to the output. */
static const strata_target *frame_run(strata_engine *e, double dt, const strata_fx_output *to)
{
    /* The frame clock: frame / fps offline (frame-exact), the wall clock live. */
    double now = e->offline ? (double)e->frame / e->fps : strata_time_s() - e->wall_start;
    /* Shader sources reloaded by the watcher thread; the frame's timers start. */
    strata_render_begin_frame(NULL);
    /* Audio snapshot: every hop that arrived since the last frame. */
    strata_audio_snapshot(e->audio_in, now, &e->audio);
    /* Drain command queues and update parameters: OSC commands due this frame, the
     * tempo clock, modulation routes, smoothing. The one place commands are applied. */
    strata_engine_midi_frame(e);
    strata_control_frame cf = {
        .params = &e->params,
        .audio = &e->audio,
        .time = now,
        .dt = (float)dt,
    };
    strata_control_apply(e->control, &cf);
    e->tempo = cf.tempo;
    if (e->midi) /* clock out: where the beat is, unless it comes from MIDI clock in */
        strata_midi_clock_out_publish(e->midi, strata_time_s(), e->tempo.bpm, e->tempo.beat,
                                      e->tempo.source == STRATA_TEMPO_MIDI);
    strata_oscquery_publish(e->oscquery, &e->params, &e->tempo);
    const float *pv = e->params.value;
    e->time += dt * pv[STRATA_P_speed];
    /* Traversal. */
    strata_traverse_in ti = {
        .dt = dt * pv[STRATA_P_speed],
        .drift = pv[STRATA_P_drift],
        .pulse = pv[STRATA_P_pulse],
        .motion = pv[STRATA_P_motion],
        .onset = e->audio.onset,
        .energy = e->audio.level.fast,
        .bpm = (float)e->tempo.bpm,
        .beat = e->tempo.beat,
    };
    latent_glitch(e, pv, (float)dt);
    strata_engine_scenes_update(e, &ti, dt);
    if (e->opt->install)
        strata_engine_install_tick(e, strata_time_s());
    /* Passes. */
    strata_uniforms_upload_audio(&e->audio);
    int a, b;
    float t;
    strata_engine_scene_state(e, &a, &b, &t);
    strata_frame_uniforms u = {
        .time = e->time,
        .frame = e->frame,
        .dt = (float)dt,
        .width = e->render_w,
        .height = e->render_h,
        .audio = &e->audio,
        .bpm = (float)e->tempo.bpm,
        .beat = (float)e->tempo.beat,
        .beat_phase = e->tempo.beat_phase,
        .bar_phase = e->tempo.bar_phase,
        .params = pv,
        .morph = t,
    };
    strata_uniforms_frame(&u); /* the frame block every pass reads */
    int next = e->cur ^ 1;
    const strata_target *src = NULL;
    strata_morph *m = strata_engine_morph(e);
    if (e->gain <= 0.0f) {
        /* Outside opening hours, black: the scenes rest. */
        strata_target_clear(&e->targets[next], 0, 0, 0, 1);
        e->cur = next;
    } else if (!e->fading && !e->incoming && m &&
               e->setlist.entries[e->scene_index].preset.n_isf == 0 && /* its ISF: in its draw */
               strata_morph_view(m, &u, &e->view) &&
               e->view.w == e->render_w && e->view.h == e->render_h) {
        /* A held keyframe at the render size: the chain reads it in place, no copy. */
        src = &e->view;
    } else if (strata_engine_scenes_draw(e, &e->targets[next], &u)) {
        e->cur = next;
    }
    if (!src)
        src = &e->targets[e->cur];
    /* ISF: an enabled generator makes the picture, enabled filters run on it. */
    if (e->isf) {
        strata_isf_frame isf = {.time = e->time, .dt = (float)dt, .frame = e->frame,
                                .values = pv, .audio = &e->audio, .params = &e->params};
        if (e->offline) /* DATE from the scene clock: renders stay frame-exact */
            memcpy(isf.date, (float[4]){2000, 1, 1, (float)e->time}, sizeof isf.date);
        strata_isf_chain_resize(e->isf, e->render_w, e->render_h);
        src = strata_isf_chain_run(e->isf, src, &isf);
    }
    /* The grade and the glitch chain: bit-exact bypass at glitch 0 with a neutral grade;
     * times its own passes. */
    strata_fx_inputs fi = {.u = &u, .onset = e->audio.onset};
    /* Datamosh rides the morph's own flow: this frame's share of the transition, in
     * pixels. Without a flow morph the chain measures motion from the last frame. */
    GLuint flow = e->fading ? 0 : strata_morph_flow_texture(strata_engine_morph(e));
    float step = t - e->last_t;
    if (flow && step > 0.0f) {
        fi.flow_tex = flow;
        fi.flow_scale[0] = step * (float)e->render_w;
        fi.flow_scale[1] = step * (float)e->render_h;
    }
    e->last_t = b >= 0 ? t : 0.0f;
    /* A screenshot reads the picture back from a target: no straight-to-output then. */
    const strata_target *out =
        to && !(e->screenshot_pending && e->shots)
            ? strata_fx_present(e->fx, src, &fi, to)
            : strata_fx_run(e->fx, src, &fi);
    e->frame++;
    if (e->screenshot_pending && e->shots) {
        /* One readback; the PNG is encoded and written on the writer thread. */
        static uint8_t *px;
        static size_t px_len;
        size_t need = (size_t)out->w * out->h * 4;
        if (px_len < need) {
            free(px);
            px = malloc(need);
            px_len = px ? need : 0;
        }
        if (px) {
            strata_target_read(out, px);
            if (!strata_writer_submit(e->shots, e->screenshot, px, false))
                LOG_WARN("APP", "screenshot %s dropped: the writer is busy", e->screenshot);
            else
                LOG_INFO("APP", "screenshot: %s", e->screenshot);
        }
        e->screenshot_pending = false;
    }
    return out;
}

const strata_target *strata_engine_frame(strata_engine *e, double dt)
{
    return frame_run(e, dt, NULL);
}

const strata_target *strata_engine_present(strata_engine *e, double dt, const strata_target *dst,
                                           int win_w, int win_h)
{
    const strata_target *t = frame_run(e, dt, &(strata_fx_output){dst, win_w, win_h});
    if (t)
        strata_output_draw(t, dst, win_w, win_h);
    return t;
}

void strata_frame_stats_pct(const strata_frame_stats *s, double *p50, double *p99, double *mean)
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
    strata_sort_doubles(tmp, (size_t)n);
    *p50 = tmp[n / 2];
    *p99 = tmp[(int)((n - 1) * 0.99 + 0.5)];
    *mean = sum / n;
}

/* ---- --stats: one JSON line a second ----------------------------------------- */

/* A number, or null where it is not finite (JSON has no NaN). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A string; jansson refuses text that is not UTF-8 (a file name can be anything). */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_string("(not UTF-8)");
}

/* The tempo clock: add a field with one more json_object_set_new. */
static json_t *stats_tempo(const strata_engine *e)
{
    json_t *t = json_object();
    json_object_set_new(t, "bpm", jnum(e->tempo.bpm));
    json_object_set_new(t, "beat", jnum(e->tempo.beat));
    json_object_set_new(t, "source", jstr(strata_tempo_source_name(e->tempo.source)));
    char why[160];
    json_object_set_new(t, "reason", jstr(strata_tempo_reason(&e->tempo, why, sizeof why)));
    json_object_set_new(t, "audio_bpm", jnum(e->tempo.audio_bpm));
    json_object_set_new(t, "audio_confidence", jnum(e->tempo.audio_confidence));
    json_object_set_new(t, "link_peers", json_integer(e->tempo.link_peers));
    return t;
}

/* A neural bank's state: decoding or previews and why, latent size, passes, decodes per
 * second, and this frame's latent glitch. NULL (no field) for other banks. */
json_t *strata_engine_neural_json(const strata_engine *e)
{
    strata_morph_neural_status ns;
    if (!strata_morph_neural_status_get(strata_engine_morph(e), &ns))
        return NULL;
    char latent[32];
    snprintf(latent, sizeof latent, "%dx%d", ns.lw, ns.lh);
    const strata_latent_glitch *g = &e->lat_glitch;
    return json_pack("{s:b, s:o, s:s, s:i, s:i, s:o, s:{s:o, s:o, s:o, s:o}}", "decoding",
                     ns.decoding, "why", jstr(ns.decoding ? "" : ns.why), "latent", latent,
                     "passes", ns.passes, "passes_per_frame", ns.passes_per_frame, "decodes_per_s",
                     jnum(ns.decodes_per_s), "glitch", "noise", jnum(g->noise), "shift",
                     jnum(g->shift), "swap", jnum(g->swap), "quant", jnum(g->quant));
}

/* Per pass: the running average of its GPU time and its CPU issue time, in ms. */
static json_t *stats_passes(void)
{
    strata_pass_time pt[STRATA_MAX_PASSES];
    int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
    json_t *o = json_object();
    for (int i = 0; i < np; i++)
        json_object_set_new(o, pt[i].name,
                            json_pack("{s:o, s:o}", "gpu_ms", jnum(pt[i].gpu_avg_ms), "cpu_ms",
                                      jnum(pt[i].cpu_ms)));
    return o;
}

void strata_engine_picture_state(const strata_engine *e, strata_picture_state *ps)
{
    const strata_morph *m = strata_engine_morph(e);
    const strata_bank *b = strata_engine_bank(e);
    strata_morph_mode mode = strata_morph_get_mode(m);
    *ps = (strata_picture_state){.scene = strata_engine_scene_name(e),
                                 .morph = m ? strata_morph_mode_name(mode) : "isf",
                                 .latent_scale = strata_morph_latent_scale(m)};
    strata_engine_scene_state(e, &ps->keyframe, &ps->next, &ps->progress);
    ps->keyframe_name = strata_bank_name(b, ps->keyframe);
    ps->next_name = ps->next >= 0 ? strata_bank_name(b, ps->next) : NULL;
    if (mode == STRATA_MORPH_FLOW)
        ps->flow = ps->next < 0 ? "holding" : strata_morph_flow_texture(m) ? "done" : "estimating";
    strata_morph_neural_status ns;
    if (strata_bank_kind(b) == STRATA_BANK_LATENT) {
        /* The rounding of strata_morph_set_latent_scale. */
        ps->decode_w = (int)((float)e->full_w * ps->latent_scale + 0.5f);
        ps->decode_h = (int)((float)e->full_h * ps->latent_scale + 0.5f);
    } else if (strata_morph_neural_status_get(m, &ns) && ns.decoding) {
        ps->decode_w = ns.lw * 8;
        ps->decode_h = ns.lh * 8;
    } else {
        strata_bank_size(b, &ps->decode_w, &ps->decode_h); /* what the loader decodes to */
    }
}

/* The scene object of a --stats line: what is on screen and why it looks so. */
static json_t *stats_scene(const strata_engine *e)
{
    strata_picture_state ps;
    strata_engine_picture_state(e, &ps);
    char decode[32];
    snprintf(decode, sizeof decode, "%dx%d", ps.decode_w, ps.decode_h);
    json_t *scene = json_pack(
        "{s:i, s:o, s:b, s:i, s:o, s:i, s:o, s:o, s:s, s:o, s:i, s:o, s:s}", "index",
        e->scene_index, "name", jstr(ps.scene), "switching", e->incoming || e->incoming_loading,
        "keyframe", ps.keyframe, "keyframe_name", jstr(ps.keyframe_name), "next", ps.next,
        "next_name", ps.next_name ? jstr(ps.next_name) : json_null(), "progress", jnum(ps.progress),
        "morph", ps.morph, "flow", ps.flow ? jstr(ps.flow) : json_null(), "keyframes",
        strata_bank_count(strata_engine_bank(e)), "latent_scale", jnum(ps.latent_scale), "decode",
        decode);
    json_t *neural = strata_engine_neural_json(e);
    if (neural && scene)
        json_object_set_new(scene, "neural", neural);
    else
        json_decref(neural);
    return scene;
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
    /* jansson, not printf: a scene name or file path with a quote or a backslash must
     * still give a valid line. */
    json_t *params = json_object();
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        const strata_param_def *d = strata_param_def_of(i);
        if (d)
            json_object_set_new(params, d->name, jnum(e->params.value[i]));
    }
    const strata_audio_frame *au = &e->audio;
    json_t *audio =
        json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "live", au->live, "status",
                  jstr(strata_audio_status(e->audio_in)), "bpm", jnum(au->bpm), "confidence",
                  jnum(au->confidence), "level", jnum(au->level.fast), "bass", jnum(au->bass.fast),
                  "mid", jnum(au->mid.fast), "high", jnum(au->high.fast), "onsets",
                  (json_int_t)au->onset_count, "beats", (json_int_t)au->beat_count);
    json_t *scene = stats_scene(e);
    /* The size the chain renders at and why: adaptive resolution's scale and target. */
    char size[32];
    snprintf(size, sizeof size, "%dx%d", e->render_w, e->render_h);
    json_t *render = json_pack("{s:s, s:o, s:b, s:o, s:o, s:o, s:i}", "size", size, "scale",
                               jnum(e->adapt.scale), "adaptive", e->adapt.on, "target_fps",
                               jnum(e->adapt.budget_ms > 0 ? 1000.0 / e->adapt.budget_ms : 0.0),
                               "floor", jnum(e->adapt.floor), "work_ms", jnum(e->adapt.work_ms),
                               "changes", e->adapt.changes);
    json_t *line = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "time",
                             jnum(e->time), "frame", (json_int_t)e->frame, "fps",
                             jnum((double)(e->frame - e->stats_frame) / span), "frame_ms_p50",
                             jnum(p50), "frame_ms_p99", jnum(p99), "rss_mb", jnum(strata_rss_mb()),
                             "params", params, "audio", audio, "tempo", stats_tempo(e), "scene",
                             scene, "passes", stats_passes(), "render", render);
    if (line && e->midi)
        json_object_set_new(line, "midi", strata_engine_midi_json(e));
    if (line && json_dumpf(line, e->stats, JSON_COMPACT | JSON_REAL_PRECISION(6)) == 0)
        fputc('\n', e->stats);
    json_decref(line);
    e->stats_last = now;
    e->stats_frame = e->frame;
    s->n = s->pos = 0;
}

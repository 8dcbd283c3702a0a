/* Live mode: the window, keys, overlay and the frame loop. */
#include "app.h"
#include "isf/isf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct live_state {
    bool quit;
    bool install; /* kiosk: only a deliberate combination quits */
    bool overlay;
    double last_esc; /* time of the last Esc, for the double-press quit */
    int last_param;  /* the parameter last moved by its key: what L arms for MIDI learn */
} live_state;

static int nudge_param(strata_engine *e, SDL_Keycode key, bool down)
{
    int moved = -1;
    for (int i = 0; i < STRATA_PARAM_COUNT; i++) {
        const strata_param_def *d = &strata_param_defs[i];
        if (!d->key || d->key != (char)key)
            continue;
        float step = (d->max - d->min) * 0.05f * (down ? -1.0f : 1.0f);
        strata_params_set(&e->params, i, e->params.base[i] + step, false);
        LOG_INFO("CONTROL", "%s = %.3f", d->name, e->params.base[i]);
        moved = i;
    }
    return moved;
}

static void handle_key(strata_engine *e, live_state *ls, const SDL_KeyboardEvent *k)
{
    SDL_Keycode key = k->keysym.sym;
    bool ctrl = k->keysym.mod & KMOD_CTRL, shift = k->keysym.mod & KMOD_SHIFT;
    double now = strata_time_s();
    if (ls->install) {
        /* An installation has no quit key, only a combination nobody presses by chance. */
        bool alt = k->keysym.mod & KMOD_ALT;
        if (key == SDLK_q && ctrl && alt && shift)
            ls->quit = true;
        else if (key == SDLK_o && ctrl && alt && shift)
            ls->overlay = !ls->overlay;
        return;
    }
    if (key == SDLK_ESCAPE) {
        /* One stray Esc never ends a show: quitting takes two within a second. */
        if (now - ls->last_esc < 1.0) {
            ls->quit = true;
        } else {
            ls->last_esc = now;
            LOG_INFO("APP", "press Esc again within 1 s to quit");
        }
    } else if (key == SDLK_q && ctrl) {
        ls->quit = true;
    } else if (key == SDLK_f && !ctrl) {
        strata_gl_set_fullscreen(&e->gl, !e->gl.fullscreen);
    } else if (key == SDLK_o && !ctrl) {
        ls->overlay = !ls->overlay;
    } else if (key == SDLK_t && !ctrl) {
        strata_control_tap(e->control);
    } else if (key == SDLK_l && !ctrl && e->midi) {
        /* MIDI learn: arm the parameter last moved by its key; L again (or Shift+L)
         * disarms. The overlay shows it armed, then what was bound. */
        bool armed = strata_midi_learn_armed(e->midi) != NULL;
        strata_midi_learn(e->midi, armed || shift ? NULL
                                                  : strata_param_defs[ls->last_param].name);
    } else if (key >= SDLK_a && key <= SDLK_z && !ctrl && key != SDLK_t) {
        int moved = nudge_param(e, key, shift);
        if (moved >= 0)
            ls->last_param = moved;
    }
}

/* The neural line: decoding (latent size, passes per frame, decodes per second, the
 * latent glitch) or the previews and why. Nothing for other banks. */
static int overlay_neural(const strata_engine *e, char *buf, size_t len)
{
    strata_morph_neural_status ns;
    if (!strata_morph_neural_status_get(strata_engine_morph(e), &ns))
        return 0;
    if (!ns.decoding)
        return snprintf(buf, len, "neural: previews (blend): %s\n", ns.why);
    char split[48];
    if (ns.passes_per_frame > 0)
        snprintf(split, sizeof split, "%d of %d passes a frame", ns.passes_per_frame, ns.passes);
    else
        snprintf(split, sizeof split, "%d passes in one frame", ns.passes);
    const strata_latent_glitch *g = &e->lat_glitch;
    return snprintf(buf, len,
                    "neural: decoding latent %dx%d (%dx%d px), %s, %.1f decodes/s\n"
                    "latent glitch noise %.2f shift %.2f swap %.2f quant %.2f\n",
                    ns.lw, ns.lh, ns.lw * 8, ns.lh * 8, split, ns.decodes_per_s, g->noise, g->shift,
                    g->swap, g->quant);
}

/* Why the picture looks so: scene, keyframe -> next by name and progress, morph and, for
 * flow, whether the estimate of this pair is done, and the size the picture is made at. */
static int overlay_picture(const strata_engine *e, char *buf, size_t len)
{
    strata_picture_state ps;
    strata_engine_picture_state(e, &ps);
    if (!strata_engine_bank(e)) /* a preset's ISF generator is the picture */
        return snprintf(buf, len, "scene %s: ISF generator, no bank\n", ps.scene);
    char next[160] = "  (holding)";
    if (ps.next >= 0)
        snprintf(next, sizeof next, " -> %d %s (%.0f%%)", ps.next, ps.next_name,
                 ps.progress * 100.0f);
    char flow[40] = "";
    if (ps.flow)
        snprintf(flow, sizeof flow, ", flow estimate %s", ps.flow);
    char scale[40] = "";
    if (strata_bank_kind(strata_engine_bank(e)) == STRATA_BANK_LATENT)
        snprintf(scale, sizeof scale, " (latent x%.2f)", ps.latent_scale);
    return snprintf(buf, len,
                    "scene %s: keyframe %d %s%s of %d\n"
                    "morph %s%s  decode %dx%d%s\n",
                    ps.scene, ps.keyframe, ps.keyframe_name, next,
                    strata_bank_count(strata_engine_bank(e)), ps.morph, flow, ps.decode_w,
                    ps.decode_h, scale);
}

static void overlay_text(strata_engine *e, char *buf, size_t len)
{
    double p50, p99, mean;
    strata_frame_stats_pct(&e->ft, &p50, &p99, &mean);
    char adapt[80] = " (fixed)";
    if (e->adapt.on)
        snprintf(adapt, sizeof adapt, " (x%.2f of %dx%d, adaptive: holds %.0f fps, floor x%.2f)",
                 e->adapt.scale, e->full_w, e->full_h, 1000.0 / e->adapt.budget_ms,
                 e->adapt.floor);
    int n = snprintf(buf, len,
                     "strata %s  %.1f fps  frame %.2f ms (p99 %.2f)\n"
                     "%s  GL %d.%d  render %dx%d%s\n",
                     STRATA_VERSION, mean > 0 ? 1000.0 / mean : 0.0, p50, p99, e->gl.renderer,
                     e->gl.major, e->gl.minor, e->render_w, e->render_h, adapt);
    /* Before the pass list, so a long list never cuts them off the overlay's buffer. */
    if (n > 0 && (size_t)n < len)
        n += overlay_picture(e, buf + n, len - (size_t)n);
    if (n > 0 && (size_t)n < len)
        n += overlay_neural(e, buf + n, len - (size_t)n);
    strata_pass_time pt[STRATA_MAX_PASSES];
    int np = strata_gpu_report(pt, STRATA_MAX_PASSES);
    for (int i = 0; i < np && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "  %-10s gpu %6.2f ms  cpu %5.2f ms\n", pt[i].name,
                      pt[i].gpu_ms, pt[i].cpu_ms);
    if (e->isf && n > 0 && (size_t)n < len) {
        n += strata_isf_chain_status(e->isf, e->params.value, buf + n, len - (size_t)n);
        if ((size_t)n + 1 < len)
            buf[n++] = '\n', buf[n] = 0;
    }
    if (e->midi && n > 0 && (size_t)n < len) {
        char st[256];
        strata_midi_status(e->midi, st, sizeof st);
        n += snprintf(buf + n, len - (size_t)n, "%s\n", st);
    }
    if (n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n,
                      "%s\ntempo %.1f bpm (%s%s)  beat %.0f  OSC port %d\n"
                      "glitch %.2f  drift %.2f  speed %.2f",
                      strata_audio_status(e->audio_in), e->tempo.bpm,
                      strata_tempo_source_name(e->tempo.source),
                      e->tempo.link_peers ? ", link peers" : "", e->tempo.beat,
                      strata_control_port(e->control), e->params.value[STRATA_P_glitch],
                      e->params.value[STRATA_P_drift], e->params.value[STRATA_P_speed]);
}

int strata_live_run(const strata_options *o)
{
    strata_engine e;
    strata_result r = {0};
    if (strata_engine_init(&e, o, false, &r) != STRATA_OK) {
        LOG_ERROR("APP", "%s", r.msg);
        strata_engine_shutdown(&e);
        return 1;
    }
    if (o->fullscreen)
        SDL_ShowCursor(SDL_DISABLE);
    live_state ls = {.overlay = o->overlay, .last_esc = -10, .install = o->install,
                     .last_param = STRATA_P_glitch};
    bool watchdog = o->watchdog_s > 0;
    /* Fault injection for operators and tests: stall the frame loop once, to see the
     * watchdog end the process and the service bring it back. */
    const char *stall_env = getenv("STRATA_FAULT_STALL_AT");
    long stall_at = stall_env ? atol(stall_env) : -1;
    double start = strata_time_s(), last = start;
    while (!ls.quit) {
        /* 0. a stop signal (systemctl stop, Ctrl+C in the terminal) ends every mode,
         * kiosk included: keys and window-close are what kiosk mode ignores. */
        int sig = strata_signal_stop_requested();
        if (sig) {
            LOG_INFO("APP", "%s: stopping", strsignal(sig));
            break;
        }
        /* 1. events */
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            if (ev.type == SDL_QUIT && !ls.install)
                ls.quit = true;
            else if (ev.type == SDL_KEYDOWN && !ev.key.repeat)
                handle_key(&e, &ls, &ev.key);
        }
        double now = strata_time_s();
        double dt = now - last;
        last = now;
        if (dt > 0.25)
            dt = 0.25; /* after a stall, move on instead of jumping */
        /* 2..7: queues, audio, parameters, traversal, passes, output (the fx chain's last
         * pass draws into the window itself when the render size fits it) */
        int ww, wh;
        strata_gl_drawable_size(&e.gl, &ww, &wh);
        strata_engine_present(&e, dt, NULL, ww, wh);
        if (ls.overlay) {
            char text[2048]; /* passes (fx, neural stages), scene, neural */
            overlay_text(&e, text, sizeof text);
            strata_overlay_draw(text, ww, wh);
        }
        strata_gpu_end();
        /* 8. swap */
        double work_ms = (strata_time_s() - now) * 1000.0; /* before the vsync wait */
        SDL_GL_SwapWindow(e.gl.window);
        strata_engine_stats(&e, strata_time_s(), dt * 1000.0);
        /* Adaptive resolution: the frame's work is its CPU time up to the swap or its
         * GPU time, whichever is longer (a fill-bound GPU shows only in the second). */
        double gpu_ms = strata_gpu_frame_ms();
        strata_engine_adapt(&e, work_ms > gpu_ms ? work_ms : gpu_ms, dt);
        if (e.frame % 30 == 0 && !o->latent_scale_fixed) {
            /* Dynamic resolution of the generator: hold at least 30 fps. */
            double p50, p99, mean;
            strata_frame_stats_pct(&e.ft, &p50, &p99, &mean);
            strata_morph_adapt(strata_engine_morph(&e), p50, 1000.0 / 30.0);
        }
        if (e.frame == stall_at) {
            LOG_WARN("APP", "STRATA_FAULT_STALL_AT: stalling the frame loop for 10 s");
            strata_sleep_s(10.0);
        }
        if (watchdog) {
            /* Armed after the first frame: setup (compiles, bank open) may be slow. */
            if (e.frame == 1)
                strata_watchdog_start(o->watchdog_s);
            strata_watchdog_beat();
        }
        if ((o->quit_after > 0 && now - start >= o->quit_after) ||
            (o->frames > 0 && e.frame >= o->frames))
            ls.quit = true;
    }
    strata_watchdog_stop();
    if (e.state_path[0] && e.scene) {
        /* Save where the show is now, not up to 5 s ago: the next start resumes here. */
        e.install_last = e.state_last = -1e9;
        strata_engine_install_tick(&e, strata_time_s());
    }
    LOG_INFO("APP", "quit after %lld frames", (long long)e.frame);
    strata_engine_shutdown(&e);
    return 0;
}

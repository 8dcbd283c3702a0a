/* The command line: modes, options, --help. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

void strata_options_usage(FILE *out)
{
    fprintf(
        out,
        "strata %s: a live latent-space VJ engine\n"
        "\n"
        "usage:\n"
        "  strata [PRESET] [options]                 live: a window, audio in, OSC control;\n"
"                                            PRESET is a preset or a setlist (presets/)\n"
        "  strata render [PRESET] --out PATH --fps N (--frames N | --duration S) [options]\n"
        "                                            offline, frame-exact render to PNGs or video\n"
        "  strata bench [PRESET] [--seconds S] [--size WxH] [--json]\n"
        "                                            offscreen, no vsync: fps, frame times, GPU "
        "ms\n"
        "  strata --list-params [--json]             the parameter registry\n"
        "  strata --help | --version\n"
        "\n"
        "display:\n"
        "  --size WxH            window size (live) or output size (render, bench); 1280x720\n"
        "  --render-size WxH     internal resolution, independent of the output (letterboxed)\n"
        "  --fullscreen          fullscreen on the display (F toggles)\n"
        "  --windowed            stay in a window (with --install: for trying it out)\n"
        "  --display N           display index for fullscreen (a projector)\n"
        "  --no-vsync            do not wait for the display's refresh\n"
        "  --overlay             start with the overlay on (O toggles)\n"
        "  --quit-after S        live: quit after S seconds (or after --frames N frames)\n"
        "\n"
        "render:\n"
        "  --out PATH            a folder or a %%05d.png pattern (PNG frames), or .mp4/.mov/.webm\n"
        "                        (raw frames piped into ffmpeg)\n"
        "  --fps N               frames per second (render: 30)\n"
        "  --frames N | --duration S\n"
        "  --audio-file F        audio to analyse (and to mux into a video)\n"
        "\n"
        "bench:\n"
        "  --seconds S           how long to render (5)\n"
        "  --json                one JSON object instead of text\n"
        "  --pace FPS            pace frames like vsync at FPS (default: as fast as it goes)\n"
        "\n"
        "banks and morph:\n"
        "  --bank PATH           an image folder, a .strata bank or a latent set (strata-bank);\n"
        "                        default: the built-in latent set\n"
        "  --morph MODE          blend | flow | latent (latent sets only); default latent or flow\n"
        "  --drift X             scene drift 0..1: 0 holds a keyframe, 1 travels continuously\n"
        "  --order ORDER         sequence | shuffle | neighbours | pingpong (default sequence)\n"
        "  --seed N              seed of the traversal (shuffle, neighbours)\n"
        "  --fill                crop images to fill the frame (default: fit with black bars)\n"
        "  --cache-mb N          GPU keyframe cache budget (default 256)\n"
        "  --latent-scale S      latent generator resolution 0.1..1 of the render size; fixed\n"
        "                        (default: starts at 1 on a GPU, 0.25 on a software rasteriser,\n"
        "                        and live mode adapts it to hold 30 fps)\n"
        "\n"
        "audio:\n"
        "  --list-audio          list input devices (index, name, host API, channels, rate)\n"
        "  --audio-device D      a device index or a part of its name (default: system default)\n"
        "  --audio-channels N    channels to open    --audio-channel N  analyse channel N "
        "(1-based;\n"
        "                        default: mono mix-down)\n"
        "  --sample-rate N       (48000)             --audio-buffer N  frames per buffer (256)\n"
        "  --audio-file F        WAV/FLAC/OGG/MP3: played in real time live, frame-exact in "
        "render\n"
        "  --monitor             also play the audio file out        --no-audio  internal clock "
        "only\n"
        "  --bpm-range LO:HI     beat tracker range (60:200)\n"
        "\n"
        "control:\n"
        "  --osc-port N          OSC port (8000)     --osc-bind ADDR  --osc-tcp\n"
        "  --osc-allow CIDR[,CIDR]  only these senders\n"
        "  --screenshot-dir DIR  where /strata/screenshot may write (default: .)\n"
        "  --bpm F               internal tempo      --link  join an Ableton Link session\n"
        "  --route SPEC          modulation route, e.g. 'bass>glitch*0.6,curve=exp' (repeatable)\n"
        "  bench --osc [--osc-rate N] [--osc-param NAME]  a second phase under an OSC flood\n"
        "                        (100000 msg/s of /strata/pulse) from another process: fps "
        "against\n"
        "                        idle, memory, latency\n"
        "  bench --audio         report audio ring-to-snapshot latency\n"
        "\n"
        "parameters:\n"
        "  --set NAME=VALUE      set a parameter (repeatable); see --list-params\n"
        "\n"
        "installation:\n"
        "  strata --install [SETLIST]  fullscreen loop for galleries: cursor hidden, no quit key\n"
        "                        but Ctrl+Alt+Shift+Q, audio optional, auto-advance, opening "
        "hours,\n"
        "                        state saved and restored, watchdog (see docs/INSTALLATION.md)\n"
        "  --state FILE          where the show is saved (install default:\n"
        "                        ~/.local/state/strata/state.json)\n"
        "  --watchdog S          exit with code 3 when the frame loop stalls S seconds\n"
        "                        (install default: 2)\n"
        "\n"
        "files and logs:\n"
        "  --shader-dir DIR      read shaders from DIR and hot-reload them (default: embedded)\n"
        "  --stats FILE          one JSON line per second: time, frame, fps, frame times, params\n"
        "  --log FILE            log to FILE as well as stderr\n"
        "\n"
        "keys (live):\n"
        "  F fullscreen   O overlay   T tap tempo   Esc Esc (within 1 s) or Ctrl+Q quit\n"
        "  a parameter's key raises it, Shift+key lowers it (see --list-params)\n",
        STRATA_VERSION);
}

static bool need(int i, int argc, char **argv)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "strata: %s needs a value (see --help)\n", argv[i]);
        return false;
    }
    return true;
}

static bool parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "strata: %s %s: expected a number in %g..%g\n", opt, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

int strata_options_parse(strata_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->mode = MODE_LIVE;
    o->fps = 30;
    o->seconds = 5;
    o->drift = -1;
    o->osc_rate = 100000;
    o->osc_param = "pulse"; /* moves nothing that costs render time: fps stays comparable */
    o->seed = 1;
    int i = 1;
    if (argc > 1 && !strcmp(argv[1], "render")) {
        o->mode = MODE_RENDER;
        i = 2;
    } else if (argc > 1 && !strcmp(argv[1], "bench")) {
        o->mode = MODE_BENCH;
        i = 2;
    }
    bool list = false;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            strata_options_usage(stdout);
            return 1;
        } else if (!strcmp(a, "--version")) {
            printf("strata %s\n", STRATA_VERSION);
            return 1;
        } else if (!strcmp(a, "--list-params")) {
            list = true;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--size") || !strcmp(a, "--render-size")) {
            if (!need(i, argc, argv))
                return -1;
            int *w = a[2] == 's' ? &o->width : &o->render_w;
            int *h = a[2] == 's' ? &o->height : &o->render_h;
            if (!strata_parse_size(argv[++i], w, h)) {
                fprintf(stderr, "strata: %s %s: expected WxH, e.g. 1280x720\n", a, argv[i]);
                return -1;
            }
        } else if (!strcmp(a, "--install")) {
            o->install = true;
            o->fullscreen = true;
            if (!o->watchdog_s)
                o->watchdog_s = 2.0;
        } else if (!strcmp(a, "--state")) {
            if (!need(i, argc, argv))
                return -1;
            o->state_path = argv[++i];
        } else if (!strcmp(a, "--watchdog")) {
            if (!need(i, argc, argv) || !parse_double(a, argv[i + 1], 0.1, 3600, &o->watchdog_s))
                return -1;
            i++;
        } else if (!strcmp(a, "--list-audio")) {
            o->list_audio = true;
        } else if (!strcmp(a, "--monitor")) {
            o->audio.monitor = true;
        } else if (!strcmp(a, "--no-audio")) {
            o->audio.no_audio = true;
        } else if (!strcmp(a, "--osc-tcp")) {
            o->control.osc_tcp = true;
        } else if (!strcmp(a, "--link")) {
            o->link = true;
        } else if (!strcmp(a, "--osc") && o->mode == MODE_BENCH) {
            o->bench_osc = true;
        } else if (!strcmp(a, "--audio") && o->mode == MODE_BENCH) {
            o->bench_audio = true;
        } else if (!strcmp(a, "--audio-device") || !strcmp(a, "--osc-bind") ||
                   !strcmp(a, "--osc-allow") || !strcmp(a, "--route") ||
                   !strcmp(a, "--screenshot-dir") || !strcmp(a, "--bpm-range")) {
            if (!need(i, argc, argv))
                return -1;
            const char *v = argv[++i];
            if (!strcmp(a, "--audio-device"))
                o->audio.device = v;
            else if (!strcmp(a, "--osc-bind"))
                o->control.osc_bind = v;
            else if (!strcmp(a, "--osc-allow"))
                o->control.osc_allow = v;
            else if (!strcmp(a, "--screenshot-dir"))
                o->control.screenshot_dir = v;
            else if (!strcmp(a, "--route") && o->nroutes < MAX_SETS)
                o->routes[o->nroutes++] = v;
            else if (!strcmp(a, "--bpm-range") &&
                     !strata_audio_parse_bpm_range(v, &o->audio.bpm_min, &o->audio.bpm_max)) {
                fprintf(stderr, "strata: --bpm-range %s: expected LO:HI, e.g. 60:200\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--pace")) {
            if (!need(i, argc, argv) || !parse_double(a, argv[i + 1], 1, 1000, &o->pace))
                return -1;
            i++;
        } else if (!strcmp(a, "--osc-param")) {
            if (!need(i, argc, argv))
                return -1;
            o->osc_param = argv[++i];
            if (strata_param_find(o->osc_param) < 0) {
                fprintf(stderr, "strata: --osc-param %s: unknown parameter\n", o->osc_param);
                return -1;
            }
        } else if (!strcmp(a, "--osc-rate")) {
            if (!need(i, argc, argv) || !parse_double(a, argv[i + 1], 1, 1e7, &o->osc_rate))
                return -1;
            i++;
        } else if (!strcmp(a, "--audio-channels") || !strcmp(a, "--audio-channel") ||
                   !strcmp(a, "--sample-rate") || !strcmp(a, "--audio-buffer") ||
                   !strcmp(a, "--osc-port") || !strcmp(a, "--bpm")) {
            if (!need(i, argc, argv))
                return -1;
            double v;
            double hi = !strcmp(a, "--osc-port") ? 65535 : !strcmp(a, "--bpm") ? 999 : 384000;
            if (!parse_double(a, argv[++i], 0, hi, &v))
                return -1;
            if (!strcmp(a, "--audio-channels"))
                o->audio.channels = (int)v;
            else if (!strcmp(a, "--audio-channel"))
                o->audio.channel = (int)v;
            else if (!strcmp(a, "--sample-rate"))
                o->audio.sample_rate = (int)v;
            else if (!strcmp(a, "--audio-buffer"))
                o->audio.buffer_frames = (int)v;
            else if (!strcmp(a, "--osc-port"))
                o->control.osc_port = (int)v;
            else
                o->bpm = v;
        } else if (!strcmp(a, "--fill")) {
            o->fill = true;
        } else if (!strcmp(a, "--bank") || !strcmp(a, "--morph") || !strcmp(a, "--order")) {
            if (!need(i, argc, argv))
                return -1;
            const char *v = argv[++i];
            strata_morph_mode mm;
            strata_order oo;
            if (a[2] == 'm' && !strata_morph_mode_parse(v, &mm)) {
                fprintf(stderr, "strata: --morph %s: expected blend, flow or latent\n", v);
                return -1;
            }
            if (a[2] == 'o' && !strata_order_parse(v, &oo)) {
                fprintf(stderr,
                        "strata: --order %s: expected sequence, shuffle, neighbours "
                        "or pingpong\n",
                        v);
                return -1;
            }
            *(a[2] == 'b' ? &o->bank : a[2] == 'm' ? &o->morph : &o->order) = v;
        } else if (!strcmp(a, "--latent-scale")) {
            if (!need(i, argc, argv) || !parse_double(a, argv[i + 1], 0.1, 1, &o->latent_scale))
                return -1;
            o->latent_scale_fixed = true;
            i++;
        } else if (!strcmp(a, "--drift") || !strcmp(a, "--cache-mb") || !strcmp(a, "--seed")) {
            if (!need(i, argc, argv))
                return -1;
            double v;
            if (!parse_double(a, argv[++i], 0, a[2] == 'd' ? 1 : 1e12, &v))
                return -1;
            if (a[2] == 'd')
                o->drift = v;
            else if (a[2] == 'c')
                o->cache_mb = (int)v;
            else {
                o->seed = (uint64_t)v;
                o->seed_given = true;
            }
        } else if (!strcmp(a, "--fullscreen")) {
            o->fullscreen = true;
        } else if (!strcmp(a, "--windowed")) {
            o->windowed = true;
        } else if (!strcmp(a, "--no-vsync")) {
            o->no_vsync = true;
        } else if (!strcmp(a, "--overlay")) {
            o->overlay = true;
        } else if (!strcmp(a, "--display") || !strcmp(a, "--fps") || !strcmp(a, "--frames") ||
                   !strcmp(a, "--duration") || !strcmp(a, "--seconds") ||
                   !strcmp(a, "--quit-after")) {
            if (!need(i, argc, argv))
                return -1;
            double v;
            if (!parse_double(a, argv[++i], 0, 1e9, &v))
                return -1;
            if (!strcmp(a, "--display"))
                o->display = (int)v;
            else if (!strcmp(a, "--fps"))
                o->fps = v;
            else if (!strcmp(a, "--frames"))
                o->frames = (long)v;
            else if (!strcmp(a, "--duration"))
                o->duration = v;
            else if (!strcmp(a, "--seconds"))
                o->seconds = v;
            else
                o->quit_after = v;
        } else if (!strcmp(a, "--shader-dir") || !strcmp(a, "--stats") || !strcmp(a, "--log") ||
                   !strcmp(a, "--out") || !strcmp(a, "--audio-file") || !strcmp(a, "--set")) {
            if (!need(i, argc, argv))
                return -1;
            const char *v = argv[++i];
            if (!strcmp(a, "--shader-dir"))
                o->shader_dir = v;
            else if (!strcmp(a, "--stats"))
                o->stats_path = v;
            else if (!strcmp(a, "--log"))
                o->log_path = v;
            else if (!strcmp(a, "--out"))
                o->out = v;
            else if (!strcmp(a, "--audio-file"))
                o->audio_file = v;
            else if (o->nsets < MAX_SETS)
                o->sets[o->nsets++] = v;
        } else if (a[0] == '-') {
            fprintf(stderr, "strata: unknown option %s (see --help)\n", a);
            return -1;
        } else if (!o->preset) {
            o->preset = a;
        } else {
            fprintf(stderr, "strata: unexpected argument %s (see --help)\n", a);
            return -1;
        }
    }
    if (list) {
        strata_control_list_params(stdout, o->json);
        return 1;
    }
    if (o->list_audio) {
        strata_audio_list_devices(stdout);
        return 1;
    }
    if (o->fps <= 0) {
        fprintf(stderr, "strata: --fps must be above 0\n");
        return -1;
    }
    if (o->mode == MODE_RENDER) {
        if (!o->out) {
            fprintf(stderr, "strata render: --out PATH is required (see --help)\n");
            return -1;
        }
        if (!o->frames && o->duration > 0)
            o->frames = (long)(o->duration * o->fps + 0.5);
        if (o->frames <= 0) {
            fprintf(stderr, "strata render: give --frames N or --duration S\n");
            return -1;
        }
    }
    if (o->windowed)
        o->fullscreen = false;
    if (!o->width) {
        o->width = 1280;
        o->height = 720;
    }
    return 0;
}

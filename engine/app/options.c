/* The command line: modes, options, --help. */
#include "app.h"
#include "isf/isf.h"
#include "midi/midi.h"

#include <arpa/inet.h>
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
        "Options take --opt value or --opt=value; a mistake exits 2 and names the option.\n"
        "SIGINT, SIGTERM and SIGHUP end every mode cleanly (exit 0; a render finishes its\n"
        "file); a second signal ends at once.\n"
        "\n"
        "display:\n"
        "  --size WxH            window size (live) or output size (render, bench); 1280x720;\n"
        "                        each side 1..8192\n"
        "  --render-size WxH     internal resolution, independent of the output (letterboxed);\n"
        "                        each side 1..8192\n"
        "  --fullscreen          fullscreen on the display (F toggles)\n"
        "  --windowed            stay in a window (with --install: for trying it out)\n"
        "  --display N           display index for fullscreen (a projector)\n"
        "  --no-vsync            do not wait for the display's refresh\n"
        "  --overlay             start with the overlay on (O toggles)\n"
        "  --target-fps N        live: the frame rate adaptive resolution holds (default 60)\n"
        "  --min-scale S         live: the lowest render scale it may take, 0.25..1 (0.5)\n"
        "  --no-adapt            live: keep the render size fixed (render and bench always do)\n"
        "  --quit-after S        live: quit after S seconds (or after --frames N frames)\n"
        "\n"
        "render:\n"
        "  --out PATH            a folder or a %%05d.png pattern (PNG frames: one %%d or %%0Nd,\n"
        "                        %%%% for a literal %%), or .mp4/.mov/.webm/.mkv (raw frames\n"
        "                        into ffmpeg, started without a shell)\n"
        "  --fps N               frames per second (render: 30)\n"
        "  --frames N | --duration S\n"
        "  --audio-file F        audio to analyse (and to mux into a video)\n"
        "\n"
        "bench:\n"
        "  --seconds S           how long to render (5)\n"
        "  --json                one JSON object instead of text\n"
        "  --pace FPS            pace frames like vsync at FPS (default: as fast as it goes)\n"
        "  --sync-passes         wait for the GPU around each pass, so each pass's time is its\n"
        "                        own (a software GL credits it to a later pass otherwise);\n"
        "                        slows the frame: for finding where the time goes\n"
        "\n"
        "banks and morph:\n"
        "  --bank PATH           an image folder, a .strata bank, a latent set or a neural bank\n"
        "                        (strata-bank); default: the built-in latent set\n"
        "  --model FILE          TAESD decoder (.safetensors) for a neural bank, e.g.\n"
        "                        taef2_decoder.safetensors; without one a neural bank plays its\n"
        "                        previews (blend)\n"
        "  --neural-size WxH     latent size the decoder runs at, each side 1..128 (the picture\n"
        "                        is 8W x 8H); default: from the render size, smaller on a\n"
        "                        software rasteriser\n"
        "  --morph MODE          blend | flow | latent (latent sets) | neural (neural banks);\n"
        "                        default: latent, neural or flow by the bank's kind\n"
        "  --drift X             scene drift 0..1: 0 holds a keyframe, 1 travels continuously\n"
        "  --order ORDER         sequence | shuffle | neighbours | pingpong (default sequence)\n"
        "  --seed N              seed of the traversal (shuffle, neighbours)\n"
        "  --fill                crop images to fill the frame (default: fit with black bars)\n"
        "  --cache-mb N          GPU keyframe cache budget (default 256)\n"
        "  --latent-scale S      latent generator resolution 0.1..1 of the render size; fixed\n"
        "                        (default: 1 in render; live and bench start at 1 on a GPU,\n"
        "                        0.25 on a software rasteriser, and live mode adapts it to\n"
        "                        hold 30 fps)\n"
        "\n"
        "audio:\n"
        "  --list-audio          list input devices (index, name, host API, channels, rate)\n"
        "  --audio-device D      a device index or a part of its name (default: system default)\n"
        "  --audio-channels N    channels to open    --audio-channel N  analyse channel N "
        "(1-based;\n"
        "                        default: mono mix-down)\n"
        "  --sample-rate N       8000..384000 (48000) --audio-buffer N  frames per buffer (256)\n"
        "  --audio-file F        WAV/FLAC/OGG/MP3: played in real time live, frame-exact in "
        "render\n"
        "  --monitor             also play the audio file out        --no-audio  internal clock "
        "only\n"
        "  --bpm-range LO:HI     beat tracker range (60:200)\n"
        "\n"
        "control:\n"
        "  --osc-port N          OSC port (8000)     --osc-bind ADDR  --osc-tcp\n"
        "  --osc-allow CIDR[,CIDR]  only these senders\n"
        "  --oscquery PORT       OSCQuery HTTP/WebSocket (live: OSC port + 1)  --no-oscquery\n"
        "  --screenshot-dir DIR  the only folder /strata/screenshot writes to (default:\n"
        "                        $XDG_STATE_HOME/strata/screenshots, made on first use)\n"
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
        "MIDI (live; docs/MIDI.md):\n"
        "  --list-midi           list MIDI input ports (index, name) and exit\n"
        "  --midi NAME|INDEX|all open the input ports whose name contains NAME, the one at\n"
        "                        INDEX of --list-midi, or all; ports plugged in later are\n"
        "                        opened, unplugged ones logged; MIDI clock leads the tempo\n"
        "  --midi-api API        auto (ALSA sequencer if present, else JACK) | alsa | jack\n"
        "  --midi-map FILE       a controller's bindings (JSON, repeatable); presets add \"midi\"\n"
        "  --midi-clock-out NAME|INDEX  send strata's tempo as MIDI clock to that output port\n"
        "  L (live)              MIDI learn: arm the parameter last moved by its key (glitch\n"
        "                        at first), move a control to bind it; /strata/midi/learn NAME\n"
        "\n"
        "ISF shaders (docs/ISF.md):\n"
        "  --isf FILE            an ISF 2.0 shader (.fs): a filter runs on the picture before\n"
        "                        the glitch chain, a generator makes the picture (repeatable);\n"
        "                        its INPUTS are parameters isf/<name>/<input>, hot-reloaded\n"
        "  --isf-dir DIR         load every .fs in DIR, each off until isf/<name>/enabled=1\n"
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

/* ---- checks the table calls ---------------------------------------------- */

static bool check_morph(const char *opt, const char *v, void *dst, strata_result *r)
{
    strata_morph_mode mm;
    if (!strata_morph_mode_parse(v, &mm)) {
        strata_fail(r, STRATA_ERR_ARG, "%s %.120s: expected blend, flow, latent or neural", opt, v);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

static bool check_order(const char *opt, const char *v, void *dst, strata_result *r)
{
    strata_order oo;
    if (!strata_order_parse(v, &oo)) {
        strata_fail(r, STRATA_ERR_ARG,
                    "%s %.120s: expected sequence, shuffle, neighbours or pingpong", opt, v);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

static bool check_param(const char *opt, const char *v, void *dst, strata_result *r)
{
    if (strata_param_find(v) < 0) {
        strata_fail(r, STRATA_ERR_ARG, "%s %.120s: unknown parameter (see --list-params)", opt, v);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

static bool check_bpm_range(const char *opt, const char *v, void *dst, strata_result *r)
{
    strata_audio_config *ac = dst;
    if (!strata_audio_parse_bpm_range(v, &ac->bpm_min, &ac->bpm_max)) {
        strata_fail(r, STRATA_ERR_ARG,
                    "%s %.120s: expected LO:HI with 20 <= LO < HI <= 400, "
                    "e.g. 60:200",
                    opt, v);
        return false;
    }
    return true;
}

/* The address the OSC server binds: a numeric IPv4 or IPv6 address, as osc.c takes it.
 * Malformed is a usage error now, not an OSC-less show later. */
static bool check_bind(const char *opt, const char *v, void *dst, strata_result *r)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1) {
        strata_fail(r, STRATA_ERR_ARG,
                    "%s %.120s: not a numeric IP address (e.g. 0.0.0.0, 127.0.0.1, ::)", opt, v);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

/* The allowlist goes through the control module's own parser, so the command line and
 * the server agree. */
static bool check_allow(const char *opt, const char *v, void *dst, strata_result *r)
{
    strata_result cr = {0};
    if (!strata_control_check_allow(v, &cr)) {
        /* Name the whole value; the control module's reason names the entry. */
        const char *why = cr.msg;
        size_t ol = strlen(opt);
        size_t vl = strlen(v);
        if (!strncmp(why, opt, ol) && why[ol] == ':')
            why += ol + 1 + (why[ol + 1] == ' ');
        else if (!strncmp(why, opt, ol) && why[ol] == ' ' && !strncmp(why + ol + 1, v, vl) &&
                 why[ol + 1 + vl] == ':')
            why += ol + 2 + vl + (why[ol + 2 + vl] == ' ');
        strata_fail(r, STRATA_ERR_ARG, "%s %.120s: %s", opt, v, why);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

/* --out: a folder, a video file, or a PNG pattern with exactly one frame number. */
static bool check_out(const char *opt, const char *v, void *dst, strata_result *r)
{
    char why[160];
    if (!strata_out_pattern_check(v, why, sizeof why)) {
        strata_fail(r, STRATA_ERR_ARG, "%s %.120s: %s", opt, *v ? v : "''", why);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

static bool check_midi_api(const char *opt, const char *v, void *dst, strata_result *r)
{
    strata_midi_api api;
    if (!strata_midi_parse_api(v, &api)) {
        strata_fail(r, STRATA_ERR_ARG, "%s %.120s: expected auto, alsa or jack", opt, v);
        return false;
    }
    *(const char **)dst = v;
    return true;
}

/* --list-params --json: the registry with each parameter's MIDI bindings from --midi-map
 * files and the preset's (or the setlist's scenes'). */
static int list_params_json(const strata_options *o)
{
    static strata_midi_map maps[8];
    const strata_midi_map *mp[8 + 1];
    const char *from[8 + 1];
    int n = 0;
    strata_result r = {0};
    for (int i = 0; i < o->nmidi_maps; i++, n++) {
        if (strata_midi_map_load(o->midi_maps[i], &maps[i], &r) != STRATA_OK) {
            fprintf(stderr, "strata: --midi-map %s\n", r.msg);
            return -1;
        }
        mp[n] = &maps[i];
        from[n] = o->midi_maps[i];
    }
    strata_setlist sl = {0};
    if (o->preset && strata_setlist_load(o->preset, &sl, &r) != STRATA_OK) {
        fprintf(stderr, "strata: %s\n", r.msg);
        return -1;
    }
    /* A setlist's scenes one after another: one merged map is enough to list them. */
    static strata_midi_map scenes;
    scenes.n = 0;
    for (int i = 0; i < sl.count; i++)
        for (int b = 0; b < sl.entries[i].preset.midi.n && scenes.n < STRATA_MIDI_MAX_BINDINGS;
             b++)
            scenes.b[scenes.n++] = sl.entries[i].preset.midi.b[b];
    if (scenes.n) {
        mp[n] = &scenes;
        from[n++] = o->preset;
    }
    bool ok = strata_midi_list_params_json(stdout, mp, from, n);
    strata_setlist_free(&sl);
    return ok ? 1 : -1;
}

/* ---- the parser ------------------------------------------------------------ */

/* One row of an option table (designated, so the rest is zero). */
#define OPT(n, k, d) .name = (n), .kind = (k), .dst = (d)

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
    int start = 1;
    const char *prog = "strata";
    if (argc > 1 && !strcmp(argv[1], "render")) {
        o->mode = MODE_RENDER;
        start = 2;
        prog = "strata render";
    } else if (argc > 1 && !strcmp(argv[1], "bench")) {
        o->mode = MODE_BENCH;
        start = 2;
        prog = "strata bench";
    }
    bool help = false, version = false, list = false, watchdog_given = false;
    int size[2] = {0, 0}, rsize[2] = {0, 0}, nsize[2] = {0, 0};
    strata_arg_list sets = {.items = o->sets, .cap = MAX_SETS};
    strata_arg_list routes = {.items = o->routes, .cap = MAX_SETS};
    strata_arg_list midi_maps = {.items = o->midi_maps, .cap = 8};
    strata_arg_list isf = {.items = o->isf, .cap = MAX_SETS};
    const bool bench = o->mode == MODE_BENCH;
    const strata_arg table[] = {
        {OPT("--help", STRATA_ARG_FLAG, &help), .alias = "-h"},
        {OPT("--version", STRATA_ARG_FLAG, &version)},
        {OPT("--list-params", STRATA_ARG_FLAG, &list)},
        {OPT("--json", STRATA_ARG_FLAG, &o->json)},
        /* display */
        {OPT("--size", STRATA_ARG_SIZE, size)},
        {OPT("--render-size", STRATA_ARG_SIZE, rsize)},
        {OPT("--fullscreen", STRATA_ARG_FLAG, &o->fullscreen)},
        {OPT("--windowed", STRATA_ARG_FLAG, &o->windowed)},
        {OPT("--display", STRATA_ARG_INT, &o->display), .lo = 0, .hi = 63},
        {OPT("--no-vsync", STRATA_ARG_FLAG, &o->no_vsync)},
        {OPT("--overlay", STRATA_ARG_FLAG, &o->overlay)},
        {OPT("--target-fps", STRATA_ARG_DOUBLE, &o->target_fps), .lo = 1, .hi = 1000},
        {OPT("--min-scale", STRATA_ARG_DOUBLE, &o->min_scale), .lo = 0.25, .hi = 1},
        {OPT("--no-adapt", STRATA_ARG_FLAG, &o->no_adapt)},
        {OPT("--quit-after", STRATA_ARG_DOUBLE, &o->quit_after), .lo = 0, .hi = 1e9},
        /* render */
        {OPT("--out", STRATA_ARG_FUNC, &o->out), .fn = check_out},
        {OPT("--fps", STRATA_ARG_DOUBLE, &o->fps), .lo = 0.01, .hi = 1000},
        {OPT("--frames", STRATA_ARG_LONG, &o->frames), .lo = 1, .hi = 1e9},
        {OPT("--duration", STRATA_ARG_DOUBLE, &o->duration), .lo = 0.001, .hi = 1e7},
        /* bench */
        {OPT("--seconds", STRATA_ARG_DOUBLE, &o->seconds), .lo = 0.01, .hi = 1e6},
        {OPT("--pace", STRATA_ARG_DOUBLE, &o->pace), .lo = 1, .hi = 1000},
        {OPT("--sync-passes", STRATA_ARG_FLAG, &o->sync_passes)},
        {OPT(bench ? "--osc" : NULL, STRATA_ARG_FLAG, &o->bench_osc)},
        {OPT(bench ? "--audio" : NULL, STRATA_ARG_FLAG, &o->bench_audio)},
        {OPT("--osc-rate", STRATA_ARG_DOUBLE, &o->osc_rate), .lo = 1, .hi = 1e7},
        {OPT("--osc-param", STRATA_ARG_FUNC, &o->osc_param), .fn = check_param},
        /* banks and morph */
        {OPT("--bank", STRATA_ARG_STR, &o->bank)},
        {OPT("--model", STRATA_ARG_STR, &o->model)},
        {OPT("--neural-size", STRATA_ARG_SIZE, nsize), .hi = STRATA_PRESET_NEURAL_MAX},
        {OPT("--morph", STRATA_ARG_FUNC, &o->morph), .fn = check_morph},
        {OPT("--order", STRATA_ARG_FUNC, &o->order), .fn = check_order},
        {OPT("--drift", STRATA_ARG_DOUBLE, &o->drift), .lo = 0, .hi = 1},
        {OPT("--seed", STRATA_ARG_U64, &o->seed), .given = &o->seed_given},
        {OPT("--fill", STRATA_ARG_FLAG, &o->fill)},
        {OPT("--cache-mb", STRATA_ARG_INT, &o->cache_mb), .lo = 1, .hi = 65536},
        {OPT("--latent-scale", STRATA_ARG_DOUBLE, &o->latent_scale), .lo = 0.1, .hi = 1,
         .given = &o->latent_scale_fixed},
        /* audio */
        {OPT("--list-audio", STRATA_ARG_FLAG, &o->list_audio)},
        {OPT("--audio-device", STRATA_ARG_STR, &o->audio.device)},
        {OPT("--audio-channels", STRATA_ARG_INT, &o->audio.channels), .lo = 0, .hi = 32,
         .what = "(0: up to 2)"},
        {OPT("--audio-channel", STRATA_ARG_INT, &o->audio.channel), .lo = 0, .hi = 32,
         .what = "(1-based; 0: mono mix-down)"},
        {OPT("--sample-rate", STRATA_ARG_INT, &o->audio.sample_rate), .lo = 8000, .hi = 384000,
         .what = "(Hz)"},
        {OPT("--audio-buffer", STRATA_ARG_INT, &o->audio.buffer_frames), .lo = 16, .hi = 16384,
         .what = "(frames per buffer)"},
        {OPT("--audio-file", STRATA_ARG_STR, &o->audio_file)},
        {OPT("--monitor", STRATA_ARG_FLAG, &o->audio.monitor)},
        {OPT("--no-audio", STRATA_ARG_FLAG, &o->audio.no_audio)},
        {OPT("--bpm-range", STRATA_ARG_FUNC, &o->audio), .fn = check_bpm_range},
        /* control */
        {OPT("--osc-port", STRATA_ARG_INT, &o->control.osc_port), .lo = 1, .hi = 65535},
        {OPT("--osc-bind", STRATA_ARG_FUNC, &o->control.osc_bind), .fn = check_bind},
        {OPT("--osc-tcp", STRATA_ARG_FLAG, &o->control.osc_tcp)},
        {OPT("--osc-allow", STRATA_ARG_FUNC, &o->control.osc_allow), .fn = check_allow},
        {OPT("--oscquery", STRATA_ARG_INT, &o->oscquery_port), .lo = 1, .hi = 65535},
        {OPT("--no-oscquery", STRATA_ARG_FLAG, &o->no_oscquery)},
        {OPT("--screenshot-dir", STRATA_ARG_STR, &o->control.screenshot_dir)},
        {OPT("--bpm", STRATA_ARG_DOUBLE, &o->bpm), .lo = 1, .hi = 999},
        {OPT("--link", STRATA_ARG_FLAG, &o->link)},
        {OPT("--route", STRATA_ARG_LIST, &routes)},
        {OPT("--set", STRATA_ARG_LIST, &sets)},
        /* MIDI */
        {OPT("--list-midi", STRATA_ARG_FLAG, &o->list_midi)},
        {OPT("--midi", STRATA_ARG_STR, &o->midi)},
        {OPT("--midi-api", STRATA_ARG_FUNC, &o->midi_api), .fn = check_midi_api},
        {OPT("--midi-map", STRATA_ARG_LIST, &midi_maps)},
        {OPT("--midi-clock-out", STRATA_ARG_STR, &o->midi_clock_out)},
        /* ISF shaders */
        {OPT("--isf", STRATA_ARG_LIST, &isf)},
        {OPT("--isf-dir", STRATA_ARG_STR, &o->isf_dir)},
        /* installation */
        {OPT("--install", STRATA_ARG_FLAG, &o->install)},
        {OPT("--state", STRATA_ARG_STR, &o->state_path)},
        {OPT("--watchdog", STRATA_ARG_DOUBLE, &o->watchdog_s), .lo = 0.1, .hi = 3600,
         .given = &watchdog_given},
        /* files and logs */
        {OPT("--shader-dir", STRATA_ARG_STR, &o->shader_dir)},
        {OPT("--stats", STRATA_ARG_STR, &o->stats_path)},
        {OPT("--log", STRATA_ARG_STR, &o->log_path)},
    };
    int npos = 0;
    strata_result r = {0};
    strata_args_desc d = {
        .prog = prog,
        .table = table,
        .count = (int)(sizeof table / sizeof table[0]),
        .start = start,
        .positional = &o->preset,
        .max_positional = 1,
        .npositional = &npos,
    };
    strata_status st = strata_args_parse(&d, argc, argv, &r);
    /* --help and --version answer even next to a mistake elsewhere on the line. */
    if (help) {
        strata_options_usage(stdout);
        return 1;
    }
    if (version) {
        printf("strata %s\n", STRATA_VERSION);
        return 1;
    }
    if (st != STRATA_OK) {
        fprintf(stderr, "%s\n", r.msg);
        return -1;
    }
    o->nsets = sets.count;
    o->nroutes = routes.count;
    o->nmidi_maps = midi_maps.count;
    o->nisf = isf.count;
    if (size[0]) {
        o->width = size[0];
        o->height = size[1];
    }
    o->render_w = rsize[0];
    o->render_h = rsize[1];
    o->neural_w = nsize[0];
    o->neural_h = nsize[1];
    if (o->install) {
        o->fullscreen = true;
        if (!watchdog_given)
            o->watchdog_s = 2.0;
    }
    if (list) {
        /* ISF inputs are parameters too: from the shaders' headers, nothing compiled;
         * those of --isf, --isf-dir and the shaders the preset's (setlist's) scenes name. */
        strata_isf_chain *isf = NULL;
        strata_setlist sl = {0};
        if (o->preset && strata_setlist_load(o->preset, &sl, &r) != STRATA_OK) {
            fprintf(stderr, "%s: %s\n", prog, r.msg);
            return -1;
        }
        bool scene_isf = false;
        for (int i = 0; i < sl.count; i++)
            scene_isf = scene_isf || sl.entries[i].preset.n_isf > 0;
        if (o->nisf || o->isf_dir || scene_isf) {
            strata_isf_chain_desc id = {.files = o->isf, .nfiles = o->nisf, .dir = o->isf_dir,
                                        .headers_only = true};
            bool ok = (isf = strata_isf_chain_create(&id, &r)) != NULL;
            for (int i = 0; ok && i < sl.count; i++)
                for (int k = 0; ok && k < sl.entries[i].preset.n_isf; k++)
                    ok = strata_isf_chain_add_scene(isf, sl.entries[i].preset.isf[k], &r);
            if (!ok) {
                fprintf(stderr, "%s: %s\n", prog, r.msg);
                strata_isf_chain_destroy(isf);
                strata_setlist_free(&sl);
                return -1;
            }
        }
        strata_setlist_free(&sl);
        int rc = 1;
        if (o->json)
            rc = list_params_json(o);
        else
            strata_control_list_params(stdout, false);
        strata_isf_chain_destroy(isf);
        return rc;
    }
    if (o->nmidi_maps && !o->midi) {
        fprintf(stderr, "%s: --midi-map needs --midi NAME|INDEX|all (see --list-midi)\n", prog);
        return -1;
    }
    if (o->list_midi) {
        strata_midi_api api = STRATA_MIDI_API_AUTO;
        if (o->midi_api)
            strata_midi_parse_api(o->midi_api, &api);
        strata_midi_list(stdout, api);
        return 1;
    }
    if (o->list_audio) {
        strata_audio_list_devices(stdout);
        return 1;
    }
    if (o->audio.channel > 0 && o->audio.channels > 0 && o->audio.channel > o->audio.channels) {
        fprintf(stderr, "%s: --audio-channel %d: above --audio-channels %d (1..%d)\n", prog,
                o->audio.channel, o->audio.channels, o->audio.channels);
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
    } else if (o->out) {
        fprintf(stderr, "%s: --out is for strata render (see --help)\n", prog);
        return -1;
    }
    if (o->windowed)
        o->fullscreen = false;
    if (!o->width) {
        o->width = 1280;
        o->height = 720;
    }
    return 0;
}

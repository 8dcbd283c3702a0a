/* strata: main. Picks the video driver, parses the command line, installs the stop
 * signals, runs a mode. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "osc-flood"))
        return strata_osc_flood_main(argc, argv); /* bench --osc's sender process */
    strata_options o;
    int pr = strata_options_parse(&o, argc, argv);
    if (pr != 0)
        return pr > 0 ? 0 : 2;
    if (o.log_path) {
        strata_result r = {0};
        if (strata_log_open_file(o.log_path, 16u << 20, &r) != STRATA_OK)
            LOG_WARN("APP", "%s", r.msg);
    }
    /* Render and bench need no display: without one, use SDL's offscreen driver (EGL). */
    bool has_display = getenv("DISPLAY") || getenv("WAYLAND_DISPLAY");
    if (!getenv("SDL_VIDEODRIVER") && (!has_display && o.mode != MODE_LIVE))
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
    if (o.mode == MODE_LIVE && !has_display && !getenv("SDL_VIDEODRIVER")) {
        LOG_ERROR("APP", "no display (DISPLAY is not set): live mode needs a screen; "
                         "try `strata render --out DIR ...` or run under Xvfb");
        return 1;
    }
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0"); /* a projector loses focus */
    /* Stop signals are ours, not SDL's: SDL would turn SIGINT/SIGTERM into an SDL_QUIT
     * event that kiosk mode rightly ignores. Ours set a flag every frame loop polls
     * (live, install, render, bench), so each ends cleanly and exits 0. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    strata_signals_install();
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        LOG_ERROR("APP", "SDL init failed: %s", SDL_GetError());
        return 1;
    }
    strata_signals_install(); /* again, in case a library took them during init */
    int rc;
    switch (o.mode) {
    case MODE_RENDER:
        rc = strata_render_run(&o);
        break;
    case MODE_BENCH:
        rc = strata_bench_run(&o);
        break;
    default:
        rc = strata_live_run(&o);
        break;
    }
    SDL_Quit();
    strata_log_close();
    return rc;
}

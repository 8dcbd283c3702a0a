// projectm_bench: projectM's frame rate offscreen, measured the way `strata bench` measures
// strata's, so tools/bench-vs-projectm.sh can print the two side by side.
//
//   projectm_bench [--size WxH] [--seconds S] [--pcm sine|silent] [--texture-size N]
//                  [--datadir DIR] [--compat] [--shot FILE.ppm]
//
// The context is made as strata makes its own (engine/render/gl.c): SDL2, a hidden window,
// SDL_VIDEODRIVER=offscreen unless the caller set a driver, a GL 3.3 core context (what
// libprojectM 3.1 asks for: its shaders are "#version 330"; --compat asks for a
// compatibility context instead), no vsync. projectM gets no preset path and no playlist
// (FLAG_DISABLE_PLAYLIST_LOAD), so it plays its built-in idle preset, "Geiss & Sperl -
// Feedback (projectM idle HDR mix)", locked. Each frame: 735 samples of PCM (1/60 s at
// 44.1 kHz: a 55 Hz kick every 0.5 s over a 440 Hz tone, or silence), renderFrame(),
// glFinish() (offscreen has no swap to pace us: wait for the GPU, as strata bench does).
// Five warm-up frames, then frames for --seconds. Prints one line of JSON (with the CPU
// time of every thread per frame, as `strata bench` gives it); --shot writes
// the last frame (to see what ran). --datadir: projectM's data folder (its textures), as
// `pkg-config --variable=pkgdatadir libprojectM` gives it.
// A tool, not the engine: built by the script with g++ and pkg-config libprojectM.
#include <SDL.h>
#include <GL/gl.h>
#include <libprojectM/projectM.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace
{

double now_s()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// CPU ms of this process so far, every thread (llvmpipe's rasteriser threads too), as
// `strata bench` reports its own (cpu_all_threads_ms_per_frame): on a machine shared with
// other work it moves far less than the wall time.
double cpu_ms()
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-3;
}

int usage()
{
    std::fprintf(stderr, "usage: projectm_bench [--size WxH] [--seconds S] [--pcm sine|silent] "
                         "[--texture-size N] [--datadir DIR] [--compat] [--shot FILE.ppm]\n");
    return 2;
}

// 1/60 s of mono PCM starting at sample n: a decaying 55 Hz kick twice a second over a
// quiet 440 Hz tone, so the beat detection and the waveform have something to show.
void synth_pcm(std::vector<float> &out, long n, bool silent)
{
    for (size_t i = 0; i < out.size(); i++) {
        double t = (double)(n + (long)i) / 44100.0;
        double beat = std::fmod(t, 0.5);
        double kick = std::exp(-beat * 12.0) * std::sin(2 * M_PI * 55.0 * beat);
        out[i] = silent ? 0.0f : (float)(0.7 * kick + 0.15 * std::sin(2 * M_PI * 440.0 * t));
    }
}

} // namespace

int main(int argc, char **argv)
{
    int w = 1280, h = 720, texture = 0;
    double seconds = 8;
    bool silent = false, compat = false;
    std::string datadir, shot;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        bool more = i + 1 < argc;
        if (a == "--size" && more) {
            if (std::sscanf(argv[++i], "%dx%d", &w, &h) != 2)
                return usage();
        } else if (a == "--seconds" && more) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--texture-size" && more) {
            texture = std::atoi(argv[++i]);
        } else if (a == "--pcm" && more) {
            std::string p = argv[++i];
            if (p != "sine" && p != "silent")
                return usage();
            silent = p == "silent";
        } else if (a == "--datadir" && more) {
            datadir = argv[++i];
        } else if (a == "--shot" && more) {
            shot = argv[++i];
        } else if (a == "--compat") {
            compat = true;
        } else {
            return usage();
        }
    }
    if (w < 16 || h < 16 || w > 8192 || h > 8192 || seconds <= 0 || seconds > 3600)
        return usage();

    setenv("SDL_VIDEODRIVER", "offscreen", 0); // the caller's choice wins
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        std::fprintf(stderr, "projectm_bench: SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, compat ? SDL_GL_CONTEXT_PROFILE_COMPATIBILITY
                                                            : SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);
    SDL_Window *win =
        SDL_CreateWindow("projectm_bench", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
                         SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    SDL_GLContext ctx = win ? SDL_GL_CreateContext(win) : nullptr;
    if (!ctx) {
        std::fprintf(stderr, "projectm_bench: GL context: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(win, ctx);
    SDL_GL_SetSwapInterval(0);
    const char *renderer = (const char *)glGetString(GL_RENDERER);
    const char *version = (const char *)glGetString(GL_VERSION);

    projectM::Settings s;
    s.windowWidth = w;
    s.windowHeight = h;
    if (texture > 0)
        s.textureSize = texture;
    s.presetURL = ""; // no preset folder: the built-in idle preset
    s.datadir = datadir;
    s.shuffleEnabled = false;
    s.hardcutEnabled = false;
    projectM *pm = new projectM(s, projectM::FLAG_DISABLE_PLAYLIST_LOAD);
    pm->setPresetLock(true);
    pm->projectM_resetGL(w, h);

    std::vector<float> pcm(735);
    long sample = 0;
    auto frame = [&]() {
        synth_pcm(pcm, sample, silent);
        sample += (long)pcm.size();
        pm->pcm()->addPCMfloat(pcm.data(), (int)pcm.size());
        pm->renderFrame();
        glFinish();
    };
    for (int i = 0; i < 5; i++) // first frames compile shaders and fill caches
        frame();
    GLenum err = glGetError();

    double start = now_s(), last = start, cpu0 = cpu_ms();
    long frames = 0;
    while (last - start < seconds) {
        frame();
        frames++;
        last = now_s();
    }
    double fps = frames / (last - start);
    double cpu_per_frame = (cpu_ms() - cpu0) / (double)frames;

    // What it drew: the mean of the frame, so a black screen (a context projectM cannot
    // use) shows up in the report instead of a fast, meaningless frame rate.
    std::vector<unsigned char> px((size_t)w * h * 4);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    double sum = 0;
    for (size_t i = 0; i < px.size(); i += 4)
        sum += 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
    double mean_luma = sum / ((double)w * h);
    if (!shot.empty()) {
        FILE *f = std::fopen(shot.c_str(), "wb");
        if (f) {
            std::fprintf(f, "P6\n%d %d\n255\n", w, h);
            for (int y = h - 1; y >= 0; y--) // GL rows are bottom first
                for (int x = 0; x < w; x++)
                    std::fwrite(&px[((size_t)y * w + x) * 4], 1, 3, f);
            std::fclose(f);
        }
    }

    std::printf("{\"fps\":%.2f,\"cpu_all_threads_ms_per_frame\":%.3f,\"frames\":%ld,"
                "\"seconds\":%.2f,\"size\":\"%dx%d\","
                "\"texture_size\":%d,\"preset\":\"idle (Geiss & Sperl - Feedback, projectM "
                "idle HDR mix)\",\"playlist\":%u,\"pcm\":\"%s\",\"mean_luma\":%.2f,"
                "\"gl_error\":%u,\"profile\":\"%s\",\"renderer\":\"%s\",\"gl\":\"%s\"}\n",
                fps, cpu_per_frame, frames, last - start, w, h, pm->settings().textureSize,
                pm->getPlaylistSize(), silent ? "silent" : "sine", mean_luma, (unsigned)err,
                compat ? "compatibility" : "core", renderer ? renderer : "?",
                version ? version : "?");
    delete pm;
    SDL_GL_DeleteContext(ctx);
    SDL_DestroyWindow(win);
    SDL_Quit();
    return 0;
}

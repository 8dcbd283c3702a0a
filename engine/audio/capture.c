/* Capture: PortAudio devices, file input and the internal clock around one analysis.
 *
 * Threads and ownership (see audio.h for the rules)
 *   - PortAudio callback: reads `cb_*` fields set before the stream starts, writes the
 *     ring. Nothing else.
 *   - worker thread: owns PortAudio after create (open, watchdog, close, reopen), the
 *     realtime file reader and the monitor output; publishes `live` and the status.
 *   - caller (render) thread: owns the analysis, the frame-exact file, the clock.
 * Without any input the analysis is fed silence at the pace of frame_time, so bands
 * settle to calm values, pulses decay and the beat grid keeps running: one code path
 * for "no device", "device lost" and "--no-audio". */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <portaudio.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef STRATA_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif
#ifdef STRATA_HAVE_JACK
#include <jack/jack.h>
#endif

#include "audio.h"

#define RETRY_S 2.0      /* device reopen period */
#define STALL_S 1.0      /* a running stream silent this long is lost */
#define FIRST_DATA_S 4.0 /* some devices (PulseAudio through ALSA) start slowly */
#define QUIET_S 0.3      /* render side: no samples this long -> internal clock */
#define CB_SCRATCH 1024  /* callback mix-down chunk, frames */
#define READ_CHUNK 4096
#define MAX_CHANNELS 32
#define LATENCY_KEEP 2048 /* recent arrival-to-snapshot latencies kept for percentiles */

/* When a block of samples entered the ring: ring position after it, monotonic ns. */
typedef struct arrival {
    size_t end;
    uint64_t ns;
} arrival;

enum source { SRC_NONE, SRC_DEVICE, SRC_FILE_RT, SRC_FILE_EXACT };

struct strata_audio {
    /* --- config, copied at create (read-only afterwards) */
    strata_audio_config cfg;
    char device[256];
    char file[1024];
    enum source src;
    uint32_t rate;
    /* --- shared: callback/worker -> render */
    strata_ring ring;
    _Atomic bool live; /* worker: a stream or file is feeding the ring */
    _Atomic uint32_t opens;
    pthread_mutex_t status_lock; /* worker writes status; render copies with trylock */
    char status[200];
    /* --- worker thread */
    pthread_t worker;
    bool worker_running;
    _Atomic bool quit;
    bool pa_ready;
    PaStream *stream;
    PaStream *monitor;
    bool lost_logged;
    double next_try;
    size_t last_write;
    double last_progress;
    bool got_data; /* the open stream has delivered samples */
    SNDFILE *rt_file;
    int file_channels;
    double rt_start;
    uint64_t rt_fed;
    float *rt_buf;
    float *rt_mono;
    strata_ring monitor_ring; /* interleaved file samples for the monitor output */
    strata_queue arrivals;    /* producer: callback or file worker; consumer: render */
    /* --- callback (set before the stream starts) */
    int cb_channels;
    int cb_pick; /* -1 = mix-down */
    float cb_scratch[CB_SCRATCH];
    /* --- render thread */
    strata_analysis *an;
    SNDFILE *exact_file;
    uint64_t exact_pos;
    bool exact_eof;
    float *buf; /* READ_CHUNK * channels */
    float *mono;
    double clock_offset; /* audio time - frame_time while on the internal clock */
    bool have_offset;
    double last_sample_frame_time;
    char status_out[200];
    float latency_ms[LATENCY_KEEP];
    uint32_t latency_n;
};

/* ---- noise control ------------------------------------------------------ *
 * ALSA and JACK print probe noise on stderr while PortAudio enumerates devices ("ALSA
 * lib pcm.c: Unknown PCM", "Cannot connect to server socket"). Their own error hooks
 * send it to the log instead, at debug level (info with STRATA_AUDIO_VERBOSE=1): fd 2
 * is never touched, so no other thread's log line is lost while a device opens. */

static strata_log_level noise_level(void)
{
    const char *v = getenv("STRATA_AUDIO_VERBOSE");
    return v && *v == '1' ? STRATA_LOG_INFO : STRATA_LOG_DEBUG;
}

#ifdef STRATA_HAVE_ALSA
static void alsa_noise(const char *file, int line, const char *fn, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void alsa_noise(const char *file, int line, const char *fn, int err, const char *fmt, ...)
{
    (void)file, (void)line, (void)fn;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    strata_log(noise_level(), "AUDIO", "alsa: %s%s%s", msg, err ? ": " : "",
               err ? snd_strerror(err) : "");
}
#endif

#ifdef STRATA_HAVE_JACK
static void jack_noise(const char *msg)
{
    strata_log(noise_level(), "AUDIO", "jack: %s", msg);
}
#endif

static void noise_hooks_install(void)
{
#ifdef STRATA_HAVE_ALSA
    snd_lib_error_set_handler(alsa_noise);
#endif
#ifdef STRATA_HAVE_JACK
    jack_set_error_function(jack_noise);
    jack_set_info_function(jack_noise);
#endif
}

static void noise_hooks(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, noise_hooks_install);
}

static bool pa_start(void)
{
    setenv("JACK_NO_START_SERVER", "1", 0);
    noise_hooks();
    return Pa_Initialize() == paNoError;
}

static void pa_stop(void)
{
    Pa_Terminate();
}

/* ---- status ------------------------------------------------------------- */

static void set_status(strata_audio *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_status(strata_audio *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&a->status_lock);
    vsnprintf(a->status, sizeof a->status, fmt, ap);
    pthread_mutex_unlock(&a->status_lock);
    va_end(ap);
}

/* ---- devices ------------------------------------------------------------ */

static int find_device(const char *want, char *why, size_t why_len)
{
    int count = Pa_GetDeviceCount();
    if (count <= 0) {
        snprintf(why, why_len, "no audio devices");
        return -1;
    }
    if (!want || !*want) {
        int d = Pa_GetDefaultInputDevice();
        if (d >= 0)
            return d;
        for (int i = 0; i < count; i++)
            if (Pa_GetDeviceInfo(i)->maxInputChannels > 0)
                return i;
        snprintf(why, why_len, "no input device");
        return -1;
    }
    char *end;
    long idx = strtol(want, &end, 10);
    if (*end == '\0') {
        if (idx < 0 || idx >= count || Pa_GetDeviceInfo((int)idx)->maxInputChannels <= 0) {
            snprintf(why, why_len, "no input device with index %ld", idx);
            return -1;
        }
        return (int)idx;
    }
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (d->maxInputChannels > 0 && strcasestr(d->name, want))
            return i;
    }
    snprintf(why, why_len, "no input device matching \"%.120s\"", want);
    return -1;
}

static int capture_cb(const void *in, void *out, unsigned long frames,
                      const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
    (void)out, (void)ti, (void)flags;
    strata_audio *a = user;
    const float *x = in;
    if (!x)
        return paContinue;
    const int ch = a->cb_channels, pick = a->cb_pick;
    const float scale = 1.0f / (float)ch;
    while (frames > 0) {
        unsigned long n = frames < CB_SCRATCH ? frames : CB_SCRATCH;
        for (unsigned long i = 0; i < n; i++) {
            const float *f = x + i * (unsigned long)ch;
            float v;
            if (pick >= 0) {
                v = f[pick];
            } else {
                v = 0.0f;
                for (int c = 0; c < ch; c++)
                    v += f[c];
                v *= scale;
            }
            a->cb_scratch[i] = v;
        }
        strata_ring_write(&a->ring, a->cb_scratch, n);
        x += n * (unsigned long)ch;
        frames -= n;
    }
    /* Wait-free push, a vDSO clock read: both fine in the callback. */
    arrival st = {atomic_load_explicit(&a->ring.write_pos, memory_order_relaxed), strata_time_ns()};
    strata_queue_push(&a->arrivals, &st);
    return paContinue;
}

/* Open and start the configured input. On failure fills why and leaves no stream. */
static bool open_device(strata_audio *a, bool pick_rate, char *why, size_t why_len)
{
    if (!a->pa_ready) {
        if (!pa_start()) {
            snprintf(why, why_len, "PortAudio cannot start");
            return false;
        }
        a->pa_ready = true;
    }
    int dev = find_device(a->device, why, why_len);
    if (dev < 0)
        return false;
    const PaDeviceInfo *info = Pa_GetDeviceInfo(dev);
    int ch = a->cfg.channels > 0 ? a->cfg.channels : (info->maxInputChannels < 2 ? 1 : 2);
    if (ch > info->maxInputChannels)
        ch = info->maxInputChannels;
    if (ch > MAX_CHANNELS)
        ch = MAX_CHANNELS;
    PaStreamParameters p = {
        .device = dev,
        .channelCount = ch,
        .sampleFormat = paFloat32,
        .suggestedLatency = info->defaultLowInputLatency,
    };
    double rate = a->rate;
    PaError e = Pa_IsFormatSupported(&p, NULL, rate);
    if (e != paNoError && pick_rate) {
        rate = info->defaultSampleRate;
        e = Pa_IsFormatSupported(&p, NULL, rate);
    }
    a->cb_channels = ch;
    a->cb_pick = a->cfg.channel > 0 && a->cfg.channel <= ch ? a->cfg.channel - 1 : -1;
    unsigned long fpb = a->cfg.buffer_frames > 0 ? (unsigned long)a->cfg.buffer_frames : 256;
    if (e == paNoError)
        e = Pa_OpenStream(&a->stream, &p, NULL, rate, fpb, paNoFlag, capture_cb, a);
    if (e == paNoError) {
        e = Pa_StartStream(a->stream);
        if (e != paNoError) {
            Pa_CloseStream(a->stream);
            a->stream = NULL;
        }
    }
    if (e != paNoError) {
        a->stream = NULL;
        snprintf(why, why_len, "%s: %s", info->name, Pa_GetErrorText(e));
        return false;
    }
    if (a->rate != (uint32_t)rate)
        a->rate = (uint32_t)rate; /* first open only: reopens keep the analysis rate */
    a->last_write = atomic_load(&a->ring.write_pos);
    a->last_progress = strata_time_s();
    a->got_data = false;
    atomic_fetch_add(&a->opens, 1);
    atomic_store(&a->live, true);
    const char *api = Pa_GetHostApiInfo(info->hostApi)->name;
    set_status(a, "audio: %s [%s] %d ch%s @ %u Hz", info->name, api, ch,
               a->cb_pick >= 0 ? " (one channel)" : "", a->rate);
    LOG_INFO("AUDIO", "capturing from [%d] %s (%s), %d channel(s), %u Hz, %lu frames", dev,
             info->name, api, ch, a->rate, fpb);
    return true;
}

/* Close the stream and PortAudio itself: a server that went away is only seen again
 * after PortAudio re-enumerates. */
static void close_device(strata_audio *a)
{
    atomic_store(&a->live, false);
    if (a->stream) {
        Pa_AbortStream(a->stream);
        Pa_CloseStream(a->stream);
        a->stream = NULL;
    }
    if (a->pa_ready) {
        pa_stop();
        a->pa_ready = false;
    }
}

static void device_tick(strata_audio *a, double now)
{
    if (!a->stream) {
        if (now < a->next_try)
            return;
        char why[200];
        if (!open_device(a, false, why, sizeof why)) {
            close_device(a);
            a->next_try = now + RETRY_S;
            return;
        }
        LOG_INFO("AUDIO", "input is back");
        a->lost_logged = false;
        return;
    }
    size_t w = atomic_load(&a->ring.write_pos);
    if (w != a->last_write) {
        a->last_write = w;
        a->last_progress = now;
        a->got_data = true;
        return;
    }
    double grace = a->got_data ? STALL_S : FIRST_DATA_S;
    if (now - a->last_progress < grace && Pa_IsStreamActive(a->stream) == 1)
        return;
    if (!a->lost_logged)
        LOG_WARN("AUDIO", "input lost; internal clock, retrying every %.0f s", RETRY_S);
    a->lost_logged = true;
    close_device(a);
    set_status(a, "audio: input lost, internal clock; retrying every %.0f s", RETRY_S);
    a->next_try = now + RETRY_S;
}

/* ---- files -------------------------------------------------------------- */

/* Interleaved -> mono, the configured channel or the mean. */
static void mixdown(const float *in, float *out, sf_count_t frames, int ch, int channel)
{
    for (sf_count_t i = 0; i < frames; i++) {
        const float *f = in + i * ch;
        if (channel > 0 && channel <= ch) {
            out[i] = f[channel - 1];
            continue;
        }
        float v = 0.0f;
        for (int c = 0; c < ch; c++)
            v += f[c];
        out[i] = v / (float)ch;
    }
}

/* With --monitor the output device is the clock: what it takes to play is what the
 * analysis hears, so picture and sound stay together whatever the device's rate drift.
 * Underruns play silence and feed the analysis nothing. Same rules as capture_cb. */
static int monitor_cb(const void *in, void *out, unsigned long frames,
                      const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
    (void)in, (void)ti, (void)flags;
    strata_audio *a = user;
    const int ch = a->file_channels;
    float *o = out;
    size_t want = frames * (unsigned long)ch;
    size_t got = strata_ring_read(&a->monitor_ring, o, want);
    memset(o + got, 0, (want - got) * sizeof(float));
    size_t whole = got / (size_t)ch;
    for (size_t done = 0; done < whole;) {
        size_t n = whole - done < CB_SCRATCH ? whole - done : CB_SCRATCH;
        mixdown(o + done * (size_t)ch, a->cb_scratch, (sf_count_t)n, ch, a->cfg.channel);
        strata_ring_write(&a->ring, a->cb_scratch, n);
        done += n;
    }
    if (whole > 0) {
        arrival st = {atomic_load_explicit(&a->ring.write_pos, memory_order_relaxed),
                      strata_time_ns()};
        strata_queue_push(&a->arrivals, &st);
    }
    return paContinue;
}

static void open_monitor(strata_audio *a)
{
    if (!a->pa_ready && !(a->pa_ready = pa_start())) {
        LOG_WARN("AUDIO", "monitor: PortAudio cannot start");
        return;
    }
    PaError e = Pa_OpenDefaultStream(&a->monitor, 0, a->file_channels, paFloat32, a->rate, 256,
                                     monitor_cb, a);
    if (e == paNoError && (e = Pa_StartStream(a->monitor)) != paNoError) {
        Pa_CloseStream(a->monitor);
    }
    if (e != paNoError) {
        a->monitor = NULL;
        LOG_WARN("AUDIO", "monitor: cannot open the default output: %s", Pa_GetErrorText(e));
    }
}

/* Next block of the file, looping at the end; 0 when it cannot be read. */
static sf_count_t read_looped(strata_audio *a, sf_count_t n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        sf_count_t got = sf_readf_float(a->rt_file, a->rt_buf, n);
        if (got > 0)
            return got;
        if (sf_seek(a->rt_file, 0, SEEK_SET) < 0)
            break;
    }
    atomic_store(&a->live, false);
    set_status(a, "audio: file %.150s unreadable, internal clock", a->file);
    return 0;
}

/* Realtime file: without a monitor, feed the analysis ring at wall-clock pace; with
 * one, keep a quarter second queued for the output callback, which feeds the analysis. */
static void file_tick(strata_audio *a, double now)
{
    if (a->monitor) {
        size_t ch = (size_t)a->file_channels;
        while (strata_ring_available(&a->monitor_ring) / ch < a->rate / 4) {
            sf_count_t got = read_looped(a, 1024);
            if (got <= 0)
                return;
            strata_ring_write(&a->monitor_ring, a->rt_buf, (size_t)got * ch);
        }
        return;
    }
    uint64_t due = (uint64_t)((now - a->rt_start) * a->rate);
    while (a->rt_fed < due) {
        sf_count_t n = (sf_count_t)(due - a->rt_fed);
        sf_count_t got = read_looped(a, n > READ_CHUNK ? READ_CHUNK : n);
        if (got <= 0)
            return;
        mixdown(a->rt_buf, a->rt_mono, got, a->file_channels, a->cfg.channel);
        strata_ring_write(&a->ring, a->rt_mono, (size_t)got);
        arrival st = {atomic_load(&a->ring.write_pos), strata_time_ns()};
        strata_queue_push(&a->arrivals, &st);
        a->rt_fed += (uint64_t)got;
    }
}

static void *worker_main(void *arg)
{
    strata_audio *a = arg;
    while (!atomic_load(&a->quit)) {
        double now = strata_time_s();
        if (a->src == SRC_DEVICE)
            device_tick(a, now);
        else if (a->src == SRC_FILE_RT && atomic_load(&a->live))
            file_tick(a, now);
        strata_sleep_s(a->src == SRC_FILE_RT ? 0.005 : 0.05);
    }
    return NULL;
}

/* libsndfile's own reason when it has one; its "No Error." (the reason of an earlier
 * call, or none) is never passed on. */
static const char *sndfile_reason(void)
{
    const char *why = sf_strerror(NULL);
    if (!why || !*why || strncasecmp(why, "No Error", 8) == 0)
        return "not a sound file libsndfile can read (WAV, FLAC, OGG, MP3, ...)";
    return why;
}

/* Opened through strata_file_open_read, then handed to libsndfile as an fd: a FIFO or a
 * device given as --audio-file is refused at once instead of hanging in open. */
static SNDFILE *open_file(strata_audio *a, strata_result *r)
{
    strata_result fr = {0};
    int fd = strata_file_open_read(a->file, &fr);
    if (fd < 0) {
        strata_fail(r, STRATA_ERR_IO, "AUDIO: %s", fr.msg);
        return NULL;
    }
    SF_INFO info = {0};
    SNDFILE *f = sf_open_fd(fd, SFM_READ, &info, SF_TRUE);
    if (!f) {
        strata_fail(r, STRATA_ERR_FORMAT, "AUDIO: %s: %s", a->file, sndfile_reason());
        /* No close(fd): libsndfile 1.2 closes it on failure (even with close_desc 0). */
        return NULL;
    }
    if (info.channels < 1 || info.channels > MAX_CHANNELS || info.samplerate < 8000 ||
        info.samplerate > 384000) {
        strata_fail(r, STRATA_ERR_FORMAT, "AUDIO: %s: %d channels at %d Hz not supported", a->file,
                    info.channels, info.samplerate);
        sf_close(f);
        return NULL;
    }
    a->file_channels = info.channels;
    a->rate = (uint32_t)info.samplerate;
    return f;
}

/* ---- lifecycle ---------------------------------------------------------- */

static bool start_source(strata_audio *a, strata_result *r)
{
    if (a->cfg.no_audio) {
        set_status(a, "audio: off (--no-audio), internal clock");
        return true;
    }
    if (a->file[0]) {
        strata_result fr = {0};
        SNDFILE *f = open_file(a, &fr);
        if (!f) {
            if (r)
                *r = fr; /* the caller may treat a file it asked for as required */
            set_status(a, "audio: cannot open %s, internal clock", a->file);
            LOG_WARN("AUDIO", "%s; running on the internal clock", fr.msg + strlen("AUDIO: "));
            return true;
        }
        size_t ch = (size_t)a->file_channels;
        if (a->cfg.frame_exact) {
            a->src = SRC_FILE_EXACT;
            a->exact_file = f;
            atomic_store(&a->live, true);
            set_status(a, "audio: file %s @ %u Hz (frame-exact)", a->file, a->rate);
            return true;
        }
        a->src = SRC_FILE_RT;
        a->rt_file = f;
        a->rt_buf = malloc(READ_CHUNK * ch * sizeof *a->rt_buf);
        a->rt_mono = malloc(READ_CHUNK * sizeof *a->rt_mono);
        if (!a->rt_buf || !a->rt_mono)
            return false;
        if (a->cfg.monitor) {
            if (strata_ring_init(&a->monitor_ring, a->rate * ch, r) != STRATA_OK)
                return false;
            open_monitor(a);
        }
        a->rt_start = strata_time_s();
        atomic_store(&a->live, true);
        set_status(a, "audio: file %s @ %u Hz (realtime%s)", a->file, a->rate,
                   a->monitor ? ", monitored" : "");
        return true;
    }
    a->src = SRC_DEVICE;
    char why[200];
    if (!open_device(a, true, why, sizeof why)) {
        close_device(a);
        strata_fail(r, STRATA_ERR_DEVICE, "AUDIO: %s", why);
        LOG_WARN("AUDIO", "%s; running on the internal clock, retrying every %.0f s", why, RETRY_S);
        set_status(a, "audio: no input (%s), internal clock; retrying", why);
        a->lost_logged = true; /* said once, here */
        a->next_try = strata_time_s() + RETRY_S;
    }
    return true;
}

strata_audio *strata_audio_create(const strata_audio_config *cfg, strata_result *r)
{
    strata_audio_config zero = {0};
    if (!cfg)
        cfg = &zero;
    float lo = cfg->bpm_min > 0.0f ? cfg->bpm_min : STRATA_AUDIO_BPM_MIN;
    float hi = cfg->bpm_max > 0.0f ? cfg->bpm_max : STRATA_AUDIO_BPM_MAX;
    if (!(lo >= 20.0f && hi <= 400.0f && lo < hi) || cfg->channels < 0 || cfg->channel < 0 ||
        cfg->sample_rate < 0 || cfg->buffer_frames < 0) {
        strata_fail(r, STRATA_ERR_ARG, "AUDIO: bad configuration (bpm range %g:%g)", lo, hi);
        return NULL;
    }
    strata_audio *a = calloc(1, sizeof *a);
    if (!a) {
        strata_fail(r, STRATA_ERR_NOMEM, "AUDIO: out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->status_lock, NULL);
    a->cfg = *cfg;
    snprintf(a->device, sizeof a->device, "%s", cfg->device ? cfg->device : "");
    snprintf(a->file, sizeof a->file, "%s", cfg->file ? cfg->file : "");
    a->cfg.device = a->device;
    a->cfg.file = a->file;
    a->rate = cfg->sample_rate > 0 ? (uint32_t)cfg->sample_rate : 48000;
    if (r)
        *r = (strata_result){0};
    /* Two seconds of samples: a stalled render thread drops the oldest, never blocks. */
    if (strata_ring_init(&a->ring, 2u * 384000u, r) != STRATA_OK ||
        strata_queue_init(&a->arrivals, sizeof(arrival), 1024, r) != STRATA_OK ||
        !start_source(a, r))
        goto fail;
    a->an = strata_analysis_create(a->rate, lo, hi, NULL);
    a->buf = malloc(READ_CHUNK * MAX_CHANNELS * sizeof *a->buf);
    a->mono = malloc(READ_CHUNK * sizeof *a->mono);
    if (!a->an || !a->buf || !a->mono) {
        strata_fail(r, STRATA_ERR_NOMEM, "AUDIO: out of memory");
        goto fail;
    }
    if (a->src == SRC_DEVICE || a->src == SRC_FILE_RT) {
        if (pthread_create(&a->worker, NULL, worker_main, a) != 0) {
            strata_fail(r, STRATA_ERR_NOMEM, "AUDIO: cannot start the audio worker thread");
            goto fail;
        }
        a->worker_running = true;
    }
    pthread_mutex_lock(&a->status_lock);
    snprintf(a->status_out, sizeof a->status_out, "%s", a->status);
    pthread_mutex_unlock(&a->status_lock);
    if (a->src != SRC_DEVICE && (a->cfg.no_audio || atomic_load(&a->live)))
        LOG_INFO("AUDIO", "%s", a->status_out + strlen("audio: "));
    return a;
fail:
    strata_audio_destroy(a);
    return NULL;
}

void strata_audio_destroy(strata_audio *a)
{
    if (!a)
        return;
    atomic_store(&a->quit, true);
    if (a->worker_running)
        pthread_join(a->worker, NULL);
    if (a->monitor) {
        Pa_AbortStream(a->monitor);
        Pa_CloseStream(a->monitor);
    }
    close_device(a);
    if (a->rt_file)
        sf_close(a->rt_file);
    if (a->exact_file)
        sf_close(a->exact_file);
    strata_ring_free(&a->monitor_ring);
    strata_ring_free(&a->ring);
    strata_queue_free(&a->arrivals);
    strata_analysis_destroy(a->an);
    free(a->rt_buf);
    free(a->rt_mono);
    free(a->buf);
    free(a->mono);
    pthread_mutex_destroy(&a->status_lock);
    free(a);
}

/* ---- per frame ---------------------------------------------------------- */

static void consume_exact(strata_audio *a, double frame_time)
{
    uint64_t target = frame_time > 0.0 ? (uint64_t)llround(frame_time * a->rate) : 0;
    while (a->exact_pos < target) {
        sf_count_t n = (sf_count_t)(target - a->exact_pos);
        n = n > READ_CHUNK ? READ_CHUNK : n;
        sf_count_t got = a->exact_eof ? 0 : sf_readf_float(a->exact_file, a->buf, n);
        if (got <= 0) {
            /* Past the end the music is over: silence, so renders can run on. */
            a->exact_eof = true;
            memset(a->mono, 0, (size_t)n * sizeof *a->mono);
            got = n;
        } else {
            mixdown(a->buf, a->mono, got, a->file_channels, a->cfg.channel);
        }
        strata_analysis_push(a->an, a->mono, (size_t)got);
        a->exact_pos += (uint64_t)got;
    }
    atomic_store(&a->live, !a->exact_eof);
}

/* Returns samples taken from the ring. */
static size_t consume_ring(strata_audio *a)
{
    size_t avail = strata_ring_available(&a->ring);
    /* After a long stall catching up would cost seconds of CPU in one frame: keep the
     * last second and let the rest go. */
    size_t keep = a->rate;
    while (avail > keep + READ_CHUNK) {
        size_t n = avail - keep > READ_CHUNK ? READ_CHUNK : avail - keep;
        avail -= strata_ring_read(&a->ring, a->mono, n);
    }
    size_t total = 0, got;
    while ((got = strata_ring_read(&a->ring, a->mono, READ_CHUNK)) > 0) {
        strata_analysis_push(a->an, a->mono, got);
        total += got;
    }
    /* Blocks now analysed: their latency is arrival to this snapshot. A block written
     * after the drain stays queued for the next frame. */
    size_t done = atomic_load(&a->ring.read_pos);
    uint64_t now = strata_time_ns();
    arrival st;
    while (strata_queue_peek(&a->arrivals, &st) && (ptrdiff_t)(done - st.end) >= 0) {
        strata_queue_pop(&a->arrivals, &st);
        a->latency_ms[a->latency_n++ % LATENCY_KEEP] = (float)((now - st.ns) * 1e-6);
    }
    return total;
}

/* Internal clock: feed silence so audio time follows frame_time. */
static void feed_silence(strata_audio *a, double frame_time)
{
    double consumed = (double)strata_analysis_samples(a->an) / a->rate;
    if (!a->have_offset) {
        a->clock_offset = consumed - frame_time;
        a->have_offset = true;
    }
    double target = frame_time + a->clock_offset;
    if (target - consumed > 1.0) { /* a jump in frame_time: do not analyse an hour */
        a->clock_offset -= target - consumed - 1.0;
        target = consumed + 1.0;
    }
    if (target <= consumed)
        return;
    memset(a->mono, 0, READ_CHUNK * sizeof *a->mono);
    size_t n = (size_t)((target - consumed) * a->rate);
    while (n > 0) {
        size_t k = n > READ_CHUNK ? READ_CHUNK : n;
        strata_analysis_push(a->an, a->mono, k);
        n -= k;
    }
}

void strata_audio_snapshot(strata_audio *a, double frame_time, strata_audio_frame *out)
{
    if (!isfinite(frame_time))
        frame_time = 0.0;
    bool live = false;
    if (a->src == SRC_FILE_EXACT) {
        consume_exact(a, frame_time);
        live = atomic_load(&a->live);
    } else {
        size_t got = a->src == SRC_NONE ? 0 : consume_ring(a);
        if (got > 0)
            a->last_sample_frame_time = frame_time;
        live =
            atomic_load(&a->live) && (got > 0 || frame_time - a->last_sample_frame_time < QUIET_S);
        if (live) {
            a->have_offset = false;
        } else {
            feed_silence(a, frame_time);
        }
    }
    strata_analysis_frame(a->an, out);
    out->live = live;
    if (pthread_mutex_trylock(&a->status_lock) == 0) {
        memcpy(a->status_out, a->status, sizeof a->status_out);
        pthread_mutex_unlock(&a->status_lock);
    }
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

bool strata_audio_latency(const strata_audio *a, double *p50_ms, double *p99_ms)
{
    uint32_t n = a->latency_n < LATENCY_KEEP ? a->latency_n : LATENCY_KEEP;
    if (n == 0)
        return false;
    float *v = malloc(n * sizeof *v);
    if (!v)
        return false;
    memcpy(v, a->latency_ms, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_float);
    *p50_ms = v[(n - 1) / 2];
    *p99_ms = v[(size_t)((n - 1) * 0.99)];
    free(v);
    return true;
}

const char *strata_audio_status(const strata_audio *a)
{
    return a->status_out;
}

bool strata_audio_is_live(const strata_audio *a)
{
    return atomic_load(&a->live);
}

uint32_t strata_audio_open_count(const strata_audio *a)
{
    return atomic_load(&a->opens);
}

uint64_t strata_audio_dropped(const strata_audio *a)
{
    return atomic_load(&a->ring.dropped);
}

int strata_audio_list_devices(FILE *out)
{
    if (!pa_start()) {
        fprintf(out, "audio: PortAudio cannot start\n");
        return -1;
    }
    int count = Pa_GetDeviceCount(), inputs = 0;
    int def = Pa_GetDefaultInputDevice();
    fprintf(out, "%5s  %-40s %-12s %8s %9s\n", "index", "name", "host API", "inputs", "rate");
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (!d || d->maxInputChannels <= 0)
            continue;
        fprintf(out, "%4d%c  %-40.40s %-12.12s %8d %9.0f\n", i, i == def ? '*' : ' ', d->name,
                Pa_GetHostApiInfo(d->hostApi)->name, d->maxInputChannels, d->defaultSampleRate);
        inputs++;
    }
    if (inputs == 0)
        fprintf(out, "no input devices\n");
    pa_stop();
    return inputs;
}

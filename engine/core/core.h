/* strata core: the pieces every other module stands on.
 *
 * What it is
 *   - log: tagged log lines ("SHADER: ...") to stderr and optionally a file.
 *   - time: a monotonic clock in nanoseconds and seconds.
 *   - ring: a lock-free single-producer/single-consumer ring of floats, the only
 *     thing the audio callback touches.
 *   - queue: a lock-free single-producer/single-consumer queue of fixed-size items
 *     (commands from the OSC thread, ready keyframes from the loader thread).
 *   - file: whole-file reads, atomic writes (temp file + fsync + rename), mtimes.
 *   - result: a small result code with a message, for setup and I/O.
 *   - args: the command-line parser both programs use (a table of options).
 *   - proc: child processes started from an argv (no shell), stop signals.
 *
 * Threads
 *   log: any thread except the audio callback (it formats and writes).
 *   ring / queue: exactly one producer thread and one consumer thread each; both
 *   sides are wait-free and never allocate after creation.
 *   file: any thread but the audio callback; the render thread must not use it
 *   during a show (disk waits), only at setup.
 *
 * Ownership
 *   Creation functions allocate; the caller owns the result and frees it with the
 *   matching destroy. strata_file_read returns a malloc'd buffer the caller frees.
 */
#ifndef STRATA_CORE_H
#define STRATA_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define STRATA_VERSION "0.1.0"

/* The one C++ file (the Ableton Link shim) includes this header too. */
#ifdef __cplusplus
#include <atomic>
#define STRATA_ATOMIC(T) std::atomic<T>
extern "C" {
#else
#include <stdatomic.h>
#define STRATA_ATOMIC(T) _Atomic T
#endif

/* ---- result ------------------------------------------------------------ */

typedef enum strata_status {
    STRATA_OK = 0,
    STRATA_ERR_IO,     /* a file could not be read or written */
    STRATA_ERR_FORMAT, /* a file or message is malformed */
    STRATA_ERR_GL,     /* a GL object could not be created or compiled */
    STRATA_ERR_DEVICE, /* an audio or display device failed */
    STRATA_ERR_ARG,    /* a bad command-line or API argument */
    STRATA_ERR_NOMEM,
} strata_status;

typedef struct strata_result {
    strata_status status;
    char msg[256];
} strata_result;

/* Fill r (if not NULL) with status and a printf-style message; returns status. */
strata_status strata_fail(strata_result *r, strata_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- log --------------------------------------------------------------- */

typedef enum strata_log_level {
    STRATA_LOG_DEBUG,
    STRATA_LOG_INFO,
    STRATA_LOG_WARN,
    STRATA_LOG_ERROR,
} strata_log_level;

/* Open path for appending log lines as well as stderr (NULL closes it).
 * A file larger than max_bytes is rotated to path.1 at open and while logging
 * (0 means no cap). */
strata_status strata_log_open_file(const char *path, size_t max_bytes, strata_result *r);
void strata_log_set_level(strata_log_level level);
void strata_log_set_quiet(bool quiet); /* stderr off (the file, if any, stays) */
void strata_log(strata_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void strata_logv(strata_log_level level, const char *tag, const char *fmt, va_list ap);
void strata_log_close(void);

#define LOG_DEBUG(tag, ...) strata_log(STRATA_LOG_DEBUG, tag, __VA_ARGS__)
#define LOG_INFO(tag, ...) strata_log(STRATA_LOG_INFO, tag, __VA_ARGS__)
#define LOG_WARN(tag, ...) strata_log(STRATA_LOG_WARN, tag, __VA_ARGS__)
#define LOG_ERROR(tag, ...) strata_log(STRATA_LOG_ERROR, tag, __VA_ARGS__)

/* ---- time -------------------------------------------------------------- */

uint64_t strata_time_ns(void); /* CLOCK_MONOTONIC */
/* Resident set size now, and its peak, in MiB (soaks and benches watch them). */
double strata_rss_mb(void);
double strata_peak_rss_mb(void);
/* CPU seconds of the whole process so far, every thread (a software GL's included). */
double strata_process_cpu_s(void);
/* Sort v ascending, in place. */
void strata_sort_doubles(double *v, size_t n);
/* The median of v (the mean of the middle two for an even n; 0 for none); sorts v. */
double strata_median(double *v, size_t n);
double strata_time_s(void);
void strata_sleep_s(double seconds);

/* ---- ring: SPSC float ring (audio callback -> analysis) ---------------- */

typedef struct strata_ring {
    float *data;
    size_t cap;                      /* power of two */
    STRATA_ATOMIC(size_t) write_pos; /* producer only writes */
    STRATA_ATOMIC(size_t) read_pos;  /* consumer only writes */
    STRATA_ATOMIC(uint64_t) dropped; /* samples the producer could not store */
} strata_ring;

/* capacity is rounded up to a power of two. */
strata_status strata_ring_init(strata_ring *ring, size_t capacity, strata_result *r);
void strata_ring_free(strata_ring *ring);
/* Producer: store up to n samples, returns how many fit (rest counted as dropped).
 * Wait-free, no allocation: safe in the audio callback. */
size_t strata_ring_write(strata_ring *ring, const float *src, size_t n);
/* Consumer: copy out up to n samples. */
size_t strata_ring_read(strata_ring *ring, float *dst, size_t n);
size_t strata_ring_available(const strata_ring *ring);
/* Consumer: drop everything pending (e.g. after a stall). */
void strata_ring_clear(strata_ring *ring);

/* ---- queue: SPSC queue of fixed-size items ----------------------------- */

typedef struct strata_queue {
    unsigned char *data;
    size_t item_size;
    size_t cap;                 /* power of two, in items */
    STRATA_ATOMIC(size_t) head; /* consumer */
    STRATA_ATOMIC(size_t) tail; /* producer */
    STRATA_ATOMIC(uint64_t) dropped;
} strata_queue;

strata_status strata_queue_init(strata_queue *q, size_t item_size, size_t capacity,
                                strata_result *r);
void strata_queue_free(strata_queue *q);
bool strata_queue_push(strata_queue *q, const void *item); /* false when full */
bool strata_queue_pop(strata_queue *q, void *item);        /* false when empty */
/* Consumer: look at the next item without removing it. */
bool strata_queue_peek(strata_queue *q, void *item);
size_t strata_queue_count(const strata_queue *q);

/* ---- buf: a growable byte buffer ----------------------------------------- */

typedef struct strata_buf {
    uint8_t *data; /* malloc'd; the owner frees it (strata_buf_free, or takes it) */
    size_t len, cap;
    bool failed; /* an append ran out of memory: the contents are incomplete */
} strata_buf;

/* Append n bytes (doubling the capacity); false (and failed set) when out of memory. */
bool strata_buf_append(strata_buf *b, const void *data, size_t n);
/* The same with the signature of stb_image_write's callbacks (ctx is a strata_buf). */
void strata_buf_write_cb(void *ctx, void *data, int size);
void strata_buf_free(strata_buf *b);

/* ---- file -------------------------------------------------------------- */

/* Open a user file for reading without ever blocking: O_NONBLOCK|O_CLOEXEC, fstat, then
 * O_NONBLOCK cleared. Anything but a regular file is refused (a FIFO would hang the
 * reader forever): returns -1 with r saying "x.json: not a regular file (a FIFO)" or
 * "x: is a directory". Every reader of user files goes through it. */
int strata_file_open_read(const char *path, strata_result *r);
/* Open a file strata writes as it goes (--log, --stats) without ever blocking in open:
 * a regular file (appended to, or emptied when !append) or a character device such as
 * /dev/null. A FIFO, folder or socket is refused like strata_file_open_read does. */
FILE *strata_file_open_output(const char *path, bool append, strata_result *r);
/* What a stat mode is, for messages: "a FIFO", "a directory", "a symbolic link", ... */
const char *strata_file_kind_name(unsigned mode);
/* May path be replaced by a new file? Yes when it does not exist or is a regular file;
 * a device, FIFO, socket, directory or symbolic link is refused with a message (lstat:
 * renaming over /dev/full as root would replace the device node). */
strata_status strata_file_check_replaceable(const char *path, strata_result *r);
/* Write all of data to fd (EINTR retried). On failure r names `name` and the real errno
 * of the failing write ("No space left on device"), never a stale one. */
strata_status strata_file_write_fd(int fd, const void *data, size_t len, const char *name,
                                   strata_result *r);
/* Read a whole file; *out is NUL-terminated and malloc'd. max_bytes 0 = no cap.
 * Opened with strata_file_open_read: FIFOs, devices and directories are refused. */
strata_status strata_file_read(const char *path, char **out, size_t *len, size_t max_bytes,
                               strata_result *r);
/* Write data to path atomically: path.tmp, fsync, rename, fsync dir. Refuses to
 * replace anything but a regular file (strata_file_check_replaceable). */
strata_status strata_file_write_atomic(const char *path, const void *data, size_t len,
                                       strata_result *r);
/* Modification time in ns, or 0 when the file is missing. */
uint64_t strata_file_mtime_ns(const char *path);
bool strata_file_is_dir(const char *path);
/* Create a directory and its parents (like mkdir -p). */
strata_status strata_file_mkdirs(const char *path, strata_result *r);

/* ---- args: the command-line parser of strata and strata-bank (args.c) ------
 * A declarative table: `--name value` and `--name=value`, `--` ends the options.
 * Unknown options, missing, empty or malformed values, numbers out of range and
 * a repeatable option past its capacity are errors (STRATA_ERR_ARG) whose message
 * names the program, the option and the value. Main thread, at startup. */

#define STRATA_MAX_SIDE 8192 /* --size / --render-size: the largest side strata renders */

typedef enum strata_arg_kind {
    STRATA_ARG_FLAG,   /* bool *: takes no value */
    STRATA_ARG_STR,    /* const char **: a non-empty value */
    STRATA_ARG_INT,    /* int *: a whole number in lo..hi (strtol, end checked) */
    STRATA_ARG_LONG,   /* long *: the same */
    STRATA_ARG_U64,    /* uint64_t *: a whole number 0 or more */
    STRATA_ARG_DOUBLE, /* double *: a finite number in lo..hi (strtod, end checked) */
    STRATA_ARG_SIZE,   /* int[2]: WxH, each side 1..hi (0: STRATA_MAX_SIDE) */
    STRATA_ARG_LIST,   /* strata_arg_list *: repeatable, error past its capacity */
    STRATA_ARG_FUNC,   /* fn(opt, value, dst, r) checks and stores */
} strata_arg_kind;

typedef struct strata_arg_list {
    const char **items; /* caller's storage for cap items */
    int count, cap;
} strata_arg_list;

typedef bool (*strata_arg_fn)(const char *opt, const char *value, void *dst, strata_result *r);

typedef struct strata_arg {
    const char *name;  /* "--size", or a short "-o" */
    const char *alias; /* another spelling ("-h"), or NULL */
    strata_arg_kind kind;
    void *dst;
    double lo, hi;    /* numbers: the accepted range */
    const char *what; /* appended to value errors, e.g. "(0: mono mix-down)" */
    strata_arg_fn fn; /* STRATA_ARG_FUNC */
    bool *given;      /* set true when the option appears; NULL: not tracked */
} strata_arg;

typedef struct strata_args_desc {
    const char *prog; /* message prefix: "strata", "strata-bank build" */
    const strata_arg *table;
    int count;
    int start;               /* first argv index to parse */
    const char **positional; /* words that are not options go here ... */
    int max_positional;      /* ... at most this many (more is an error) */
    int *npositional;        /* out */
} strata_args_desc;

strata_status strata_args_parse(const strata_args_desc *d, int argc, char **argv,
                                strata_result *r);
/* The number parsers the table uses (whole string, range checked). */
bool strata_args_parse_long(const char *s, long lo, long hi, long *out);
bool strata_args_parse_double(const char *s, double lo, double hi, double *out);
/* "WxH" in digits only, each side 1..max_side. */
bool strata_args_parse_size(const char *s, int max_side, int *w, int *h);

/* ---- proc: child processes without a shell, and stop signals (proc.c) ------
 * Signals: strata_signals_install() (main thread, after SDL_Init) makes SIGINT,
 * SIGTERM and SIGHUP set a flag the frame loops poll, and ignores SIGPIPE. A second
 * stop signal ends the process at once (exit 128 + signal) unless hard exit is off.
 * A crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) writes "strata: crashed (SIG...);
 * backtrace:" and the raw frames to stderr, then dies by the same signal (not in
 * sanitizer builds, which report crashes themselves).
 * Children: started from an argv with posix_spawn (PATH searched in C), never a
 * shell; stdin (non-blocking on our side) and stdout may be pipes; stderr is read
 * by a thread that keeps its last 4 KiB. Every wait is bounded. One thread per
 * strata_proc. */

void strata_signals_install(void);
int strata_signal_stop_requested(void); /* the first stop signal's number, 0: none */
int strata_signal_count(void);          /* stop signals received so far */
void strata_signal_set_hard_exit(bool on);
void strata_signal_reset(void); /* tests */

/* Find an executable: a name with a '/' as given, otherwise through $PATH. */
bool strata_find_program(const char *name, char *out, size_t n);

typedef struct strata_proc strata_proc;
typedef struct strata_proc_desc {
    const char *const *argv; /* argv[0]: the program, searched in PATH; NULL-terminated */
    bool pipe_stdin;         /* else /dev/null */
    bool pipe_stdout;        /* else inherited */
    bool own_group;          /* its own process group: a terminal's Ctrl+C is ours alone */
} strata_proc_desc;

strata_proc *strata_proc_spawn(const strata_proc_desc *d, strata_result *r);
int strata_proc_pid(const strata_proc *p);
int strata_proc_stdout_fd(const strata_proc *p); /* -1 without pipe_stdout */
/* Write all n bytes to its stdin. Fails (with the reason) when the child stopped
 * reading (EPIPE), took nothing for idle_s, or a second stop signal came. */
strata_status strata_proc_write(strata_proc *p, const void *data, size_t n, double idle_s,
                                strata_result *r);
void strata_proc_close_stdin(strata_proc *p);
/* Wait up to timeout_s for it to exit (cut short by a second stop signal); true and
 * *status (waitpid's) when it did. */
bool strata_proc_wait(strata_proc *p, double timeout_s, int *status);
bool strata_proc_running(strata_proc *p);
/* SIGTERM, up to 2 s, then SIGKILL; always reaped. */
void strata_proc_kill(strata_proc *p);
/* "exit code 1", "killed by signal 9 (Killed)". */
void strata_proc_describe_exit(int status, char *buf, size_t n);
/* The last bytes it wrote to stderr (up to n - 1), trailing newlines trimmed. */
size_t strata_proc_stderr_tail(strata_proc *p, char *buf, size_t n);
/* Close its stdin, kill it if it still runs, reap it, free. NULL is fine. */
void strata_proc_destroy(strata_proc *p);

/* ---- embedded files (tools/embed.cmake writes the tables) ----------------- */

/* One file embedded at build time: name relative to its folder, bytes (NUL-terminated;
 * len without the NUL). Tables end with a {0} entry. */
typedef struct strata_embedded_file {
    const char *name;
    const unsigned char *data;
    size_t len;
} strata_embedded_file;

/* The entry of table (count entries) named name, or NULL. Pure. */
static inline const strata_embedded_file *strata_embedded_find(const strata_embedded_file *table,
                                                               int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* ---- small helpers ----------------------------------------------------- */

static inline float strata_clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Parse "WxH" into w and h; false when malformed or out of 1..16384. */
bool strata_parse_size(const char *s, int *w, int *h);

/* IEEE binary16 (fp16) <-> float (half.c): exact both ways for every half; float to half
 * rounds to nearest even, overflows to inf (|f| >= 65520), keeps NaN a NaN. Pure, any
 * thread. Used by safetensors (engine/neural) and neural banks (engine/bank). */
float strata_half_to_float(uint16_t h);
uint16_t strata_float_to_half(float f);

/* ---- adaptive resolution (adapt.c) --------------------------------------- */

/* Live mode's render scale: a controller that holds a frame budget by trading pixels for
 * time. It sees the frame's work (not the vsync wait), smoothed over ~0.3 s; when the work
 * stays above the budget for half a second it steps down to the scale predicted to fit
 * (cost taken as proportional to pixels), never below the floor; when the next step up is
 * predicted to fit with room for 2 s, it steps up one notch. After a change it holds for
 * a second while the measure settles. Steps are multiples of 0.05, so the render size
 * only takes a few values and the picture never pumps. Pure: any thread, no clock of its
 * own (dt comes in). */
typedef struct strata_adapt {
    bool on;
    float scale;      /* of the full render size, floor..1 */
    float floor;      /* 0.25..1 */
    double budget_ms; /* 1000 / target fps */
    double work_ms;   /* smoothed frame work */
    double over_s, under_s, hold_s;
    int changes; /* scale changes so far */
} strata_adapt;

void strata_adapt_init(strata_adapt *a, bool on, double target_fps, float floor);
/* One frame: its work in ms, dt seconds since the last. True when a->scale changed. */
bool strata_adapt_step(strata_adapt *a, double work_ms, double dt);
/* w x h scaled by s, each rounded to an even number of at least 16 (never above w x h). */
void strata_adapt_size(int w, int h, float s, int *sw, int *sh);

#ifdef __cplusplus
}
#endif

#endif

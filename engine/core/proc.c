/* Child processes without a shell, and the one signal module.
 *
 * A child is started from an argv with posix_spawn: a file name with a quote, a `$(...)`
 * or a `;` is one argument, never a command. Its stdin and stdout may be pipes; its
 * stderr is read by a thread that keeps the last few KiB, so an early exit can be
 * reported with the child's own words. Every wait here is bounded.
 *
 * Stop signals (SIGINT, SIGTERM, SIGHUP) set an atomic flag that the frame loops poll;
 * SIGPIPE is ignored so a child that exits early is an EPIPE, not a silent death. */

#include "core.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- signals -------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;      /* the first stop signal, 0 none */
static volatile sig_atomic_t stop_count;       /* stop signals received */
static volatile sig_atomic_t hard_exit = true; /* a second signal ends the process */

static void on_stop_signal(int sig)
{
    if (stop_count < 1000)
        stop_count++;
    if (!stop_signal) {
        stop_signal = sig;
        return;
    }
    if (hard_exit) {
        /* The operator insists (a second Ctrl+C, systemd's second TERM): whatever the
         * first one is waiting for, end now. Only async-signal-safe calls here. */
        static const char msg[] = "strata: second stop signal, exiting now\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + sig);
    }
}

/* A crash must at least say where: the signal and the raw backtrace (module+offset, for
 * addr2line against the build) go to stderr, then the default action runs (core dump,
 * systemd's restart). Not under AddressSanitizer, which reports crashes itself. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STRATA_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STRATA_SANITIZED 1
#endif

#ifndef STRATA_SANITIZED
static void on_crash(int sig)
{
    char head[64];
    const char *name = sig == SIGSEGV  ? "SIGSEGV"
                       : sig == SIGBUS ? "SIGBUS"
                       : sig == SIGFPE ? "SIGFPE"
                       : sig == SIGILL ? "SIGILL"
                                       : "SIGABRT";
    int n = snprintf(head, sizeof head, "strata: crashed (%s); backtrace:\n", name);
    ssize_t w = write(2, head, n > 0 ? (size_t)n : 0);
    (void)w;
    void *frames[48];
    int nf = backtrace(frames, 48);
    backtrace_symbols_fd(frames, nf, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void crash_handlers_install(void)
{
#ifndef STRATA_SANITIZED
    /* backtrace() loads libgcc on first use: do it now, not inside the handler. */
    void *warm[1];
    backtrace(warm, 1);
    static char alt[64 * 1024]; /* a stack overflow must still reach the handler */
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
    const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
        sigaction(crashes[i], &sa, NULL);
#endif
}

void strata_signals_install(void)
{
    crash_handlers_install();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    /* Restart interrupted calls: the rest of the program (and its libraries) need not
     * handle EINTR; the loops notice the flag within a frame. */
    sa.sa_flags = SA_RESTART;
    const int stops[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaction(stops[i], &sa, NULL);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
}

int strata_signal_stop_requested(void)
{
    return (int)stop_signal;
}

int strata_signal_count(void)
{
    return (int)stop_count;
}

void strata_signal_set_hard_exit(bool on)
{
    hard_exit = on;
}

void strata_signal_reset(void)
{
    stop_signal = 0;
    stop_count = 0;
}

/* ---- PATH ----------------------------------------------------------------- */

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool strata_find_program(const char *name, char *out, size_t n)
{
    if (!name || !*name)
        return false;
    if (strchr(name, '/')) {
        if (!is_executable_file(name))
            return false;
        return (size_t)snprintf(out, n, "%s", name) < n;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char cand[4096];
        /* An empty PATH entry means the current folder, as for execvp. */
        int w = len ? snprintf(cand, sizeof cand, "%.*s/%s", (int)len, p, name)
                    : snprintf(cand, sizeof cand, "./%s", name);
        if (w > 0 && (size_t)w < sizeof cand && is_executable_file(cand))
            return (size_t)snprintf(out, n, "%s", cand) < n;
        if (!end)
            return false;
        p = end + 1;
    }
}

/* ---- child processes ------------------------------------------------------ */

#define TAIL_CAP 4096

struct strata_proc {
    pid_t pid;
    char name[256]; /* argv[0], for messages */
    int in_fd;      /* write end of the child's stdin, -1 none */
    int out_fd;     /* read end of the child's stdout, -1 none */
    int err_fd;     /* read end of the child's stderr (the tail thread owns it) */
    pthread_t err_thread;
    bool has_err_thread;
    pthread_mutex_t lock;
    char tail[TAIL_CAP]; /* --- protected by lock: the last bytes of stderr, a ring */
    size_t tail_len;     /* --- protected by lock */
    size_t tail_pos;     /* --- protected by lock: next write position */
    bool err_eof;        /* --- protected by lock: the tail thread read to the end */
    bool exited;
    int status; /* waitpid status once exited */
};

static void *err_main(void *arg)
{
    strata_proc *p = arg;
    char buf[1024];
    for (;;) {
        ssize_t n = read(p->err_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* EOF: the child (and everything it started) closed stderr */
            pthread_mutex_lock(&p->lock);
            p->err_eof = true;
            pthread_mutex_unlock(&p->lock);
            break;
        }
        pthread_mutex_lock(&p->lock);
        for (ssize_t i = 0; i < n; i++) {
            p->tail[p->tail_pos] = buf[i];
            p->tail_pos = (p->tail_pos + 1) % TAIL_CAP;
        }
        p->tail_len = p->tail_len + (size_t)n > TAIL_CAP ? TAIL_CAP : p->tail_len + (size_t)n;
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

strata_proc *strata_proc_spawn(const strata_proc_desc *d, strata_result *r)
{
    if (!d || !d->argv || !d->argv[0]) {
        strata_fail(r, STRATA_ERR_ARG, "spawn: no program");
        return NULL;
    }
    char exe[4096];
    if (!strata_find_program(d->argv[0], exe, sizeof exe)) {
        strata_fail(r, STRATA_ERR_IO, "%s: not found in PATH (or not executable)", d->argv[0]);
        return NULL;
    }
    strata_proc *p = calloc(1, sizeof *p);
    if (!p) {
        strata_fail(r, STRATA_ERR_NOMEM, "spawn %s: out of memory", d->argv[0]);
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", d->argv[0]);
    p->in_fd = p->out_fd = p->err_fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    bool ok = (!d->pipe_stdin || pipe2(in, O_CLOEXEC) == 0) &&
              (!d->pipe_stdout || pipe2(out, O_CLOEXEC) == 0) && pipe2(err, O_CLOEXEC) == 0;
    if (!ok) {
        strata_fail(r, STRATA_ERR_IO, "spawn %s: pipe: %s", d->argv[0], strerror(errno));
        goto fail;
    }
    /* dup2 onto 0/1/2 clears close-on-exec there; every other descriptor of ours is
     * O_CLOEXEC and stays out of the child. */
    if (d->pipe_stdin)
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (d->pipe_stdout)
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    /* The child gets default dispositions (an ignored SIGPIPE would be inherited) and an
     * empty mask. Its own process group keeps a terminal's Ctrl+C for us alone: we then
     * close its stdin so it finishes the file, instead of both dying at once. */
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&at, &defaults);
    posix_spawnattr_setsigmask(&at, &empty);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (d->own_group) {
        posix_spawnattr_setpgroup(&at, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&at, flags);
    int e = posix_spawn(&p->pid, exe, &fa, &at, (char *const *)d->argv, environ);
    if (e != 0) {
        strata_fail(r, STRATA_ERR_IO, "cannot start %s: %s", exe, strerror(e));
        goto fail;
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    p->in_fd = in[1];
    if (p->in_fd >= 0) {
        /* Our end only (the child's is another open file description): writes wait in
         * poll slices that see signals and a stuck child. A bigger pipe takes a frame. */
        fcntl(p->in_fd, F_SETFL, fcntl(p->in_fd, F_GETFL) | O_NONBLOCK);
        fcntl(p->in_fd, F_SETPIPE_SZ, 1 << 20);
    }
    p->out_fd = out[0];
    p->err_fd = err[0];
    p->has_err_thread = pthread_create(&p->err_thread, NULL, err_main, p) == 0;
    if (!p->has_err_thread)
        close_fd(&p->err_fd); /* the child gets EPIPE on stderr, nothing hangs */
    return p;
fail:
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    int *fds[] = {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close_fd(fds[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

int strata_proc_pid(const strata_proc *p)
{
    return p->pid;
}

int strata_proc_stdout_fd(const strata_proc *p)
{
    return p->out_fd;
}

strata_status strata_proc_write(strata_proc *p, const void *data, size_t n, double idle_s,
                                strata_result *r)
{
    if (p->in_fd < 0)
        return strata_fail(r, STRATA_ERR_IO, "%s: its input is closed", p->name);
    const uint8_t *b = data;
    size_t done = 0;
    double last = strata_time_s();
    while (done < n) {
        ssize_t w = write(p->in_fd, b + done, n - done);
        if (w > 0) {
            done += (size_t)w;
            last = strata_time_s();
            continue;
        }
        if (w < 0 && errno == EPIPE)
            return strata_fail(r, STRATA_ERR_IO, "%s stopped reading its input (it exited)",
                               p->name);
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            return strata_fail(r, STRATA_ERR_IO, "writing to %s: %s", p->name, strerror(errno));
        /* Full pipe: wait in short slices, so a stop signal or a stuck child is seen. */
        if (strata_signal_count() > 1)
            return strata_fail(r, STRATA_ERR_IO, "%s: write abandoned (second stop signal)",
                               p->name);
        if (strata_time_s() - last > idle_s)
            return strata_fail(r, STRATA_ERR_IO, "%s took no input for %.0f s", p->name, idle_s);
        struct pollfd pf = {.fd = p->in_fd, .events = POLLOUT};
        poll(&pf, 1, 100);
    }
    return STRATA_OK;
}

void strata_proc_close_stdin(strata_proc *p)
{
    close_fd(&p->in_fd);
}

static bool reap(strata_proc *p, bool block)
{
    if (p->exited)
        return true;
    for (;;) {
        pid_t w = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
        if (w == p->pid) {
            p->exited = true;
            return true;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) { /* ECHILD: someone else reaped it; nothing left to wait for */
            p->exited = true;
            p->status = -1;
            return true;
        }
        return false;
    }
}

bool strata_proc_wait(strata_proc *p, double timeout_s, int *status)
{
    double end = strata_time_s() + timeout_s;
    while (!reap(p, false)) {
        if (strata_time_s() >= end || strata_signal_count() > 1)
            return false;
        strata_sleep_s(0.01);
    }
    if (status)
        *status = p->status;
    return true;
}

bool strata_proc_running(strata_proc *p)
{
    return !reap(p, false);
}

void strata_proc_kill(strata_proc *p)
{
    if (reap(p, false))
        return;
    kill(p->pid, SIGTERM);
    double end = strata_time_s() + 2.0;
    while (!reap(p, false) && strata_time_s() < end)
        strata_sleep_s(0.01);
    if (!p->exited) {
        kill(p->pid, SIGKILL);
        reap(p, true); /* SIGKILL cannot be caught: this returns */
    }
}

void strata_proc_describe_exit(int status, char *buf, size_t n)
{
    if (status == -1)
        snprintf(buf, n, "exit status unknown");
    else if (WIFEXITED(status))
        snprintf(buf, n, "exit code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "status 0x%x", (unsigned)status);
}

size_t strata_proc_stderr_tail(strata_proc *p, char *buf, size_t n)
{
    if (!n)
        return 0;
    /* A child that has exited may have written its last words just before: give the tail
     * thread up to a second to read them (under load it ran late, and the reason an early
     * ffmpeg gave was missing from the report). */
    double end = strata_time_s() + 1.0;
    pthread_mutex_lock(&p->lock);
    while (p->exited && p->has_err_thread && !p->err_eof && strata_time_s() < end) {
        pthread_mutex_unlock(&p->lock);
        strata_sleep_s(0.005);
        pthread_mutex_lock(&p->lock);
    }
    size_t len = p->tail_len < n - 1 ? p->tail_len : n - 1;
    size_t start = (p->tail_pos + TAIL_CAP - len) % TAIL_CAP;
    for (size_t i = 0; i < len; i++)
        buf[i] = p->tail[(start + i) % TAIL_CAP];
    pthread_mutex_unlock(&p->lock);
    buf[len] = 0;
    /* Trim trailing newlines and keep it printable for a log line. */
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n')
            buf[i] = ' ';
    return len;
}

void strata_proc_destroy(strata_proc *p)
{
    if (!p)
        return;
    close_fd(&p->in_fd);
    strata_proc_kill(p);
    if (p->has_err_thread) {
        /* The child is gone; a grandchild still holding stderr would block the join, so
         * stop reading after a bounded wait by closing our end. */
        double end = strata_time_s() + 2.0;
        bool joined = false;
        while (!joined && strata_time_s() < end) {
            joined = pthread_tryjoin_np(p->err_thread, NULL) == 0;
            if (!joined)
                strata_sleep_s(0.01);
        }
        if (!joined) {
            pthread_cancel(p->err_thread);
            pthread_join(p->err_thread, NULL);
        }
    }
    close_fd(&p->err_fd);
    close_fd(&p->out_fd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

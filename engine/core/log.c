/* Tagged log lines to stderr and an optional, size-capped file. */
#include "core.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;        /* --- protected by log_lock */
static char log_path[1024];   /* --- protected by log_lock */
static size_t log_max_bytes;  /* --- protected by log_lock */
static size_t log_file_bytes; /* --- protected by log_lock */
static strata_log_level log_level = STRATA_LOG_INFO;
static bool log_quiet;

static const char *level_name[] = {"debug", "info", "warn", "error"};

strata_status strata_fail(strata_result *r, strata_status status, const char *fmt, ...)
{
    if (r) {
        va_list ap;
        va_start(ap, fmt);
        r->status = status;
        vsnprintf(r->msg, sizeof r->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* Caller holds log_lock. Keeps one previous generation: path.1. */
static void rotate_locked(void)
{
    char old[1100];
    if (log_file)
        fclose(log_file);
    snprintf(old, sizeof old, "%s.1", log_path);
    rename(log_path, old);
    log_file = strata_file_open_output(log_path, true, NULL);
    log_file_bytes = 0;
}

strata_status strata_log_open_file(const char *path, size_t max_bytes, strata_result *r)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    if (!path) {
        pthread_mutex_unlock(&log_lock);
        return STRATA_OK;
    }
    snprintf(log_path, sizeof log_path, "%s", path);
    struct stat st;
    bool regular = stat(path, &st) != 0 || S_ISREG(st.st_mode);
    log_max_bytes = regular ? max_bytes : 0; /* /dev/null is not rotated */
    log_file_bytes = regular && stat(path, &st) == 0 ? (size_t)st.st_size : 0;
    strata_result why = {0};
    if (log_max_bytes && log_file_bytes >= log_max_bytes)
        rotate_locked();
    else
        log_file = strata_file_open_output(path, true, &why);
    bool ok = log_file != NULL;
    pthread_mutex_unlock(&log_lock);
    if (!ok)
        return strata_fail(r, STRATA_ERR_IO, "cannot open log file %s",
                           why.msg[0] ? why.msg : "(rotation failed)");
    return STRATA_OK;
}

void strata_log_set_level(strata_log_level level)
{
    log_level = level;
}

void strata_log_set_quiet(bool quiet)
{
    log_quiet = quiet;
}

void strata_logv(strata_log_level level, const char *tag, const char *fmt, va_list ap)
{
    if (level < log_level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);

    pthread_mutex_lock(&log_lock);
    if (!log_quiet)
        fprintf(stderr, "%s: %s\n", tag, msg);
    if (log_file) {
        int n = fprintf(log_file, "%s.%03ld %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L,
                        level_name[level], tag, msg);
        fflush(log_file);
        if (n > 0)
            log_file_bytes += (size_t)n;
        if (log_max_bytes && log_file_bytes >= log_max_bytes)
            rotate_locked();
    }
    pthread_mutex_unlock(&log_lock);
}

void strata_log(strata_log_level level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strata_logv(level, tag, fmt, ap);
    va_end(ap);
}

void strata_log_close(void)
{
    strata_log_open_file(NULL, 0, NULL);
}

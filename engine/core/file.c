/* Whole-file reads, atomic writes, mtimes and the small parsing helpers. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool strata_buf_append(strata_buf *b, const void *data, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        uint8_t *nd = realloc(b->data, cap);
        if (!nd) {
            b->failed = true;
            return false;
        }
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0; /* text stays NUL-terminated */
    return true;
}

void strata_buf_write_cb(void *ctx, void *data, int size)
{
    if (size > 0)
        strata_buf_append(ctx, data, (size_t)size);
}

void strata_buf_free(strata_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

const char *strata_file_kind_name(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFIFO:
        return "a FIFO";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    case S_IFLNK:
        return "a symbolic link";
    default:
        return "not a file";
    }
}

static strata_status refuse_kind(const char *path, unsigned mode, strata_result *r)
{
    if (S_ISDIR(mode))
        return strata_fail(r, STRATA_ERR_IO, "%s: is a directory", path);
    return strata_fail(r, STRATA_ERR_IO, "%s: not a regular file (%s)", path,
                       strata_file_kind_name(mode));
}

int strata_file_open_read(const char *path, strata_result *r)
{
    /* O_NONBLOCK: opening a FIFO without a writer would wait forever, and a device can
     * block in open; the kind is only known after the open, from fstat. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        refuse_kind(path, st.st_mode, r);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(e));
        return -1;
    }
    return fd;
}

FILE *strata_file_open_output(const char *path, bool append, strata_result *r)
{
    /* O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of waiting. */
    int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : 0),
                  0644);
    struct stat st = {0};
    FILE *f = NULL;
    if (fd < 0 && errno == ENXIO && stat(path, &st) == 0) {
        refuse_kind(path, st.st_mode, r);
    } else if (fd < 0) {
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (fstat(fd, &st) != 0) {
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        refuse_kind(path, st.st_mode, r);
    } else if ((!append && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) ||
               fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
               !(f = fdopen(fd, append ? "a" : "w"))) {
        strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (!f && fd >= 0)
        close(fd);
    return f;
}

strata_status strata_file_check_replaceable(const char *path, strata_result *r)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return STRATA_OK;
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISREG(st.st_mode))
        return STRATA_OK;
    return strata_fail(r, STRATA_ERR_IO, "%s: is %s; refusing to replace it with a file", path,
                       strata_file_kind_name(st.st_mode));
}

strata_status strata_file_write_fd(int fd, const void *data, size_t len, const char *name,
                                   strata_result *r)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return strata_fail(r, STRATA_ERR_IO, "%s: %s", name, strerror(errno));
        if (w == 0) /* no progress and no errno: say so rather than quote a stale one */
            return strata_fail(r, STRATA_ERR_IO, "%s: write made no progress", name);
        p += w;
        len -= (size_t)w;
    }
    return STRATA_OK;
}

strata_status strata_file_read(const char *path, char **out, size_t *len, size_t max_bytes,
                               strata_result *r)
{
    *out = NULL;
    int fd = strata_file_open_read(path, r);
    if (fd < 0)
        return r ? r->status : STRATA_ERR_IO;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    int err = 0;
    while (buf) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            err = errno;
            break;
        }
        n += (size_t)got;
        if (max_bytes && n > max_bytes) {
            free(buf);
            close(fd);
            return strata_fail(r, STRATA_ERR_FORMAT, "%s: larger than %zu bytes", path, max_bytes);
        }
        if (got == 0)
            break;
    }
    close(fd);
    if (!buf)
        return strata_fail(r, STRATA_ERR_NOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return strata_fail(r, STRATA_ERR_IO, "%s: read error: %s", path, strerror(err));
    }
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    return STRATA_OK;
}

strata_status strata_file_write_atomic(const char *path, const void *data, size_t len,
                                       strata_result *r)
{
    if (strata_file_check_replaceable(path, r) != STRATA_OK)
        return r ? r->status : STRATA_ERR_IO;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    unlink(tmp); /* a leftover of a crash with our pid; O_EXCL below refuses anything else */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", tmp, strerror(errno));
    strata_status s = strata_file_write_fd(fd, data, len, tmp, r);
    if (s == STRATA_OK && fsync(fd) != 0)
        s = strata_fail(r, STRATA_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
    if (close(fd) != 0 && s == STRATA_OK)
        s = strata_fail(r, STRATA_ERR_IO, "%s: close: %s", tmp, strerror(errno));
    if (s == STRATA_OK && rename(tmp, path) != 0)
        s = strata_fail(r, STRATA_ERR_IO, "%s: %s", path, strerror(errno));
    if (s != STRATA_OK) {
        unlink(tmp);
        return s;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return STRATA_OK;
}

uint64_t strata_file_mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec +
           (uint64_t)st.st_size; /* size too: two writes in one tick still differ */
}

bool strata_file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

strata_status strata_file_mkdirs(const char *path, strata_result *r)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return strata_fail(r, STRATA_ERR_IO, "%s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return strata_fail(r, STRATA_ERR_IO, "%s: %s", buf, strerror(errno));
    return STRATA_OK;
}

double strata_rss_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

double strata_peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void strata_sort_doubles(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
}

double strata_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    strata_sort_doubles(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double strata_process_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t strata_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double strata_time_s(void)
{
    return (double)strata_time_ns() * 1e-9;
}

void strata_sleep_s(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool strata_parse_size(const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return false;
    const char *s2 = end + 1;
    long b = strtol(s2, &end, 10);
    if (end == s2 || *end)
        return false;
    if (a < 1 || b < 1 || a > 16384 || b > 16384)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

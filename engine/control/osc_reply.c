/* What goes back out: error replies to bad messages (rate-limited, on the OSC thread),
 * and building and sending OSC messages (replies and feedback, on the render thread). */
#include "control_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#define TAG "OSC"
#define LOG_PER_S 10    /* error log lines per second, then a count */
#define REPLY_PER_S 100 /* error replies per second (they cost queue slots) */

void strata_osc_log_window(strata_control *ctl)
{
    double now = strata_time_s();
    if (now - ctl->log_window >= 1.0) {
        if (ctl->log_suppressed)
            LOG_WARN(TAG, "%llu more bad messages in the last second (not logged)",
                     (unsigned long long)ctl->log_suppressed);
        ctl->log_window = now;
        ctl->log_count = ctl->reply_count = 0;
        ctl->log_suppressed = 0;
    }
}

/* Make a printable copy of an address from the wire (it may hold anything). */
static void clean_path(const char *path, char *out, size_t n)
{
    size_t i = 0;
    for (; path && path[i] && i + 1 < n; i++)
        out[i] = (path[i] >= 32 && path[i] < 127) ? path[i] : '?';
    out[i] = 0;
    if (i == 0)
        snprintf(out, n, "(none)");
}

void strata_osc_error(strata_control *ctl, const void *from, size_t from_len, const char *path,
                      const char *fmt, ...)
{
    atomic_fetch_add(&ctl->n_errors, 1);
    strata_osc_log_window(ctl);
    strata_cmd c = {.type = STRATA_CMD_ERROR,
                    .recv_ns = strata_time_ns(),
                    .tcp_slot = ctl->cur_tcp_slot,
                    .tcp_gen = ctl->cur_tcp_gen};
    char p[64], why[96];
    clean_path(path, p, sizeof p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (snprintf(c.str, sizeof c.str, "%s: %s", p, why) >= (int)sizeof c.str)
        c.str[sizeof c.str - 2] = '~'; /* cut short: say so */
    if (from && from_len <= sizeof c.from) {
        memcpy(c.from, from, from_len);
        c.from_len = (uint8_t)from_len;
    }
    if (ctl->log_count < LOG_PER_S) {
        char who[80];
        strata_control_cmd_sender(&c, who, sizeof who);
        LOG_WARN(TAG, "%s from %s", c.str, who);
        ctl->log_count++;
    } else {
        ctl->log_suppressed++;
    }
    if (c.from_len && ctl->reply_count < REPLY_PER_S) {
        ctl->reply_count++;
        if (!strata_queue_push(&ctl->queue, &c))
            atomic_fetch_add(&ctl->n_dropped, 1);
    }
}

static bool put(char *buf, size_t cap, size_t *off, const void *p, size_t n)
{
    size_t padded = (n + 3) & ~(size_t)3;
    if (*off + padded > cap)
        return false;
    memcpy(buf + *off, p, n);
    memset(buf + *off + n, 0, padded - n);
    *off += padded;
    return true;
}

size_t strata_osc_build(char *buf, size_t cap, const char *path, const char *types, ...)
{
    char tt[16] = ",";
    size_t off = 0, nt = strlen(types);
    if (nt + 2 > sizeof tt)
        return 0;
    memcpy(tt + 1, types, nt + 1);
    if (!put(buf, cap, &off, path, strlen(path) + 1) || !put(buf, cap, &off, tt, nt + 2))
        return 0;
    va_list ap;
    va_start(ap, types);
    bool ok = true;
    for (const char *t = types; *t && ok; t++) {
        unsigned char be[4];
        uint32_t u;
        if (*t == 's') {
            const char *s = va_arg(ap, const char *);
            ok = put(buf, cap, &off, s, strlen(s) + 1);
            continue;
        }
        if (*t == 'f') {
            float f = (float)va_arg(ap, double);
            memcpy(&u, &f, 4);
        } else {
            u = (uint32_t)va_arg(ap, int);
        }
        be[0] = (unsigned char)(u >> 24);
        be[1] = (unsigned char)(u >> 16);
        be[2] = (unsigned char)(u >> 8);
        be[3] = (unsigned char)u;
        ok = put(buf, cap, &off, be, 4);
    }
    va_end(ap);
    return ok ? off : 0;
}

void strata_osc_send(int fd, const unsigned char *to, size_t to_len, const char *buf, size_t n)
{
    if (fd < 0 || !to_len || !n)
        return;
    struct sockaddr_storage ss;
    memcpy(&ss, to, to_len);
    struct sockaddr_in6 mapped;
    /* A v6 reply socket cannot sendto a plain v4 sockaddr: map it. */
    struct sockaddr_storage self;
    socklen_t sl = sizeof self;
    if (ss.ss_family == AF_INET && getsockname(fd, (struct sockaddr *)&self, &sl) == 0 &&
        self.ss_family == AF_INET6) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        memset(&mapped, 0, sizeof mapped);
        mapped.sin6_family = AF_INET6;
        mapped.sin6_port = in->sin_port;
        mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&mapped.sin6_addr.s6_addr[12], &in->sin_addr, 4);
        memcpy(&ss, &mapped, sizeof mapped);
        to_len = sizeof mapped;
    }
    /* Non-blocking: a slow or gone client loses a reply, the frame never waits. */
    sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, (socklen_t)to_len);
}

/* A small OSC client that is not liblo: packets built by hand, plain UDP sockets.
 * Shared by the control tests, the flood sender and the corpus replay. */
#ifndef STRATA_TEST_OSC_CLIENT_H
#define STRATA_TEST_OSC_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct oc_buf {
    unsigned char d[70000];
    size_t n;
} oc_buf;

static inline void oc_raw(oc_buf *b, const void *p, size_t n)
{
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static inline void oc_str(oc_buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    oc_raw(b, s, n);
    while (b->n % 4)
        b->d[b->n++] = 0;
}

static inline void oc_u32(oc_buf *b, uint32_t v)
{
    uint32_t be = htonl(v);
    oc_raw(b, &be, 4);
}

/* Append a message: types "ifsdhTF" with varargs int, double, const char*, double,
 * long long. */
static inline void oc_msg(oc_buf *b, const char *path, const char *types, ...)
{
    char tt[64] = ",";
    strcat(tt, types);
    oc_str(b, path);
    oc_str(b, tt);
    va_list ap;
    va_start(ap, types);
    for (const char *t = types; *t; t++) {
        if (*t == 'i') {
            oc_u32(b, (uint32_t)va_arg(ap, int));
        } else if (*t == 'f') {
            float f = (float)va_arg(ap, double);
            uint32_t u;
            memcpy(&u, &f, 4);
            oc_u32(b, u);
        } else if (*t == 's') {
            oc_str(b, va_arg(ap, const char *));
        } else if (*t == 'd') {
            double d = va_arg(ap, double);
            uint64_t u;
            memcpy(&u, &d, 8);
            oc_u32(b, (uint32_t)(u >> 32));
            oc_u32(b, (uint32_t)u);
        } else if (*t == 'h') {
            uint64_t u = (uint64_t)va_arg(ap, long long);
            oc_u32(b, (uint32_t)(u >> 32));
            oc_u32(b, (uint32_t)u);
        }
    }
    va_end(ap);
}

/* NTP timetag `secs` from now (wall clock). */
static inline uint64_t oc_timetag_in(double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + 2208988800.0 + ts.tv_nsec * 1e-9 + secs;
    uint64_t whole = (uint64_t)t;
    return whole << 32 | (uint64_t)((t - (double)whole) * 4294967296.0);
}

static inline void oc_bundle_begin(oc_buf *b, uint64_t tt)
{
    oc_str(b, "#bundle");
    oc_u32(b, (uint32_t)(tt >> 32));
    oc_u32(b, (uint32_t)tt);
}

/* Wrap `inner` as one bundle element of b. */
static inline void oc_element(oc_buf *b, const oc_buf *inner)
{
    oc_u32(b, (uint32_t)inner->n);
    oc_raw(b, inner->d, inner->n);
}

static inline int oc_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    return fd;
}

static inline int oc_port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    return ntohs(a.sin_port);
}

static inline void oc_send(int fd, int port, const void *d, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd, d, n, 0, (struct sockaddr *)&a, sizeof a);
}

/* A received message: path, type tags and the first string / float argument. */
typedef struct oc_reply {
    char path[128];
    char types[32];
    char s[256];
    float f;
} oc_reply;

static inline void oc_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

static inline size_t oc_pad(size_t n)
{
    return (n + 4) & ~(size_t)3;
}

/* Wait up to ms for one datagram; parse it (s: first string arg, f: first float). */
static inline int oc_recv(int fd, oc_reply *r, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    unsigned char d[2048];
    ssize_t n = recv(fd, d, sizeof d - 1, 0);
    if (n <= 0)
        return 0;
    memset(r, 0, sizeof *r);
    size_t off = 0;
    d[n < (ssize_t)sizeof d ? n : (ssize_t)sizeof d - 1] = 0;
    oc_copy(r->path, sizeof r->path, (char *)d);
    off = oc_pad(strlen(r->path));
    oc_copy(r->types, sizeof r->types, (char *)d + off + 1);
    off += oc_pad(strlen(r->types) + 1);
    for (const char *t = r->types; *t && off < (size_t)n; t++) {
        if (*t == 's') {
            if (!r->s[0])
                oc_copy(r->s, sizeof r->s, (char *)d + off);
            off += oc_pad(strlen((char *)d + off));
        } else if (*t == 'f') {
            uint32_t u;
            memcpy(&u, d + off, 4);
            u = ntohl(u);
            memcpy(&r->f, &u, 4);
            off += 4;
        } else {
            off += 4;
        }
    }
    return 1;
}

#endif

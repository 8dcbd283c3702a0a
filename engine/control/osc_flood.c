/* The load generator of `strata bench --osc` and the flood test: a thread that sends
 * one float address (a 0..1 ramp) over UDP at a fixed rate. */
#include "control_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct strata_osc_flood {
    pthread_t thread;
    int fd;
    struct sockaddr_in to;
    double rate, seconds;
    _Atomic bool stop;
    uint64_t sent;
    char address[64];
};

static void *flood_thread(void *arg)
{
    strata_osc_flood *f = arg;
    double t0 = strata_time_s();
    char buf[128];
    while (!atomic_load(&f->stop)) {
        double el = strata_time_s() - t0;
        if (el >= f->seconds)
            break;
        uint64_t due = (uint64_t)(el * f->rate);
        while (f->sent < due) {
            float v = (float)(f->sent % 1000) / 999.0f; /* a ramp: last value is known */
            size_t n = strata_osc_build(buf, sizeof buf, f->address, "f", (double)v);
            if (sendto(f->fd, buf, n, 0, (struct sockaddr *)&f->to, sizeof f->to) < 0 &&
                errno != ENOBUFS && errno != EAGAIN)
                break;
            f->sent++;
        }
        strata_sleep_s(0.0005);
    }
    return NULL;
}

strata_osc_flood *strata_osc_flood_start(const char *host, int port, double rate, double seconds,
                                         strata_result *r)
{
    return strata_osc_flood_start_at(host, port, "/strata/glitch", rate, seconds, r);
}

strata_osc_flood *strata_osc_flood_start_at(const char *host, int port, const char *address,
                                            double rate, double seconds, strata_result *r)
{
    strata_osc_flood *f = calloc(1, sizeof *f);
    if (!f) {
        strata_fail(r, STRATA_ERR_NOMEM, "flood: out of memory");
        return NULL;
    }
    snprintf(f->address, sizeof f->address, "%s", address);
    f->rate = rate;
    f->seconds = seconds;
    f->to.sin_family = AF_INET;
    f->to.sin_port = htons((uint16_t)port);
    f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (f->fd < 0 || inet_pton(AF_INET, host, &f->to.sin_addr) != 1 ||
        pthread_create(&f->thread, NULL, flood_thread, f) != 0) {
        strata_fail(r, STRATA_ERR_ARG, "flood: cannot send to %s:%d", host, port);
        if (f->fd >= 0)
            close(f->fd);
        free(f);
        return NULL;
    }
    return f;
}

uint64_t strata_osc_flood_stop(strata_osc_flood *f)
{
    if (!f)
        return 0;
    pthread_join(f->thread, NULL);
    uint64_t n = f->sent;
    close(f->fd);
    free(f);
    return n;
}

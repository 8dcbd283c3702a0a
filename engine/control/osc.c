/* The OSC server: the socket (UDP, or a TCP listener), the thread that reads it and
 * hands each packet to strata_osc_handle_packet (osc_bundle.c), and open/close. */
#include "control_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAG "OSC"

static void *osc_thread(void *arg)
{
    strata_control *ctl = arg;
    while (!atomic_load(&ctl->stop)) {
        struct pollfd pf[1 + OSC_TCP_CLIENTS];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = ctl->fd, .events = POLLIN};
        for (int i = 0; ctl->cfg.osc_tcp && i < OSC_TCP_CLIENTS; i++)
            pf[n++] = (struct pollfd){.fd = ctl->tcp[i].fd, .events = POLLIN};
        /* 50 ms: how long destroy waits for the thread to notice stop */
        int ready = poll(pf, (nfds_t)n, 50);
        if (ctl->cfg.osc_tcp)
            strata_osc_tcp_expire(ctl, strata_time_s());
        if (ready <= 0)
            continue;
        if (!ctl->cfg.osc_tcp) {
            for (int k = 0; k < 4096; k++) { /* drain, but let stop be seen under a flood */
                struct sockaddr_storage ss;
                socklen_t sl = sizeof ss;
                ssize_t got = recvfrom(ctl->fd, ctl->rxbuf, OSC_MAX_PACKET, MSG_DONTWAIT,
                                       (struct sockaddr *)&ss, &sl);
                if (got < 0)
                    break;
                strata_osc_handle_packet(ctl, ctl->rxbuf, (size_t)got, &ss, sl);
            }
            continue;
        }
        if (pf[0].revents & POLLIN)
            strata_osc_tcp_accept(ctl);
        for (int i = 1; i < n; i++)
            if (pf[i].revents && ctl->tcp[i - 1].fd >= 0)
                strata_osc_tcp_read(ctl, &ctl->tcp[i - 1]);
    }
    return NULL;
}

static int open_socket(strata_control *ctl, int type, strata_result *r)
{
    const char *bind_addr = ctl->cfg.osc_bind ? ctl->cfg.osc_bind : "0.0.0.0";
    int port = ctl->cfg.osc_port == 0 ? 8000 : (ctl->cfg.osc_port < 0 ? 0 : ctl->cfg.osc_port);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind_addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        sl = sizeof *in;
    } else if (inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        sl = sizeof *in6;
    } else {
        strata_fail(r, STRATA_ERR_ARG, "--osc-bind %s: not an IP address", bind_addr);
        return -1;
    }
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0 && type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
        (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        strata_fail(r, STRATA_ERR_DEVICE, "OSC: cannot listen on %s:%d/%s: %s", bind_addr, port,
                    type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (type == SOCK_DGRAM) { /* room for a burst between two polls */
        int rcv = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    }
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    ctl->port = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
    return fd;
}

bool strata_osc_open(strata_control *ctl, strata_result *r)
{
    for (int i = 0; i < OSC_TCP_CLIENTS; i++)
        ctl->tcp[i].fd = -1;
    ctl->fd = open_socket(ctl, ctl->cfg.osc_tcp ? SOCK_STREAM : SOCK_DGRAM, r);
    if (ctl->fd < 0)
        return false;
    if (ctl->cfg.osc_tcp) {
        for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
            ctl->tcp[i].buf = malloc(OSC_MAX_PACKET + 4);
            if (!ctl->tcp[i].buf) {
                strata_fail(r, STRATA_ERR_NOMEM, "OSC: out of memory");
                return false;
            }
        }
        /* TCP replies still go out as UDP datagrams to the sender's address. */
        ctl->reply_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (ctl->reply_fd < 0)
            ctl->reply_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    } else {
        /* Replies leave from the server's own port: clients that answer "the port it
         * came from" (most OSC apps) find us again. sendto is safe beside recvfrom. */
        ctl->reply_fd = ctl->fd;
    }
    if (pthread_create(&ctl->thread, NULL, osc_thread, ctl) != 0) {
        strata_fail(r, STRATA_ERR_DEVICE, "OSC: cannot start the server thread");
        return false;
    }
    ctl->thread_started = true;
    LOG_INFO(TAG, "listening on %s:%d/%s%s", ctl->cfg.osc_bind ? ctl->cfg.osc_bind : "0.0.0.0",
             ctl->port, ctl->cfg.osc_tcp ? "tcp" : "udp", ctl->nallow ? " (allowlist on)" : "");
    return true;
}

void strata_osc_close(strata_control *ctl)
{
    if (ctl->thread_started) {
        atomic_store(&ctl->stop, true);
        pthread_join(ctl->thread, NULL);
        ctl->thread_started = false;
    }
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        if (ctl->tcp[i].fd >= 0)
            strata_osc_tcp_drop(&ctl->tcp[i]);
        free(ctl->tcp[i].buf);
        ctl->tcp[i].buf = NULL;
    }
    if (ctl->reply_fd >= 0 && ctl->reply_fd != ctl->fd)
        close(ctl->reply_fd);
    if (ctl->fd >= 0)
        close(ctl->fd);
    ctl->fd = ctl->reply_fd = -1;
}

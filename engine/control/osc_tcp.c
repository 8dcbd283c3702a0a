/* OSC 1.0 over TCP (--osc-tcp): each packet is an int32 big-endian size, then the packet.
 * A connection is checked against --osc-allow when it is accepted; one that stays silent
 * (OSC_TCP_IDLE_S) or leaves a packet half-sent (OSC_TCP_FRAME_S) is closed; when every
 * slot is taken, a new controller takes the slot of the one silent the longest, so idle
 * or stalled connections can never lock a controller out. OSC thread, except
 * strata_osc_tcp_send (render thread). */
#include "control_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAG "OSC"
#define ACCEPT_PER_POLL 64

void strata_osc_tcp_drop(tcp_client *c)
{
    pthread_mutex_lock(&c->send_lock);
    close(c->fd);
    c->fd = -1;
    c->gen++;
    pthread_mutex_unlock(&c->send_lock);
    c->have = 0;
}

int strata_osc_tcp_send(strata_control *ctl, int slot, uint32_t gen, const char *buf, size_t n)
{
    if (slot < 0 || slot >= OSC_TCP_CLIENTS || n == 0 || n > 4096)
        return -1;
    unsigned char frame[4 + 4096];
    frame[0] = (unsigned char)(n >> 24);
    frame[1] = (unsigned char)(n >> 16);
    frame[2] = (unsigned char)(n >> 8);
    frame[3] = (unsigned char)n;
    memcpy(frame + 4, buf, n);
    tcp_client *c = &ctl->tcp[slot];
    int result = -1;
    pthread_mutex_lock(&c->send_lock);
    if (c->fd >= 0 && c->gen == gen) {
        /* Non-blocking: a client that stops reading loses replies, never the frame. */
        ssize_t w = send(c->fd, frame, 4 + n, MSG_DONTWAIT | MSG_NOSIGNAL);
        result = w == (ssize_t)(4 + n) ? 1 : (w < 0 && errno == EAGAIN ? 0 : -1);
    }
    pthread_mutex_unlock(&c->send_lock);
    return result;
}

static void client_name(const tcp_client *c, char *who, size_t n)
{
    strata_cmd tmp = {.from_len = c->from_len};
    memcpy(tmp.from, c->from, c->from_len);
    strata_control_cmd_sender(&tmp, who, n);
}

void strata_osc_tcp_read(strata_control *ctl, tcp_client *c)
{
    for (;;) {
        size_t want = c->have < 4 ? 4 - c->have : 4 + osc_be32(c->buf) - c->have;
        ssize_t n = recv(c->fd, c->buf + c->have, want, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            strata_osc_tcp_drop(c);
            return;
        }
        if (n < 0)
            return;
        double now = strata_time_s();
        if (c->have == 0)
            c->frame_t0 = now;
        c->last_rx = now;
        c->have += (size_t)n;
        if (c->have == 4 && (osc_be32(c->buf) == 0 || osc_be32(c->buf) > OSC_MAX_PACKET)) {
            char who[80];
            client_name(c, who, sizeof who);
            LOG_WARN(TAG, "TCP client %s sent a %u byte packet size; closing it", who,
                     osc_be32(c->buf));
            strata_osc_tcp_drop(c);
            return;
        }
        if (c->have > 4 && c->have == 4 + osc_be32(c->buf)) {
            /* The connection's own generation can be read here: only this thread
             * changes it. */
            ctl->cur_tcp_slot = (uint8_t)(c - ctl->tcp + 1);
            ctl->cur_tcp_gen = c->gen;
            strata_osc_handle_packet(ctl, c->buf + 4, c->have - 4, c->from, c->from_len);
            ctl->cur_tcp_slot = 0;
            c->have = 0;
        }
    }
}

void strata_osc_tcp_expire(strata_control *ctl, double now)
{
    double idle = ctl->cfg.osc_tcp_idle_s > 0 ? ctl->cfg.osc_tcp_idle_s : OSC_TCP_IDLE_S;
    double part = ctl->cfg.osc_tcp_frame_s > 0 ? ctl->cfg.osc_tcp_frame_s : OSC_TCP_FRAME_S;
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        tcp_client *c = &ctl->tcp[i];
        if (c->fd < 0)
            continue;
        const char *why = NULL;
        if (c->have && now - c->frame_t0 > part)
            why = "a packet left half-sent";
        else if (now - c->last_rx > idle)
            why = "silent";
        if (!why)
            continue;
        char who[80];
        client_name(c, who, sizeof who);
        LOG_INFO(TAG, "closing TCP client %s: %s for %.0f s", who, why,
                 c->have ? now - c->frame_t0 : now - c->last_rx);
        strata_osc_tcp_drop(c);
    }
}

/* A free slot, or the slot of the client silent the longest (closed to make room). */
static tcp_client *slot_for_new(strata_control *ctl)
{
    tcp_client *oldest = NULL;
    for (int i = 0; i < OSC_TCP_CLIENTS; i++) {
        tcp_client *c = &ctl->tcp[i];
        if (c->fd < 0)
            return c;
        if (!oldest || c->last_rx < oldest->last_rx)
            oldest = c;
    }
    char who[80];
    client_name(oldest, who, sizeof who);
    LOG_WARN(TAG, "%d TCP clients: closing %s, silent for %.0f s, for a new one", OSC_TCP_CLIENTS,
             who, strata_time_s() - oldest->last_rx);
    strata_osc_tcp_drop(oldest);
    return oldest;
}

void strata_osc_tcp_accept(strata_control *ctl)
{
    for (int k = 0; k < ACCEPT_PER_POLL; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(ctl->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        /* Outside --osc-allow: closed at once, it never holds a slot. */
        if (sl > sizeof ctl->tcp[0].from || !strata_osc_sender_allowed(ctl, &ss, sl)) {
            close(fd);
            continue;
        }
        tcp_client *c = slot_for_new(ctl);
        pthread_mutex_lock(&c->send_lock);
        c->fd = fd;
        c->gen++;
        pthread_mutex_unlock(&c->send_lock);
        c->have = 0;
        c->last_rx = c->frame_t0 = strata_time_s();
        c->from_len = (uint8_t)sl;
        memcpy(c->from, &ss, c->from_len);
    }
}

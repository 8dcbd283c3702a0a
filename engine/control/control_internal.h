/* Private to engine/control: the strata_control struct and the declarations the OSC
 * files share. Who does what:
 *   osc.c           sockets, the server thread, open/close
 *   osc_allow.c     --osc-allow: parse, match, log denied senders once
 *   osc_reply.c     error replies (rate-limited), building and sending OSC messages
 *   osc_dispatch.c  one message: validate its arguments, turn it into a command
 *   osc_bundle.c    one packet: bundles checked whole (structure, every timetag, the
 *                   sender's scheduled work), then dispatched
 *   osc_shot.c      /strata/screenshot: file names, the folder, rate and disk budget
 *   osc_tcp.c       OSC 1.0 over TCP: accept (allowlist, eviction), framing, timeouts
 *   osc_flood.c     the load generator of `strata bench --osc`
 *   control.c       the render-thread side: apply, replies, subscribers, statistics */
#ifndef STRATA_CONTROL_INTERNAL_H
#define STRATA_CONTROL_INTERNAL_H

#include <limits.h>
#include <pthread.h>

#include <lo/lo.h>

#include "control.h"

#define OSC_MAX_PACKET 65536
#define OSC_MAX_DEPTH 8      /* bundle nesting accepted */
#define OSC_MAX_AHEAD_S 10.0 /* a timetag (of any bundle, nested too) further ahead is refused */
#define OSC_SCHED_SENDERS 8  /* senders that may have future bundles waiting at once */
#define OSC_SCHED_PER_SENDER 1024 /* commands one sender may have waiting for their time */
#define OSC_TCP_CLIENTS 32
#define OSC_TCP_IDLE_S 300.0 /* a TCP client silent this long is closed */
#define OSC_TCP_FRAME_S 5.0  /* a packet started and not finished in this time: closed */
#define OSC_ALLOW_MAX 16
#define OSC_DENIED_LOGGED 32
#define SUBS_MAX 16     /* subscribers in all */
#define SUBS_PER_HOST 4 /* per host: a fifth replaces that host's oldest */
#define SUBS_LIFETIME_S 60.0
#define SHOT_BURST 5 /* screenshots in a burst, then SHOT_PER_S */
#define SHOT_PER_S 1.0
#define SHOT_MAX_FILES 500 /* the screenshot folder's budget */
#define SHOT_MAX_MB 1024
#define SHOT_NAME_MAX 100
#define LAT_SAMPLES 4096
#define PENDING_MAX 8192
#define FEEDBACK_HZ 30.0
#define AUDIO_METERS 7

typedef struct osc_cidr {
    int family; /* AF_INET or AF_INET6 (v4 stored v4-mapped in addr6) */
    unsigned char addr[16];
    int prefix; /* in bits of the 128-bit form */
} osc_cidr;

/* The latest value of one parameter set outside a bundle. The OSC thread writes bits,
 * stamps, then bumps seq (release); the render thread reads seq (acquire) then bits. A
 * newer value racing in is harmless: it is applied now and again next frame. */
typedef struct param_slot {
    _Atomic uint32_t bits;
    _Atomic uint64_t recv_ns;
    _Atomic uint64_t recv_frame;
    _Atomic uint64_t seq;
    _Atomic uint64_t taken; /* render thread: the seq it applied */
} param_slot;

typedef struct tcp_client {
    int fd;             /* --- written by the OSC thread under send_lock */
    size_t have;        /* --- OSC thread only */
    unsigned char *buf; /* OSC_MAX_PACKET + 4 */
    double last_rx;     /* when a byte last came (accept counts) */
    double frame_t0;    /* when the packet now being read started */
    unsigned char from[28];
    uint8_t from_len;
    /* Replies go back on the client's own connection from the render thread; the OSC
     * thread accepts and closes. The lock is held only around one send or one close,
     * and gen tells a reply whether its connection is still the one it came from. */
    pthread_mutex_t send_lock;
    uint32_t gen; /* --- protected by send_lock */
} tcp_client;

typedef struct subscriber {
    unsigned char to[28];
    uint8_t to_len;
    uint8_t tcp_slot; /* 1 + TCP client index: feedback goes on that connection; 0: UDP */
    uint32_t tcp_gen;
    bool fresh;     /* send everything at the next tick */
    double since;   /* strata_time_s() of the first subscribe */
    double expires; /* strata_time_s() when it ends unless renewed by a new subscribe */
    float sent[STRATA_PARAM_MAX];
    float sent_audio[AUDIO_METERS];
} subscriber;

struct strata_control {
    strata_control_config cfg;
    char shot_dir[PATH_MAX]; /* absolute, no trailing slash */
    int port;

    /* --- OSC thread only (or the one caller of strata_osc_handle_packet) */
    int fd; /* UDP socket or TCP listener, -1 when disabled */
    tcp_client tcp[OSC_TCP_CLIENTS];
    unsigned char *rxbuf;
    osc_cidr allow[OSC_ALLOW_MAX];
    int nallow;
    unsigned char denied_seen[OSC_DENIED_LOGGED][16];
    int ndenied_seen;
    uint32_t bundle_seq;
    struct {
        unsigned char host[16]; /* the 128-bit form of the sender's address */
        double until;           /* its last scheduled bundle is due by then */
        int count;              /* commands it has waiting, until then */
    } sched[OSC_SCHED_SENDERS];
    double shot_tokens, shot_refill; /* screenshot rate: token bucket */
    uint32_t shot_seq;               /* numbers the unnamed screenshots */
    uint8_t cur_tcp_slot;            /* while a TCP client's packet is handled: 1 + its index */
    uint32_t cur_tcp_gen;
    double log_window; /* start of the current 1 s log/reply window */
    int log_count, reply_count;
    uint64_t log_suppressed;
    pthread_t thread;
    bool thread_started;
    _Atomic bool stop;

    /* --- shared, atomics */
    param_slot slot[STRATA_PARAM_MAX];
    /* Scene aliases: written by the render thread under a seqlock (odd = being written),
     * read by the OSC thread, which retries when the sequence moved under it. */
    _Atomic uint32_t alias_seq;
    strata_control_alias aliases[STRATA_CONTROL_MAX_ALIASES];
    int naliases;
    strata_queue queue; /* strata_cmd, OSC thread -> render thread */
    _Atomic uint64_t n_packets, n_messages, n_errors, n_denied, n_dropped, n_coalesced;
    _Atomic uint64_t frame_no; /* strata_control_apply calls */

    /* --- render thread only */
    int reply_fd;        /* non-blocking UDP for replies and feedback */
    strata_cmd *pending; /* commands waiting for their bundle or their time */
    int npending;
    uint64_t slot_seen[STRATA_PARAM_MAX];
    strata_tempo tempo;
    strata_link *link;
    bool link_on;
    strata_routes routes;
    subscriber subs[SUBS_MAX];
    int nsubs;
    double last_feedback;
    uint32_t feedback_gen; /* strata_param_generation() at the last feedback */
    float lat_ms[LAT_SAMPLES];
    float lat_frames[LAT_SAMPLES];
    int lat_n, lat_pos;
    uint64_t n_applied;
    uint64_t n_expired; /* commands dropped after waiting past the pending limit */
};

/* One message being handled on the OSC thread. */
typedef struct osc_msg {
    const char *path;
    const char *types;
    lo_arg **argv; /* into liblo's copy of the packet: 4-byte aligned only, read with memcpy */
    int argc;
    uint64_t timetag;
    uint32_t bundle;
    const void *from;
    size_t from_len;
} osc_msg;

static inline uint32_t osc_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* osc.c: the server */
bool strata_osc_open(strata_control *ctl, strata_result *r);
void strata_osc_close(strata_control *ctl);

/* osc_allow.c */
bool strata_osc_parse_allow(strata_control *ctl, const char *list, strata_result *r);
/* The 128-bit form of a sockaddr (v4 as v4-mapped); false when it is neither. */
bool strata_osc_addr128(const void *from, size_t len, unsigned char out[16]);
/* OSC thread: may this sender in? Counts and logs (once per host) those kept out. */
bool strata_osc_sender_allowed(strata_control *ctl, const void *from, size_t len);
/* Any thread (the list is fixed after create): the same test, silent. */
bool strata_osc_addr_allowed(const strata_control *ctl, const void *to, size_t len);

/* osc_reply.c */
/* OSC thread: count, log (rate-limited) and answer a bad message with /strata/error. */
void strata_osc_error(strata_control *ctl, const void *from, size_t from_len, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void strata_osc_log_window(strata_control *ctl);

/* osc_dispatch.c */
/* One message (not a bundle) from a packet or a bundle element. */
void strata_osc_handle_message(strata_control *ctl, const unsigned char *data, size_t len,
                               uint64_t timetag, uint32_t bundle, const void *from,
                               size_t from_len);
/* `/strata/<param> ,f v` parsed in place; false when it is anything else. */
bool strata_osc_fast_set(strata_control *ctl, const unsigned char *d, size_t len, const void *from,
                         size_t from_len);
/* Argument i as a number (i f h d T F), read with memcpy. */
bool strata_osc_arg_number(const osc_msg *m, int i, double *out);
/* Argument i as a string (s S), or NULL. */
const char *strata_osc_arg_string(const osc_msg *m, int i);

/* osc_shot.c: /strata/screenshot [s name]; fills c->str with the file name. */
bool strata_osc_screenshot(strata_control *ctl, const osc_msg *m, strata_cmd *c);
/* The screenshot folder for cfg (absolute, no trailing slash). */
void strata_osc_shot_dir(const strata_control_config *cfg, char *out, size_t n);

/* osc_tcp.c */
void strata_osc_tcp_accept(strata_control *ctl);
void strata_osc_tcp_read(strata_control *ctl, tcp_client *c);
/* Close clients past the idle or the partial-packet timeout. */
void strata_osc_tcp_expire(strata_control *ctl, double now);
void strata_osc_tcp_drop(tcp_client *c);

/* Serialise an OSC message; types from "fis" with matching varargs (double for f). 0 when
 * it does not fit. */
size_t strata_osc_build(char *buf, size_t cap, const char *path, const char *types, ...);
void strata_osc_send(int fd, const unsigned char *to, size_t to_len, const char *buf, size_t n);
/* Render thread: one size-prefixed packet on TCP client `slot` if it is still connection
 * generation `gen`. 1 sent, 0 not now (its buffer is full), -1 the connection is gone. */
int strata_osc_tcp_send(strata_control *ctl, int slot, uint32_t gen, const char *buf, size_t n);

#endif

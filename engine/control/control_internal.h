/* Private to engine/control: the strata_control struct, shared by osc.c and control.c. */
#ifndef STRATA_CONTROL_INTERNAL_H
#define STRATA_CONTROL_INTERNAL_H

#include <limits.h>
#include <pthread.h>

#include "control.h"

#define OSC_MAX_PACKET 65536
#define OSC_MAX_DEPTH 8      /* bundle nesting accepted */
#define OSC_MAX_AHEAD_S 60.0 /* a timetag further ahead is refused */
#define OSC_TCP_CLIENTS 8
#define OSC_ALLOW_MAX 16
#define OSC_DENIED_LOGGED 32
#define SUBS_MAX 8
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
    bool fresh; /* send everything at the next tick */
    float sent[STRATA_PARAM_COUNT];
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
    uint8_t cur_tcp_slot; /* while a TCP client's packet is handled: 1 + its index */
    uint32_t cur_tcp_gen;
    double log_window; /* start of the current 1 s log/reply window */
    int log_count, reply_count;
    uint64_t log_suppressed;
    pthread_t thread;
    bool thread_started;
    _Atomic bool stop;

    /* --- shared, atomics */
    param_slot slot[STRATA_PARAM_COUNT];
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
    uint64_t slot_seen[STRATA_PARAM_COUNT];
    strata_tempo tempo;
    strata_link *link;
    bool link_on;
    strata_routes routes;
    subscriber subs[SUBS_MAX];
    int nsubs;
    double last_feedback;
    float lat_ms[LAT_SAMPLES];
    float lat_frames[LAT_SAMPLES];
    int lat_n, lat_pos;
    uint64_t n_applied;
};

/* osc.c */
bool strata_osc_parse_allow(strata_control *ctl, const char *list, strata_result *r);
bool strata_osc_open(strata_control *ctl, strata_result *r);
void strata_osc_close(strata_control *ctl);
/* Serialise an OSC message; types from "fis" with matching varargs (double for f). 0 when
 * it does not fit. */
size_t strata_osc_build(char *buf, size_t cap, const char *path, const char *types, ...);
void strata_osc_send(int fd, const unsigned char *to, size_t to_len, const char *buf, size_t n);
/* Render thread: one size-prefixed packet on TCP client `slot` if it is still connection
 * generation `gen`. 1 sent, 0 not now (its buffer is full), -1 the connection is gone. */
int strata_osc_tcp_send(strata_control *ctl, int slot, uint32_t gen, const char *buf, size_t n);

#endif

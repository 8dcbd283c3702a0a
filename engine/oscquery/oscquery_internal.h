/* Private to engine/oscquery. Who does what:
 *   oscquery.c   create/destroy, the value snapshot (publish), the allowlist hook
 *   http.c       the libmicrohttpd server: limits, requests, answers
 *   namespace.c  the namespace as JSON (jansson), node lookup, path checks
 *   ws.c         WebSocket: the upgrade, wslay framing, LISTEN/IGNORE, the value stream
 *   mdns.c       the Avahi advertisement */
#ifndef STRATA_OSCQUERY_INTERNAL_H
#define STRATA_OSCQUERY_INTERNAL_H

#include <pthread.h>

#include <jansson.h>
#include <microhttpd.h>

#include "oscquery/oscquery.h"

#define OSCQ_TAG "OSCQUERY"
#define OSCQ_MEMORY_LIMIT (16 * 1024) /* per connection: request line + headers */
#define OSCQ_WS_MSG_MAX 4096          /* a WebSocket message from a client */
#define OSCQ_WS_QUEUE_MAX 2048        /* frames queued to a client that does not read */
#define OSCQ_WS_SNDBUF (64 * 1024)    /* an upgraded socket's send buffer (the kernel doubles it) */
#define OSCQ_WS_TICK_MS 16            /* the value stream's period */
#define OSCQ_PATH_MAX 256
#define OSCQ_LOG_PER_S 10 /* libmicrohttpd's log lines a second */

typedef struct oscq_ws oscq_ws;
typedef struct oscq_mdns oscq_mdns;

struct strata_oscquery {
    strata_oscquery_config cfg;
    char name[64];
    char bind[64];
    int port;
    struct MHD_Daemon *mhd;
    oscq_ws *ws;
    oscq_mdns *mdns;
    double log_window; /* --- MHD's thread: its log lines' 1 s window */
    int log_count;
    _Atomic bool denied_logged; /* the first refused peer was logged */
    /* --- written by the render thread (publish), read by the others */
    _Atomic uint32_t value[STRATA_PARAM_MAX]; /* float bits of params->base */
    _Atomic uint64_t bpm;                     /* double bits */
    _Atomic uint64_t published;               /* publish calls */
};

/* One live value in the namespace, by what it follows. */
typedef enum oscq_src { OSCQ_SRC_NONE, OSCQ_SRC_PARAM, OSCQ_SRC_BPM, OSCQ_SRC_ALIAS } oscq_src;

typedef struct oscq_target {
    oscq_src src;
    int param;    /* PARAM and ALIAS: the parameter id */
    float lo, hi; /* ALIAS: the alias's range */
    strata_param_kind kind;
} oscq_target;

/* oscquery.c */
float strata_oscq_value(const strata_oscquery *q, int id);
double strata_oscq_bpm(const strata_oscquery *q);
/* An alias of the running preset by address, copied; false when none. */
int strata_oscq_aliases(const strata_oscquery *q, strata_control_alias *out, int max);

/* namespace.c (any thread but the render thread: it allocates) */
/* Whether a request path is well formed: '/' then segments of printable ASCII without
 * OSC's reserved characters, no "." or ".." segment, no empty segment but a last '/'. */
bool strata_oscq_path_ok(const char *path);
/* The whole namespace, values as published now. The caller owns it. */
json_t *strata_oscq_namespace(const strata_oscquery *q);
/* The node at path in a namespace (borrowed), NULL when there is none. */
json_t *strata_oscq_find(json_t *root, const char *path);
/* What a path's VALUE follows; false when it has no value. */
bool strata_oscq_target(const strata_oscquery *q, const char *path, oscq_target *t);
/* The value a target has now, as a JSON value (new reference). */
json_t *strata_oscq_target_json(const strata_oscquery *q, const oscq_target *t);
/* Its value as a number (BOOL/EVENT 0 or 1). */
double strata_oscq_target_value(const strata_oscquery *q, const oscq_target *t);
/* {"NAME", "OSC_PORT", "OSC_TRANSPORT", "EXTENSIONS"} */
json_t *strata_oscq_host_info(const strata_oscquery *q);

/* ws.c */
oscq_ws *strata_oscq_ws_create(strata_oscquery *q, strata_result *r);
/* Close every client; an upgrade after this is closed at once. Before MHD stops. */
void strata_oscq_ws_close(oscq_ws *ws);
/* Close, then free (after MHD stopped: no upgrade can reach it any more). */
void strata_oscq_ws_destroy(oscq_ws *ws);
/* HTTP thread: whether the request asks for a WebSocket; if so queues the 101 (or an
 * error) on the connection and returns true. */
bool strata_oscq_ws_upgrade(strata_oscquery *q, struct MHD_Connection *c, enum MHD_Result *ret);

/* mdns.c: NULL when no daemon (said once in the log) */
oscq_mdns *strata_oscq_mdns_start(const strata_oscquery *q);
void strata_oscq_mdns_stop(oscq_mdns *m);

/* http.c */
bool strata_oscq_http_start(strata_oscquery *q, strata_result *r);
void strata_oscq_http_stop(strata_oscquery *q);

#endif

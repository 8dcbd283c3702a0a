/* strata OSCQuery: strata's OSC address space, discoverable (the vidvox OSCQuery proposal).
 *
 * What it is
 *   - An HTTP server (libmicrohttpd, its own thread) that answers the namespace as JSON:
 *     GET / is the whole tree (FULL_PATH, CONTENTS, TYPE, RANGE, VALUE, ACCESS,
 *     DESCRIPTION, UNIT, CLIPMODE), GET /strata/glitch one node, GET /strata/glitch?VALUE
 *     one attribute, GET /?HOST_INFO the server (NAME, OSC_PORT, OSC_TRANSPORT,
 *     EXTENSIONS). 404 for an unknown path, 400 for a bad query or path, 405 for a
 *     method other than GET/HEAD. It never serves a file: every answer is built in memory.
 *   - The namespace is derived, never typed: every live parameter of the registry (fixed
 *     and dynamic, strata_param_get), the other addresses strata answers (the table in
 *     control/addresses.def, which docs/OSC.md is made from too) and the running
 *     preset's OSC aliases (strata_control_get_aliases).
 *   - A WebSocket on the same port (an HTTP Upgrade that libmicrohttpd hands over; the
 *     framing is wslay's): JSON text frames {"COMMAND":"LISTEN"|"IGNORE","DATA":PATH}
 *     from the client, value changes to it as binary OSC packets, and
 *     {"COMMAND":"PATH_CHANGED","DATA":"/"} when parameters or aliases come or go.
 *   - An mDNS advertisement (Avahi client): _oscjson._tcp on the HTTP port and
 *     _osc._udp (or _osc._tcp) on the OSC port. No daemon: logged once, strata runs on.
 *
 * Step by step (the app)
 *   setup:  strata_oscquery_config qc = {.port = 8001, .osc_port = 8000,
 *                                        .control = ctl, .mdns = true};
 *           strata_oscquery *q = strata_oscquery_create(&qc, &r);   NULL + r on failure
 *   frame:  after strata_control_apply: strata_oscquery_publish(q, &params, &tempo);
 *   exit:   strata_oscquery_destroy(q)   (before strata_control_destroy)
 *
 * Threads
 *   create/destroy: the setup thread. publish: the render thread, once a frame; it only
 *   stores the values into atomics (no lock, no allocation, no syscall). The HTTP
 *   thread (libmicrohttpd's), the WebSocket thread and Avahi's thread read them.
 *   strata_oscquery_port: any thread.
 *
 * Ownership
 *   create allocates everything; destroy stops the threads, closes every socket and frees.
 *   cfg's strings are copied; cfg.control must outlive q.
 *
 * Errors
 *   Setup: NULL with a message (port taken, bad bind address). During a show nothing
 *   aborts: a bad request is answered 400/404/405/413/414/431 or refused by
 *   libmicrohttpd's limits (connections, per-connection timeout, request memory), a
 *   sender outside --osc-allow is refused at accept (HTTP and WebSocket alike; the first
 *   one logged), a WebSocket client that breaks the framing or does not read its stream
 *   is closed, a command that is not {"COMMAND","DATA"} JSON is answered with
 *   {"COMMAND":"ERROR"}. A busy port is the app's to log (it plays on without OSCQuery).
 */
#ifndef STRATA_OSCQUERY_H
#define STRATA_OSCQUERY_H

#include "control/control.h"
#include "core/core.h"

typedef struct strata_oscquery strata_oscquery;

typedef struct strata_oscquery_config {
    int port;                /* HTTP and WebSocket port; 0 = osc_port + 1; -1 = any free port */
    const char *bind;        /* NULL = every interface (like --osc-bind) */
    const char *name;        /* HOST_INFO NAME and the mDNS name; NULL = "strata" */
    int osc_port;            /* HOST_INFO OSC_PORT; 0 = 8000 */
    bool osc_tcp;            /* HOST_INFO OSC_TRANSPORT: "TCP" instead of "UDP" */
    strata_control *control; /* aliases and --osc-allow; NULL: neither (tests) */
    bool mdns;               /* advertise through Avahi */
    int max_connections;     /* HTTP connections at once: 0 = 32 (half per address) */
    int timeout_s;           /* an idle HTTP connection is closed: 0 = 10 s */
    int max_ws;              /* WebSocket clients at once: 0 = 8 */
} strata_oscquery_config;

/* Setup thread. Starts the HTTP server (and Avahi when cfg->mdns). */
strata_oscquery *strata_oscquery_create(const strata_oscquery_config *cfg, strata_result *r);
void strata_oscquery_destroy(strata_oscquery *q);
/* The port actually bound (tests use port -1). Any thread. */
int strata_oscquery_port(const strata_oscquery *q);
/* Render thread, once a frame after strata_control_apply: this frame's values. The
 * VALUE of a parameter is its set value (params->base, before smoothing and modulation:
 * what a controller's fader shows); /strata/tempo/bpm is the clock's bpm. */
void strata_oscquery_publish(strata_oscquery *q, const strata_params *params,
                             const strata_tempo_state *tempo);

#endif

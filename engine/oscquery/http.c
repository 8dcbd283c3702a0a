/* The HTTP side: libmicrohttpd with its own polling thread, bounded (connections,
 * per-connection timeout, request memory), answering only from memory. */
#include "oscquery_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const char *attrs[] = {"FULL_PATH", "CONTENTS",      "TYPE",        "RANGE",
                              "VALUE",     "ACCESS",        "DESCRIPTION", "UNIT",
                              "CLIPMODE",  "EXTENDED_TYPE", "TAGS",        "CRITICAL"};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *type, char *body)
{
    /* body is malloc'd (or NULL); MHD frees it after sending. */
    size_t n = body ? strlen(body) : 0;
    struct MHD_Response *res = MHD_create_response_from_buffer(
        n, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!res) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(res, "Content-Type", type);
    /* A page from elsewhere may read the namespace (OSCQuery's browser clients do). */
    MHD_add_response_header(res, "Access-Control-Allow-Origin", "*");
    enum MHD_Result ret = MHD_queue_response(c, code, res);
    MHD_destroy_response(res);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned code, const char *msg)
{
    char *body = malloc(strlen(msg) + 2);
    if (!body)
        return MHD_NO;
    strcpy(body, msg);
    strcat(body, "\n");
    return answer(c, code, "text/plain; charset=utf-8", body);
}

static enum MHD_Result json(struct MHD_Connection *c, json_t *j)
{
    /* 7 digits: a float's own precision (0.3, not 0.30000001192092896). */
    char *body = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(7));
    json_decref(j);
    if (!body)
        return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot format the answer");
    return answer(c, MHD_HTTP_OK, "application/json", body);
}

typedef struct query {
    int n;
    const char *key, *value;
} query;

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    query *qy = cls;
    if (qy->n++ == 0) {
        qy->key = key;
        qy->value = value;
    }
    return MHD_YES;
}

static bool known_attr(const char *key)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strcmp(attrs[i], key) == 0)
            return true;
    return false;
}

static enum MHD_Result request(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    strata_oscquery *q = cls;
    if (!*con_cls) { /* first call: headers only; answer once the request is complete */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) { /* a body on a GET: refused, never read into memory */
        *upload_size = 0;
        return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "no request body accepted");
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET");
    if (!strata_oscq_path_ok(url))
        return text(c, MHD_HTTP_BAD_REQUEST, "bad path (segments of printable ASCII, no . or ..)");
    enum MHD_Result ret;
    if (strata_oscq_ws_upgrade(q, c, &ret))
        return ret;
    query qy = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_arg, &qy);
    if (qy.n > 1 || (qy.n == 1 && qy.value && qy.value[0]))
        return text(c, MHD_HTTP_BAD_REQUEST, "one attribute at most, without a value (?VALUE)");
    if (qy.n == 1 && strcmp(qy.key, "HOST_INFO") == 0)
        return json(c, strata_oscq_host_info(q));
    if (qy.n == 1 && !known_attr(qy.key))
        return text(c, MHD_HTTP_BAD_REQUEST, "unknown attribute");
    json_t *root = strata_oscq_namespace(q);
    if (!root)
        return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the namespace");
    json_t *node = strata_oscq_find(root, url);
    if (!node) {
        json_decref(root);
        return text(c, MHD_HTTP_NOT_FOUND, "no such address");
    }
    json_t *out;
    if (qy.n == 0) {
        out = json_incref(node);
    } else {
        json_t *a = json_object_get(node, qy.key);
        if (!a) { /* OSCQuery: the node is there, the attribute is not */
            json_decref(root);
            return answer(c, MHD_HTTP_NO_CONTENT, NULL, NULL);
        }
        out = json_pack("{s:O}", qy.key, a);
    }
    json_decref(root);
    return json(c, out);
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    strata_oscquery *q = cls;
    if (!q->cfg.control || strata_control_allowed(q->cfg.control, addr, len))
        return MHD_YES;
    if (!atomic_exchange(&q->denied_logged, true)) { /* a scan must not flood the log */
        char host[INET6_ADDRSTRLEN] = "?";
        if (addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof host);
        else if (addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof host);
        LOG_WARN(OSCQ_TAG, "refused %s (outside --osc-allow); further refusals are not logged",
                 host);
    }
    return MHD_NO;
}

/* libmicrohttpd's own messages (a refused request says why), at most OSCQ_LOG_PER_S
 * lines a second: a flood of bad requests must not become a flood of log lines. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    strata_oscquery *q = cls; /* called on MHD's thread only */
    double now = strata_time_s();
    if (now - q->log_window >= 1.0) {
        if (q->log_count > OSCQ_LOG_PER_S)
            LOG_WARN(OSCQ_TAG, "%d more messages in the last second",
                     q->log_count - OSCQ_LOG_PER_S);
        q->log_window = now;
        q->log_count = 0;
    }
    if (q->log_count++ >= OSCQ_LOG_PER_S)
        return;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    LOG_WARN(OSCQ_TAG, "%s", line);
}

bool strata_oscq_http_start(strata_oscquery *q, strata_result *r)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_port = htons((uint16_t)(q->cfg.port < 0 ? 0 : q->cfg.port));
    if (q->cfg.bind && inet_pton(AF_INET, q->cfg.bind, &sa.sin_addr) != 1) {
        strata_fail(r, STRATA_ERR_ARG, "oscquery: bad bind address '%s' (IPv4)", q->cfg.bind);
        return false;
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    q->mhd = MHD_start_daemon(
        flags, 0, accept_policy, q, request, q, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, q,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)q->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(q->cfg.max_connections + 1) / 2, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)q->cfg.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)OSCQ_MEMORY_LIMIT,
        MHD_OPTION_END);
    if (!q->mhd) {
        strata_fail(r, STRATA_ERR_IO, "oscquery: cannot serve HTTP on port %d (taken?)",
                    q->cfg.port);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(q->mhd, MHD_DAEMON_INFO_BIND_PORT);
    q->port = info ? info->port : q->cfg.port;
    return true;
}

void strata_oscq_http_stop(strata_oscquery *q)
{
    if (q->mhd)
        MHD_stop_daemon(q->mhd);
    q->mhd = NULL;
}

/* Create and destroy, and the value snapshot the render thread publishes each frame. */
#include "oscquery_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t float_bits(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

strata_oscquery *strata_oscquery_create(const strata_oscquery_config *cfg, strata_result *r)
{
    strata_oscquery *q = calloc(1, sizeof *q);
    if (!q) {
        strata_fail(r, STRATA_ERR_NOMEM, "oscquery: out of memory");
        return NULL;
    }
    q->cfg = *cfg;
    snprintf(q->name, sizeof q->name, "%s", cfg->name ? cfg->name : "strata");
    snprintf(q->bind, sizeof q->bind, "%s", cfg->bind ? cfg->bind : "");
    q->cfg.name = q->name;
    q->cfg.bind = q->bind[0] ? q->bind : NULL;
    if (q->cfg.osc_port <= 0)
        q->cfg.osc_port = 8000;
    if (q->cfg.port == 0)
        q->cfg.port = q->cfg.osc_port + 1 <= 65535 ? q->cfg.osc_port + 1 : 8001;
    if (q->cfg.max_connections <= 0)
        q->cfg.max_connections = 32;
    if (q->cfg.timeout_s <= 0)
        q->cfg.timeout_s = 10;
    if (q->cfg.max_ws <= 0)
        q->cfg.max_ws = 8;
    /* Until the first publish, every value is its default. */
    for (int i = 0; i < STRATA_PARAM_MAX; i++) {
        strata_param_info info;
        float v = strata_param_get(i, &info) ? info.def : 0.0f;
        atomic_store_explicit(&q->value[i], float_bits(v), memory_order_relaxed);
    }
    double bpm = 120.0;
    uint64_t b;
    memcpy(&b, &bpm, sizeof b);
    atomic_store(&q->bpm, b);
    q->ws = strata_oscq_ws_create(q, r);
    if (!q->ws || !strata_oscq_http_start(q, r)) {
        strata_oscquery_destroy(q);
        return NULL;
    }
    if (cfg->mdns)
        q->mdns = strata_oscq_mdns_start(q);
    LOG_INFO(OSCQ_TAG, "OSCQuery on http://%s:%d/ (WebSocket on the same port)",
             q->bind[0] ? q->bind : "0.0.0.0", q->port);
    return q;
}

void strata_oscquery_destroy(strata_oscquery *q)
{
    if (!q)
        return;
    strata_oscq_mdns_stop(q->mdns);
    /* The WebSocket clients first: MHD must still be there for their upgrade handles. */
    strata_oscq_ws_close(q->ws);
    strata_oscq_http_stop(q);
    strata_oscq_ws_destroy(q->ws);
    free(q);
}

int strata_oscquery_port(const strata_oscquery *q)
{
    return q ? q->port : 0;
}

void strata_oscquery_publish(strata_oscquery *q, const strata_params *params,
                             const strata_tempo_state *tempo)
{
    if (!q)
        return;
    for (int i = 0; i < STRATA_PARAM_MAX; i++)
        atomic_store_explicit(&q->value[i], float_bits(params->base[i]), memory_order_relaxed);
    if (tempo) {
        uint64_t b;
        memcpy(&b, &tempo->bpm, sizeof b);
        atomic_store_explicit(&q->bpm, b, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&q->published, 1, memory_order_release);
}

float strata_oscq_value(const strata_oscquery *q, int id)
{
    if (id < 0 || id >= STRATA_PARAM_MAX)
        return 0.0f;
    uint32_t b = atomic_load_explicit(&((strata_oscquery *)q)->value[id], memory_order_relaxed);
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

double strata_oscq_bpm(const strata_oscquery *q)
{
    uint64_t b = atomic_load_explicit(&((strata_oscquery *)q)->bpm, memory_order_relaxed);
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

int strata_oscq_aliases(const strata_oscquery *q, strata_control_alias *out, int max)
{
    if (!q->cfg.control)
        return 0;
    return strata_control_get_aliases(q->cfg.control, out, max);
}

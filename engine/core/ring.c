/* Lock-free single-producer/single-consumer ring and queue.
 * Positions grow without wrapping (size_t); index = pos & (cap - 1). The producer
 * publishes its position with release, the consumer reads it with acquire, so the
 * data written before a publish is visible after it. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static size_t round_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

strata_status strata_ring_init(strata_ring *ring, size_t capacity, strata_result *r)
{
    memset(ring, 0, sizeof *ring);
    ring->cap = round_pow2(capacity < 2 ? 2 : capacity);
    ring->data = calloc(ring->cap, sizeof(float));
    if (!ring->data)
        return strata_fail(r, STRATA_ERR_NOMEM, "ring of %zu samples", ring->cap);
    return STRATA_OK;
}

void strata_ring_free(strata_ring *ring)
{
    free(ring->data);
    ring->data = NULL;
}

size_t strata_ring_write(strata_ring *ring, const float *src, size_t n)
{
    size_t w = atomic_load_explicit(&ring->write_pos, memory_order_relaxed);
    size_t rd = atomic_load_explicit(&ring->read_pos, memory_order_acquire);
    size_t space = ring->cap - (w - rd);
    size_t todo = n < space ? n : space;
    size_t mask = ring->cap - 1;
    size_t first = ring->cap - (w & mask);
    if (first > todo)
        first = todo;
    memcpy(ring->data + (w & mask), src, first * sizeof(float));
    memcpy(ring->data, src + first, (todo - first) * sizeof(float));
    atomic_store_explicit(&ring->write_pos, w + todo, memory_order_release);
    if (todo < n)
        atomic_fetch_add_explicit(&ring->dropped, n - todo, memory_order_relaxed);
    return todo;
}

size_t strata_ring_read(strata_ring *ring, float *dst, size_t n)
{
    size_t rd = atomic_load_explicit(&ring->read_pos, memory_order_relaxed);
    size_t w = atomic_load_explicit(&ring->write_pos, memory_order_acquire);
    size_t avail = w - rd;
    size_t todo = n < avail ? n : avail;
    size_t mask = ring->cap - 1;
    size_t first = ring->cap - (rd & mask);
    if (first > todo)
        first = todo;
    memcpy(dst, ring->data + (rd & mask), first * sizeof(float));
    memcpy(dst + first, ring->data, (todo - first) * sizeof(float));
    atomic_store_explicit(&ring->read_pos, rd + todo, memory_order_release);
    return todo;
}

size_t strata_ring_available(const strata_ring *ring)
{
    size_t w = atomic_load_explicit(&((strata_ring *)ring)->write_pos, memory_order_acquire);
    size_t rd = atomic_load_explicit(&((strata_ring *)ring)->read_pos, memory_order_relaxed);
    return w - rd;
}

void strata_ring_clear(strata_ring *ring)
{
    size_t w = atomic_load_explicit(&ring->write_pos, memory_order_acquire);
    atomic_store_explicit(&ring->read_pos, w, memory_order_release);
}

strata_status strata_queue_init(strata_queue *q, size_t item_size, size_t capacity,
                                strata_result *r)
{
    memset(q, 0, sizeof *q);
    q->item_size = item_size;
    q->cap = round_pow2(capacity < 2 ? 2 : capacity);
    q->data = calloc(q->cap, item_size);
    if (!q->data)
        return strata_fail(r, STRATA_ERR_NOMEM, "queue of %zu items", q->cap);
    return STRATA_OK;
}

void strata_queue_free(strata_queue *q)
{
    free(q->data);
    q->data = NULL;
}

bool strata_queue_push(strata_queue *q, const void *item)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (t - h >= q->cap) {
        atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
        return false;
    }
    memcpy(q->data + (t & (q->cap - 1)) * q->item_size, item, q->item_size);
    atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    return true;
}

bool strata_queue_peek(strata_queue *q, void *item)
{
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (h == t)
        return false;
    memcpy(item, q->data + (h & (q->cap - 1)) * q->item_size, q->item_size);
    return true;
}

bool strata_queue_pop(strata_queue *q, void *item)
{
    if (!strata_queue_peek(q, item))
        return false;
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    atomic_store_explicit(&q->head, h + 1, memory_order_release);
    return true;
}

size_t strata_queue_count(const strata_queue *q)
{
    size_t t = atomic_load_explicit(&((strata_queue *)q)->tail, memory_order_acquire);
    size_t h = atomic_load_explicit(&((strata_queue *)q)->head, memory_order_acquire);
    return t - h;
}

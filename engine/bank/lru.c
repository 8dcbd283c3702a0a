/* A fixed-capacity LRU keyed by keyframe index with a byte budget. Nodes and hash
 * buckets are allocated once; put/get/remove are O(1) and never allocate. */
#include "bank.h"

#include <stdlib.h>

typedef struct lru_node {
    int key, slot;
    size_t cost;
    bool pinned;
    int prev, next; /* recency list, -1 terminated; head = most recent */
    int hnext;      /* hash chain or free list */
} lru_node;

struct strata_lru {
    lru_node *nodes;
    int *buckets;
    int nbuckets; /* power of two */
    int cap, count;
    int head, tail, free_list;
    size_t bytes, budget;
};

strata_lru *strata_lru_create(int max_entries, size_t budget_bytes)
{
    if (max_entries < 1 || max_entries > (1 << 24))
        return NULL;
    strata_lru *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cap = max_entries;
    l->nbuckets = 16;
    while (l->nbuckets < max_entries * 2)
        l->nbuckets *= 2;
    l->nodes = calloc((size_t)max_entries, sizeof *l->nodes);
    l->buckets = malloc(sizeof(int) * (size_t)l->nbuckets);
    if (!l->nodes || !l->buckets) {
        strata_lru_destroy(l);
        return NULL;
    }
    for (int i = 0; i < l->nbuckets; i++)
        l->buckets[i] = -1;
    for (int i = 0; i < max_entries; i++)
        l->nodes[i].hnext = i + 1 < max_entries ? i + 1 : -1;
    l->free_list = 0;
    l->head = l->tail = -1;
    l->budget = budget_bytes;
    return l;
}

void strata_lru_destroy(strata_lru *l)
{
    if (!l)
        return;
    free(l->nodes);
    free(l->buckets);
    free(l);
}

static int bucket_of(const strata_lru *l, int key)
{
    uint32_t h = (uint32_t)key * 2654435761u;
    return (int)(h >> 8) & (l->nbuckets - 1);
}

static int find(const strata_lru *l, int key)
{
    for (int n = l->buckets[bucket_of(l, key)]; n >= 0; n = l->nodes[n].hnext)
        if (l->nodes[n].key == key)
            return n;
    return -1;
}

static void list_unlink(strata_lru *l, int n)
{
    lru_node *x = &l->nodes[n];
    if (x->prev >= 0)
        l->nodes[x->prev].next = x->next;
    else
        l->head = x->next;
    if (x->next >= 0)
        l->nodes[x->next].prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = -1;
}

static void list_push_front(strata_lru *l, int n)
{
    lru_node *x = &l->nodes[n];
    x->prev = -1;
    x->next = l->head;
    if (l->head >= 0)
        l->nodes[l->head].prev = n;
    l->head = n;
    if (l->tail < 0)
        l->tail = n;
}

static void drop(strata_lru *l, int n)
{
    int *pp = &l->buckets[bucket_of(l, l->nodes[n].key)];
    while (*pp != n)
        pp = &l->nodes[*pp].hnext;
    *pp = l->nodes[n].hnext;
    list_unlink(l, n);
    l->bytes -= l->nodes[n].cost;
    l->count--;
    l->nodes[n].hnext = l->free_list;
    l->free_list = n;
}

bool strata_lru_get(strata_lru *l, int key, int *slot)
{
    int n = find(l, key);
    if (n < 0)
        return false;
    list_unlink(l, n);
    list_push_front(l, n);
    if (slot)
        *slot = l->nodes[n].slot;
    return true;
}

bool strata_lru_contains(const strata_lru *l, int key)
{
    return find(l, key) >= 0;
}

static void report(strata_lru_evicted *ev, int max_ev, int *nev, const lru_node *x)
{
    if (*nev < max_ev)
        ev[*nev] = (strata_lru_evicted){x->key, x->slot, x->cost};
    (*nev)++;
}

int strata_lru_put(strata_lru *l, int key, int slot, size_t cost, strata_lru_evicted *ev,
                   int max_ev)
{
    int nev = 0;
    int n = find(l, key);
    if (n >= 0) {
        lru_node *x = &l->nodes[n];
        if (x->slot != slot)
            report(ev, max_ev, &nev, x);
        l->bytes = l->bytes - x->cost + cost;
        x->slot = slot;
        x->cost = cost;
        list_unlink(l, n);
        list_push_front(l, n);
    } else {
        /* Make room in the table first: the least recent unpinned entry goes. */
        while (l->free_list < 0) {
            int v = l->tail;
            while (v >= 0 && l->nodes[v].pinned)
                v = l->nodes[v].prev;
            if (v < 0)
                return -1; /* every entry pinned: refuse rather than break a pin */
            report(ev, max_ev, &nev, &l->nodes[v]);
            drop(l, v);
        }
        n = l->free_list;
        l->free_list = l->nodes[n].hnext;
        l->nodes[n] = (lru_node){key, slot, cost, false, -1, -1, -1};
        int b = bucket_of(l, key);
        l->nodes[n].hnext = l->buckets[b];
        l->buckets[b] = n;
        list_push_front(l, n);
        l->count++;
        l->bytes += cost;
    }
    /* Over budget: evict from the cold end, never the entry just put, never a pin. */
    int v = l->tail;
    while (l->bytes > l->budget && v >= 0) {
        int prev = l->nodes[v].prev;
        if (v != n && !l->nodes[v].pinned) {
            report(ev, max_ev, &nev, &l->nodes[v]);
            drop(l, v);
        }
        v = prev;
    }
    return nev;
}

bool strata_lru_remove(strata_lru *l, int key, int *slot)
{
    int n = find(l, key);
    if (n < 0)
        return false;
    if (slot)
        *slot = l->nodes[n].slot;
    drop(l, n);
    return true;
}

void strata_lru_pin(strata_lru *l, int key, bool pinned)
{
    int n = find(l, key);
    if (n >= 0)
        l->nodes[n].pinned = pinned;
}

size_t strata_lru_bytes(const strata_lru *l)
{
    return l->bytes;
}

size_t strata_lru_budget(const strata_lru *l)
{
    return l->budget;
}

void strata_lru_set_budget(strata_lru *l, size_t budget_bytes)
{
    l->budget = budget_bytes;
}

int strata_lru_count(const strata_lru *l)
{
    return l->count;
}

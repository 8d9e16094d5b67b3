#include "core/pbuf.h"

#include <string.h>

void mn_pool_init(struct mn_pool *pool, struct mn_mem *mem, size_t bytes_max)
{
  memset(pool, 0, sizeof(*pool));
  pool->mem = mem;
  pool->bytes_max = bytes_max;
}

void mn_pool_destroy(struct mn_pool *pool)
{
  while (pool->free_small) {
    struct mn_pbuf *p = pool->free_small;
    pool->free_small = p->next;
    mn_mem_free(pool->mem, p);
  }
  pool->free_count = 0;
}

struct mn_pbuf *mn_pbuf_alloc(struct mn_pool *pool, size_t headroom, size_t len)
{
  size_t need = headroom + len;
  if (need > MN_PBUF_MAX) {
    pool->alloc_fail++;
    return NULL;
  }
  size_t cap = need <= MN_PBUF_SMALL ? MN_PBUF_SMALL : need;
  if (pool->bytes_used + cap > pool->bytes_max) {
    pool->alloc_fail++;
    return NULL;
  }
  struct mn_pbuf *p;
  if (cap == MN_PBUF_SMALL && pool->free_small) {
    p = pool->free_small;
    pool->free_small = p->next;
    pool->free_count--;
  } else {
    /* Outside the memory budget: the pool's bound is the pool's budget. */
    p = mn_mem_alloc_unbudgeted(pool->mem, sizeof(*p) + cap);
    if (!p) {
      pool->alloc_fail++;
      return NULL;
    }
  }
  memset(p, 0, sizeof(*p));
  p->pool = pool;
  p->cap = (uint32_t)cap;
  p->data = p->buf + headroom;
  p->len = (uint32_t)len;
  pool->bytes_used += cap;
  pool->live++;
  return p;
}

/* Keep enough small buffers cached for a burst of frames, no more: the
 * rest goes back to the stack's memory so an idle stack shrinks. */
#define MN_POOL_CACHE_MAX 256

void mn_pbuf_free(struct mn_pbuf *p)
{
  if (!p)
    return;
  struct mn_pool *pool = p->pool;
  pool->bytes_used -= p->cap;
  pool->live--;
  if (p->cap == MN_PBUF_SMALL && pool->free_count < MN_POOL_CACHE_MAX) {
    p->next = pool->free_small;
    pool->free_small = p;
    pool->free_count++;
    return;
  }
  mn_mem_free(pool->mem, p);
}

struct mn_pbuf *mn_pbuf_clone(const struct mn_pbuf *p)
{
  struct mn_pbuf *c = mn_pbuf_alloc(p->pool, MN_PBUF_HEADROOM, p->len);
  if (!c)
    return NULL;
  memcpy(c->data, p->data, p->len);
  c->when = p->when;
  c->src = p->src;
  c->dst = p->dst;
  c->sport = p->sport;
  c->dport = p->dport;
  c->ifindex = p->ifindex;
  c->link_bcast = p->link_bcast;
  return c;
}

uint8_t *mn_pbuf_push(struct mn_pbuf *p, size_t n)
{
  if (mn_pbuf_headroom(p) < n)
    return NULL;
  p->data -= n;
  p->len += (uint32_t)n;
  return p->data;
}

void mn_pbuf_pull(struct mn_pbuf *p, size_t n)
{
  if (n > p->len)
    n = p->len;
  p->data += n;
  p->len -= (uint32_t)n;
}

void mn_pbuf_trim(struct mn_pbuf *p, size_t len)
{
  if (len < p->len)
    p->len = (uint32_t)len;
}

void mn_pbuf_queue_push(struct mn_pbuf_queue *q, struct mn_pbuf *p)
{
  p->next = NULL;
  if (q->tail)
    q->tail->next = p;
  else
    q->head = p;
  q->tail = p;
  q->count++;
  q->bytes += p->len;
}

struct mn_pbuf *mn_pbuf_queue_pop(struct mn_pbuf_queue *q)
{
  struct mn_pbuf *p = q->head;
  if (!p)
    return NULL;
  q->head = p->next;
  if (!q->head)
    q->tail = NULL;
  q->count--;
  q->bytes -= p->len;
  p->next = NULL;
  return p;
}

void mn_pbuf_queue_clear(struct mn_pbuf_queue *q)
{
  struct mn_pbuf *p;
  while ((p = mn_pbuf_queue_pop(q)))
    mn_pbuf_free(p);
}

/* Packet buffers: contiguous bytes with headroom, from a bounded pool.
 *
 * Headers are prepended in place (mn_pbuf_push), so a payload written once
 * by the socket layer is never copied again on the way to the device.  The
 * headroom fits a 12-byte virtio_net_hdr, Ethernet, and maximal IPv4 and
 * TCP headers, so the same buffers carry 64 KB offloaded segments later.
 *
 * Ownership: a function that takes a struct mn_pbuf * consumes it (frees
 * it or queues it); a function that only looks takes a const pointer. */
#ifndef MN_CORE_PBUF_H
#define MN_CORE_PBUF_H

#include "core/mem.h"

#include <mynet/stack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_PBUF_HEADROOM 160
/* Buffers up to this size (headroom included) are recycled through a free
 * list: one Ethernet frame plus headroom.  Larger ones are allocated to
 * size and given back to the stack's memory (core/mem.h). */
#define MN_PBUF_SMALL 2048
#define MN_PBUF_MAX (65536 + MN_PBUF_HEADROOM)

struct mn_pool;

struct mn_pbuf {
  struct mn_pbuf *next; /* queue link, owned by whoever holds the buffer */
  struct mn_pool *pool;
  uint8_t *data; /* first valid byte */
  uint32_t len;  /* valid bytes */
  uint32_t cap;  /* bytes in buf[] */
  /* Metadata the receive path records for the layers above. */
  mynet_time when;   /* arrival time, or release time in a delay queue */
  uint32_t src, dst; /* IPv4 addresses, host order */
  uint16_t sport, dport;
  int ifindex;
  bool link_bcast; /* arrived as a link-layer broadcast or multicast */
  uint8_t buf[];
};

struct mn_pool {
  struct mn_mem *mem; /* where the buffers come from */
  size_t bytes_max;
  size_t bytes_used; /* by buffers currently handed out */
  size_t live;       /* buffers currently handed out */
  struct mn_pbuf *free_small;
  size_t free_count;
  uint64_t alloc_fail;
};

void mn_pool_init(struct mn_pool *pool, struct mn_mem *mem, size_t bytes_max);
/* Frees the cached buffers.  Buffers still handed out are a leak: tests
 * check pool->live == 0 at teardown. */
void mn_pool_destroy(struct mn_pool *pool);

/* A buffer with `headroom` bytes before data and room for `len` bytes;
 * data[0..len) is uninitialised.  NULL when the pool's bound is reached. */
struct mn_pbuf *mn_pbuf_alloc(struct mn_pool *pool, size_t headroom, size_t len);
void mn_pbuf_free(struct mn_pbuf *p);
/* A copy with the same metadata and MN_PBUF_HEADROOM in front. */
struct mn_pbuf *mn_pbuf_clone(const struct mn_pbuf *p);

static inline size_t mn_pbuf_headroom(const struct mn_pbuf *p)
{
  return (size_t)(p->data - p->buf);
}
static inline size_t mn_pbuf_tailroom(const struct mn_pbuf *p)
{
  return p->cap - mn_pbuf_headroom(p) - p->len;
}
/* Prepend n bytes of header; NULL if the headroom is too small. */
uint8_t *mn_pbuf_push(struct mn_pbuf *p, size_t n);
/* Strip n bytes from the front (n <= len). */
void mn_pbuf_pull(struct mn_pbuf *p, size_t n);
/* Cut to len bytes (Ethernet padding, IP total length). */
void mn_pbuf_trim(struct mn_pbuf *p, size_t len);

/* A FIFO of buffers with a byte count, for receive and pending queues. */
struct mn_pbuf_queue {
  struct mn_pbuf *head, *tail;
  size_t count, bytes;
};

void mn_pbuf_queue_push(struct mn_pbuf_queue *q, struct mn_pbuf *p);
struct mn_pbuf *mn_pbuf_queue_pop(struct mn_pbuf_queue *q);
void mn_pbuf_queue_clear(struct mn_pbuf_queue *q);

#endif

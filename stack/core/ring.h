/* A byte ring: TCP's send buffer (unacknowledged and unsent data, so
 * segments are rebuilt from it on retransmission) and receive buffer
 * (in-order data for the application, with out-of-order data written
 * ahead of it at its offset). */
#ifndef MN_CORE_RING_H
#define MN_CORE_RING_H

#include "core/mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_ring {
  uint8_t *buf; /* allocated by mn_ring_alloc, freed by mn_ring_free */
  size_t cap;
  size_t head; /* index of the first byte */
  size_t len;  /* contiguous bytes from head */
};

/* Set the capacity; only while empty (memory of another capacity goes
 * back to m).  0 or -EBUSY. */
int mn_ring_init(struct mn_ring *r, size_t cap, struct mn_mem *m);
/* Take the memory for the capacity if the ring has none yet: the owner
 * calls it when data first arrives, so idle and listening sockets cost
 * nothing, and learns of a failure before it commits to anything.
 * 0 or -ENOMEM. */
int mn_ring_alloc(struct mn_ring *r, struct mn_mem *m);
/* Give the memory back to m (the one mn_ring_alloc took it from). */
void mn_ring_free(struct mn_ring *r, struct mn_mem *m);
static inline size_t mn_ring_space(const struct mn_ring *r)
{
  return r->cap - r->len;
}
/* Append up to n bytes; returns how many fitted (none without memory:
 * see mn_ring_alloc). */
size_t mn_ring_write(struct mn_ring *r, const void *src, size_t n);
/* Write n bytes at offset off from head without changing len (off + n <=
 * cap): out-of-order data waiting for the gap before it to fill.  False
 * if they do not fit or the ring has no memory. */
bool mn_ring_write_at(struct mn_ring *r, size_t off, const void *src, size_t n);
/* Extend len over bytes already written with mn_ring_write_at. */
void mn_ring_commit(struct mn_ring *r, size_t n);
/* Copy n bytes starting off bytes after head (off + n <= len). */
void mn_ring_peek(const struct mn_ring *r, size_t off, void *dst, size_t n);
/* Drop n bytes from the front. */
void mn_ring_discard(struct mn_ring *r, size_t n);

#endif

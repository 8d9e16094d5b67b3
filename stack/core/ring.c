#include "core/ring.h"

#include <errno.h>
#include <string.h>

int mn_ring_init(struct mn_ring *r, size_t cap, struct mn_mem *m)
{
  if (r->len)
    return -EBUSY;
  if (r->buf && r->cap == cap)
    return 0;
  mn_mem_free(m, r->buf);
  r->buf = NULL;
  r->cap = cap;
  r->head = 0;
  return 0;
}

void mn_ring_free(struct mn_ring *r, struct mn_mem *m)
{
  mn_mem_free(m, r->buf);
  r->buf = NULL;
  r->head = r->len = 0;
}

int mn_ring_alloc(struct mn_ring *r, struct mn_mem *m)
{
  if (!r->buf && r->cap) {
    r->buf = mn_mem_alloc(m, r->cap);
    if (!r->buf)
      return -ENOMEM;
  }
  return 0;
}

static void copy_in(struct mn_ring *r, size_t pos, const uint8_t *src, size_t n)
{
  size_t first = r->cap - pos < n ? r->cap - pos : n;
  memcpy(r->buf + pos, src, first);
  if (n > first)
    memcpy(r->buf, src + first, n - first);
}

size_t mn_ring_write(struct mn_ring *r, const void *src, size_t n)
{
  if (n > mn_ring_space(r))
    n = mn_ring_space(r);
  if (!n || !r->buf)
    return 0;
  copy_in(r, (r->head + r->len) % r->cap, src, n);
  r->len += n;
  return n;
}

bool mn_ring_write_at(struct mn_ring *r, size_t off, const void *src, size_t n)
{
  if (off + n > r->cap || (n && !r->buf))
    return false;
  if (n)
    copy_in(r, (r->head + off) % r->cap, src, n);
  return true;
}

void mn_ring_commit(struct mn_ring *r, size_t n)
{
  r->len += n;
  if (r->len > r->cap)
    r->len = r->cap;
}

void mn_ring_peek(const struct mn_ring *r, size_t off, void *dst, size_t n)
{
  if (!n)
    return;
  size_t pos = (r->head + off) % r->cap;
  size_t first = r->cap - pos < n ? r->cap - pos : n;
  memcpy(dst, r->buf + pos, first);
  if (n > first)
    memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void mn_ring_discard(struct mn_ring *r, size_t n)
{
  if (n > r->len)
    n = r->len;
  r->head = (r->head + n) % (r->cap ? r->cap : 1);
  /* head is not reset when the ring empties: bytes written ahead of len
   * (out-of-order data) are placed relative to it. */
  r->len -= n;
}

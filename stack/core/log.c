/* The stack's log ring: records of [length: 2 bytes][level: 1 byte][text]
 * in a byte ring, oldest first. */
#include "core/log.h"

#include <stdbool.h>
#include <string.h>

#define REC_HDR 3
#define MAX_TEXT (MN_LOG_RING_BYTES / 4)

void mn_log_ring_init(struct mn_log_ring *r, int level)
{
  r->level = level;
  r->head = r->used = 0;
  r->dropped = 0;
}

static void put_bytes(struct mn_log_ring *r, size_t off, const void *src, size_t n)
{
  size_t pos = (r->head + off) % MN_LOG_RING_BYTES;
  size_t first = MN_LOG_RING_BYTES - pos < n ? MN_LOG_RING_BYTES - pos : n;
  memcpy(r->buf + pos, src, first);
  memcpy(r->buf, (const char *)src + first, n - first);
}

static void get_bytes(const struct mn_log_ring *r, size_t off, void *dst, size_t n)
{
  size_t pos = (r->head + off) % MN_LOG_RING_BYTES;
  size_t first = MN_LOG_RING_BYTES - pos < n ? MN_LOG_RING_BYTES - pos : n;
  memcpy(dst, r->buf + pos, first);
  memcpy((char *)dst + first, r->buf, n - first);
}

bool mn_log_ring_put(struct mn_log_ring *r, int level, const char *msg)
{
  size_t len = strlen(msg);
  if (len == 0) /* take() answers 0 for "no message" */
    return true;
  if (len > MAX_TEXT)
    len = MAX_TEXT;
  if (r->used + REC_HDR + len > MN_LOG_RING_BYTES) {
    r->dropped++;
    return false;
  }
  uint8_t hdr[REC_HDR] = {(uint8_t)(len >> 8), (uint8_t)len, (uint8_t)level};
  put_bytes(r, r->used, hdr, REC_HDR);
  put_bytes(r, r->used + REC_HDR, msg, len);
  r->used += REC_HDR + len;
  return true;
}

size_t mn_log_ring_take(struct mn_log_ring *r, int *level, char *buf, size_t cap)
{
  if (r->used == 0)
    return 0;
  uint8_t hdr[REC_HDR];
  get_bytes(r, 0, hdr, REC_HDR);
  size_t len = (size_t)hdr[0] << 8 | hdr[1];
  if (level)
    *level = hdr[2];
  if (cap) {
    size_t n = len < cap - 1 ? len : cap - 1;
    get_bytes(r, REC_HDR, buf, n);
    buf[n] = 0;
  }
  r->head = (r->head + REC_HDR + len) % MN_LOG_RING_BYTES;
  r->used -= REC_HDR + len;
  return len;
}

/* An open-addressing hash table from stack socket to shim_sock, doubled
 * when half full; deletions leave tombstones that a rebuild clears. */
#include "shim.h"

#include "sockmap.h"

#include <stdint.h>
#include <stdlib.h>

#define TOMBSTONE ((const mynet_sock *)1)

struct slot {
  const mynet_sock *key; /* NULL empty, TOMBSTONE deleted */
  struct shim_sock *val;
};

static struct slot *slots;
static size_t cap, used; /* used counts tombstones too */

static size_t hash(const mynet_sock *s)
{
  uint64_t x = (uint64_t)(uintptr_t)s;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

static struct slot *find(const mynet_sock *s)
{
  for (size_t i = hash(s) & (cap - 1);; i = (i + 1) & (cap - 1))
    if (slots[i].key == s || slots[i].key == NULL)
      return &slots[i];
}

static int rebuild(size_t ncap)
{
  struct slot *old = slots;
  size_t ocap = cap;
  slots = calloc(ncap, sizeof *slots);
  if (!slots) {
    slots = old;
    return -ENOMEM;
  }
  cap = ncap;
  used = 0;
  for (size_t i = 0; i < ocap; i++) {
    if (old[i].key && old[i].key != TOMBSTONE) {
      *find(old[i].key) = old[i];
      used++;
    }
  }
  free(old);
  return 0;
}

int shim_sockmap_put(const mynet_sock *s, struct shim_sock *ss)
{
  if ((used + 1) * 2 > cap) {
    int r = rebuild(cap ? cap * 2 : 64);
    if (r < 0)
      return r;
  }
  struct slot *e = find(s);
  if (!e->key)
    used++;
  e->key = s;
  e->val = ss;
  return 0;
}

void shim_sockmap_del(const mynet_sock *s)
{
  if (!cap)
    return;
  struct slot *e = find(s);
  if (e->key == s) {
    e->key = TOMBSTONE;
    e->val = NULL;
  }
}

struct shim_sock *shim_sockmap_get(const mynet_sock *s)
{
  if (!cap)
    return NULL;
  struct slot *e = find(s);
  return e->key == s ? e->val : NULL;
}

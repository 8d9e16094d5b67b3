#include "core/timer.h"

#include <errno.h>
#include <string.h>

void mn_timer_heap_init(struct mn_timer_heap *h, struct mn_mem *mem)
{
  h->mem = mem;
  h->v = NULL;
  h->n = h->cap = h->reserved = 0;
  h->next_seq = 1;
}

void mn_timer_heap_destroy(struct mn_timer_heap *h)
{
  for (size_t i = 0; i < h->n; i++)
    h->v[i]->slot = 0;
  mn_mem_free(h->mem, h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}

static bool before(const struct mn_timer *a, const struct mn_timer *b)
{
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void place(struct mn_timer_heap *h, size_t i, struct mn_timer *t)
{
  h->v[i] = t;
  t->slot = i + 1;
}

static void sift_up(struct mn_timer_heap *h, size_t i)
{
  struct mn_timer *t = h->v[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(t, h->v[parent]))
      break;
    place(h, i, h->v[parent]);
    i = parent;
  }
  place(h, i, t);
}

static void sift_down(struct mn_timer_heap *h, size_t i)
{
  struct mn_timer *t = h->v[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
      c++;
    if (!before(h->v[c], t))
      break;
    place(h, i, h->v[c]);
    i = c;
  }
  place(h, i, t);
}

void mn_timer_cancel(struct mn_timer_heap *h, struct mn_timer *t)
{
  if (!t->slot)
    return;
  size_t i = t->slot - 1;
  t->slot = 0;
  h->n--;
  if (i == h->n)
    return;
  h->v[i] = h->v[h->n];
  h->v[i]->slot = i + 1;
  sift_down(h, i);
  sift_up(h, h->v[i]->slot - 1);
}

static int grow(struct mn_timer_heap *h, size_t need)
{
  if (need <= h->cap)
    return 0;
  size_t cap = h->cap ? h->cap : 64;
  while (cap < need)
    cap *= 2;
  /* Outside the memory budget: owners reserve their timers when they are
   * created, under the budget of their own allocation. */
  struct mn_timer **v = mn_mem_alloc_unbudgeted(h->mem, cap * sizeof(*v));
  if (!v)
    return -ENOMEM;
  if (h->n)
    memcpy(v, h->v, h->n * sizeof(*v));
  mn_mem_free(h->mem, h->v);
  h->v = v;
  h->cap = cap;
  return 0;
}

int mn_timer_reserve(struct mn_timer_heap *h, size_t k)
{
  int rc = grow(h, h->reserved + k);
  if (rc == 0)
    h->reserved += k;
  return rc;
}

void mn_timer_unreserve(struct mn_timer_heap *h, size_t k)
{
  h->reserved -= k < h->reserved ? k : h->reserved;
}

int mn_timer_arm(struct mn_timer_heap *h, struct mn_timer *t, mynet_time when)
{
  mn_timer_cancel(h, t);
  /* Never allocates when every owner reserved its timers (the stack's
   * do): then at most `reserved` timers are armed, and they have room. */
  int rc = grow(h, h->n + 1);
  if (rc < 0)
    return rc;
  t->when = when;
  t->seq = h->next_seq++;
  place(h, h->n++, t);
  sift_up(h, h->n - 1);
  return 0;
}

mynet_time mn_timer_next(const struct mn_timer_heap *h)
{
  return h->n ? h->v[0]->when : MYNET_TIME_NEVER;
}

int mn_timer_run(struct mn_timer_heap *h, mynet_time now, const mn_timer_fn *fns)
{
  int fired = 0;
  while (h->n && h->v[0]->when <= now) {
    struct mn_timer *t = h->v[0];
    mn_timer_cancel(h, t);
    fired++;
    fns[t->kind](t, now);
  }
  return fired;
}

/* One timer facility for the whole stack: a binary min-heap of timers that
 * their owners embed (no allocation when arming).  Ties are broken by
 * arming order so that a test on the virtual clock always sees timers fire
 * in the same order.  The heap never reads a clock: the stack runs it with
 * the `now` its driver passed in. */
#ifndef MN_CORE_TIMER_H
#define MN_CORE_TIMER_H

#include "core/mem.h"

#include <mynet/stack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_timer;
typedef void (*mn_timer_fn)(struct mn_timer *t, mynet_time now);

/* A timer names what it is for by a small number, its kind, and the one
 * who runs the heap passes the function for each kind: timers live in
 * memory shared by processes in which the code sits at different
 * addresses, so they hold no function pointers. */
struct mn_timer {
  mynet_time when;
  uint64_t seq; /* arming order */
  size_t slot;  /* index in the heap + 1; 0 = not armed */
  uint8_t kind; /* index into the table mn_timer_run() is given */
};

struct mn_timer_heap {
  struct mn_mem *mem; /* where v comes from */
  struct mn_timer **v;
  size_t n, cap;
  size_t reserved; /* slots promised to owners by mn_timer_reserve */
  uint64_t next_seq;
};

void mn_timer_heap_init(struct mn_timer_heap *h, struct mn_mem *mem);
void mn_timer_heap_destroy(struct mn_timer_heap *h);

static inline void mn_timer_init(struct mn_timer *t, uint8_t kind)
{
  t->when = 0;
  t->seq = 0;
  t->slot = 0;
  t->kind = kind;
}
static inline bool mn_timer_armed(const struct mn_timer *t)
{
  return t->slot != 0;
}

/* Make room for k more timers so that arming them never allocates: an
 * owner reserves its timers when it is created (where a failure can be
 * reported) and then arms them on any path, including packet input,
 * without a failure to handle.  0 or -ENOMEM. */
int mn_timer_reserve(struct mn_timer_heap *h, size_t k);
void mn_timer_unreserve(struct mn_timer_heap *h, size_t k);
/* (Re)arm t to fire at `when`.  Returns -ENOMEM if the heap cannot grow
 * (never for reserved timers). */
int mn_timer_arm(struct mn_timer_heap *h, struct mn_timer *t, mynet_time when);
void mn_timer_cancel(struct mn_timer_heap *h, struct mn_timer *t);
mynet_time mn_timer_next(const struct mn_timer_heap *h);
/* Fire every timer due at `now`, earliest first, each through fns[its
 * kind]; a callback may arm and cancel timers, including itself.
 * Returns how many fired. */
int mn_timer_run(struct mn_timer_heap *h, mynet_time now, const mn_timer_fn *fns);

#endif

#include "helpers/region.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Mappings are reused from test to test rather than unmapped: under ASan
 * the allocator's marks on a range outlive munmap(), and whatever was
 * mapped there next would inherit them.  A fresh format over a wiped
 * mapping clears them as it carves.  A test that fails without reaching
 * its teardown keeps its mapping busy; past the set, mappings are made
 * and kept. */
#define SLOTS 8

static struct {
  void *base;
  bool busy;
} slots[SLOTS];

static void *map_range(void)
{
  void *p = mmap(NULL, TN_REGION_BOUND, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ck_assert_msg(p != MAP_FAILED, "cannot map a test region");
  return p;
}

void tn_region_open(struct tn_region *tr)
{
  tr->r = NULL;
  tr->base = NULL;
  tr->slot = -1;
  tr->in_use_at_open = 0;
  if (getenv("TN_MALLOC"))
    return;
  for (int i = 0; i < SLOTS && tr->slot < 0; i++) {
    if (slots[i].busy)
      continue;
    if (!slots[i].base)
      slots[i].base = map_range();
    slots[i].busy = true;
    tr->slot = i;
  }
  tr->base = tr->slot >= 0 ? slots[tr->slot].base : map_range();
  ck_assert_int_eq(mn_region_format(tr->base, TN_REGION_BOUND, &tr->r), 0);
  struct mn_region_stats s;
  mn_region_get_stats(tr->r, &s);
  tr->in_use_at_open = s.in_use;
}

void tn_region_close(struct tn_region *tr)
{
  if (!tr->r)
    return;
  struct mn_region_stats s;
  mn_region_get_stats(tr->r, &s);
  ck_assert_msg(s.in_use == tr->in_use_at_open, "region: %zu bytes leaked",
                s.in_use - tr->in_use_at_open);
  ck_assert_uint_eq(s.bad_frees, 0);
  ck_assert_int_eq(mn_region_check(tr->r), 0);
  /* Zeroes the pages, so the next format finds fresh memory. */
  ck_assert_int_eq(madvise(tr->base, TN_REGION_BOUND, MADV_DONTNEED), 0);
  if (tr->slot >= 0)
    slots[tr->slot].busy = false;
  tr->r = NULL;
}

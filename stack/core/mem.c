#include "core/mem.h"

#include <stdbool.h>
#include <stdlib.h>

void mn_mem_init(struct mn_mem *m, struct mn_region *region)
{
  m->region = region;
  m->allowed = MN_MEM_UNLIMITED;
  m->failures = 0;
}

void mn_mem_set_budget(struct mn_mem *m, uint64_t allowed)
{
  m->allowed = allowed;
}

static bool take(struct mn_mem *m)
{
  if (m->allowed == 0) {
    m->failures++;
    return false;
  }
  if (m->allowed != MN_MEM_UNLIMITED)
    m->allowed--;
  return true;
}

static void *get(struct mn_mem *m, size_t n, bool zero)
{
  void *p;
  if (m->region)
    p = zero ? mn_region_zalloc(m->region, n) : mn_region_alloc(m->region, n);
  else
    p = zero ? calloc(1, n) : malloc(n);
  if (!p)
    m->failures++;
  return p;
}

void *mn_mem_alloc(struct mn_mem *m, size_t n)
{
  return take(m) ? get(m, n, false) : NULL;
}

void *mn_mem_zalloc(struct mn_mem *m, size_t n)
{
  return take(m) ? get(m, n, true) : NULL;
}

void *mn_mem_alloc_unbudgeted(struct mn_mem *m, size_t n)
{
  return get(m, n, false);
}

void *mn_mem_zalloc_unbudgeted(struct mn_mem *m, size_t n)
{
  return get(m, n, true);
}

void mn_mem_free(struct mn_mem *m, void *p)
{
  if (m->region)
    mn_region_free(m->region, p);
  else
    free(p);
}

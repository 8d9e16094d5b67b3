#include "core/mem.h"

#include <stdbool.h>
#include <stdlib.h>

void mn_mem_init(struct mn_mem *m)
{
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

static void *counted(struct mn_mem *m, void *p)
{
  if (!p)
    m->failures++;
  return p;
}

void *mn_mem_alloc(struct mn_mem *m, size_t n)
{
  return take(m) ? counted(m, malloc(n)) : NULL;
}

void *mn_mem_zalloc(struct mn_mem *m, size_t n)
{
  return take(m) ? counted(m, calloc(1, n)) : NULL;
}

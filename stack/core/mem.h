/* Where the stack's memory comes from: every allocation the stack makes
 * for itself goes through here (devices, which belong to one process,
 * excepted: see dev/device.h).  With a region (core/region.h) it all
 * comes from that one range of memory, so the stack can live in memory
 * shared by processes; without one, from malloc.
 *
 * Sockets and their byte rings are allocated under a budget: the number
 * of such allocations that may still succeed, kept here (no globals), so
 * a unit test says "the next allocation fails" and later "memory is
 * back" and checks that nothing was acknowledged that was not stored.
 * The packet pool (bounded on its own, core/pbuf.h) and the stack's own
 * tables and timer heap are outside the budget.  Real failures (malloc's,
 * or a full region) are counted the same way. */
#ifndef MN_CORE_MEM_H
#define MN_CORE_MEM_H

#include "core/region.h"

#include <stddef.h>
#include <stdint.h>

#define MN_MEM_UNLIMITED UINT64_MAX

struct mn_mem {
  struct mn_region *region; /* NULL: malloc */
  uint64_t allowed;         /* budgeted allocations that may still succeed, or MN_MEM_UNLIMITED */
  uint64_t failures;        /* allocations refused or failed */
};

void mn_mem_init(struct mn_mem *m, struct mn_region *region);
/* Let only `allowed` more budgeted allocations succeed (MN_MEM_UNLIMITED: all). */
void mn_mem_set_budget(struct mn_mem *m, uint64_t allowed);
/* Under the budget; NULL when refused or out of memory. */
void *mn_mem_alloc(struct mn_mem *m, size_t n);
void *mn_mem_zalloc(struct mn_mem *m, size_t n);
/* Outside the budget; NULL when out of memory. */
void *mn_mem_alloc_unbudgeted(struct mn_mem *m, size_t n);
void *mn_mem_zalloc_unbudgeted(struct mn_mem *m, size_t n);
/* Any of the above; NULL is ignored. */
void mn_mem_free(struct mn_mem *m, void *p);

#endif

/* The memory the stack takes from malloc for sockets and their byte
 * rings (packet buffers have their own bounded pool, core/pbuf.h).
 *
 * Every such allocation goes through here so that a failure can be made
 * to happen at a chosen moment: the budget is the number of allocations
 * that may still succeed, kept in the stack object (no globals), so a
 * unit test says "the next allocation fails" and later "memory is back"
 * and checks that nothing was acknowledged that was not stored.  Real
 * malloc failures are counted the same way. */
#ifndef MN_CORE_MEM_H
#define MN_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

#define MN_MEM_UNLIMITED UINT64_MAX

struct mn_mem {
  uint64_t allowed;  /* allocations that may still succeed, or MN_MEM_UNLIMITED */
  uint64_t failures; /* allocations refused or failed */
};

void mn_mem_init(struct mn_mem *m);
/* Let only `allowed` more allocations succeed (MN_MEM_UNLIMITED: all). */
void mn_mem_set_budget(struct mn_mem *m, uint64_t allowed);
/* malloc / calloc under the budget; NULL when refused or out of memory.
 * The memory is returned with free(). */
void *mn_mem_alloc(struct mn_mem *m, size_t n);
void *mn_mem_zalloc(struct mn_mem *m, size_t n);

#endif

/* The stack's memory as a driver sees it: a range of memory (shared by
 * the processes that map it at the same address) that the stack carves
 * for everything it owns; see stack/core/region.h for the design.  A
 * driver formats it, hands it to mynet_stack_new, and keeps its own
 * record there, found by a process that attaches through the root. */
#ifndef MYNET_REGION_H
#define MYNET_REGION_H

#include <mynet/stack.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mn_region mynet_region;

/* Lay a region over fresh zeroed memory at base (page aligned).  0 or a
 * negative errno. */
MYNET_API int mynet_region_format(void *base, size_t bound, mynet_region **out);
/* The region another process formatted at base, or NULL. */
MYNET_API mynet_region *mynet_region_attach(void *base);
/* Zeroed memory from the region, or NULL. */
MYNET_API void *mynet_region_zalloc(mynet_region *r, size_t n);
MYNET_API void mynet_region_free(mynet_region *r, void *p);
/* The object an attaching process finds first. */
MYNET_API int mynet_region_root_set(mynet_region *r, void *p);
MYNET_API void *mynet_region_root_get(const mynet_region *r);

#ifdef __cplusplus
}
#endif
#endif

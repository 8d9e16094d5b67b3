/* The stack's memory as a driver sees it: a range of memory (shared by
 * the processes that map it at the same address) that the stack carves
 * for everything it owns; see stack/core/region.h for the design.  A
 * driver formats it, hands it to mynet_stack_new, and keeps its own
 * record there, found by a process that attaches through the root. */
#ifndef MYNET_REGION_H
#define MYNET_REGION_H

#include <mynet/stack.h>
#include <pthread.h>
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
/* This process's regions are shared with other processes: call before
 * formatting or attaching one.  (Under AddressSanitizer a region marks
 * the memory it has not handed out; each process has its own marks, so
 * with several processes allocating they would be wrong.) */
MYNET_API void mynet_region_shared_by_processes(void);
/* The object an attaching process finds first. */
MYNET_API int mynet_region_root_set(mynet_region *r, void *p);
MYNET_API void *mynet_region_root_get(const mynet_region *r);

/* The lock of memory shared by processes: process-shared and robust, so
 * that a process that dies holding it (killed, even in the middle of a
 * change) does not leave the others waiting forever.  It lives in the
 * shared memory; init once, by the process that formats the region. */
typedef pthread_mutex_t mynet_plock;
/* 0 or a negative errno. */
MYNET_API int mynet_plock_init(mynet_plock *l);
/* Takes the lock: 0, or 1 when its holder died holding it; the lock is
 * then marked consistent again and held, and what it guards may be in
 * the middle of a change, which the caller says in its log. */
MYNET_API int mynet_plock_lock(mynet_plock *l);
MYNET_API void mynet_plock_unlock(mynet_plock *l);

#ifdef __cplusplus
}
#endif
#endif

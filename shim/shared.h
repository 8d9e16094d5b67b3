/* The stack's shared memory as the runtime keeps it.
 *
 * Everything the stack owns lives in one region: a memfd mapped at the
 * same fixed address in every process that uses the stack (so pointers
 * inside it are valid everywhere), carved by the stack's allocator
 * (stack/core/region.h).  At the region's root is this record: the stack
 * lock (process-shared and robust, so a process that dies holding it does
 * not take the others down), the stack, and the table of the processes
 * attached to it.  Nothing in it is a function pointer or a descriptor:
 * those stay in each process. */
#ifndef SHIM_SHARED_H
#define SHIM_SHARED_H

#include <mynet/region.h>
#include <mynet/stack.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* An address no loader or allocator hands out on x86-64 Linux by
 * default: well below the mmap base (0x7f...) and far above the heap,
 * and outside AddressSanitizer's shadow.  ThreadSanitizer refuses fixed
 * mappings outside the ranges it keeps for itself: its build lets the
 * kernel choose (processes then share the region through fork only). */
#if defined(__SANITIZE_THREAD__)
#define SHIM_REGION_ADDR NULL
#else
#define SHIM_REGION_ADDR ((void *)0x6d7900000000ull)
#endif

#define SHIM_MAX_PROCS 256

struct shim_proc {
  int32_t pid; /* 0: the slot is free */
};

struct shim_shared {
  uint64_t magic;
  pthread_mutex_t lock; /* the stack lock */
  uint32_t owner_uid;   /* who created the stack */
  uint64_t id;          /* random, names the stack's rendezvous points */
  mynet_stack *st;
  struct shim_proc procs[SHIM_MAX_PROCS];
};

/* A new region of bound bytes with the record at its root, mapped at
 * SHIM_REGION_ADDR; *memfd is its memfd (an internal descriptor).  0, or
 * a negative errno with a message in err. */
int shim_shared_create(uint64_t bound, struct shim_shared **out, int *memfd, char *err,
                       size_t errlen);

/* The region, for the stack's params. */
mynet_region *shim_shared_region(void);

/* The stack lock: a robust, process-shared mutex.  A process that died
 * holding it leaves it to the next taker, who makes it consistent and
 * says so in the log (the stack may be mid-change; it goes on). */
void shim_shared_lock(struct shim_shared *sh);
void shim_shared_unlock(struct shim_shared *sh);

#endif

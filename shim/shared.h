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
#include <mynet/socket.h>
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

#define SHIM_MAX_PROCS MYNET_MAX_PROCS

/* Sockets a process is to look at again (their events changed while
 * another process held the lock), in a ring; past its size, overflow
 * says "look at all of them". */
#define SHIM_PROC_QUEUE 256

/* A descriptor of the process that is a stack socket: kept in shared
 * memory so that the program exec() runs (same pid, or the child of a
 * posix_spawn) finds which of its inherited descriptors are which
 * sockets.  The eventfd's kernel id names it whatever number it has by
 * then (posix_spawn's file actions and vfork children move descriptors
 * with libc's own dup2, which the library never sees).  fd -1: empty,
 * -2: deleted. */
struct shim_fdrec {
  int32_t fd;
  uint32_t evid; /* the eventfd's id (shim_eventfd_id), 0 if unknown */
  mynet_sock *s;
};

struct shim_proc {
  int32_t pid;              /* 0: the slot is free */
  uint32_t bell;            /* its doorbell: a futex word (bell.h) */
  int32_t tap_fd;           /* its TAP descriptor, which survives exec */
  uint32_t fd_cap, fd_used; /* the table below: capacity, slots not empty */
  struct shim_fdrec *fds;
  uint64_t start_time; /* the process's start (/proc), so a reused pid is told apart */
  uint32_t q_head, q_tail;
  bool q_overflow;
  mynet_sock *q[SHIM_PROC_QUEUE];
};

struct shim_shared {
  uint64_t magic;
  mynet_plock lock;   /* the stack lock */
  uint32_t owner_uid; /* who created the stack */
  uint64_t id;        /* random, names the stack's rendezvous points */
  mynet_stack *st;
  /* Slots taken: what a driver reads on each wake-up to know whether it
   * is alone, rather than every slot's pid (a page each). */
  uint32_t nprocs;
  struct shim_proc procs[SHIM_MAX_PROCS];
};

/* A new region of bound bytes with the record at its root, mapped at
 * SHIM_REGION_ADDR; *memfd is its memfd (an internal descriptor).  0, or
 * a negative errno with a message in err. */
int shim_shared_create(uint64_t bound, struct shim_shared **out, int *memfd, char *err,
                       size_t errlen);

/* The region another image of this process (exec) or its parent (a
 * posix_spawn) created, from its memfd, mapped where it was made.  0,
 * -EINVAL (not a stack's), or the errno of mmap. */
int shim_shared_attach(int memfd, struct shim_shared **out);

/* Keeps fd (the memfd, the TAP) open across exec, so that the program
 * exec()ed takes up the stack; not where exec cannot share the region
 * (SHIM_REGION_ADDR NULL), which leaves it close-on-exec. */
void shim_shared_keep_across_exec(int fd);

/* The region, for the stack's params. */
mynet_region *shim_shared_region(void);

/* Under the lock: a free process slot for pid, or -EAGAIN when all are
 * taken; its queue emptied. */
int shim_shared_take_slot(struct shim_shared *sh, pid_t pid);
void shim_shared_free_slot(struct shim_shared *sh, int slot);
/* Under the lock: the process in slot has socket s at fd, an eventfd of
 * id evid (s NULL: no longer).  0, or -ENOMEM when the table cannot grow
 * (an exec'd program will then not find that socket). */
int shim_proc_fd_set(struct shim_shared *sh, int slot, int fd, uint32_t evid, mynet_sock *s);

/* Copy one process's table to another slot (fork). */
int shim_proc_fd_copy(struct shim_shared *sh, int from, int to);
/* Free a slot's table. */
void shim_proc_fd_clear_all(struct shim_shared *sh, int slot);

/* The kernel's id of the eventfd fd ("eventfd-id" in its fdinfo, Linux
 * 6.0 and later), which every descriptor of that eventfd shares; 0 when
 * the kernel does not say. */
uint32_t shim_eventfd_id(int fd);

/* Whether the process pid that started at start_time is still there. */
bool shim_proc_alive(pid_t pid, uint64_t start_time);
/* When pid started (in clock ticks since boot), 0 if it is gone or out of
 * reach. */
uint64_t shim_proc_start_time(pid_t pid);

/* The stack lock: a robust, process-shared mutex.  A process that died
 * holding it leaves it to the next taker, who makes it consistent and
 * says so in the log (the stack may be mid-change; it goes on). */
void shim_shared_lock(struct shim_shared *sh);
void shim_shared_unlock(struct shim_shared *sh);

#endif

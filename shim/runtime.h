/* The runtime: configuration, the stack and its lock, the driver thread,
 * the log and pcap hooks, and what happens at exit and fork. */
#ifndef SHIM_RUNTIME_H
#define SHIM_RUNTIME_H

#include <mynet/stack.h>
#include <stdbool.h>

/* Starts the stack on first use (configuration, TAP, driver thread).
 * Returns 0, or -EAFNOSUPPORT if the configuration or the device is bad
 * (reported once on stderr) or this is a forked child. */
int shim_start(void);

/* The stack once shim_start() has succeeded; NULL before, and in a forked
 * child.  Use it only under the stack lock. */
mynet_stack *shim_stack(void);

/* The stack lock.  shim_lock() also hands the stack the current time.
 * shim_unlock() runs what every call under the lock may have made due:
 * loopback traffic and expired timers are processed inline, the timerfd is
 * re-armed if the deadline moved, deferred socket notifications are
 * delivered.  It preserves errno. */
void shim_lock(void);
void shim_unlock(void);

/* True while this thread holds the stack lock: libc calls made by the
 * stack itself (ioctl on a helper socket, close of its TAP) come back
 * through our wrappers and must go straight to libc. */
bool shim_inside(void);

/* True in the child of a vfork() (or posix_spawn-like clone) made after
 * the stack started: it shares our memory with the parent, so it must not
 * change any of the shim's state.  Costs a getpid() system call. */
bool shim_in_vfork_child(void);

/* Starts a detached thread of the library with every signal blocked and
 * `stack` bytes of stack (or the default, if the program's static TLS does
 * not fit in that); 0 or -errno. */
int shim_start_thread(void *(*fn)(void *), void *arg, size_t stack);

/* Called by the exec family around the real exec (see runtime.c): a
 * vfork() child makes itself a holder of its parent's sockets; any other
 * process keeps its other threads out of the stack until the exec is
 * done, or has failed (shim_exec_failed lets them in again). */
void shim_exec_prepare(void);
void shim_exec_failed(void);

/* What the library's destructor does as the process exits: this process
 * lets go of the stack, and the last one delivers what remains first
 * (MYNET_LINGER).  For a process that must end with _exit() rather than
 * exit(): one forked inside the library's constructor, before libc has
 * registered the destructors' run, would skip it. */
void shim_exit_stack(void);

/* This process's slot in the stack's process table, -1 before the stack
 * runs; and the shared record (NULL before). */
int shim_my_slot(void);
struct shim_shared *shim_shared_rec(void);

/* CLOCK_MONOTONIC in microseconds: the stack's time. */
mynet_time shim_now(void);

/* Absolute deadline for a timeout in microseconds: 0 means none
 * (MYNET_TIME_NEVER), a negative value means already expired. */
mynet_time shim_deadline_after(mynet_time timeout);

/* "mynet: ..." to stderr or MYNET_LOG_FILE if level is enabled; the
 * arguments are formatted only then. */
void shim_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

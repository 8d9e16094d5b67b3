/* Doorbells: how one process tells another that sockets it watches (with
 * poll or epoll) changed while the first held the stack lock.  A bell is
 * a futex word in the process's slot of the shared table: ringing is an
 * increment and a FUTEX_WAKE, which even a process confined by a seccomp
 * sandbox may make (sshd's privilege-separated child can make little more
 * than read, write, poll and futex calls).  Each process has a thread that
 * sleeps on its own bell and passes the ring on to its driver thread
 * through a local eventfd. */
#ifndef SHIM_BELL_H
#define SHIM_BELL_H

#include "shared.h"

/* Ring the bell of the process in slot. */
void shim_bell_ring(struct shim_shared *sh, int slot);
/* Start this process's bell thread for slot: each ring becomes a write of
 * 1 to wakefd.  0 or a negative errno. */
int shim_bell_start(struct shim_shared *sh, int slot, int wakefd);

#endif

/* Doorbells: how one process tells another that sockets it watches (with
 * poll or epoll) changed while the first held the stack lock.  Each
 * process of a stack has an abstract AF_UNIX datagram socket named after
 * the stack and its slot; ringing is a one-byte datagram to that name,
 * which wakes the process's driver thread.  Abstract names live in the
 * network namespace, as the stack's TAP does. */
#ifndef SHIM_BELL_H
#define SHIM_BELL_H

#include <stdint.h>

/* This process's bell for (stack id, slot): an internal descriptor the
 * driver thread waits on, or a negative errno. */
int shim_bell_open(uint64_t id, int slot);
/* Ring another process's bell (never blocks; a full queue has rung). */
void shim_bell_ring(uint64_t id, int slot);
/* Empty the bell after it rang. */
void shim_bell_drain(int fd);

#endif

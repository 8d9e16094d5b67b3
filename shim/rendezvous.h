/* Finding the stack of a TAP: programs started separately on one TAP share
 * one stack, as the processes of one host share its kernel.
 *
 * A stack is named by its TAP in its network namespace (the namespace's
 * inode and the device's ifindex: parallel namespaces with a tap0 each
 * get a stack each).  Every process that made or joined the stack by name
 * listens on an abstract AF_UNIX name made of that key and its pid; a
 * newcomer finds one in /proc/net/unix, connects, and receives the
 * stack's memfd (SCM_RIGHTS) or a refusal.  Abstract names belong to the
 * network namespace, and vanish with their process: no stale files. */
#ifndef SHIM_RENDEZVOUS_H
#define SHIM_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

/* The key of TAP tap in this network namespace; -ENODEV if there is no
 * such device. */
int shim_rv_key(const char *tap, uint64_t *key);

/* Serialise finding and making the stack of key between programs that
 * start at once: a descriptor to give back to shim_rv_unlock. */
int shim_rv_lock(uint64_t key);
void shim_rv_unlock(int fd);

/* 1 and the stack's memfd in *memfd; 0 if no process serves the key;
 * -EACCES with the reason in err if the stack refused this process. */
int shim_rv_find(uint64_t key, int *memfd, char *err, size_t errlen);

/* This process's listener for key: an internal descriptor, non-blocking. */
int shim_rv_listen(uint64_t key);
/* Answer every newcomer waiting on lfd. */
void shim_rv_serve(int lfd, int memfd, uint32_t owner_uid, const char *tap);

#endif

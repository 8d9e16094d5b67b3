/* This process's wrapper (struct shim_sock) of each stack socket it holds:
 * the stack names the sockets it woke (mynet_stack_next_woken), and the
 * stack's memory, shared with other processes, cannot point to anything
 * of one process's.  Under the stack lock. */
#ifndef SHIM_SOCKMAP_H
#define SHIM_SOCKMAP_H

#include <mynet/socket.h>

struct shim_sock;

/* 0 or -ENOMEM. */
int shim_sockmap_put(const mynet_sock *s, struct shim_sock *ss);
void shim_sockmap_del(const mynet_sock *s);
struct shim_sock *shim_sockmap_get(const mynet_sock *s);

#endif

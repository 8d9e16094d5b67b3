/* Socket addresses handed back to the program, in the socket's family
 * (the stack converts; see mynet_sock_addr_out), with the kernel's
 * length rules. */
#ifndef SHIM_ADDR_H
#define SHIM_ADDR_H

#include <mynet/socket.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Copies at most *len bytes and sets *len to the full length, as the
 * kernel does (a short buffer truncates silently).  -EFAULT if addr or
 * len is NULL, -EINVAL if *len is negative as an int. */
int shim_addr_out(const mynet_sock *s, const struct sockaddr_in *in, struct sockaddr *addr,
                  socklen_t *len);

#endif

/* Socket addresses between the program's (struct sockaddr, socklen_t) and
 * the stack's struct sockaddr_in, with the kernel's length rules. */
#ifndef SHIM_ADDR_H
#define SHIM_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

/* An address the program passes in: -EFAULT if NULL, -EINVAL if len is
 * too short for an IPv4 address or longer than any address. */
int shim_addr_in(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out);

/* An address handed back: copies at most *len bytes and sets *len to the
 * full length, as the kernel does (a short buffer truncates silently).
 * -EFAULT if addr or len is NULL, -EINVAL if *len is negative as an int. */
int shim_addr_out(const struct sockaddr_in *in, struct sockaddr *addr, socklen_t *len);

#endif

/* The data path shared by the interposed data calls (calls_io.c) and the
 * ones built on it (sendfile, splice, the mmsg calls). */
#ifndef SHIM_IO_H
#define SHIM_IO_H

#include "sock.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Under the lock with a reference on ss: a send as send(2)/sendmsg(2)
 * makes it, blocking unless the socket or flags say otherwise (a
 * blocking stream send returns once everything is queued, or with the
 * part queued before a signal or timeout).  Bytes or a negative errno. */
ssize_t shim_send_locked(struct shim_sock *ss, const struct iovec *iov, int cnt,
                         const struct sockaddr *addr, socklen_t addrlen, int flags);

/* Under the lock with a reference on ss: a receive as recvmsg(2) makes
 * it.  from receives the source address where there is one (AF_UNSPEC
 * otherwise); *msg_flags gets MSG_TRUNC. */
ssize_t shim_recv_locked(struct shim_sock *ss, const struct iovec *iov, int cnt,
                         struct sockaddr_in *from, int flags, int *msg_flags);

/* After the lock is dropped: -1/errno for a negative result, raising
 * SIGPIPE for EPIPE unless flags has MSG_NOSIGNAL, as the kernel does. */
ssize_t shim_send_result(ssize_t r, int flags);

#endif

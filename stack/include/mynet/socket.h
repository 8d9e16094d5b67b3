/* The stack's socket API.
 *
 * Every call is non-blocking and returns a value >= 0 or a negative errno
 * (-EAGAIN where the kernel would block).  Blocking, timeouts, signals and
 * file descriptors are the caller's business: it waits for the events
 * mynet_sock_events() reports, and learns that they may have changed
 * through the notify callback.  Calls must be serialised with every other
 * call on the same stack (the shim holds the stack lock). */
#ifndef MYNET_SOCKET_H
#define MYNET_SOCKET_H

#include <mynet/stack.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mynet_sock mynet_sock;

/* Called with the stack lock held whenever the socket's events may have
 * changed.  It must not call back into the stack. */
typedef void (*mynet_notify_fn)(void *ctx, mynet_sock *s);

/* type: SOCK_DGRAM or SOCK_STREAM (flags such as SOCK_NONBLOCK are the
 * caller's); protocol 0 or the matching IPPROTO_. */
MYNET_API int mynet_socket(mynet_stack *st, int type, int protocol, mynet_sock **out);

/* Drop the application's reference.  A TCP socket lives on until its data
 * is delivered and its FIN exchange is over, as on the kernel. */
MYNET_API int mynet_close(mynet_sock *s);

MYNET_API int mynet_bind(mynet_sock *s, const struct sockaddr_in *addr);
/* TCP: -EINPROGRESS when the handshake has started, then -EALREADY while
 * it goes on, 0 once, then -EISCONN.  UDP: sets the default peer;
 * AF_UNSPEC dissolves the association. */
MYNET_API int mynet_connect(mynet_sock *s, const struct sockaddr *addr, socklen_t len);
MYNET_API int mynet_listen(mynet_sock *s, int backlog);
MYNET_API int mynet_accept(mynet_sock *s, mynet_sock **out, struct sockaddr_in *peer);

/* flags: MSG_PEEK, MSG_DONTWAIT (ignored: always non-blocking), MSG_TRUNC,
 * MSG_WAITALL (the caller loops), MSG_NOSIGNAL (the caller raises SIGPIPE
 * on -EPIPE otherwise), MSG_MORE.  *msg_flags receives MSG_TRUNC. */
MYNET_API ssize_t mynet_sendmsg(mynet_sock *s, const struct iovec *iov, int iovcnt,
                                const struct sockaddr_in *to, int flags);
MYNET_API ssize_t mynet_recvmsg(mynet_sock *s, const struct iovec *iov, int iovcnt,
                                struct sockaddr_in *from, int flags, int *msg_flags);

MYNET_API int mynet_shutdown(mynet_sock *s, int how);
MYNET_API int mynet_getsockname(mynet_sock *s, struct sockaddr_in *out);
MYNET_API int mynet_getpeername(mynet_sock *s, struct sockaddr_in *out);
MYNET_API int mynet_setsockopt(mynet_sock *s, int level, int name, const void *val, socklen_t len);
MYNET_API int mynet_getsockopt(mynet_sock *s, int level, int name, void *val, socklen_t *len);

/* Current poll(2) events: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP. */
MYNET_API unsigned mynet_sock_events(const mynet_sock *s);
MYNET_API void mynet_sock_set_notify(mynet_sock *s, mynet_notify_fn fn, void *ctx);
MYNET_API int mynet_sock_type(const mynet_sock *s);

/* The queue ioctls, answered as Linux's tcp_ioctl() and udp_ioctl() do;
 * *out receives the value and the call returns 0 or a negative errno:
 *   SIOCINQ (= FIONREAD)  TCP: bytes readable now; UDP: the payload size
 *                         of the next datagram (0 if none).
 *   SIOCOUTQ              TCP: bytes not yet acknowledged; UDP: bytes
 *                         queued for sending (always 0: datagrams go to
 *                         the device at once).
 *   SIOCOUTQNSD           TCP: bytes not yet sent.
 *   SIOCATMARK            TCP: 0 (urgent data is never stored, RFC 6093).
 * TCP listeners answer -EINVAL for the queue sizes, as Linux's; any other
 * request (and the TCP-only ones on UDP) -ENOTTY, Linux's errno for a
 * socket ioctl it does not know.  -EFAULT if out is NULL. */
MYNET_API int mynet_sock_ioctl(mynet_sock *s, unsigned long req, int *out);

/* Bytes readable now: mynet_sock_ioctl(s, SIOCINQ) as a return value
 * (negative errno on failure). */
MYNET_API int mynet_sock_pending(mynet_sock *s);

/* The caller's references: a socket is freed when the application has
 * closed it, no reference remains and the protocol is done with it. */
MYNET_API void mynet_sock_ref(mynet_sock *s);
MYNET_API void mynet_sock_unref(mynet_sock *s);

#ifdef __cplusplus
}
#endif
#endif

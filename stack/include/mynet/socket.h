/* The stack's socket API.
 *
 * Every call is non-blocking and returns a value >= 0 or a negative errno
 * (-EAGAIN where the kernel would block).  Blocking, timeouts, signals and
 * file descriptors are the caller's business: it waits for the events
 * mynet_sock_events() reports, and learns that they may have changed
 * from mynet_stack_next_woken().  Calls must be serialised with every other
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

/* type: SOCK_DGRAM or SOCK_STREAM (flags such as SOCK_NONBLOCK are the
 * caller's); protocol 0 or the matching IPPROTO_. */
MYNET_API int mynet_socket(mynet_stack *st, int type, int protocol, mynet_sock **out);
/* The same in a family: AF_INET, or AF_INET6 for a socket that carries
 * IPv4 through IPv4-mapped addresses (the stack has no native IPv6). */
MYNET_API int mynet_socket_in(mynet_stack *st, int domain, int type, int protocol,
                              mynet_sock **out);
MYNET_API int mynet_sock_family(const mynet_sock *s);

/* What an address from the program is for: its rules differ. */
enum mynet_addr_use { MYNET_ADDR_BIND, MYNET_ADDR_CONNECT, MYNET_ADDR_SEND };
/* An address the program passes (bind, connect, sendto), in the socket's
 * family and with the kernel's length and family rules, as the IPv4
 * address the calls below take (AF_UNSPEC kept for connect).  0 or a
 * negative errno. */
MYNET_API int mynet_sock_addr_in(const mynet_sock *s, enum mynet_addr_use use,
                                 const struct sockaddr *addr, socklen_t len,
                                 struct sockaddr_in *out);
/* An IPv4 address from the calls below as the program sees it in the
 * socket's family; returns its length. */
MYNET_API socklen_t mynet_sock_addr_out(const mynet_sock *s, const struct sockaddr_in *in,
                                        struct sockaddr_storage *out);
/* bind() with the program's address, in the socket's family. */
MYNET_API int mynet_bind_addr(mynet_sock *s, const struct sockaddr *addr, socklen_t len);

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
/* Sockets whose events may have changed since the driver last asked,
 * each once, in the order they were woken; NULL when there is none.  The
 * stack calls nobody back: the driver wakes the waiters of what it takes
 * here (after each hold of the lock). */
MYNET_API mynet_sock *mynet_stack_next_woken(mynet_stack *st);
/* A word that changes whenever the socket's events may have changed:
 * read it under the lock, then sleep on it (FUTEX_WAIT) without the lock;
 * whoever takes the socket from mynet_stack_next_woken wakes it. */
MYNET_API const uint32_t *mynet_sock_wake_word(const mynet_sock *s);

/* What the driver keeps about a socket in the stack's (shared) memory,
 * for the processes that share the stack: which of them hold the socket
 * (the open file the kernel would count), which watch it with poll or
 * epoll (to be told of changes), and how many threads, of any process,
 * sleep on its wake word.  Processes are numbered 0 to 255 by the
 * driver.  Zero in a new socket; the stack never reads it. */
#define MYNET_MAX_PROCS 256
struct mynet_sock_driver {
  uint64_t holders[MYNET_MAX_PROCS / 64];
  uint64_t watchers[MYNET_MAX_PROCS / 64];
  uint32_t sleep_in, sleep_out;
  uint32_t gen_seen; /* the input generation sleepers were last woken at */
  /* The open file's: O_NONBLOCK, SO_RCVTIMEO, SO_SNDTIMEO (0 none, < 0
   * expired), shared as the kernel's file status flags are by every
   * descriptor of the file in every process. */
  bool nonblock;
  mynet_time rcvtimeo, sndtimeo;
};
MYNET_API struct mynet_sock_driver *mynet_sock_driver(mynet_sock *s);
/* Have the socket's waiters look again (it is woken as the stack wakes
 * it when its events change): for the driver's own changes, such as a
 * process letting go of it. */
MYNET_API void mynet_sock_poke(mynet_sock *s);
/* Every socket of the stack, open or finishing: the one after prev
 * (NULL: the first), NULL at the end. */
MYNET_API mynet_sock *mynet_stack_next_sock(mynet_stack *st, mynet_sock *prev);
MYNET_API int mynet_sock_type(const mynet_sock *s);
/* Changes each time new input arrives (data, a datagram, a connection,
 * the end of the stream), even while earlier input is unread: the edges
 * of edge-triggered readiness. */
MYNET_API uint32_t mynet_sock_rx_gen(const mynet_sock *s);
/* Bytes a send would take now without blocking (0: it would block or
 * fail), for callers that must not take more from their source than the
 * socket can queue (a splice from a pipe). */
MYNET_API size_t mynet_sock_send_space(const mynet_sock *s);

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

/* SO_LINGER with a time: how long a close() waits for the connection's
 * data and FIN to be acknowledged (0: close does not wait). */
MYNET_API mynet_time mynet_sock_linger_time(const mynet_sock *s);
/* After mynet_close(): true while what was sent, FIN included, is not
 * yet acknowledged (the states Linux's sk_stream_wait_close waits in). */
MYNET_API bool mynet_sock_closing(const mynet_sock *s);

/* The caller's references: a socket is freed when the application has
 * closed it, no reference remains and the protocol is done with it. */
MYNET_API void mynet_sock_ref(mynet_sock *s);
MYNET_API void mynet_sock_unref(mynet_sock *s);

#ifdef __cplusplus
}
#endif
#endif

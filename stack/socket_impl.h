/* What every socket has, whatever its protocol, and the table of
 * protocol operations the socket API dispatches through. */
#ifndef MN_SOCKET_IMPL_H
#define MN_SOCKET_IMPL_H

#include "net/route.h"

#include <mynet/socket.h>
#include <stdbool.h>

struct mynet_sock;

struct mn_sock_ops {
  int (*bind)(struct mynet_sock *s, uint32_t addr, uint16_t port);
  int (*connect)(struct mynet_sock *s, const struct sockaddr *addr, socklen_t len);
  int (*listen)(struct mynet_sock *s, int backlog);
  int (*accept)(struct mynet_sock *s, struct mynet_sock **out);
  ssize_t (*sendmsg)(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                     const struct sockaddr_in *to, int flags);
  ssize_t (*recvmsg)(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                     struct sockaddr_in *from, int flags, int *msg_flags);
  int (*shutdown)(struct mynet_sock *s, int how);
  /* Protocol-level options; SOL_SOCKET ones the protocol must see too
   * (buffer sizes, keepalive) are passed after the common code. */
  int (*setsockopt)(struct mynet_sock *s, int level, int name, const void *val, socklen_t len);
  int (*getsockopt)(struct mynet_sock *s, int level, int name, void *val, socklen_t *len);
  unsigned (*events)(const struct mynet_sock *s);
  /* The queue ioctls (mynet_sock_ioctl); out is never NULL. */
  int (*ioctl)(struct mynet_sock *s, unsigned long req, int *out);
  /* The application closed it; the protocol drops its own reference when
   * it has finished (at once for UDP, after the FIN exchange for TCP). */
  void (*close)(struct mynet_sock *s);
  /* Free the protocol's part; the last reference is gone. */
  void (*destroy)(struct mynet_sock *s);
};

struct mynet_sock {
  struct mynet_stack *st;
  int type, proto;
  int refs;
  bool user_closed;
  /* Bumped whenever the socket's events may have changed: the word a
   * thread of any process sharing the stack waits on (a futex). */
  uint32_t wake_gen;
  struct mynet_sock_driver driver; /* the driver's, see mynet/socket.h */
  /* On the stack's list of sockets woken since the driver last looked. */
  bool woken;
  struct mynet_sock *woken_next, *woken_prev;
  /* Bumped whenever something new becomes readable (data, a datagram, a
   * connection to accept, the peer's FIN), even while earlier input is
   * still unread: edge-triggered waiters (EPOLLET) get an event for each,
   * as the kernel's sk_data_ready wakes them. */
  uint32_t rx_gen;
  struct mynet_sock *all_next, *all_prev; /* every socket of the stack */

  /* Addresses in host order; 0 = unset / wildcard. */
  uint32_t laddr, raddr;
  uint16_t lport, rport;

  int so_error; /* pending asynchronous error, as a positive errno */

  /* AF_INET6 sockets (socket_inet6.c) carry IPv4 as IPv4-mapped
   * addresses.  A v6-only socket bound to the IPv6 wildcard is detached:
   * it holds its port and may listen, but no IPv4 ever reaches it. */
  int family; /* AF_INET or AF_INET6 */
  bool v6only, v6_detached, detached_listening;
  uint16_t detached_port;
  int tclass, hop_limit;
  /* SOL_SOCKET and IP options (sockopt.c says what each one does). */
  bool reuseaddr, reuseport, broadcast, keepalive, debug, oobinline;
  struct mn_route_sel route; /* SO_BINDTODEVICE, SO_DONTROUTE */
  int rcvbuf, sndbuf;
  int linger_on, linger_sec;
  int rcvlowat;
  int priority;
  uint32_t mark;
  int busy_poll;
  uint64_t cookie; /* SO_COOKIE: given on first request, 0 until then */
  uint8_t tos, ttl;
};

/* A socket's operations, by its protocol.  The socket keeps only the
 * protocol number: sockets live in memory shared by processes where the
 * library (and so every function) sits at a different address, so shared
 * state holds no function pointers.  The tables are each process's own. */
extern const struct mn_sock_ops mn_tcp_sock_ops, mn_udp_sock_ops;
static inline const struct mn_sock_ops *mn_sock_ops_of(const struct mynet_sock *s)
{
  return s->proto == IPPROTO_TCP ? &mn_tcp_sock_ops : &mn_udp_sock_ops;
}

/* Common construction; the protocol allocates the containing struct. */
void mn_sock_init(struct mynet_sock *s, struct mynet_stack *st, int type, int proto);
/* The SOL_SOCKET and IP options a connection inherits from its listener,
 * as Linux's sk_clone_lock() copies them. */
void mn_sock_inherit(struct mynet_sock *child, const struct mynet_sock *parent);
/* Does a packet that arrived on interface in_if reach s (SO_BINDTODEVICE)? */
static inline bool mn_sock_if_ok(const struct mynet_sock *s, int in_if)
{
  return s->route.oif == MN_ROUTE_ANY_IF || s->route.oif == in_if;
}
/* May two sockets share a port as far as their devices go?  Linux lets
 * sockets bound to different devices share one. */
static inline bool mn_sock_if_apart(const struct mynet_sock *a, const struct mynet_sock *b)
{
  return a->route.oif != MN_ROUTE_ANY_IF && b->route.oif != MN_ROUTE_ANY_IF &&
         a->route.oif != b->route.oif;
}
/* Tell the owner that events may have changed. */
void mn_sock_wake(struct mynet_sock *s);
/* New input arrived (see rx_gen); wakes the owner. */
void mn_sock_data_ready(struct mynet_sock *s);
/* Record an asynchronous error (SO_ERROR) and wake. */
void mn_sock_set_error(struct mynet_sock *s, int err);
int mn_sock_take_error(struct mynet_sock *s);

/* An int option value in and out, with the kernel's length rules (in: at
 * least an int; out: min(len, sizeof(int)) bytes, and that length). */
int mn_sockopt_get_int(const void *val, socklen_t len, int *out);
int mn_sockopt_put_int(void *val, socklen_t *len, int v);
/* Any fixed-size value out, with the same rule. */
int mn_sockopt_put(void *val, socklen_t *len, const void *v, size_t size);

/* socket_inet6.c: an address from the program in the socket's family as
 * the IPv4 address the stack uses; *detached for the IPv6 wildcard of a
 * v6-only socket.  And the IPPROTO_IPV6 options. */
int mn_sock_addr_in(const struct mynet_sock *s, enum mynet_addr_use use,
                    const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out,
                    bool *detached);
int mn_inet6_setsockopt(struct mynet_sock *s, int name, const void *val, socklen_t len);
int mn_inet6_getsockopt(struct mynet_sock *s, int name, void *val, socklen_t *len);

/* Copy between iovecs and flat buffers; return bytes copied. */
size_t mn_iov_len(const struct iovec *iov, int iovcnt);
size_t mn_iov_gather(const struct iovec *iov, int iovcnt, size_t skip, uint8_t *dst, size_t n);
size_t mn_iov_scatter(const struct iovec *iov, int iovcnt, const uint8_t *src, size_t n);

/* Default buffer sizes, the kernel's defaults (net.core.rmem_default,
 * net.core.wmem_default). */
#define MN_SOCK_RCVBUF_DEFAULT 212992
#define MN_SOCK_SNDBUF_DEFAULT 212992
#define MN_SOCK_BUF_MAX (4 * 1024 * 1024)

#endif

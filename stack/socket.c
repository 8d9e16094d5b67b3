/* The socket API: argument checks and options common to every protocol,
 * then dispatch through the protocol's operations. */
#include "socket_impl.h"

#include "net/ipv4.h"
#include "stack_impl.h"
#include "transport/tcp.h"
#include "transport/udp.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/ip.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

void mn_sock_init(struct mynet_sock *s, struct mynet_stack *st, int type, int proto)
{
  memset(s, 0, sizeof(*s));
  s->st = st;
  s->type = type;
  s->proto = proto;
  s->refs = 1; /* the application's */
  s->rcvbuf = MN_SOCK_RCVBUF_DEFAULT;
  s->sndbuf = MN_SOCK_SNDBUF_DEFAULT;
  s->rcvlowat = 1;
  s->ttl = MN_IP_DEFAULT_TTL;
  s->family = AF_INET;
  s->hop_limit = -1;
  s->route.oif = MN_ROUTE_ANY_IF;
  s->all_next = st->all_socks;
  if (st->all_socks)
    st->all_socks->all_prev = s;
  st->all_socks = s;
}

void mn_sock_inherit(struct mynet_sock *child, const struct mynet_sock *parent)
{
  child->keepalive = parent->keepalive;
  child->debug = parent->debug;
  child->oobinline = parent->oobinline;
  child->route = parent->route;
  child->rcvbuf = parent->rcvbuf;
  child->sndbuf = parent->sndbuf;
  child->linger_on = parent->linger_on;
  child->linger_sec = parent->linger_sec;
  child->rcvlowat = parent->rcvlowat;
  child->priority = parent->priority;
  child->mark = parent->mark;
  child->busy_poll = parent->busy_poll;
  child->tos = parent->tos;
  child->ttl = parent->ttl;
}

void mn_sock_wake(struct mynet_sock *s)
{
  /* The stack calls nobody back (its state holds no function pointers,
   * and the waiter may be in another process): the socket goes on the
   * woken list, and whoever drives the stack wakes its waiters. */
  s->wake_gen++;
  if (s->woken)
    return;
  struct mynet_stack *st = s->st;
  s->woken = true;
  s->woken_next = NULL;
  s->woken_prev = st->woken_tail;
  if (st->woken_tail)
    st->woken_tail->woken_next = s;
  else
    st->woken_head = s;
  st->woken_tail = s;
}

void mn_sock_data_ready(struct mynet_sock *s)
{
  s->rx_gen++;
  mn_sock_wake(s);
}

void mn_sock_set_error(struct mynet_sock *s, int err)
{
  s->so_error = err;
  mn_sock_wake(s);
}

int mn_sock_take_error(struct mynet_sock *s)
{
  int e = s->so_error;
  s->so_error = 0;
  return e;
}

size_t mn_iov_len(const struct iovec *iov, int iovcnt)
{
  size_t n = 0;
  for (int i = 0; i < iovcnt; i++)
    n += iov[i].iov_len;
  return n;
}

size_t mn_iov_gather(const struct iovec *iov, int iovcnt, size_t skip, uint8_t *dst, size_t n)
{
  size_t done = 0;
  for (int i = 0; i < iovcnt && done < n; i++) {
    size_t l = iov[i].iov_len;
    if (skip >= l) {
      skip -= l;
      continue;
    }
    size_t take = l - skip < n - done ? l - skip : n - done;
    memcpy(dst + done, (const uint8_t *)iov[i].iov_base + skip, take);
    done += take;
    skip = 0;
  }
  return done;
}

size_t mn_iov_scatter(const struct iovec *iov, int iovcnt, const uint8_t *src, size_t n)
{
  size_t done = 0;
  for (int i = 0; i < iovcnt && done < n; i++) {
    size_t take = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
    if (take)
      memcpy(iov[i].iov_base, src + done, take);
    done += take;
  }
  return done;
}

int mynet_socket(mynet_stack *st, int type, int protocol, mynet_sock **out)
{
  switch (type) {
  case SOCK_DGRAM:
    if (protocol != 0 && protocol != IPPROTO_UDP)
      return -EPROTONOSUPPORT;
    return mn_udp_socket(st, out);
  case SOCK_STREAM:
    if (protocol != 0 && protocol != IPPROTO_TCP)
      return -EPROTONOSUPPORT;
    return mn_tcp_socket(st, out);
  default:
    return -ESOCKTNOSUPPORT;
  }
}

int mynet_socket_in(mynet_stack *st, int domain, int type, int protocol, mynet_sock **out)
{
  if (domain != AF_INET && domain != AF_INET6)
    return -EAFNOSUPPORT;
  int rc = mynet_socket(st, type, protocol, out);
  if (rc == 0)
    (*out)->family = domain;
  return rc;
}

int mynet_sock_family(const mynet_sock *s)
{
  return s->family;
}

static void unwoken(struct mynet_sock *s)
{
  struct mynet_stack *st = s->st;
  if (!s->woken)
    return;
  if (s->woken_prev)
    s->woken_prev->woken_next = s->woken_next;
  else
    st->woken_head = s->woken_next;
  if (s->woken_next)
    s->woken_next->woken_prev = s->woken_prev;
  else
    st->woken_tail = s->woken_prev;
  s->woken = false;
  s->woken_next = s->woken_prev = NULL;
}

void mynet_sock_ref(mynet_sock *s)
{
  s->refs++;
}

void mynet_sock_unref(mynet_sock *s)
{
  if (--s->refs > 0)
    return;
  unwoken(s);
  struct mynet_stack *st = s->st;
  if (s->all_prev)
    s->all_prev->all_next = s->all_next;
  else if (st->all_socks == s)
    st->all_socks = s->all_next;
  if (s->all_next)
    s->all_next->all_prev = s->all_prev;
  mn_sock_ops_of(s)->destroy(s);
}

int mynet_close(mynet_sock *s)
{
  if (s->user_closed)
    return -EBADF;
  s->user_closed = true;
  mn_sock_ops_of(s)->close(s);
  mynet_sock_unref(s);
  return 0;
}

static int check_sin(const struct sockaddr_in *a)
{
  if (!a)
    return -EFAULT;
  if (a->sin_family != AF_INET)
    return -EAFNOSUPPORT;
  return 0;
}

int mynet_bind(mynet_sock *s, const struct sockaddr_in *addr)
{
  /* Linux accepts AF_UNSPEC with INADDR_ANY, for old programs. */
  int rc = addr && addr->sin_family == AF_UNSPEC && addr->sin_addr.s_addr == htonl(INADDR_ANY)
               ? 0
               : check_sin(addr);
  if (rc < 0)
    return rc;
  if (s->user_closed)
    return -EBADF;
  if (s->lport)
    return -EINVAL; /* already bound, as the kernel answers */
  uint32_t a = ntohl(addr->sin_addr.s_addr);
  /* Binding needs an address of ours, the wildcard, or (for datagrams)
   * a broadcast address; the kernel answers EADDRNOTAVAIL otherwise. */
  if (a != INADDR_ANY && !mn_ipv4_is_local(s->st, a) &&
      !(s->type == SOCK_DGRAM && mn_ipv4_is_broadcast(s->st, a)))
    return -EADDRNOTAVAIL;
  return mn_sock_ops_of(s)->bind(s, a, ntohs(addr->sin_port));
}

int mynet_bind_addr(mynet_sock *s, const struct sockaddr *addr, socklen_t len)
{
  struct sockaddr_in sin;
  bool detached;
  int rc = mn_sock_addr_in(s, MYNET_ADDR_BIND, addr, len, &sin, &detached);
  if (rc < 0)
    return rc;
  if (!detached)
    return mynet_bind(s, &sin);
  if (s->user_closed)
    return -EBADF;
  if (s->lport || s->v6_detached)
    return -EINVAL;
  s->v6_detached = true;
  s->detached_port = ntohs(sin.sin_port);
  return 0;
}

int mynet_connect(mynet_sock *s, const struct sockaddr *addr, socklen_t len)
{
  if (!addr)
    return -EFAULT;
  if (s->family == AF_INET6) {
    struct sockaddr_in sin;
    bool detached;
    int rc = mn_sock_addr_in(s, MYNET_ADDR_CONNECT, addr, len, &sin, &detached);
    if (rc < 0)
      return rc;
    return mn_sock_ops_of(s)->connect(s, (const struct sockaddr *)&sin, sizeof(sin));
  }
  if (len < sizeof(sa_family_t))
    return -EINVAL;
  if (addr->sa_family != AF_UNSPEC && len < sizeof(struct sockaddr_in))
    return -EINVAL;
  return mn_sock_ops_of(s)->connect(s, addr, len);
}

int mynet_listen(mynet_sock *s, int backlog)
{
  if (!mn_sock_ops_of(s)->listen)
    return -EOPNOTSUPP;
  if (s->v6_detached) { /* listens where no IPv4 comes */
    s->detached_listening = true;
    return 0;
  }
  return mn_sock_ops_of(s)->listen(s, backlog);
}

int mynet_accept(mynet_sock *s, mynet_sock **out, struct sockaddr_in *peer)
{
  if (!mn_sock_ops_of(s)->accept)
    return -EOPNOTSUPP;
  if (s->detached_listening)
    return -EAGAIN;
  int rc = mn_sock_ops_of(s)->accept(s, out);
  if (rc == 0) { /* a child is of its listener's family */
    (*out)->family = s->family;
    (*out)->v6only = s->v6only;
  }
  if (rc == 0 && peer) {
    memset(peer, 0, sizeof(*peer));
    peer->sin_family = AF_INET;
    peer->sin_addr.s_addr = htonl((*out)->raddr);
    peer->sin_port = htons((*out)->rport);
  }
  return rc;
}

ssize_t mynet_sendmsg(mynet_sock *s, const struct iovec *iov, int iovcnt,
                      const struct sockaddr_in *to, int flags)
{
  if (iovcnt < 0 || (iovcnt > 0 && !iov))
    return -EINVAL;
  return mn_sock_ops_of(s)->sendmsg(s, iov, iovcnt, to, flags);
}

ssize_t mynet_recvmsg(mynet_sock *s, const struct iovec *iov, int iovcnt, struct sockaddr_in *from,
                      int flags, int *msg_flags)
{
  int dummy;
  if (!msg_flags)
    msg_flags = &dummy;
  *msg_flags = 0;
  if (iovcnt < 0 || (iovcnt > 0 && !iov))
    return -EINVAL;
  if (flags & MSG_OOB)
    return -EINVAL; /* no urgent data is ever stored (RFC 6093) */
  return mn_sock_ops_of(s)->recvmsg(s, iov, iovcnt, from, flags, msg_flags);
}

int mynet_shutdown(mynet_sock *s, int how)
{
  if (how < SHUT_RD || how > SHUT_RDWR)
    return -EINVAL;
  return mn_sock_ops_of(s)->shutdown(s, how);
}

static void fill_sin(struct sockaddr_in *out, uint32_t addr, uint16_t port)
{
  memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_addr.s_addr = htonl(addr);
  out->sin_port = htons(port);
}

int mynet_getsockname(mynet_sock *s, struct sockaddr_in *out)
{
  if (s->v6_detached) {
    fill_sin(out, INADDR_ANY, s->detached_port);
    return 0;
  }
  fill_sin(out, s->laddr, s->lport);
  return 0;
}

int mynet_getpeername(mynet_sock *s, struct sockaddr_in *out)
{
  if (!s->rport)
    return -ENOTCONN;
  fill_sin(out, s->raddr, s->rport);
  return 0;
}

unsigned mynet_sock_events(const mynet_sock *s)
{
  if (s->detached_listening)
    return 0;
  return mn_sock_ops_of(s)->events(s);
}

mynet_sock *mynet_stack_next_woken(mynet_stack *st)
{
  struct mynet_sock *s = st->woken_head;
  if (s)
    unwoken(s);
  return s;
}

const uint32_t *mynet_sock_wake_word(const mynet_sock *s)
{
  return &s->wake_gen;
}

struct mynet_sock_driver *mynet_sock_driver(mynet_sock *s)
{
  return &s->driver;
}

void mynet_sock_poke(mynet_sock *s)
{
  mn_sock_wake(s);
}

mynet_sock *mynet_stack_next_sock(mynet_stack *st, mynet_sock *prev)
{
  return prev ? prev->all_next : st->all_socks;
}

mynet_time mynet_sock_linger_time(const mynet_sock *s)
{
  if (s->type != SOCK_STREAM || !s->linger_on || s->linger_sec <= 0)
    return 0;
  return MYNET_SEC(s->linger_sec);
}

bool mynet_sock_closing(const mynet_sock *s)
{
  return s->type == SOCK_STREAM && mn_tcp_closing(s);
}

size_t mynet_sock_send_space(const mynet_sock *s)
{
  /* A datagram goes whole or not at all: the largest one UDP carries. */
  return s->type == SOCK_STREAM ? mn_tcp_send_space(s) : 65507;
}

uint32_t mynet_sock_rx_gen(const mynet_sock *s)
{
  return s->rx_gen;
}

int mynet_sock_type(const mynet_sock *s)
{
  return s->type;
}

int mynet_sock_ioctl(mynet_sock *s, unsigned long req, int *out)
{
  if (!out)
    return -EFAULT;
  return mn_sock_ops_of(s)->ioctl(s, req, out);
}

int mynet_sock_pending(mynet_sock *s)
{
  int n = 0;
  int rc = mynet_sock_ioctl(s, SIOCINQ, &n);
  return rc < 0 ? rc : n;
}

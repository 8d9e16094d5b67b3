/* UDP sockets: demultiplexing, bounded receive queues, send. */
#include "transport/udp.h"

#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ports.h"
#include "socket_impl.h"
#include "stack_impl.h"
#include "wire/icmp.h"
#include "wire/udp.h"

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

/* The largest payload an IPv4 datagram can carry. */
#define MN_UDP_MAX_PAYLOAD (65535 - MN_IPV4_HDR_LEN - MN_UDP_HDR_LEN)

struct mn_udp_sock {
  struct mynet_sock sk;
  struct mn_udp_sock *next; /* in st->udp.socks while bound */
  bool hashed;
  bool addr_locked, port_locked; /* chosen by bind(), not by connect() */
  bool connected;
  bool shut_rd, shut_wr;
  struct mn_pbuf_queue rxq;
  size_t rx_charge; /* memory the queue holds, measured like the kernel's truesize */
};

static struct mn_udp_sock *udp_of(struct mynet_sock *s)
{
  return (struct mn_udp_sock *)s;
}

/* What a queued datagram costs against SO_RCVBUF: its whole buffer, as
 * the kernel charges skb->truesize, so small datagrams cannot queue
 * without bound. */
static size_t charge(const struct mn_pbuf *p)
{
  return p->cap + sizeof(*p);
}

static void hash(struct mynet_stack *st, struct mn_udp_sock *u)
{
  if (u->hashed)
    return;
  u->next = st->udp.socks;
  st->udp.socks = u;
  u->hashed = true;
}

static void unhash(struct mynet_stack *st, struct mn_udp_sock *u)
{
  if (!u->hashed)
    return;
  for (struct mn_udp_sock **pp = &st->udp.socks; *pp; pp = &(*pp)->next) {
    if (*pp == u) {
      *pp = u->next;
      break;
    }
  }
  u->hashed = false;
}

struct port_probe {
  struct mynet_stack *st;
};

static bool port_in_use(void *ctx, uint16_t port)
{
  struct port_probe *pp = ctx;
  for (struct mn_udp_sock *u = pp->st->udp.socks; u; u = u->next)
    if (u->sk.lport == port)
      return true;
  return false;
}

/* Would binding s to (addr, port) clash with another socket?  Sharing is
 * allowed when both set SO_REUSEADDR or both set SO_REUSEPORT, as on the
 * kernel, or when the addresses differ and neither is the wildcard. */
static bool conflicts(struct mynet_stack *st, struct mn_udp_sock *self, uint32_t addr,
                      uint16_t port)
{
  for (struct mn_udp_sock *u = st->udp.socks; u; u = u->next) {
    if (u == self || u->sk.lport != port)
      continue;
    if ((u->sk.laddr && addr && u->sk.laddr != addr) || mn_sock_if_apart(&u->sk, &self->sk))
      continue;
    if ((u->sk.reuseaddr && self->sk.reuseaddr) || (u->sk.reuseport && self->sk.reuseport))
      continue;
    return true;
  }
  return false;
}

static int udp_bind(struct mynet_sock *s, uint32_t addr, uint16_t port)
{
  struct mn_udp_sock *u = udp_of(s);
  struct mynet_stack *st = s->st;
  if (port == 0) {
    struct port_probe pp = {st};
    port = mn_port_pick(st, port_in_use, &pp);
    if (!port)
      return -EADDRINUSE;
  } else {
    if (conflicts(st, u, addr, port))
      return -EADDRINUSE;
    u->port_locked = true;
  }
  if (addr)
    u->addr_locked = true;
  s->laddr = addr;
  s->lport = port;
  hash(st, u);
  return 0;
}

static int autobind(struct mynet_sock *s)
{
  return s->lport ? 0 : udp_bind(s, 0, 0);
}

/* A socket bound to 127/8 may only talk to this host: such a source never
 * appears on a wire (RFC 1122 3.2.1.3), and the kernel refuses the route
 * with EINVAL. */
static bool loopback_src_off_host(struct mynet_stack *st, uint32_t src, uint32_t dst)
{
  return (src >> 24) == 127 && !mn_ipv4_is_local(st, dst);
}

static int udp_connect(struct mynet_sock *s, const struct sockaddr *addr, socklen_t len)
{
  struct mn_udp_sock *u = udp_of(s);
  if (addr->sa_family == AF_UNSPEC) {
    /* Dissolve the association (connect(2)); a port the kernel chose
     * for connect() stays, an address it chose does not. */
    u->connected = false;
    s->raddr = 0;
    s->rport = 0;
    if (!u->addr_locked)
      s->laddr = 0;
    mn_sock_wake(s);
    return 0;
  }
  if (addr->sa_family != AF_INET)
    return -EAFNOSUPPORT;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
  uint32_t dst = ntohl(sin->sin_addr.s_addr);
  if (dst == INADDR_ANY)
    dst = mn_ip4(127, 0, 0, 1); /* the kernel treats 0.0.0.0 as "this host" */
  /* The route first, then the broadcast permission: Linux answers
   * ENETUNREACH before EACCES. */
  uint32_t src;
  int rc = mn_ipv4_route_info(s->st, dst, &s->route, &src, NULL);
  if (rc < 0)
    return rc;
  if (mn_ipv4_is_broadcast(s->st, dst) && !s->broadcast)
    return -EACCES;
  if (loopback_src_off_host(s->st, s->laddr, dst))
    return -EINVAL;
  rc = autobind(s);
  if (rc < 0)
    return rc;
  if (!s->laddr)
    s->laddr = src;
  s->raddr = dst;
  s->rport = ntohs(sin->sin_port);
  u->connected = true;
  s->so_error = 0;
  mn_sock_wake(s);
  return 0;
}

static ssize_t udp_sendmsg(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                           const struct sockaddr_in *to, int flags)
{
  struct mn_udp_sock *u = udp_of(s);
  struct mynet_stack *st = s->st;
  if (u->shut_wr)
    return -EPIPE;
  /* A pending ICMP error is reported by the next call, send or receive,
   * as the kernel's sock_error() does. */
  if (s->so_error)
    return -mn_sock_take_error(s);
  uint32_t dst;
  uint16_t dport;
  if (to) {
    if (to->sin_family != AF_INET)
      return to->sin_family == AF_UNSPEC && u->connected ? -EISCONN : -EAFNOSUPPORT;
    dst = ntohl(to->sin_addr.s_addr);
    dport = ntohs(to->sin_port);
    if (dst == INADDR_ANY)
      dst = mn_ip4(127, 0, 0, 1);
  } else {
    if (!u->connected)
      return -EDESTADDRREQ;
    dst = s->raddr;
    dport = s->rport;
  }
  if (dport == 0)
    return -EINVAL;
  size_t len = mn_iov_len(iov, iovcnt);
  if (len > MN_UDP_MAX_PAYLOAD)
    return -EMSGSIZE;
  /* MSG_DONTROUTE: this datagram alone as if SO_DONTROUTE were set. */
  struct mn_route_sel sel = s->route;
  if (flags & MSG_DONTROUTE)
    sel.onlink = true;
  uint32_t src;
  uint16_t mtu;
  int rc = mn_ipv4_route_info(st, dst, &sel, &src, &mtu);
  if (rc < 0)
    return rc;
  if (mn_ipv4_is_broadcast(st, dst) && !s->broadcast)
    return -EACCES;
  /* No fragmentation yet: a datagram must fit the route's MTU. */
  if (len + MN_UDP_HDR_LEN + MN_IPV4_HDR_LEN > mtu)
    return -EMSGSIZE;
  rc = autobind(s);
  if (rc < 0)
    return rc;
  if (s->laddr && !mn_ipv4_is_broadcast(st, s->laddr))
    src = s->laddr;
  if (loopback_src_off_host(st, src, dst))
    return -EINVAL;
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, MN_UDP_HDR_LEN + len);
  if (!p)
    return -ENOBUFS;
  mn_iov_gather(iov, iovcnt, 0, p->data + MN_UDP_HDR_LEN, len);
  struct mn_udp_hdr h = {.sport = s->lport, .dport = dport};
  mn_udp_emit(&h, p->data, len, src, dst);
  struct mn_ip_tx tx = {.sel = &sel,
                        .src = src,
                        .dst = dst,
                        .proto = MN_IPPROTO_UDP,
                        .ttl = s->ttl,
                        .tos = s->tos,
                        .df = false};
  st->ctr.udp_out_datagrams++;
  rc = mn_ipv4_output(st, p, &tx);
  /* A frame the device dropped is lost on the wire as far as the sender
   * knows; only routing failures are reported. */
  if (rc == -ENETUNREACH || rc == -EMSGSIZE)
    return rc;
  return (ssize_t)len;
}

static ssize_t udp_recvmsg(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                           struct sockaddr_in *from, int flags, int *msg_flags)
{
  struct mn_udp_sock *u = udp_of(s);
  if (s->so_error)
    return -mn_sock_take_error(s);
  struct mn_pbuf *p = u->rxq.head;
  if (!p)
    return u->shut_rd ? 0 : -EAGAIN;
  size_t n = mn_iov_scatter(iov, iovcnt, p->data, p->len);
  if (n < p->len)
    *msg_flags |= MSG_TRUNC;
  if (from) {
    memset(from, 0, sizeof(*from));
    from->sin_family = AF_INET;
    from->sin_addr.s_addr = htonl(p->src);
    from->sin_port = htons(p->sport);
  }
  ssize_t ret = (flags & MSG_TRUNC) ? (ssize_t)p->len : (ssize_t)n;
  if (!(flags & MSG_PEEK)) {
    mn_pbuf_queue_pop(&u->rxq);
    u->rx_charge -= charge(p);
    mn_pbuf_free(p);
    mn_sock_wake(s);
  }
  return ret;
}

static int udp_shutdown(struct mynet_sock *s, int how)
{
  struct mn_udp_sock *u = udp_of(s);
  /* As the kernel: the flags are set even on an unconnected socket (so
   * a thread blocked in recv wakes up), but the call reports ENOTCONN. */
  if (how == SHUT_RD || how == SHUT_RDWR)
    u->shut_rd = true;
  if (how == SHUT_WR || how == SHUT_RDWR)
    u->shut_wr = true;
  mn_sock_wake(s);
  return u->connected ? 0 : -ENOTCONN;
}

static unsigned udp_events(const struct mynet_sock *s)
{
  const struct mn_udp_sock *u = (const struct mn_udp_sock *)s;
  unsigned ev = POLLOUT | POLLWRNORM | POLLWRBAND; /* datagrams never wait for room */
  if (s->so_error)
    ev |= POLLERR;
  if (u->rxq.count)
    ev |= POLLIN | POLLRDNORM;
  if (u->shut_rd)
    ev |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (u->shut_rd && u->shut_wr)
    ev |= POLLHUP;
  return ev;
}

/* Linux's udp_ioctl(): SIOCINQ is the size of the next datagram, not of
 * the whole queue; SIOCOUTQ counts what still waits to be sent, and
 * nothing waits: a datagram goes to the device (or the neighbour queue,
 * which the socket no longer owns) during the call. */
static int udp_ioctl(struct mynet_sock *s, unsigned long req, int *out)
{
  const struct mn_udp_sock *u = udp_of(s);
  switch (req) {
  case SIOCINQ:
    *out = u->rxq.head ? (int)u->rxq.head->len : 0;
    return 0;
  case SIOCOUTQ:
    *out = 0;
    return 0;
  default:
    return -ENOTTY;
  }
}

static void udp_close(struct mynet_sock *s)
{
  unhash(s->st, udp_of(s));
}

static void udp_destroy(struct mynet_sock *s)
{
  struct mn_udp_sock *u = udp_of(s);
  unhash(s->st, u);
  mn_pbuf_queue_clear(&u->rxq);
  mn_mem_free(&s->st->mem, u);
}

const struct mn_sock_ops mn_udp_sock_ops = {
    .bind = udp_bind,
    .connect = udp_connect,
    .sendmsg = udp_sendmsg,
    .recvmsg = udp_recvmsg,
    .shutdown = udp_shutdown,
    .events = udp_events,
    .ioctl = udp_ioctl,
    .close = udp_close,
    .destroy = udp_destroy,
};

int mn_udp_socket(struct mynet_stack *st, struct mynet_sock **out)
{
  struct mn_udp_sock *u = mn_mem_zalloc(&st->mem, sizeof(*u));
  if (!u)
    return -ENOMEM;
  mn_sock_init(&u->sk, st, SOCK_DGRAM, IPPROTO_UDP);
  *out = &u->sk;
  return 0;
}

/* Queue a datagram on u; consumes p.  Returns false if it was dropped. */
static bool enqueue(struct mynet_stack *st, struct mn_udp_sock *u, struct mn_pbuf *p)
{
  if (u->shut_rd || u->rx_charge + charge(p) > (size_t)u->sk.rcvbuf) {
    st->ctr.udp_rcvbuf_errors++;
    mn_pbuf_free(p);
    return false;
  }
  u->rx_charge += charge(p);
  mn_pbuf_queue_push(&u->rxq, p);
  mn_sock_data_ready(&u->sk);
  return true;
}

static bool matches(const struct mn_udp_sock *u, const struct mn_pbuf *p, uint16_t dport,
                    bool bcast, int in_if)
{
  const struct mynet_sock *s = &u->sk;
  if (s->lport != dport || !mn_sock_if_ok(s, in_if))
    return false;
  if (s->laddr && s->laddr != p->dst && !(bcast && s->laddr == 0))
    return false;
  if (u->connected && (s->raddr != p->src || s->rport != p->sport))
    return false;
  return true;
}

void mn_udp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip)
{
  struct mn_udp_hdr h;
  if (mn_udp_parse(p->data, p->len, ip->src, ip->dst, &h) != MN_PARSE_OK) {
    st->ctr.udp_in_errors++;
    mn_pbuf_free(p);
    return;
  }
  bool bcast = mn_ipv4_is_broadcast(st, ip->dst);
  int in_if = mn_ipv4_in_iface(st, p);
  p->sport = h.sport;
  p->dport = h.dport;

  if (bcast) {
    /* A broadcast goes to every socket bound to the port. */
    bool delivered = false;
    for (struct mn_udp_sock *u = st->udp.socks; u; u = u->next) {
      if (!matches(u, p, h.dport, true, in_if))
        continue;
      struct mn_pbuf *c = mn_pbuf_clone(p);
      if (!c) {
        /* No buffer for this socket's copy: its datagram is lost, counted
         * as Linux counts a queueing failure. */
        st->ctr.udp_rcvbuf_errors++;
        continue;
      }
      mn_pbuf_pull(c, MN_UDP_HDR_LEN);
      mn_pbuf_trim(c, h.len - MN_UDP_HDR_LEN);
      delivered = enqueue(st, u, c) || delivered;
    }
    if (delivered)
      st->ctr.udp_in_datagrams++;
    else
      st->ctr.udp_no_ports++;
    mn_pbuf_free(p);
    return;
  }

  /* The most specific socket wins: connected over bound-to-address over
   * wildcard, then bound to the interface over not, as the kernel scores
   * them. */
  struct mn_udp_sock *best = NULL;
  int best_score = -1;
  for (struct mn_udp_sock *u = st->udp.socks; u; u = u->next) {
    if (!matches(u, p, h.dport, false, in_if))
      continue;
    int score = (u->connected ? 4 : 0) + (u->sk.laddr ? 2 : 0) +
                (u->sk.route.oif != MN_ROUTE_ANY_IF ? 1 : 0);
    if (score > best_score) {
      best = u;
      best_score = score;
    }
  }
  if (!best) {
    st->ctr.udp_no_ports++;
    /* RFC 1122 4.1.3.1: port unreachable for a datagram nobody takes. */
    /* The IP header is still in the headroom: quote it. */
    mn_pbuf_push(p, ip->hdr_len);
    mn_icmp_send_error(st, p, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, 0);
    mn_pbuf_free(p);
    return;
  }
  st->ctr.udp_in_datagrams++;
  mn_pbuf_pull(p, MN_UDP_HDR_LEN);
  mn_pbuf_trim(p, h.len - MN_UDP_HDR_LEN);
  enqueue(st, best, p);
}

void mn_udp_icmp_error(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport, int err)
{
  /* Only a connected socket hears about errors (no IP_RECVERR yet): an
   * unconnected one cannot tell which of its peers the error is about. */
  for (struct mn_udp_sock *u = st->udp.socks; u; u = u->next) {
    struct mynet_sock *s = &u->sk;
    if (s->lport == lport && u->connected && s->raddr == raddr && s->rport == rport &&
        (!s->laddr || s->laddr == laddr)) {
      mn_sock_set_error(s, err);
      return;
    }
  }
}

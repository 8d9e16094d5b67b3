/* Socket options common to every protocol (SOL_SOCKET and IPPROTO_IP),
 * then the protocol's own level through its operations.
 *
 * Every option is either honoured with Linux's semantics (value checks,
 * errnos, what getsockopt then reports), checked against the kernel, or
 * refused with the errno Linux gives for that case: ENOPROTOOPT for an
 * option the stack does not implement, whether Linux knows it or not, so
 * a program learns that it is not in effect.  Linux's privilege checks
 * (CAP_NET_ADMIN for SO_PRIORITY above 6, SO_MARK, SO_DEBUG) are not
 * made: the stack knows nothing of privileges and answers as Linux
 * answers root. */
#include "socket_impl.h"

#include "dev/device.h"
#include "net/iface.h"
#include "net/ipv4.h"
#include "stack_impl.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <string.h>

int mn_sockopt_get_int(const void *val, socklen_t len, int *out)
{
  if (!val)
    return -EFAULT;
  if (len < sizeof(int))
    return -EINVAL;
  memcpy(out, val, sizeof(int));
  return 0;
}

int mn_sockopt_put_int(void *val, socklen_t *len, int v)
{
  return mn_sockopt_put(val, len, &v, sizeof(v));
}

int mn_sockopt_put(void *val, socklen_t *len, const void *v, size_t size)
{
  if (!len)
    return -EFAULT;
  /* The kernel copies min(len, size) bytes and reports that. */
  socklen_t n = *len < size ? *len : (socklen_t)size;
  if (n && !val)
    return -EFAULT;
  if (n)
    memcpy(val, v, n);
  *len = n;
  return 0;
}

/* ---- SOL_SOCKET ---- */

/* Buffer sizes: the kernel doubles the request to allow for bookkeeping
 * and enforces a floor, and getsockopt reports the doubled value.  A
 * negative request is a huge one (Linux compares it unsigned) except for
 * the FORCE variants; the stack bounds both by MN_SOCK_BUF_MAX, where
 * Linux lets SO_*BUFFORCE exceed net.core.rmem_max. */
static int buf_size(int v, int floor, bool force)
{
  if (v < 0)
    v = force ? 0 : MN_SOCK_BUF_MAX / 2;
  if (v > MN_SOCK_BUF_MAX / 2)
    v = MN_SOCK_BUF_MAX / 2;
  v *= 2;
  return v < floor ? floor : v;
}

static int set_linger(struct mynet_sock *s, const void *val, socklen_t len)
{
  struct linger l;
  if (!val)
    return -EFAULT;
  if (len < sizeof(l))
    return -EINVAL;
  memcpy(&l, val, sizeof(l));
  /* Switching lingering off keeps the old time, as on Linux. */
  s->linger_on = l.l_onoff != 0;
  if (l.l_onoff)
    s->linger_sec = l.l_linger;
  return 0;
}

/* SO_BINDTODEVICE: the stack's interfaces by their device names (the
 * TAP's, "lo"); "" unbinds.  Linux reads at most IFNAMSIZ - 1 bytes and
 * stops at a NUL. */
static int bind_to_device(struct mynet_sock *s, const void *val, socklen_t len)
{
  char name[IFNAMSIZ] = {0};
  if ((int)len < 0)
    return -EINVAL;
  if (len > IFNAMSIZ - 1)
    len = IFNAMSIZ - 1;
  if (len && !val)
    return -EFAULT;
  if (len)
    memcpy(name, val, len);
  if (!name[0]) {
    s->route.oif = MN_ROUTE_ANY_IF;
    return 0;
  }
  for (int i = 0; i < s->st->n_ifaces; i++) {
    if (strcmp(s->st->ifaces[i].name, name) == 0) {
      s->route.oif = i;
      return 0;
    }
  }
  return -ENODEV;
}

/* The options a protocol acts on as well (buffers, keepalive) go on to
 * it once the common part has stored them. */
static int tell_protocol(struct mynet_sock *s, int name, const void *val, socklen_t len)
{
  return mn_sock_ops_of(s)->setsockopt
             ? mn_sock_ops_of(s)->setsockopt(s, SOL_SOCKET, name, val, len)
             : 0;
}

static int socket_set(struct mynet_sock *s, int name, const void *val, socklen_t len)
{
  if (name == SO_BINDTODEVICE)
    return bind_to_device(s, val, len);
  if (name == SO_LINGER)
    return set_linger(s, val, len);
  int v;
  int rc = mn_sockopt_get_int(val, len, &v); /* Linux checks the length first, for all */
  if (rc < 0)
    return rc;
  switch (name) {
  case SO_DEBUG:
    /* Linux's SOCK_DBG changes nothing in TCP or UDP either. */
    s->debug = v != 0;
    return 0;
  case SO_REUSEADDR:
    s->reuseaddr = v != 0;
    return 0;
  case SO_REUSEPORT:
    s->reuseport = v != 0;
    return 0;
  case SO_BROADCAST:
    s->broadcast = v != 0;
    return 0;
  case SO_DONTROUTE:
    s->route.onlink = v != 0;
    return 0;
  case SO_KEEPALIVE:
    s->keepalive = v != 0;
    return tell_protocol(s, name, val, len);
  case SO_OOBINLINE:
    /* Urgent data is never taken out of the stream (RFC 6093): it always
     * reads inline, which is what this flag asks for. */
    s->oobinline = v != 0;
    return 0;
  case SO_RCVBUF:
  case SO_RCVBUFFORCE:
    s->rcvbuf = buf_size(v, 2304, name == SO_RCVBUFFORCE);
    return tell_protocol(s, name, val, len);
  case SO_SNDBUF:
  case SO_SNDBUFFORCE:
    s->sndbuf = buf_size(v, 4608, name == SO_SNDBUFFORCE);
    return tell_protocol(s, name, val, len);
  case SO_RCVLOWAT:
    if (v < 0)
      v = INT_MAX;
    /* TCP's receive buffer never grows, so as Linux does for a buffer
     * whose size the application fixed, the mark is at most half of it:
     * more could never be readable. */
    if (s->type == SOCK_STREAM && v > s->rcvbuf / 2)
      v = s->rcvbuf / 2;
    s->rcvlowat = v ? v : 1;
    mn_sock_wake(s);
    return 0;
  case SO_PRIORITY:
    /* Kept and inherited; it would pick a queue in Linux's qdisc, and a
     * TAP written from user space has none.  IP_TOS sets it too. */
    s->priority = v;
    return 0;
  case SO_MARK:
    /* Kept and reported: only policy routing or a firewall reads a mark,
     * and the stack (like Linux's default setup) has neither. */
    s->mark = (uint32_t)v;
    return 0;
  case SO_BUSY_POLL:
    /* A latency hint: Linux spins on a device queue when one supports it.
     * Waits are the caller's here; the value is kept and reported. */
    if (v < 0)
      return -EINVAL;
    s->busy_poll = v;
    return 0;
  case SO_BSDCOMPAT:
    return 0; /* Linux accepts and ignores it too */
  case SO_ZEROCOPY:
    /* Data is always copied into the stack's buffers; MSG_ZEROCOPY
     * without this option is a plain send, as on Linux. */
    return -EOPNOTSUPP;
  case SO_PASSCRED:
  case SO_PASSSEC:
    return -EOPNOTSUPP; /* Linux 6.16+: for AF_UNIX and netlink only */
  default:
    return -ENOPROTOOPT;
  }
}

static int get_bound_device(const struct mynet_sock *s, void *val, socklen_t *len)
{
  if (s->route.oif == MN_ROUTE_ANY_IF) {
    *len = 0;
    return 0;
  }
  if (*len < IFNAMSIZ)
    return -EINVAL;
  const char *name = s->st->ifaces[s->route.oif].name;
  return mn_sockopt_put(val, len, name, strlen(name) + 1);
}

static int get_peername(const struct mynet_sock *s, void *val, socklen_t *len)
{
  if (!s->rport)
    return -ENOTCONN;
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(s->raddr);
  a.sin_port = htons(s->rport);
  if (*len > sizeof(a))
    return -EINVAL; /* Linux refuses more room than the address needs */
  return mn_sockopt_put(val, len, &a, sizeof(a));
}

static int socket_get(struct mynet_sock *s, int name, void *val, socklen_t *len)
{
  switch (name) {
  case SO_TYPE:
    return mn_sockopt_put_int(val, len, s->type);
  case SO_PROTOCOL:
    return mn_sockopt_put_int(val, len, s->proto);
  case SO_DOMAIN:
    return mn_sockopt_put_int(val, len, s->family);
  case SO_ERROR:
    return mn_sockopt_put_int(val, len, mn_sock_take_error(s));
  case SO_ACCEPTCONN:
    if (s->detached_listening)
      return mn_sockopt_put_int(val, len, 1);
    /* Only a protocol that listens knows; a datagram socket never does. */
    if (mn_sock_ops_of(s)->getsockopt)
      return mn_sock_ops_of(s)->getsockopt(s, SOL_SOCKET, name, val, len);
    return mn_sockopt_put_int(val, len, 0);
  case SO_DEBUG:
    return mn_sockopt_put_int(val, len, s->debug);
  case SO_REUSEADDR:
    return mn_sockopt_put_int(val, len, s->reuseaddr);
  case SO_REUSEPORT:
    return mn_sockopt_put_int(val, len, s->reuseport);
  case SO_BROADCAST:
    return mn_sockopt_put_int(val, len, s->broadcast);
  case SO_KEEPALIVE:
    return mn_sockopt_put_int(val, len, s->keepalive);
  case SO_DONTROUTE:
    return mn_sockopt_put_int(val, len, s->route.onlink);
  case SO_OOBINLINE:
    return mn_sockopt_put_int(val, len, s->oobinline);
  case SO_RCVBUF:
    return mn_sockopt_put_int(val, len, s->rcvbuf);
  case SO_SNDBUF:
    return mn_sockopt_put_int(val, len, s->sndbuf);
  case SO_RCVLOWAT:
    return mn_sockopt_put_int(val, len, s->rcvlowat);
  case SO_SNDLOWAT:
    return mn_sockopt_put_int(val, len, 1); /* fixed on Linux */
  case SO_PRIORITY:
    return mn_sockopt_put_int(val, len, s->priority);
  case SO_MARK:
    return mn_sockopt_put_int(val, len, (int)s->mark);
  case SO_BUSY_POLL:
    return mn_sockopt_put_int(val, len, s->busy_poll);
  case SO_BSDCOMPAT:
  case SO_ZEROCOPY:
    return mn_sockopt_put_int(val, len, 0);
  case SO_LINGER: {
    struct linger l = {.l_onoff = s->linger_on, .l_linger = s->linger_sec};
    return mn_sockopt_put(val, len, &l, sizeof(l));
  }
  case SO_BINDTODEVICE:
    return get_bound_device(s, val, len);
  case SO_PEERNAME:
    return get_peername(s, val, len);
  case SO_PEERCRED: {
    /* What Linux reports for an inet socket: no peer process. */
    struct ucred c = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
    return mn_sockopt_put(val, len, &c, sizeof(c));
  }
  case SO_COOKIE:
    /* Unique per socket for the stack's lifetime, given on first use. */
    if (*len < sizeof(uint64_t))
      return -EINVAL;
    if (!s->cookie)
      s->cookie = ++s->st->cookies;
    return mn_sockopt_put(val, len, &s->cookie, sizeof(s->cookie));
  case SO_PASSCRED:
  case SO_PASSSEC:
    return -EOPNOTSUPP;
  default:
    return -ENOPROTOOPT;
  }
}

/* ---- IPPROTO_IP ---- */

/* Linux's IP-level integers may also be a single byte
 * (do_ip_setsockopt): an int when there is room for one, else a byte,
 * else 0. */
static int ip_get_int(const void *val, socklen_t len, int *out)
{
  *out = 0;
  if (len >= sizeof(int))
    return mn_sockopt_get_int(val, len, out);
  if (len >= 1) {
    if (!val)
      return -EFAULT;
    *out = *(const uint8_t *)val;
  }
  return 0;
}

/* And are reported as a byte to a caller with less room than an int
 * (do_ip_getsockopt). */
static int ip_put_int(void *val, socklen_t *len, int v)
{
  if (*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
    uint8_t b = (uint8_t)v;
    return mn_sockopt_put(val, len, &b, 1);
  }
  return mn_sockopt_put_int(val, len, v);
}

/* Linux's rt_tos2priority(): the TOS bits pick one of pfifo_fast's
 * priorities, two bits at a time. */
static int tos_priority(uint8_t tos)
{
  static const uint8_t prio[4] = {0 /* best effort */, 2 /* bulk */, 6 /* interactive */,
                                  4 /* interactive bulk */};
  return prio[(tos >> 3) & 3];
}

static int set_tos(struct mynet_sock *s, int v)
{
  uint8_t tos = (uint8_t)v;
  /* TCP keeps the two ECN bits for itself (RFC 3168 6.1.1); the stack
   * sends no ECN, so they stay clear, as Linux's are on a non-ECN
   * connection. */
  if (s->type == SOCK_STREAM)
    tos &= (uint8_t)~IPTOS_ECN_MASK;
  if (tos != s->tos) {
    s->tos = tos;
    s->priority = tos_priority(tos);
  }
  return 0;
}

static int ip_set(struct mynet_sock *s, int name, const void *val, socklen_t len)
{
  int v, rc;
  switch (name) {
  case IP_TOS:
    rc = ip_get_int(val, len, &v);
    return rc < 0 ? rc : set_tos(s, v);
  case IP_TTL:
    if (len < 1)
      return -EINVAL;
    rc = ip_get_int(val, len, &v);
    if (rc < 0)
      return rc;
    if (v == -1)
      v = MN_IP_DEFAULT_TTL;
    if (v < 1 || v > 255)
      return -EINVAL;
    s->ttl = (uint8_t)v;
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

static int ip_get(struct mynet_sock *s, int name, void *val, socklen_t *len)
{
  switch (name) {
  case IP_TOS:
    return ip_put_int(val, len, s->tos);
  case IP_TTL:
    return ip_put_int(val, len, s->ttl);
  case IP_MTU: {
    /* The path MTU of a connected socket (no discovery: the route's). */
    uint16_t mtu;
    if (!s->rport || mn_ipv4_route_info(s->st, s->raddr, &s->route, NULL, &mtu) < 0)
      return -ENOTCONN;
    return ip_put_int(val, len, mtu);
  }
  default:
    return -ENOPROTOOPT;
  }
}

/* ---- dispatch ---- */

int mynet_setsockopt(mynet_sock *s, int level, int name, const void *val, socklen_t len)
{
  if (level == IPPROTO_IPV6)
    return s->family == AF_INET6 ? mn_inet6_setsockopt(s, name, val, len) : -ENOPROTOOPT;
  if (level == SOL_SOCKET)
    return socket_set(s, name, val, len);
  if (level == IPPROTO_IP)
    return ip_set(s, name, val, len);
  if (level == s->proto && mn_sock_ops_of(s)->setsockopt)
    return mn_sock_ops_of(s)->setsockopt(s, level, name, val, len);
  return -ENOPROTOOPT;
}

int mynet_getsockopt(mynet_sock *s, int level, int name, void *val, socklen_t *len)
{
  if (!len)
    return -EFAULT;
  if ((int)*len < 0)
    return -EINVAL;
  if (level == IPPROTO_IPV6 && s->family == AF_INET6)
    return mn_inet6_getsockopt(s, name, val, len);
  if (level == SOL_SOCKET)
    return socket_get(s, name, val, len);
  if (level == IPPROTO_IP)
    return ip_get(s, name, val, len);
  if (level == s->proto)
    return mn_sock_ops_of(s)->getsockopt ? mn_sock_ops_of(s)->getsockopt(s, level, name, val, len)
                                         : -ENOPROTOOPT;
  /* Linux hands any other level to ip_getsockopt(), which answers
   * EOPNOTSUPP (so TCP_INFO on a UDP socket fails that way). */
  return -EOPNOTSUPP;
}

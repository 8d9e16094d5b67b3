/* Socket addresses in the socket's family: AF_INET sockets take and give
 * struct sockaddr_in; AF_INET6 sockets struct sockaddr_in6, carrying
 * IPv4 as IPv4-mapped addresses (::ffff:a.b.c.d, RFC 4291 2.5.5.2) as
 * Linux's dual-stack sockets do while IPV6_V6ONLY is off.  The stack has
 * no IPv6 of its own: a native IPv6 destination has no route
 * (ENETUNREACH) and no native IPv6 address is ours (EADDRNOTAVAIL), as on
 * a kernel host without IPv6 addresses or routes.  The length and family
 * checks are the kernel's (inet_bind, inet6_bind, tcp_v6_connect,
 * ip6_datagram_connect, udpv6_sendmsg). */
#include "socket_impl.h"

#include <errno.h>
#include <string.h>

/* The kernel's SIN6_LEN_RFC2133: the shortest sockaddr_in6 it accepts
 * (without sin6_scope_id). */
#define SIN6_LEN_MIN 24

static bool is_mapped(const struct in6_addr *a)
{
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a->s6_addr, prefix, sizeof prefix) == 0;
}

static bool is_any(const struct in6_addr *a)
{
  static const struct in6_addr any = IN6ADDR_ANY_INIT;
  return memcmp(a, &any, sizeof any) == 0;
}

static void set_sin(struct sockaddr_in *out, uint32_t addr_be, uint16_t port_be)
{
  memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_addr.s_addr = addr_be;
  out->sin_port = port_be;
}

static int in4(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out)
{
  if (len < sizeof(*out))
    return -EINVAL;
  memcpy(out, addr, sizeof(*out));
  return 0;
}

/* A sockaddr_in6 for an AF_INET6 socket.  On success *detached tells a
 * bind to the IPv6 wildcard of a v6-only socket, which no IPv4 reaches. */
static int in6(const struct mynet_sock *s, enum mynet_addr_use use, const struct sockaddr *addr,
               socklen_t len, struct sockaddr_in *out, bool *detached)
{
  /* AF_UNSPEC disconnects (inet_stream_connect, ip6_datagram_connect)
   * before any length rule for IPv6 applies. */
  if (use == MYNET_ADDR_CONNECT && len >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC) {
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_UNSPEC;
    return 0;
  }
  /* A datagram socket also takes plain IPv4 addresses (connect, sendto)
   * unless it is v6-only. */
  if (use != MYNET_ADDR_BIND && s->type == SOCK_DGRAM && len >= sizeof(sa_family_t) &&
      addr->sa_family == AF_INET) {
    if (s->v6only)
      return use == MYNET_ADDR_CONNECT ? -EAFNOSUPPORT : -ENETUNREACH;
    return in4(addr, len, out);
  }
  if (len < SIN6_LEN_MIN)
    return -EINVAL;
  const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
  if (a->sin6_family != AF_INET6)
    return -EAFNOSUPPORT;
  if (is_mapped(&a->sin6_addr)) {
    if (s->v6only)
      return use == MYNET_ADDR_BIND ? -EINVAL : -ENETUNREACH;
    uint32_t v4;
    memcpy(&v4, a->sin6_addr.s6_addr + 12, sizeof(v4));
    set_sin(out, v4, a->sin6_port);
    return 0;
  }
  if (use != MYNET_ADDR_BIND)
    return -ENETUNREACH; /* native IPv6, :: (the kernel's ::1) included */
  if (!is_any(&a->sin6_addr))
    return -EADDRNOTAVAIL;
  set_sin(out, htonl(INADDR_ANY), a->sin6_port);
  *detached = s->v6only;
  return 0;
}

int mn_sock_addr_in(const struct mynet_sock *s, enum mynet_addr_use use,
                    const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out,
                    bool *detached)
{
  *detached = false;
  if (len > sizeof(struct sockaddr_storage))
    return -EINVAL;
  if (!addr)
    return -EFAULT;
  if (s->family == AF_INET6)
    return in6(s, use, addr, len, out, detached);
  /* connect() with AF_UNSPEC is shorter than a sockaddr_in. */
  if (use == MYNET_ADDR_CONNECT && len >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC) {
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_UNSPEC;
    return 0;
  }
  return in4(addr, len, out);
}

int mynet_sock_addr_in(const mynet_sock *s, enum mynet_addr_use use, const struct sockaddr *addr,
                       socklen_t len, struct sockaddr_in *out)
{
  bool detached;
  return mn_sock_addr_in(s, use, addr, len, out, &detached);
}

socklen_t mynet_sock_addr_out(const mynet_sock *s, const struct sockaddr_in *in,
                              struct sockaddr_storage *out)
{
  memset(out, 0, sizeof(*out));
  if (s->family != AF_INET6) {
    memcpy(out, in, sizeof(*in));
    return sizeof(*in);
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
  a->sin6_family = AF_INET6;
  a->sin6_port = in->sin_port;
  /* The wildcard stays ::, as the kernel reports a socket bound to [::]. */
  if (in->sin_addr.s_addr != htonl(INADDR_ANY)) {
    a->sin6_addr.s6_addr[10] = 0xff;
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(a->sin6_addr.s6_addr + 12, &in->sin_addr.s_addr, 4);
  }
  return sizeof(*a);
}

/* IPPROTO_IPV6 options of an AF_INET6 socket.  The stack sends IPv4
 * only, and Linux takes the TOS and TTL of IPv4-mapped traffic from
 * IP_TOS and IP_TTL, so IPV6_TCLASS and IPV6_UNICAST_HOPS are kept and
 * reported without effect on the wire, as on Linux for such traffic. */
int mn_inet6_setsockopt(struct mynet_sock *s, int name, const void *val, socklen_t len)
{
  int v;
  int rc = mn_sockopt_get_int(val, len, &v);
  if (rc < 0)
    return rc;
  switch (name) {
  case IPV6_V6ONLY:
    /* Fixed once bound (inet6 checks inet_num). */
    if (s->lport || s->v6_detached)
      return -EINVAL;
    s->v6only = v != 0;
    return 0;
  case IPV6_TCLASS:
    if (v < -1 || v > 0xff)
      return -EINVAL;
    s->tclass = v < 0 ? 0 : v;
    return 0;
  case IPV6_UNICAST_HOPS:
    if (v < -1 || v > 0xff)
      return -EINVAL;
    s->hop_limit = v;
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

int mn_inet6_getsockopt(struct mynet_sock *s, int name, void *val, socklen_t *len)
{
  switch (name) {
  case IPV6_V6ONLY:
    return mn_sockopt_put_int(val, len, s->v6only);
  case IPV6_TCLASS:
    return mn_sockopt_put_int(val, len, s->tclass);
  case IPV6_UNICAST_HOPS:
    /* -1 means the route's default, which Linux reports: 64. */
    return mn_sockopt_put_int(val, len, s->hop_limit < 0 ? 64 : s->hop_limit);
  default:
    return -ENOPROTOOPT;
  }
}

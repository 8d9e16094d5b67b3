/* IPv4 input and output (RFC 791, RFC 1122 host requirements). */
#ifndef MN_NET_IPV4_H
#define MN_NET_IPV4_H

#include "core/pbuf.h"
#include "wire/ipv4.h"
#include <stdbool.h>

struct mynet_stack;
struct mn_iface;

#define MN_IP_DEFAULT_TTL 64

struct mn_route_sel;

struct mn_ip_tx {
  const struct mn_route_sel *sel; /* the socket's route restrictions; NULL: none */
  uint32_t src;                   /* 0: the source the route chooses */
  uint32_t dst;
  uint8_t proto;
  uint8_t ttl;
  uint8_t tos;
  bool df;
};

void mn_ipv4_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p);
/* Prepend an IPv4 header to the transport message at p->data, route and
 * send it; consumes p.  -ENETUNREACH without a route, -EMSGSIZE if larger
 * than the MTU (no fragmentation yet). */
int mn_ipv4_output(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ip_tx *tx);
/* The interface a received packet counts as arriving on, for sockets
 * bound to one: its own, except that our traffic to ourselves, which
 * travels through the loopback device, arrives on the interface of the
 * address it was sent to (Linux's inet_iif() for local traffic). */
int mn_ipv4_in_iface(struct mynet_stack *st, const struct mn_pbuf *p);
/* Is addr one of ours (an interface address, or 127/8)? */
bool mn_ipv4_is_local(struct mynet_stack *st, uint32_t addr);
/* A broadcast address we accept: limited or a subnet's directed one. */
bool mn_ipv4_is_broadcast(struct mynet_stack *st, uint32_t addr);
/* The source address and MTU the route to dst would use (sel: the
 * socket's restrictions, NULL for none). */
int mn_ipv4_route_info(struct mynet_stack *st, uint32_t dst, const struct mn_route_sel *sel,
                       uint32_t *src, uint16_t *mtu);

#endif

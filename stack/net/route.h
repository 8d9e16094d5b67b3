/* The routing table: longest-prefix match over connected subnets, static
 * routes and a default gateway.  We are a host (RFC 1122): the table picks
 * the interface and next hop for what we send, never forwards. */
#ifndef MN_NET_ROUTE_H
#define MN_NET_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

struct mynet_stack;

#define MN_MAX_ROUTES 32

struct mn_route {
  uint32_t net; /* host order, already masked */
  uint8_t prefix;
  uint32_t via; /* next hop; 0 = on link */
  int ifindex;
};

struct mn_route_table {
  struct mn_route r[MN_MAX_ROUTES];
  int n;
};

/* What a socket asks of its routes: SO_BINDTODEVICE and SO_DONTROUTE
 * (or MSG_DONTROUTE).  A NULL selector means no restriction. */
struct mn_route_sel {
  int oif;     /* the only interface to use, or MN_ROUTE_ANY_IF */
  bool onlink; /* only destinations on a connected subnet, never a gateway */
};
#define MN_ROUTE_ANY_IF (-1)

struct mn_route_result {
  int ifindex;
  uint32_t next_hop; /* the destination itself when on link */
  uint32_t src;      /* the interface address to send from */
};

/* The gateway must be on a connected subnet (-ENETUNREACH otherwise);
 * an identical route is replaced. */
int mn_route_add(struct mynet_stack *st, uint32_t net, uint8_t prefix, uint32_t via);
int mn_route_add_connected(struct mynet_stack *st, uint32_t net, uint8_t prefix, int ifindex);
/* Local addresses and 127/8 route to loopback.  -ENETUNREACH if no
 * route matches, or none that sel (NULL: any) allows. */
int mn_route_lookup(struct mynet_stack *st, uint32_t dst, const struct mn_route_sel *sel,
                    struct mn_route_result *out);
/* The interface a local address belongs to: the loopback for 127/8, the
 * interface that has it otherwise (even though our own traffic to it
 * travels through the loopback device, as on Linux); -1 if not ours. */
int mn_route_local_owner(struct mynet_stack *st, uint32_t addr);

#endif

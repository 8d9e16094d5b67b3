/* Longest-prefix-match routing for a host. */
#include "net/route.h"

#include "net/iface.h"
#include "net/ipv4.h"
#include "stack_impl.h"

#include <errno.h>

static int add(struct mynet_stack *st, uint32_t net, uint8_t prefix, uint32_t via, int ifindex)
{
  struct mn_route_table *t = &st->routes;
  net &= mn_prefix_mask(prefix);
  for (int i = 0; i < t->n; i++) {
    if (t->r[i].net == net && t->r[i].prefix == prefix) {
      t->r[i].via = via;
      t->r[i].ifindex = ifindex;
      return 0;
    }
  }
  if (t->n >= MN_MAX_ROUTES)
    return -ENOSPC;
  t->r[t->n++] = (struct mn_route){.net = net, .prefix = prefix, .via = via, .ifindex = ifindex};
  return 0;
}

int mn_route_add_connected(struct mynet_stack *st, uint32_t net, uint8_t prefix, int ifindex)
{
  return add(st, net, prefix, 0, ifindex);
}

/* The connected route that holds addr, or NULL. */
static const struct mn_route *connected(struct mynet_stack *st, uint32_t addr)
{
  const struct mn_route *best = NULL;
  for (int i = 0; i < st->routes.n; i++) {
    const struct mn_route *r = &st->routes.r[i];
    if (r->via == 0 && (addr & mn_prefix_mask(r->prefix)) == r->net &&
        (!best || r->prefix > best->prefix))
      best = r;
  }
  return best;
}

int mn_route_add(struct mynet_stack *st, uint32_t net, uint8_t prefix, uint32_t via)
{
  /* RFC 1122 3.3.1.1: a gateway must be directly reachable. */
  const struct mn_route *link = connected(st, via);
  if (!link)
    return -ENETUNREACH;
  return add(st, net, prefix, via, link->ifindex);
}

int mn_route_local_owner(struct mynet_stack *st, uint32_t addr)
{
  if ((addr >> 24) == 127)
    return 0;
  const struct mn_iface *ifc = mn_iface_by_addr(st, addr);
  return ifc ? ifc->index : -1;
}

/* A socket bound to an interface that has no route to dst: Linux assumes
 * the destination is on that link (so a DHCP client bound to its
 * interface reaches 255.255.255.255 without any route).  The loopback
 * has no link to assume. */
static int assume_on_link(struct mynet_stack *st, uint32_t dst, int oif,
                          struct mn_route_result *out)
{
  const struct mn_iface *ifc = mn_iface_get(st, oif);
  if (!ifc || ifc->loopback)
    return -ENETUNREACH;
  out->ifindex = oif;
  out->next_hop = dst;
  out->src = ifc->addr;
  return 0;
}

int mn_route_lookup(struct mynet_stack *st, uint32_t dst, const struct mn_route_sel *sel,
                    struct mn_route_result *out)
{
  int oif = sel ? sel->oif : MN_ROUTE_ANY_IF;
  if (mn_ipv4_is_local(st, dst)) {
    /* Bound to another interface than the address's, Linux sends the
     * packets where they are lost; refusing at once says the same. */
    if (oif != MN_ROUTE_ANY_IF && oif != mn_route_local_owner(st, dst))
      return -ENETUNREACH;
    out->ifindex = 0;
    out->next_hop = dst;
    out->src = dst; /* the kernel answers a local route from the address itself */
    return 0;
  }
  const struct mn_route *best = NULL;
  for (int i = 0; i < st->routes.n; i++) {
    const struct mn_route *r = &st->routes.r[i];
    if ((dst & mn_prefix_mask(r->prefix)) != r->net || (best && r->prefix <= best->prefix))
      continue;
    if ((oif != MN_ROUTE_ANY_IF && r->ifindex != oif) || (sel && sel->onlink && r->via))
      continue;
    best = r;
  }
  /* The limited broadcast is routed like any address (out of the
   * default route's interface, as a link broadcast); without a matching
   * route it is unreachable, as on Linux. */
  if (!best)
    return oif != MN_ROUTE_ANY_IF ? assume_on_link(st, dst, oif, out) : -ENETUNREACH;
  out->ifindex = best->ifindex;
  /* The limited broadcast never goes through a gateway (RFC 1122 3.3.6):
   * it leaves on the link the matching route names. */
  out->next_hop = best->via && dst != 0xffffffffu ? best->via : dst;
  out->src = st->ifaces[best->ifindex].addr;
  return 0;
}

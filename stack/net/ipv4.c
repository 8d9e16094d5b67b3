/* IPv4 input and output for a host (RFC 791, RFC 1122 3.2.1). */
#include "net/ipv4.h"

#include "net/arp.h"
#include "net/icmp.h"
#include "net/iface.h"
#include "net/route.h"
#include "stack_impl.h"
#include "transport/tcp.h"
#include "transport/udp.h"
#include "wire/icmp.h"

#include <errno.h>

bool mn_ipv4_is_local(struct mynet_stack *st, uint32_t addr)
{
  if ((addr >> 24) == 127)
    return true;
  for (int i = 0; i < st->n_ifaces; i++)
    if (st->ifaces[i].addr == addr)
      return true;
  return false;
}

bool mn_ipv4_is_broadcast(struct mynet_stack *st, uint32_t addr)
{
  if (addr == 0xffffffffu)
    return true;
  for (int i = 1; i < st->n_ifaces; i++) {
    const struct mn_iface *ifc = &st->ifaces[i];
    if (ifc->prefix < 31 && (ifc->addr | ~mn_prefix_mask(ifc->prefix)) == addr)
      return true;
  }
  return false;
}

void mn_ipv4_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p)
{
  st->ctr.ip_in_receives++;
  struct mn_ipv4_hdr ip;
  if (mn_ipv4_parse(p->data, p->len, &ip) != MN_PARSE_OK) {
    st->ctr.ip_in_hdr_errors++;
    mn_pbuf_free(p);
    return;
  }
  /* A host never forwards (RFC 1122 3.3.1): what is not ours is dropped.
   * 127/8 arriving from a real wire is a martian (RFC 1122 3.2.1.3). */
  bool local = ifc->loopback ? mn_ipv4_is_local(st, ip.dst) : ip.dst == ifc->addr;
  bool bcast = !ifc->loopback && mn_ipv4_is_broadcast(st, ip.dst);
  if ((!local && !bcast) || (!ifc->loopback && (ip.src >> 24) == 127)) {
    st->ctr.ip_in_addr_errors++;
    mn_pbuf_free(p);
    return;
  }
  if (ip.mf || ip.frag_off) {
    /* Reassembly is not implemented yet: drop fragments, counted. */
    st->ctr.ip_in_frag_drops++;
    mn_pbuf_free(p);
    return;
  }
  /* Ethernet padding after total_len is not data. */
  mn_pbuf_trim(p, ip.total_len);
  p->src = ip.src;
  p->dst = ip.dst;
  /* Keep the IP header in front of data (pulled, not freed) so an ICMP
   * error about this datagram can quote it. */
  mn_pbuf_pull(p, ip.hdr_len);
  st->ctr.ip_in_delivers++;
  switch (ip.proto) {
  case MN_IPPROTO_ICMP:
    mn_icmp_input(st, p, &ip);
    break;
  case MN_IPPROTO_UDP:
    mn_udp_input(st, p, &ip);
    break;
  case MN_IPPROTO_TCP:
    mn_tcp_input(st, p, &ip);
    break;
  default:
    st->ctr.ip_in_delivers--;
    st->ctr.ip_in_unknown_protos++;
    /* RFC 1122 3.2.2.1: protocol unreachable, but never for broadcast. */
    if (!bcast) {
      mn_pbuf_push(p, ip.hdr_len);
      mn_icmp_send_error(st, p, MN_ICMP_DEST_UNREACH, MN_ICMP_PROTO_UNREACH, 0);
    }
    mn_pbuf_free(p);
    break;
  }
}

int mn_ipv4_in_iface(struct mynet_stack *st, const struct mn_pbuf *p)
{
  if (!st->ifaces[p->ifindex].loopback)
    return p->ifindex;
  int owner = mn_route_local_owner(st, p->dst);
  return owner >= 0 ? owner : p->ifindex;
}

int mn_ipv4_route_info(struct mynet_stack *st, uint32_t dst, const struct mn_route_sel *sel,
                       uint32_t *src, uint16_t *mtu)
{
  struct mn_route_result r;
  int rc = mn_route_lookup(st, dst, sel, &r);
  if (rc < 0)
    return rc;
  if (src)
    *src = r.src;
  if (mtu)
    *mtu = st->ifaces[r.ifindex].mtu;
  return 0;
}

int mn_ipv4_output(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ip_tx *tx)
{
  st->ctr.ip_out_requests++;
  struct mn_route_result r;
  if (mn_route_lookup(st, tx->dst, tx->sel, &r) < 0) {
    st->ctr.ip_out_no_routes++;
    mn_pbuf_free(p);
    return -ENETUNREACH;
  }
  struct mn_iface *ifc = &st->ifaces[r.ifindex];
  if (p->len + MN_IPV4_HDR_LEN > ifc->mtu) {
    st->ctr.ip_out_discards++;
    mn_pbuf_free(p);
    return -EMSGSIZE;
  }
  uint8_t *h = mn_pbuf_push(p, MN_IPV4_HDR_LEN);
  if (!h) {
    st->ctr.ip_out_discards++;
    mn_pbuf_free(p);
    return -ENOBUFS;
  }
  struct mn_ipv4_hdr ip = {
      .tos = tx->tos,
      .total_len = (uint16_t)p->len,
      /* RFC 6864: the ID only matters for fragments; atomic datagrams
       * (DF set) may carry any value, the kernel sends a counter. */
      .id = st->ip_id++,
      .df = tx->df,
      .ttl = tx->ttl ? tx->ttl : MN_IP_DEFAULT_TTL,
      .proto = tx->proto,
      .src = tx->src ? tx->src : r.src,
      .dst = tx->dst,
  };
  mn_ipv4_emit(&ip, h);
  if (ifc->loopback) {
    static const uint8_t zero[6];
    return mn_eth_output(st, ifc, zero, 0x0800, p);
  }
  return mn_arp_output(st, ifc, r.next_hop, p);
}

/* Interfaces and Ethernet II input/output. */
#include "net/iface.h"

#include "net/arp.h"
#include "net/ipv4.h"
#include "net/route.h"
#include "stack_impl.h"
#include "wire/decode.h"
#include "wire/eth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int mn_iface_add(struct mynet_stack *st, const char *name, uint16_t mtu, const uint8_t mac[6],
                 uint32_t addr, uint8_t prefix, bool loopback)
{
  if (st->n_ifaces >= MN_MAX_IFACES)
    return -ENOSPC;
  int index = st->n_ifaces;
  struct mn_iface *ifc = &st->ifaces[index];
  memset(ifc, 0, sizeof(*ifc));
  ifc->index = index;
  snprintf(ifc->name, sizeof(ifc->name), "%s", name);
  ifc->loopback = loopback;
  memcpy(ifc->mac, mac, 6);
  ifc->addr = addr;
  ifc->prefix = prefix;
  ifc->mtu = mtu;
  st->n_ifaces++;
  if (!loopback) {
    int rc = mn_route_add_connected(st, addr & mn_prefix_mask(prefix), prefix, index);
    if (rc < 0)
      return rc;
  }
  ifc->up = true;
  char a[16];
  MN_INFO(st, "%s: up, %s/%u mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x", ifc->name,
          mn_ip4_str(addr, a), prefix, ifc->mtu, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  if (!loopback)
    mn_arp_announce(st, ifc);
  return index;
}

struct mn_iface *mn_iface_get(struct mynet_stack *st, int index)
{
  return index >= 0 && index < st->n_ifaces ? &st->ifaces[index] : NULL;
}

struct mn_iface *mn_iface_by_name(struct mynet_stack *st, const char *name)
{
  for (int i = 0; i < st->n_ifaces; i++)
    if (strcmp(st->ifaces[i].name, name) == 0)
      return &st->ifaces[i];
  return NULL;
}

struct mn_iface *mn_iface_by_addr(struct mynet_stack *st, uint32_t addr)
{
  for (int i = 0; i < st->n_ifaces; i++)
    if (st->ifaces[i].addr == addr)
      return &st->ifaces[i];
  return NULL;
}

static void trace_frame(struct mynet_stack *st, const char *dir, const struct mn_iface *ifc,
                        const uint8_t *frame, size_t len)
{
  char text[2048];
  mn_decode_frame(frame, len, text, sizeof(text));
  mn_log_emit(st, MYNET_LOG_TRACE, "%s %s %zu bytes\n%s", ifc->name, dir, len, text);
}

void mn_eth_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p)
{
  st->ctr.eth_in_frames++;
  p->ifindex = ifc->index;
  if (MYNET_LOG_TRACE <= mn_log_level(st))
    trace_frame(st, "in", ifc, p->data, p->len);

  struct mn_eth_hdr eth;
  if (mn_eth_parse(p->data, p->len, &eth) != MN_PARSE_OK) {
    st->ctr.eth_in_errors++;
    mn_pbuf_free(p);
    return;
  }
  /* Frames for another station (a TAP sees only what the kernel sends
   * it, but a bridge may flood unicast) are not ours to answer. */
  if (!ifc->loopback && !mn_eth_is_multicast(eth.dst) && memcmp(eth.dst, ifc->mac, 6) != 0) {
    st->ctr.eth_in_not_for_us++;
    mn_pbuf_free(p);
    return;
  }
  p->link_bcast = mn_eth_is_multicast(eth.dst);
  mn_pbuf_pull(p, MN_ETH_HDR_LEN);
  switch (eth.type) {
  case MN_ETHERTYPE_IPV4:
    mn_ipv4_input(st, ifc, p);
    break;
  case MN_ETHERTYPE_ARP:
    if (ifc->loopback) {
      mn_pbuf_free(p);
      break;
    }
    mn_arp_input(st, ifc, p);
    break;
  default:
    st->ctr.eth_in_unknown_type++;
    mn_pbuf_free(p);
    break;
  }
}

int mn_eth_output(struct mynet_stack *st, struct mn_iface *ifc, const uint8_t dst[6], uint16_t type,
                  struct mn_pbuf *p)
{
  uint8_t *h = mn_pbuf_push(p, MN_ETH_HDR_LEN);
  if (!h) {
    st->ctr.eth_out_errors++;
    mn_pbuf_free(p);
    return -ENOBUFS;
  }
  struct mn_eth_hdr eth = {.type = type};
  memcpy(eth.dst, dst, 6);
  memcpy(eth.src, ifc->mac, 6);
  mn_eth_emit(&eth, h);
  if (MYNET_LOG_TRACE <= mn_log_level(st))
    trace_frame(st, "out", ifc, p->data, p->len);
  st->ctr.eth_out_frames++;
  if (ifc->txq.count >= MN_IFACE_TXQ_MAX) {
    st->ctr.dev_tx_dropped++;
    mn_pbuf_free(p);
    return -ENOBUFS;
  }
  mn_pbuf_queue_push(&ifc->txq, p);
  return 0;
}

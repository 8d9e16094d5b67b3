/* ARP (RFC 826) and the neighbour cache.
 *
 * Entries move INCOMPLETE -> REACHABLE -> STALE -> PROBE -> REACHABLE (or
 * are forgotten), a simplified form of the kernel's neighbour states: a
 * stale entry keeps being used while one unicast refresh is outstanding,
 * so a live peer never sees traffic stall for a cache expiry. */
#include "net/arp.h"

#include "net/icmp.h"
#include "net/iface.h"
#include "stack_impl.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/icmp.h"

#include <errno.h>
#include <string.h>

static const char *state_name(enum mn_arp_state s)
{
  static const char *const names[] = {"FREE", "INCOMPLETE", "REACHABLE", "STALE", "PROBE"};
  return names[s];
}

static void set_state(struct mn_arp_entry *e, enum mn_arp_state s)
{
  if (e->state != s) {
    char a[16];
    MN_DEBUG(e->st, "arp %s: %s -> %s", mn_ip4_str(e->ip, a), state_name(e->state), state_name(s));
  }
  e->state = s;
}

static void send_arp(struct mynet_stack *st, struct mn_iface *ifc, uint16_t op,
                     const uint8_t eth_dst[6], const uint8_t tha[6], uint32_t tpa)
{
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, MN_ARP_LEN);
  if (!p)
    return;
  struct mn_arp_pkt a = {.op = op, .spa = ifc->addr, .tpa = tpa};
  memcpy(a.sha, ifc->mac, 6);
  memcpy(a.tha, tha, 6);
  mn_arp_emit(&a, p->data);
  if (op == MN_ARP_REQUEST)
    st->ctr.arp_out_requests++;
  else
    st->ctr.arp_out_replies++;
  mn_eth_output(st, ifc, eth_dst, MN_ETHERTYPE_ARP, p);
}

static void send_request(struct mynet_stack *st, struct mn_arp_entry *e, bool unicast)
{
  static const uint8_t zero[6];
  struct mn_iface *ifc = mn_iface_get(st, e->ifindex);
  send_arp(st, ifc, MN_ARP_REQUEST, unicast ? e->mac : mn_eth_broadcast, zero, e->ip);
}

static void entry_free(struct mn_arp_entry *e)
{
  mn_timer_cancel(&e->st->timers, &e->timer);
  mn_pbuf_queue_clear(&e->pending);
  set_state(e, MN_ARP_FREE);
}

/* Resolution failed: every waiting packet's sender learns that the host
 * is unreachable (RFC 1122 2.3.2.2), as the kernel reports EHOSTUNREACH. */
static void resolve_failed(struct mn_arp_entry *e)
{
  struct mynet_stack *st = e->st;
  char a[16];
  MN_INFO(st, "arp %s: no reply after %d requests", mn_ip4_str(e->ip, a), MN_ARP_RETRIES);
  st->ctr.arp_resolve_failed++;
  struct mn_pbuf_queue q = e->pending;
  memset(&e->pending, 0, sizeof(e->pending));
  entry_free(e);
  struct mn_pbuf *p;
  while ((p = mn_pbuf_queue_pop(&q))) {
    mn_icmp_local_error(st, p, MN_ICMP_DEST_UNREACH, MN_ICMP_HOST_UNREACH);
    mn_pbuf_free(p);
  }
}

void mn_arp_entry_timer(struct mn_timer *t, mynet_time now)
{
  struct mn_arp_entry *e = mn_container_of(t, struct mn_arp_entry, timer);
  struct mynet_stack *st = e->st;
  switch (e->state) {
  case MN_ARP_INCOMPLETE:
  case MN_ARP_PROBE:
    if (e->retries >= MN_ARP_RETRIES) {
      if (e->state == MN_ARP_INCOMPLETE) {
        resolve_failed(e);
      } else {
        entry_free(e);
      }
      return;
    }
    e->retries++;
    /* A probe asks the known MAC first, then falls back to broadcast in
     * case the neighbour changed its address (RFC 1122 2.3.2.1). */
    send_request(st, e, e->state == MN_ARP_PROBE && e->retries == 1);
    mn_timer_arm(&st->timers, &e->timer, now + MN_ARP_RETRY_INTERVAL);
    break;
  case MN_ARP_REACHABLE:
    set_state(e, MN_ARP_STALE);
    mn_timer_arm(&st->timers, &e->timer, now + MN_ARP_STALE_TIME);
    break;
  case MN_ARP_STALE:
    entry_free(e);
    break;
  case MN_ARP_FREE:
    break;
  }
}

void mn_arp_init(struct mynet_stack *st)
{
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++) {
    struct mn_arp_entry *e = &st->arp.e[i];
    memset(e, 0, sizeof(*e));
    e->st = st;
    mn_timer_init(&e->timer, MN_TIMER_ARP_ENTRY);
  }
}

void mn_arp_destroy(struct mynet_stack *st)
{
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++)
    if (st->arp.e[i].state != MN_ARP_FREE)
      entry_free(&st->arp.e[i]);
}

static struct mn_arp_entry *find(struct mynet_stack *st, int ifindex, uint32_t ip)
{
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++) {
    struct mn_arp_entry *e = &st->arp.e[i];
    if (e->state != MN_ARP_FREE && e->ip == ip && e->ifindex == ifindex)
      return e;
  }
  return NULL;
}

/* A free slot, or the least recently used resolved one. */
static struct mn_arp_entry *slot_for(struct mynet_stack *st)
{
  struct mn_arp_entry *victim = NULL;
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++) {
    struct mn_arp_entry *e = &st->arp.e[i];
    if (e->state == MN_ARP_FREE)
      return e;
    if (e->state != MN_ARP_INCOMPLETE && (!victim || e->last_used < victim->last_used))
      victim = e;
  }
  if (victim)
    entry_free(victim);
  return victim;
}

const struct mn_arp_entry *mn_arp_lookup(struct mynet_stack *st, uint32_t ip)
{
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++) {
    struct mn_arp_entry *e = &st->arp.e[i];
    if (e->state != MN_ARP_FREE && e->ip == ip)
      return e;
  }
  return NULL;
}

static void confirm(struct mynet_stack *st, struct mn_arp_entry *e, const uint8_t mac[6])
{
  memcpy(e->mac, mac, 6);
  e->retries = 0;
  set_state(e, MN_ARP_REACHABLE);
  mn_timer_arm(&st->timers, &e->timer, st->now + MN_ARP_REACHABLE_TIME);
  struct mn_iface *ifc = mn_iface_get(st, e->ifindex);
  struct mn_pbuf *p;
  while ((p = mn_pbuf_queue_pop(&e->pending)))
    mn_eth_output(st, ifc, e->mac, MN_ETHERTYPE_IPV4, p);
}

void mn_arp_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p)
{
  st->ctr.arp_in_packets++;
  struct mn_arp_pkt a;
  if (mn_arp_parse(p->data, p->len, &a) != MN_PARSE_OK) {
    st->ctr.arp_in_errors++;
    mn_pbuf_free(p);
    return;
  }
  mn_pbuf_free(p);
  /* A sender claiming our address, or a broadcast or zero address, is
   * not a neighbour we want in the cache. */
  if (a.spa == ifc->addr || a.spa == 0 || mn_eth_is_multicast(a.sha)) {
    st->ctr.arp_in_errors++;
    return;
  }
  /* RFC 826 "merge": update an entry we already have from any packet, but
   * create one only when the packet is addressed to us. */
  bool for_us = a.tpa == ifc->addr;
  struct mn_arp_entry *e = find(st, ifc->index, a.spa);
  if (e) {
    confirm(st, e, a.sha);
  } else if (for_us) {
    e = slot_for(st);
    if (e) {
      e->ip = a.spa;
      e->ifindex = ifc->index;
      e->last_used = st->now;
      confirm(st, e, a.sha);
    }
  }
  if (for_us && a.op == MN_ARP_REQUEST)
    send_arp(st, ifc, MN_ARP_REPLY, a.sha, a.sha, a.spa);
}

int mn_arp_output(struct mynet_stack *st, struct mn_iface *ifc, uint32_t next_hop,
                  struct mn_pbuf *p)
{
  if (next_hop == 0xffffffffu ||
      (ifc->prefix < 31 && (next_hop | mn_prefix_mask(ifc->prefix)) == 0xffffffffu))
    return mn_eth_output(st, ifc, mn_eth_broadcast, MN_ETHERTYPE_IPV4, p);

  struct mn_arp_entry *e = find(st, ifc->index, next_hop);
  if (e && e->state != MN_ARP_INCOMPLETE) {
    e->last_used = st->now;
    if (e->state == MN_ARP_STALE) {
      /* RFC 1122 2.3.2.1: revalidate a stale entry while still using it. */
      set_state(e, MN_ARP_PROBE);
      e->retries = 0;
      mn_timer_arm(&st->timers, &e->timer, st->now);
    }
    return mn_eth_output(st, ifc, e->mac, MN_ETHERTYPE_IPV4, p);
  }
  if (!e) {
    e = slot_for(st);
    if (!e) {
      st->ctr.arp_queue_drops++;
      mn_pbuf_free(p);
      return -ENOBUFS;
    }
    e->ip = next_hop;
    e->ifindex = ifc->index;
    e->retries = 1;
    e->last_used = st->now;
    set_state(e, MN_ARP_INCOMPLETE);
    send_request(st, e, false);
    mn_timer_arm(&st->timers, &e->timer, st->now + MN_ARP_RETRY_INTERVAL);
  }
  if (e->pending.count >= MN_ARP_PENDING_MAX) {
    /* Drop the oldest packet after the first, so the first one (often a
     * SYN, or the request a user waits on) always survives. */
    st->ctr.arp_queue_drops++;
    struct mn_pbuf *first = mn_pbuf_queue_pop(&e->pending);
    struct mn_pbuf *second = mn_pbuf_queue_pop(&e->pending);
    mn_pbuf_free(second);
    struct mn_pbuf_queue rest = e->pending;
    memset(&e->pending, 0, sizeof(e->pending));
    mn_pbuf_queue_push(&e->pending, first);
    struct mn_pbuf *q;
    while ((q = mn_pbuf_queue_pop(&rest)))
      mn_pbuf_queue_push(&e->pending, q);
  }
  mn_pbuf_queue_push(&e->pending, p);
  return 0;
}

void mn_arp_announce(struct mynet_stack *st, struct mn_iface *ifc)
{
  /* Gratuitous ARP (RFC 5227 3): a request for our own address, so
   * neighbours refresh any stale entry for it. */
  static const uint8_t zero[6];
  send_arp(st, ifc, MN_ARP_REQUEST, mn_eth_broadcast, zero, ifc->addr);
}

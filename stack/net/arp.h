/* Address resolution (RFC 826) and the neighbour cache. */
#ifndef MN_NET_ARP_H
#define MN_NET_ARP_H

#include "core/pbuf.h"
#include "core/timer.h"
#include <stdint.h>

struct mynet_stack;
struct mn_iface;

#define MN_ARP_CACHE_SIZE 64
/* Packets held per unresolved neighbour (the kernel holds a few too); the
 * oldest is dropped when more arrive, never the first one. */
#define MN_ARP_PENDING_MAX 8
#define MN_ARP_RETRIES 3
#define MN_ARP_RETRY_INTERVAL MYNET_SEC(1)
/* How long a reply is trusted before it is re-probed (the kernel's
 * base_reachable_time is 30 s). */
#define MN_ARP_REACHABLE_TIME MYNET_SEC(30)
/* How long a stale entry may go unconfirmed before it is forgotten. */
#define MN_ARP_STALE_TIME MYNET_SEC(60)

enum mn_arp_state {
  MN_ARP_FREE = 0,
  MN_ARP_INCOMPLETE, /* request sent, packets waiting */
  MN_ARP_REACHABLE,  /* confirmed recently */
  MN_ARP_STALE,      /* usable; the next use sends a refresh request */
  MN_ARP_PROBE,      /* stale and a refresh is outstanding */
};

struct mn_arp_entry {
  struct mynet_stack *st;
  enum mn_arp_state state;
  int ifindex;
  uint32_t ip;
  uint8_t mac[6];
  int retries;
  mynet_time last_used;
  struct mn_timer timer;
  struct mn_pbuf_queue pending;
};

struct mn_arp_cache {
  struct mn_arp_entry e[MN_ARP_CACHE_SIZE];
};

void mn_arp_init(struct mynet_stack *st);
void mn_arp_destroy(struct mynet_stack *st);
void mn_arp_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p);
/* Send an IPv4 packet (IP header at data) to next_hop on ifc, resolving
 * its MAC first if needed; consumes p. */
int mn_arp_output(struct mynet_stack *st, struct mn_iface *ifc, uint32_t next_hop,
                  struct mn_pbuf *p);
/* Gratuitous ARP: announce our address when the interface comes up. */
void mn_arp_announce(struct mynet_stack *st, struct mn_iface *ifc);
/* An entry's timer (MN_TIMER_ARP_ENTRY). */
void mn_arp_entry_timer(struct mn_timer *t, mynet_time now);
/* The cache entry for ip, or NULL (for tests and diagnostics). */
const struct mn_arp_entry *mn_arp_lookup(struct mynet_stack *st, uint32_t ip);

#endif

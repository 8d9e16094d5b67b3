/* The stack object.  Everything mutable lives here, so a test makes a
 * fresh stack per case and two stacks can run against each other. */
#ifndef MN_STACK_IMPL_H
#define MN_STACK_IMPL_H

#include "core/counters.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pbuf.h"
#include "core/rand.h"
#include "core/timer.h"
#include "core/util.h"
#include "net/arp.h"
#include "net/icmp.h"
#include "net/iface.h"
#include "net/route.h"
#include "transport/udp.h"
#include <mynet/stack.h>

struct mn_tcp_table;

struct mynet_stack {
  mynet_time now;
  struct mn_log_ring log;
  struct mn_pool pool;
  struct mn_mem mem; /* everything the stack allocates, this object included */
  struct mn_timer_heap timers;
  struct mn_rand rand;
  struct mn_counters ctr;

  struct mn_iface ifaces[MN_MAX_IFACES];
  int n_ifaces;
  struct mn_route_table routes;
  struct mn_arp_cache arp;
  struct mn_icmp_state icmp;
  uint16_t ip_id;

  struct mn_udp_state udp;
  struct mn_tcp_table *tcp;
  struct mynet_sock *all_socks;
  struct mynet_sock *woken_head, *woken_tail; /* see mynet_stack_next_woken */
  bool rx_batch;                              /* inside mynet_stack_poll's receive loop */
  uint64_t rx_epoch;                          /* counts those loops */
  int fd_floor;     /* mynet_stack_params.fd_floor, for the ports opened */
  uint64_t cookies; /* SO_COOKIE values handed out */
};

/* What each timer of the stack is for (core/timer.h); stack.c maps them
 * to their functions. */
enum mn_timer_kind {
  MN_TIMER_ARP_ENTRY,
  MN_TIMER_TCP_REXMT,
  MN_TIMER_TCP_DELACK,
  MN_TIMER_TCP_KEEP,
  MN_TIMER_TCP_REORDER,
  MN_TIMER_KINDS
};

size_t mn_stack_free_report(mynet_stack *st);

#endif

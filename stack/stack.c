/* The stack object: creation, the poll loop and the deadline. */
#include "stack_impl.h"

#include "net/arp.h"
#include "port.h"
#include "socket_impl.h"
#include "transport/tcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MN_POOL_DEFAULT (32u * 1024 * 1024)
/* Frames taken from one device per poll before the others get a turn and
 * timers run: keeps one busy TAP from starving timers. */
#define MN_POLL_BUDGET 64

int mynet_stack_new(const struct mynet_stack_params *p, mynet_stack **out)
{
  struct mn_mem mem;
  mn_mem_init(&mem, p->region);
  struct mynet_stack *st = mn_mem_zalloc_unbudgeted(&mem, sizeof(*st));
  if (!st)
    return -ENOMEM;
  st->mem = mem;
  st->now = p->now;
  mn_log_ring_init(&st->log, p->log_level);
  st->fd_floor = p->fd_floor;
  mn_pool_init(&st->pool, &st->mem, p->pool_bytes ? p->pool_bytes : MN_POOL_DEFAULT);
  mn_timer_heap_init(&st->timers, &st->mem);
  mn_rand_seed(&st->rand, p->seed);
  st->ip_id = (uint16_t)mn_rand_next(&st->rand);
  st->icmp.tokens = MN_ICMP_BURST;
  mn_arp_init(st);
  int rc = mn_timer_reserve(&st->timers, MN_ARP_CACHE_SIZE);
  if (rc == 0)
    rc = mn_tcp_init(st);
  if (rc < 0) {
    mynet_stack_free(st);
    return rc;
  }
  static const uint8_t zero_mac[6];
  /* Linux's lo has an MTU of 64 KiB. */
  rc = mn_iface_add(st, "lo", 65535 - 14, zero_mac, mn_ip4(127, 0, 0, 1), 8, true);
  if (rc < 0) {
    mynet_stack_free(st);
    return rc;
  }
  *out = st;
  return 0;
}

/* Tear everything down and say what was left over: packet buffers still
 * handed out or timers still armed once every owner is gone are leaks,
 * and the unit tests fail on them. */
size_t mn_stack_free_report(mynet_stack *st)
{
  if (!st)
    return 0;
  /* Sockets the application still holds are torn down with the stack. */
  while (st->all_socks) {
    struct mynet_sock *s = st->all_socks;
    st->all_socks = s->all_next;
    s->woken = false;
    s->all_next = s->all_prev = NULL;
    mn_sock_ops_of(s)->destroy(s);
  }
  mn_tcp_destroy(st);
  mn_arp_destroy(st);
  for (int i = 0; i < st->n_ifaces; i++)
    mn_pbuf_queue_clear(&st->ifaces[i].txq);
  size_t leaked = st->pool.live + st->timers.n;
  mn_timer_heap_destroy(&st->timers);
  mn_pool_destroy(&st->pool);
  struct mn_mem mem = st->mem;
  mn_mem_free(&mem, st);
  return leaked;
}

void mynet_stack_free(mynet_stack *st)
{
  mn_stack_free_report(st);
}

void mynet_stack_set_now(mynet_stack *st, mynet_time now)
{
  if (now > st->now)
    st->now = now;
}

mynet_time mynet_stack_now(const mynet_stack *st)
{
  return st->now;
}

static const mn_timer_fn timer_fns[MN_TIMER_KINDS] = {
    [MN_TIMER_ARP_ENTRY] = mn_arp_entry_timer,     [MN_TIMER_TCP_REXMT] = mn_tcp_rexmt_timer,
    [MN_TIMER_TCP_DELACK] = mn_tcp_delack_timer,   [MN_TIMER_TCP_KEEP] = mn_tcp_keep_timer,
    [MN_TIMER_TCP_REORDER] = mn_tcp_reorder_timer,
};

/* Frames queued on the loopback go back in, as a device's would. */
static int loopback_input(struct mynet_stack *st, int budget)
{
  struct mn_iface *lo = &st->ifaces[0];
  int n = 0;
  struct mn_pbuf *p;
  while (n < budget && (p = mn_pbuf_queue_pop(&lo->txq))) {
    mn_eth_input(st, lo, p);
    n++;
  }
  return n;
}

int mynet_stack_poll(mynet_stack *st, mynet_port *const *ports, int nports, mynet_time now)
{
  mynet_stack_set_now(st, now);
  int frames = 0;
  bool more = true;
  /* Loopback frames produce replies on loopback; keep going until it is
   * drained or has used its budget this round. */
  for (int round = 0; more && round < 16; round++) {
    /* ACKs that are merely due (every second segment) wait for the end of
     * the batch: one ACK for what arrived together, as GRO gives the
     * kernel.  Each frame written to a TAP costs a system call. */
    st->rx_batch = true;
    st->rx_epoch++;
    for (int i = 0; i < nports; i++)
      frames += mn_port_receive(st, ports[i], MN_POLL_BUDGET);
    int lo = loopback_input(st, MN_POLL_BUDGET);
    frames += lo;
    more = lo > 0;
    st->rx_batch = false;
    mn_tcp_flush_acks(st);
    mn_timer_run(&st->timers, st->now, timer_fns);
  }
  mynet_stack_flush(st, ports, nports);
  return frames;
}

void mynet_stack_flush(mynet_stack *st, mynet_port *const *ports, int nports)
{
  for (int i = 0; i < nports; i++)
    mn_port_transmit(st, ports[i]);
}

mynet_time mynet_stack_deadline(const mynet_stack *st)
{
  mynet_time t = mn_timer_next(&st->timers);
  /* Frames waiting for the loopback (or, between a call and the driver's
   * flush, for a device) want a poll now. */
  for (int i = 0; i < st->n_ifaces; i++)
    if (st->ifaces[i].txq.count && st->now < t)
      t = st->now;
  return t;
}

size_t mynet_stack_take_log(mynet_stack *st, int *level, char *buf, size_t cap)
{
  return mn_log_ring_take(&st->log, level, buf, cap);
}

bool mynet_stack_lingering(const mynet_stack *st)
{
  /* Datagrams waiting for address resolution count too: the kernel sends
   * them after the program that wrote them has exited. */
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++)
    if (st->arp.e[i].state == MN_ARP_INCOMPLETE && st->arp.e[i].pending.count)
      return true;
  return mn_tcp_lingering(st);
}

int64_t mynet_stack_counter(const mynet_stack *st, const char *name)
{
#define MN_COUNTER_LOOKUP(layer, field)                                                            \
  if (strcmp(name, #layer "." #field) == 0)                                                        \
    return (int64_t)st->ctr.layer##_##field;
  MN_COUNTERS(MN_COUNTER_LOOKUP)
#undef MN_COUNTER_LOOKUP
  if (strcmp(name, "pool.live") == 0)
    return (int64_t)st->pool.live;
  if (strcmp(name, "mem.alloc_failures") == 0)
    return (int64_t)st->mem.failures;
  if (strcmp(name, "timers.armed") == 0)
    return (int64_t)st->timers.n;
  if (strcmp(name, "log.dropped") == 0)
    return (int64_t)st->log.dropped;
  return -1;
}

static void append_counter(char *buf, size_t cap, size_t *n, const char *name, uint64_t v)
{
  if (!v)
    return;
  int w = snprintf(buf + (*n < cap ? *n : cap), *n < cap ? cap - *n : 0, "%s%s=%llu", *n ? " " : "",
                   name, (unsigned long long)v);
  *n += w > 0 ? (size_t)w : 0;
}

size_t mynet_stack_counters_text(const mynet_stack *st, char *buf, size_t cap)
{
  size_t n = 0;
  if (cap)
    buf[0] = 0;
#define MN_COUNTER_TEXT(layer, field)                                                              \
  append_counter(buf, cap, &n, #layer "." #field, st->ctr.layer##_##field);
  MN_COUNTERS(MN_COUNTER_TEXT)
#undef MN_COUNTER_TEXT
  append_counter(buf, cap, &n, "mem.alloc_failures", st->mem.failures);
  append_counter(buf, cap, &n, "log.dropped", st->log.dropped);
  return n;
}

int mn_log_level(const struct mynet_stack *st)
{
  return st->log.level;
}

void mn_log_emit(struct mynet_stack *st, int level, const char *fmt, ...)
{
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  mn_log_ring_put(&st->log, level, msg);
}
